/** A union view listed the same way from the lab (in the page) and from a directory umoci unpacked. */
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import type { LabDriver } from "./browser.ts";

export interface Listed {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size?: number;
  sha256?: string;
  link?: string;
}

/** The union of an image as the lab shows it (the daemon's read-only view of it), with file digests. */
export async function labUnion(lab: LabDriver, image: string): Promise<Listed[]> {
  return (await lab.page.evaluate(`(async () => {
    const { daemon } = window.layerlab;
    const { sha256Digest } = await import("/src/oci/digest.ts");
    const fs = await daemon.containers.imageFs(await daemon.images.require(${JSON.stringify(image)}));
    const out = [];
    for (const st of fs.walk()) {
      const e = { path: st.path, type: st.type, mode: st.mode, uid: st.uid, gid: st.gid };
      if (st.type === "file") { e.size = st.size; e.sha256 = (await sha256Digest(await fs.read(st.path))).slice(7); }
      if (st.type === "symlink") e.link = st.linkname;
      out.push(e);
    }
    return out;
  })()`)) as Listed[];
}

/** A directory tree as umoci unpacked it. */
export function diskUnion(root: string, rel = ""): Listed[] {
  const out: Listed[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(root, path));
    const type = st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : st.isFile() ? "file" : st.isFIFO() ? "fifo" : st.isCharacterDevice() ? "char" : "block";
    const e: Listed = { path, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    if (type === "file") {
      e.size = st.size;
      e.sha256 = createHash("sha256").update(readFileSync(join(root, path))).digest("hex");
    }
    if (type === "symlink") e.link = readlinkSync(join(root, path));
    out.push(e);
    if (type === "dir") out.push(...diskUnion(root, path));
  }
  return out;
}

