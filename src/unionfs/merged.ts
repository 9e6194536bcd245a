/**
 * The read-only union of an image's layers, computed from their entry indexes (no file data is read):
 * which entries the merged root has, which layer each comes from, and what each layer added, modified
 * and removed. Whiteouts are interpreted by ../layer/whiteout.ts only.
 */
import type { TarEntry } from "../layer/tar.ts";
import { classifyEntry } from "../layer/whiteout.ts";

export interface MergedEntry {
  path: string;
  entry: TarEntry;
  /** Index of the layer that provides this entry (0 = bottom). */
  layer: number;
}

export interface LayerChanges {
  added: string[];
  modified: string[];
  /** Lower paths this layer hides: whiteouts, and lower contents of directories it made opaque. */
  removed: string[];
  /** Sum of regular-file sizes this layer carries. */
  bytes: number;
}

export interface MergedView {
  entries: Map<string, MergedEntry>;
  changes: LayerChanges[];
}

/** "./etc//passwd/" → "etc/passwd"; "." and "./" → "" (the root); ".." cannot climb above the root. */
export function normalizePath(p: string): string {
  if (p && !/(^|\/)\.\.?(\/|$)|\/\/|^\/|\/$/.test(p)) return p; // already clean (the common case)
  const parts: string[] = [];
  for (const part of p.split("/")) {
    if (!part || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}

function removeTree(tree: Map<string, MergedEntry>, path: string, below: number, removed: string[]): void {
  const prefix = `${path}/`;
  for (const key of [...tree.keys()]) {
    if ((key === path || key.startsWith(prefix)) && tree.get(key)!.layer < below) {
      tree.delete(key);
      removed.push(key);
    }
  }
}

/** Merges layers bottom-up. `upTo` stops after that layer (the view "as of layer N"). */
export function mergeLayers(layers: TarEntry[][], upTo = layers.length - 1): MergedView {
  const entries = new Map<string, MergedEntry>();
  const changes: LayerChanges[] = [];
  for (let i = 0; i <= upTo && i < layers.length; i++) {
    const change: LayerChanges = { added: [], modified: [], removed: [], bytes: 0 };
    const plain: TarEntry[] = [];
    // Opaque markers apply before their siblings whatever the tar order; whiteouts hide lower paths only.
    for (const e of layers[i]!) {
      const m = classifyEntry(e.path);
      if (m.kind === "opaque") {
        const dir = normalizePath(m.dir);
        const prefix = dir ? `${dir}/` : "";
        for (const key of [...entries.keys()]) {
          if (key.startsWith(prefix) && key !== dir && entries.get(key)!.layer < i) {
            entries.delete(key);
            change.removed.push(key);
          }
        }
      }
    }
    for (const e of layers[i]!) {
      const m = classifyEntry(e.path);
      if (m.kind === "whiteout") removeTree(entries, normalizePath(m.hides), i, change.removed);
      else if (m.kind === "entry") plain.push(e);
    }
    for (const e of plain) {
      const path = normalizePath(e.path);
      if (!path) continue;
      const old = entries.get(path);
      if (old && old.entry.type === "dir" && e.type !== "dir") removeTree(entries, path, i + 1, change.removed);
      if (old && old.layer < i) change.modified.push(path);
      else if (!old) change.added.push(path);
      entries.set(path, { path, entry: e, layer: i });
      if (e.type === "file") change.bytes += e.size;
    }
    change.removed = [...new Set(change.removed)].filter((p) => !entries.has(p) || entries.get(p)!.layer !== i);
    changes.push(change);
  }
  return { entries, changes };
}

/** Which layer provides `path` in the merged view, or undefined when nothing does. */
export function origin(view: MergedView, path: string): number | undefined {
  return view.entries.get(normalizePath(path))?.layer;
}

/** The direct children of a directory in the merged view, sorted by name. */
export function readdir(view: MergedView, dir: string): MergedEntry[] {
  const d = normalizePath(dir);
  const prefix = d ? `${d}/` : "";
  const out: MergedEntry[] = [];
  for (const [key, e] of view.entries) {
    if (key.startsWith(prefix) && key.length > prefix.length && !key.slice(prefix.length).includes("/")) out.push(e);
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}
