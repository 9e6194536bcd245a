/**
 * The container layer as a layer tar, the way `docker commit` writes it: upper entries in layer order,
 * a `.wh.NAME` (mode 0600, empty) for each deleted lower path, a `.wh..wh..opq` (the directory's
 * permissions and owner) inside each opaque directory, later names of a multiply-linked inode as
 * hardlinks to the first, mtimes truncated to whole seconds as moby does. The same upper layer always
 * gives the same bytes, so the same diff ID. File data is streamed from the upper storage.
 */
import { OPAQUE_MARKER, whiteoutFor } from "../layer/whiteout.ts";
import { sortForLayer, TarWriter, type TarWriteEntry } from "../layer/tar-writer.ts";
import type { Inode } from "./upper.ts";
import type { UnionFS } from "./union.ts";

const CHUNK = 1 << 20;

interface Item {
  path: string;
  inode?: Inode;
  whiteout?: boolean;
  opaqueOf?: Inode;
}

function upperItems(fs: UnionFS): Item[] {
  const items: Item[] = [];
  for (const { entry, inode } of fs.upperEntries()) {
    if (entry.path === "") continue;
    if (entry.whiteout) items.push({ path: whiteoutFor(entry.path), whiteout: true });
    else {
      items.push({ path: entry.path, inode: inode! });
      if (entry.opaque) items.push({ path: `${entry.path}/${OPAQUE_MARKER}`, opaqueOf: inode! });
    }
  }
  return sortForLayer(items);
}

function fileStream(fs: UnionFS, inode: Inode): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull: async (c) => {
      if (offset >= inode.size) return c.close();
      const end = Math.min(inode.size, offset + CHUNK);
      c.enqueue(await fs.readUpper(inode.ino, offset, end));
      offset = end;
    },
  });
}

/** Writes the upper layer into `writer` and closes it. */
export async function writeUpperLayer(fs: UnionFS, writer: TarWriter): Promise<void> {
  const firstPath = new Map<number, string>();
  for (const item of upperItems(fs)) {
    if (item.whiteout) {
      await writer.add({ path: item.path, type: "file", mode: 0o600, size: 0 });
      continue;
    }
    if (item.opaqueOf) {
      const d = item.opaqueOf;
      await writer.add({ path: item.path, type: "file", mode: d.mode & 0o777, uid: d.uid, gid: d.gid, size: 0 });
      continue;
    }
    const i = item.inode!;
    const base: TarWriteEntry = { path: item.path, type: i.type, mode: i.mode, uid: i.uid, gid: i.gid, mtime: Math.floor(i.mtime) };
    if (i.xattrs) base.xattrs = i.xattrs;
    if (i.type === "file" && i.nlink > 1) {
      const first = firstPath.get(i.ino);
      if (first !== undefined) {
        await writer.add({ ...base, type: "hardlink", linkname: first });
        continue;
      }
      firstPath.set(i.ino, item.path);
    }
    if (i.type === "file") await writer.add({ ...base, size: i.size }, fileStream(fs, i));
    else if (i.type === "symlink") await writer.add({ ...base, linkname: i.linkname ?? "" });
    else if (i.type === "char" || i.type === "block") await writer.add({ ...base, devmajor: i.devmajor ?? 0, devminor: i.devminor ?? 0 });
    else await writer.add(base);
  }
  writer.close();
}

/** The upper layer as an uncompressed layer tar stream. */
export function upperLayerTar(fs: UnionFS): ReadableStream<Uint8Array> {
  const writer = new TarWriter();
  writeUpperLayer(fs, writer).catch((e) => writer.error(e));
  return writer.readable;
}
