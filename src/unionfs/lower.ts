/**
 * The read-only lower half of a union: an image's layers merged once (from their entry indexes, no file
 * data read) into a path table and a children table, so a lookup is one map access whatever the number
 * of layers and a directory listing is one array. It also keeps what each layer added, modified and
 * removed, and which layer each entry comes from. Whiteouts are interpreted by ../layer/whiteout.ts only.
 *
 * The view "as of layer N" is the LowerView of the first N+1 layers (`asOf(N)`).
 */
import type { TarEntry } from "../layer/tar.ts";
import { classifyEntry } from "../layer/whiteout.ts";
import { baseName, cleanPath, isUnder, parentOf } from "./path.ts";

/** One read-only layer: its entry index and a reader of its uncompressed tar. */
export interface LowerLayer {
  diffId: string;
  entries: TarEntry[];
  /** Bytes [start, end) of the layer's uncompressed tar. */
  read(start: number, end: number): Promise<Uint8Array>;
}

export interface LayerChanges {
  added: string[];
  modified: string[];
  /** Lower paths this layer hides: whiteouts, and lower contents of directories it made opaque. */
  removed: string[];
  /** Sum of regular-file sizes this layer carries. */
  bytes: number;
}

export interface LowerNode {
  path: string;
  /** The entry that describes the file (for a hardlink: the entry it links to). */
  entry: TarEntry;
  /** The entry as this path's own layer has it (a hardlink stays a hardlink). */
  header: TarEntry;
  /** The layer whose tar has this path (what `origin` answers). */
  layer: number;
  /** The layer whose tar holds the bytes (differs from `layer` only for hardlinks). */
  dataLayer: number;
  ino: number;
  nlink: number;
}

interface Merged {
  entry: TarEntry;
  layer: number;
}

/** Deletes `path` and everything below it that comes from a layer under `below` (never the whole root). */
function removeTree(tree: Map<string, Merged>, path: string, below: number, removed: string[]): void {
  if (!path) return;
  for (const [key, m] of tree) {
    if ((key === path || isUnder(key, path)) && m.layer < below) {
      tree.delete(key);
      removed.push(key);
    }
  }
}

/** Merges layers bottom-up: path → the entry that shows (and its layer), and each layer's changes. */
function mergeLayers(layers: readonly TarEntry[][]): { entries: Map<string, Merged>; changes: LayerChanges[] } {
  const entries = new Map<string, Merged>();
  const changes: LayerChanges[] = [];
  for (let i = 0; i < layers.length; i++) {
    const change: LayerChanges = { added: [], modified: [], removed: [], bytes: 0 };
    const plain: TarEntry[] = [];
    // Opaque markers apply before their siblings whatever the tar order; whiteouts hide lower paths only.
    for (const e of layers[i]!) {
      const m = classifyEntry(e.path);
      if (m.kind === "opaque") {
        const dir = cleanPath(m.dir);
        for (const [key, old] of entries) {
          if (isUnder(key, dir) && old.layer < i) {
            entries.delete(key);
            change.removed.push(key);
          }
        }
      }
    }
    for (const e of layers[i]!) {
      const m = classifyEntry(e.path);
      if (m.kind === "whiteout") removeTree(entries, cleanPath(m.hides), i, change.removed);
      else if (m.kind === "entry") plain.push(e);
    }
    for (const e of plain) {
      const path = cleanPath(e.path);
      if (!path) continue;
      const old = entries.get(path);
      if (old && old.entry.type === "dir" && e.type !== "dir") removeTree(entries, path, i + 1, change.removed);
      if (old && old.layer < i) change.modified.push(path);
      else if (!old) change.added.push(path);
      entries.set(path, { entry: e, layer: i });
      if (e.type === "file") change.bytes += e.size;
    }
    change.removed = [...new Set(change.removed)].filter((p) => !entries.has(p) || entries.get(p)!.layer !== i);
    changes.push(change);
  }
  return { entries, changes };
}

const NO_NAMES: readonly string[] = [];
const NO_NODES: readonly LowerNode[] = [];

export class LowerView {
  readonly nodes = new Map<string, LowerNode>();
  /** Directory path → its children, sorted by name: the names and, in the same order, their nodes. */
  private readonly children = new Map<string, { names: string[]; nodes: LowerNode[] }>();
  /** What each layer added, modified and removed (index = layer, 0 = bottom). */
  readonly changes: LayerChanges[];

  constructor(readonly layers: LowerLayer[]) {
    const merged = mergeLayers(layers.map((l) => l.entries));
    this.changes = merged.changes;
    let ino = 1;
    const pendingLinks: LowerNode[] = [];
    for (const [path, m] of merged.entries) {
      const node: LowerNode = { path, entry: m.entry, header: m.entry, layer: m.layer, dataLayer: m.layer, ino: ++ino, nlink: 1 };
      this.nodes.set(path, node);
      if (m.entry.type === "hardlink") pendingLinks.push(node);
    }
    const resolved: [LowerNode, LowerNode][] = [];
    for (const link of pendingLinks) {
      const target = this.nodes.get(cleanPath(link.entry.linkname ?? ""));
      if (!target || target.entry.type === "hardlink") continue; // dangling: stays an empty hardlink entry
      link.entry = target.entry;
      link.dataLayer = target.dataLayer;
      link.ino = target.ino;
      target.nlink++;
      resolved.push([link, target]);
    }
    for (const [link, target] of resolved) link.nlink = target.nlink;
    const byDir = new Map<string, { name: string; node: LowerNode }[]>();
    for (const node of this.nodes.values()) {
      const dir = parentOf(node.path);
      let list = byDir.get(dir);
      if (!list) byDir.set(dir, (list = []));
      list.push({ name: baseName(node.path), node });
    }
    for (const [dir, list] of byDir) {
      list.sort((a, b) => (a.name < b.name ? -1 : 1));
      this.children.set(dir, { names: list.map((c) => c.name), nodes: list.map((c) => c.node) });
    }
  }

  /** The merged view of layers 0…n (this view itself when n is its top layer or above). */
  asOf(n: number): LowerView {
    return n >= this.layers.length - 1 ? this : new LowerView(this.layers.slice(0, Math.max(0, n + 1)));
  }

  /** The node at a clean path (the hot path: no cleaning here). */
  get(path: string): LowerNode | undefined {
    return this.nodes.get(path);
  }

  /** Which layer provides `path` (any spelling), or undefined when nothing does. */
  origin(path: string): number | undefined {
    return this.nodes.get(cleanPath(path))?.layer;
  }

  /** Sorted names in a lower directory (empty when there is none). */
  list(dir: string): readonly string[] {
    return this.children.get(cleanPath(dir))?.names ?? NO_NAMES;
  }

  /** The nodes of a lower directory's children, in `list`'s order (from the children table, no scan). */
  readdir(dir: string): readonly LowerNode[] {
    return this.children.get(cleanPath(dir))?.nodes ?? NO_NODES;
  }

  /** Bytes [start, end) of a lower regular file. */
  async read(node: LowerNode, start: number, end: number): Promise<Uint8Array> {
    const size = node.entry.size;
    const s = Math.max(0, Math.min(start, size));
    const e = Math.max(s, Math.min(end, size));
    if (e === s) return new Uint8Array(0);
    const off = node.entry.dataOffset;
    return this.layers[node.dataLayer]!.read(off + s, off + e);
  }
}
