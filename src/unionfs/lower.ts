/**
 * The read-only lower half of a union: N layers merged once into a path table and a children table, so
 * a lookup is one map access whatever the number of layers, and a directory listing is one array.
 */
import type { TarEntry } from "../layer/tar.ts";
import { mergeLayers, normalizePath, type LayerChanges } from "./merged.ts";

/** One read-only layer: its entry index and a reader of its uncompressed tar. */
export interface LowerLayer {
  diffId: string;
  entries: TarEntry[];
  /** Bytes [start, end) of the layer's uncompressed tar. */
  read(start: number, end: number): Promise<Uint8Array>;
}

export interface LowerNode {
  path: string;
  /** The entry that describes the file (for a hardlink: the entry it links to). */
  entry: TarEntry;
  /** The layer whose tar has this path (what `origin` answers). */
  layer: number;
  /** The layer whose tar holds the bytes (differs from `layer` only for hardlinks). */
  dataLayer: number;
  ino: number;
  nlink: number;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

export class LowerView {
  readonly nodes = new Map<string, LowerNode>();
  /** Directory path → sorted child names (the merged lower directory, whiteouts applied). */
  private readonly children = new Map<string, string[]>();
  readonly changes: LayerChanges[];

  constructor(readonly layers: LowerLayer[]) {
    const merged = mergeLayers(layers.map((l) => l.entries));
    this.changes = merged.changes;
    let ino = 1;
    const pendingLinks: LowerNode[] = [];
    for (const [path, m] of merged.entries) {
      const node: LowerNode = { path, entry: m.entry, layer: m.layer, dataLayer: m.layer, ino: ++ino, nlink: 1 };
      this.nodes.set(path, node);
      if (m.entry.type === "hardlink") pendingLinks.push(node);
    }
    const resolved: [LowerNode, LowerNode][] = [];
    for (const link of pendingLinks) {
      const target = this.nodes.get(normalizePath(link.entry.linkname ?? ""));
      if (!target || target.entry.type === "hardlink") continue; // dangling: stays an empty hardlink entry
      link.entry = target.entry;
      link.dataLayer = target.dataLayer;
      link.ino = target.ino;
      target.nlink++;
      resolved.push([link, target]);
    }
    for (const [link, target] of resolved) link.nlink = target.nlink;
    const lists = new Map<string, string[]>();
    for (const path of this.nodes.keys()) {
      const dir = parentOf(path);
      let list = lists.get(dir);
      if (!list) lists.set(dir, (list = []));
      list.push(baseName(path));
    }
    for (const [dir, list] of lists) this.children.set(dir, list.sort());
  }

  get(path: string): LowerNode | undefined {
    return this.nodes.get(path);
  }

  /** Sorted names in a lower directory (empty when there is none). */
  list(dir: string): readonly string[] {
    return this.children.get(dir) ?? [];
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
