/**
 * The build context as the daemon receives it: the tar the client sent (its files already filtered by
 * .dockerignore), read once into a table of paths. COPY and ADD look sources up and match globs here,
 * and hash them as the classic builder does (builder/remotecontext: a tarsum v1 header of the path in
 * the context, mode with its type bits, owner, size and type, then its bytes; a directory is the sorted
 * sums of itself and everything below it), so `#(nop) COPY file:<hash> in …` and the cache agree with Docker's.
 */
import { sha256Digest, digestHex } from "../oci/digest.ts";
import { TarStreamParser, type TarEntry } from "../layer/tar.ts";
import { cleanPath, parentOf } from "../unionfs/path.ts";

export interface ContextEntry {
  path: string;
  type: TarEntry["type"];
  mode: number;
  size: number;
  /** Owner (0:0 in a context the client sent; the files' own in an image, for COPY --from). */
  uid?: number;
  gid?: number;
  /** Owner names as the daemon's host resolves them (none for a context the client sent). */
  uname?: string;
  gname?: string;
  linkname?: string;
  data?: Uint8Array;
  /** Modification time (seconds) to give the copy: a downloaded file's Last-Modified. */
  mtime?: number;
  /** A directory the context's tar left implicit (its parent of an entry, no header of its own). */
  implicit?: true;
}

const TYPE_BITS: Partial<Record<TarEntry["type"], number>> = { file: 0o100000, dir: 0o040000, symlink: 0o120000, hardlink: 0o100000, fifo: 0o010000, char: 0o020000, block: 0o060000 };
const TYPE_FLAG: Partial<Record<TarEntry["type"], string>> = { file: "0", hardlink: "1", symlink: "2", char: "3", block: "4", dir: "5", fifo: "6" };

export class BuildContext {
  private readonly entries = new Map<string, ContextEntry>();
  private readonly sums = new Map<string, Promise<string>>();

  private constructor(readonly size: number) {}

  /** A source made of these entries (COPY --from: files of an image, read by the daemon). */
  static fromEntries(entries: readonly ContextEntry[]): BuildContext {
    const ctx = new BuildContext(0);
    for (const e of entries) {
      const path = cleanPath(e.path);
      if (!path) continue;
      ctx.entries.set(path, { ...e, path });
      for (let d = parentOf(path); d; d = parentOf(d)) if (!ctx.entries.has(d)) ctx.entries.set(d, { path: d, type: "dir", mode: 0o755, size: 0 });
    }
    return ctx;
  }

  /** Reads a context tar. */
  static fromTar(tar: Uint8Array): BuildContext {
    const ctx = new BuildContext(tar.length);
    const chunks = new Map<TarEntry, Uint8Array[]>();
    const parser = new TarStreamParser(
      (e) => chunks.set(e, []),
      (e, c) => chunks.get(e)!.push(c.slice()),
    );
    parser.push(tar);
    parser.end();
    for (const [e, parts] of chunks) {
      const path = cleanPath(e.path);
      if (!path) continue;
      const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        data.set(p, o);
        o += p.length;
      }
      ctx.entries.set(path, { path, type: e.type, mode: e.mode & 0o7777, size: e.type === "file" ? e.size : 0, linkname: e.linkname, data: e.type === "file" ? data : undefined });
      // Parent directories the tar left implicit (an excluded directory holding a .dockerignore exception).
      for (let d = parentOf(path); d; d = parentOf(d)) if (!ctx.entries.has(d) || ctx.entries.get(d)!.implicit) ctx.entries.set(d, { path: d, type: "dir", mode: 0o755, size: 0, implicit: true });
    }
    return ctx;
  }

  /** The entry at a context path ("" or "." is the context's root). */
  get(path: string): ContextEntry | undefined {
    const p = cleanPath(path);
    if (!p) return { path: "", type: "dir", mode: 0o755, size: 0 };
    return this.entries.get(p);
  }

  /** Paths below a directory, each directory before what it holds. */
  below(dir: string): ContextEntry[] {
    const d = cleanPath(dir);
    return [...this.entries.values()].filter((e) => (d ? e.path.startsWith(`${d}/`) : true)).sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  /** Context paths a COPY source names: itself, or what its pattern (filepath.Match per segment) matches. */
  glob(pattern: string): string[] {
    const p = cleanPath(pattern);
    if (!/[*?[\\]/.test(p)) return this.get(p) ? [p] : [];
    const segs = p.split("/");
    const re = segs.map(segmentRegExp);
    return [...this.entries.keys()].filter((k) => {
      const ks = k.split("/");
      return ks.length === segs.length && ks.every((s, i) => re[i]!.test(s));
    }).sort();
  }

  /** The classic builder's hash of a source: `file:<sum>` or `dir:<sum of the sorted sums below>`. */
  async hash(path: string): Promise<string> {
    const e = this.get(path);
    if (!e) throw new Error(`${path}: not in the build context`);
    if (e.type !== "dir") return `file:${await this.sum(e)}`;
    // copier.walkSource: the directory itself (unless it is the context's root) and all below it.
    const subs = await Promise.all([...(e.path ? [e] : []), ...this.below(e.path)].map((x) => this.sum(x)));
    return `dir:${digestHex(await sha256Digest(subs.sort().join(",")))}`;
  }

  /** The tarsum v1 of one entry, as remotecontext computes it. */
  private sum(e: ContextEntry): Promise<string> {
    // remotecontext's Hash for a path the tar had no header for: the path itself (tarsum.go).
    if (e.implicit) return Promise.resolve(e.path);
    let s = this.sums.get(e.path);
    if (!s) {
      // The header's name is the path in the context (lazySource.prepareHash), a directory's with "/".
      const name = `${e.path}${e.type === "dir" ? "/" : ""}`;
      const header = [
        ["name", name], ["mode", String((TYPE_BITS[e.type] ?? 0) | e.mode)], ["uid", String(e.uid ?? 0)], ["gid", String(e.gid ?? 0)], ["size", String(e.size)],
        ["typeflag", TYPE_FLAG[e.type] ?? "0"], ["linkname", e.linkname ?? ""], ["uname", e.uname ?? ""], ["gname", e.gname ?? ""], ["devmajor", "0"], ["devminor", "0"],
      ].map(([k, v]) => `${k}${v}`).join("");
      const head = new TextEncoder().encode(header);
      const bytes = new Uint8Array(head.length + (e.data?.length ?? 0));
      bytes.set(head);
      if (e.data) bytes.set(e.data, head.length);
      s = sha256Digest(bytes).then(digestHex);
      this.sums.set(e.path, s);
    }
    return s;
  }
}

/** Go's filepath.Match for one path segment. */
function segmentRegExp(seg: string): RegExp {
  let re = "";
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = seg.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        let cls = seg.slice(i + 1, end);
        if (cls.startsWith("^")) cls = `^${cls.slice(1)}`;
        re += `[${cls.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else if (c === "\\" && i + 1 < seg.length) re += `\\${seg[++i]}`;
    else re += c.replace(/[.+^${}()|]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

