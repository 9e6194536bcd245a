/**
 * `docker diff`: the container layer's changes as Docker reports them where it diffs two trees (moby's
 * archive.ChangesDirs, the "naive" differ that vfs and, on most kernels, overlay2 use): a path only
 * above is A, a path gone is D (the top of a removed subtree only), a path in both is C when it is not
 * a directory, or when a directory's mode or owner changed; and every directory above a change is C.
 * Docker lists siblings in Go's map order, which varies; the lab lists paths in walk order, each
 * directory before what is inside it.
 */
import { sortForLayer } from "../layer/tar-writer.ts";
import { parentOf } from "./path.ts";
import type { UnionFS } from "./union.ts";

export type ChangeKind = "A" | "C" | "D";

export interface Change {
  kind: ChangeKind;
  /** Absolute, as Docker prints it: "/etc/passwd". */
  path: string;
}

export function containerChanges(fs: UnionFS): Change[] {
  const items = sortForLayer(fs.upperEntries().map((u) => ({ ...u, path: u.entry.path }))).filter((u) => u.path !== "");
  const upper = new Set(items.map((u) => u.path));
  const kinds = new Map<string, ChangeKind>();
  const deleted = new Set<string>();
  const mark = (path: string, kind: ChangeKind) => {
    kinds.set(path, kind);
    for (let dir = parentOf(path); dir !== "" && !kinds.has(dir); dir = parentOf(dir)) kinds.set(dir, "C");
  };
  for (const { entry, inode, path } of items) {
    const lower = fs.lower.get(path);
    // Under a removed or replaced directory, only the top of what went is reported.
    const under = (p: string) => [...deleted].some((d) => p.startsWith(`${d}/`));
    if (entry.whiteout) {
      if (lower && !under(path)) {
        mark(path, "D");
        deleted.add(path);
      }
      continue;
    }
    if (!lower) {
      mark(path, "A");
      continue;
    }
    const l = lower.entry;
    if (inode!.type === "dir" && entry.opaque) {
      // An opaque directory hides everything below it: each lower child not written again is gone.
      for (const child of fs.lower.readdir(path)) if (!upper.has(child.path)) mark(child.path, "D");
    }
    if (inode!.type !== "dir" || l.type !== "dir" || (inode!.mode & 0o7777) !== (l.mode & 0o7777) || inode!.uid !== l.uid || inode!.gid !== l.gid) {
      mark(path, "C");
    }
  }
  return [...kinds.keys()].sort(walkOrder).map((path) => ({ kind: kinds.get(path)!, path: `/${path}` }));
}

/** Paths as a walk meets them: a directory, then what is inside it, siblings by name. */
function walkOrder(a: string, b: string): number {
  const x = a.split("/");
  const y = b.split("/");
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return x.length - y.length;
}
