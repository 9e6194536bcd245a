/**
 * `docker diff`: the container layer's changes as Docker's overlay2 driver reports them (moby's
 * archive.changes with overlayDeletedFile): upper entries in walk order; a whiteout is D; an opaque
 * directory that exists below is D (its upper contents then follow as A/C); an entry that exists below
 * is C, except a directory whose mode and mtime are unchanged; anything else is A. Every A or D first
 * reports its not-yet-reported ancestor directories as C, top down.
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
  const changedDirs = new Set<string>();
  const out: Change[] = [];
  for (const { entry, inode, path } of items) {
    const lower = fs.lower.get(path);
    let kind: ChangeKind;
    if (entry.whiteout) kind = "D";
    else if (inode!.type === "dir" && entry.opaque && lower) kind = "D";
    else if (lower) {
      const l = lower.entry;
      if (inode!.type === "dir" && l.type === "dir" && (inode!.mode & 0o7777) === (l.mode & 0o7777) && Math.floor(inode!.mtime) === Math.floor(l.mtime)) {
        continue;
      }
      kind = "C";
    } else kind = "A";
    if (!entry.whiteout && inode!.type === "dir") changedDirs.add(path);
    if (kind !== "C") {
      const tail: Change[] = [];
      for (let dir = parentOf(path); dir !== ""; dir = parentOf(dir)) {
        if (changedDirs.has(dir)) continue;
        tail.unshift({ kind: "C", path: `/${dir}` });
        changedDirs.add(dir);
      }
      out.push(...tail);
    }
    out.push({ kind, path: `/${path}` });
  }
  return out;
}
