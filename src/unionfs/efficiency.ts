/**
 * dive's image efficiency: every leaf path of every layer (a whiteout counts as the bytes it hides
 * when it hides a directory, nothing otherwise — as dive counts them) is a "discovery"; a path
 * discovered in two or more layers is an inefficiency, and its cumulative size is wasted space.
 * Score = Σ smallest size per path / Σ all sizes; wasted percent is against the non-base layers.
 */
import type { TarEntry } from "../layer/tar.ts";
import { classifyEntry } from "../layer/whiteout.ts";
import { cleanPath, joinPath, segments } from "./path.ts";

export interface Inefficiency {
  path: string;
  count: number;
  cumulativeSize: number;
}

export interface EfficiencyReport {
  /** 0..1 (dive prints it as a percentage). */
  score: number;
  wastedBytes: number;
  /** Sum of file sizes of all layers, and of all but the first (the "user" layers). */
  sizeBytes: number;
  userSizeBytes: number;
  /** wastedBytes / userSizeBytes (0 when there are no user bytes). */
  wastedUserPercent: number;
  /** Largest cumulative size first. */
  inefficiencies: Inefficiency[];
}

interface TreeNode {
  size: number;
  isDir: boolean;
  whiteout: boolean;
  children: Map<string, TreeNode>;
}

function newNode(): TreeNode {
  return { size: 0, isDir: true, whiteout: false, children: new Map() };
}

function layerTree(entries: TarEntry[]): TreeNode {
  const root = newNode();
  for (const e of entries) {
    const m = classifyEntry(e.path);
    if (m.kind === "opaque") continue; // dive does not model opaque markers
    const path = cleanPath(m.kind === "whiteout" ? m.hides : m.path);
    if (!path) continue;
    let node = root;
    for (const part of segments(path)) {
      let child = node.children.get(part);
      if (!child) node.children.set(part, (child = newNode()));
      node = child;
    }
    node.whiteout = m.kind === "whiteout";
    node.isDir = m.kind === "entry" && e.type === "dir";
    node.size = m.kind === "entry" && e.type === "file" ? e.size : 0;
  }
  return root;
}

function* leaves(node: TreeNode, prefix = ""): Generator<[string, TreeNode]> {
  for (const [name, child] of node.children) {
    const path = joinPath(prefix, name);
    if (child.children.size === 0) yield [path, child];
    else yield* leaves(child, path);
  }
}

/** The merged tree of layers [0, upTo], for sizing what a whiteout hides. */
function stacked(trees: TreeNode[], upTo: number): TreeNode {
  const root = newNode();
  const apply = (into: TreeNode, from: TreeNode) => {
    for (const [name, child] of from.children) {
      if (child.whiteout) {
        into.children.delete(name);
        continue;
      }
      let target = into.children.get(name);
      if (!target || !child.isDir) {
        target = { ...newNode(), size: child.size, isDir: child.isDir };
        into.children.set(name, target);
      }
      apply(target, child);
    }
  };
  for (let i = 0; i <= upTo; i++) apply(root, trees[i]!);
  return root;
}

function subtreeSize(node: TreeNode): number {
  let n = node.size;
  for (const c of node.children.values()) n += subtreeSize(c);
  return n;
}

export function efficiency(layers: TarEntry[][]): EfficiencyReport {
  const trees = layers.map(layerTree);
  const data = new Map<string, { count: number; cumulative: number; min: number }>();
  for (let i = 0; i < trees.length; i++) {
    let below: TreeNode | undefined;
    for (const [path, node] of leaves(trees[i]!)) {
      let size = node.size;
      if (node.whiteout) {
        size = 0;
        if (i > 0) {
          below ??= stacked(trees, i - 1);
          let prev: TreeNode | undefined = below;
          for (const part of segments(path)) prev = prev?.children.get(part);
          if (prev?.isDir) size = subtreeSize(prev);
        }
      }
      const d = data.get(path);
      if (!d) data.set(path, { count: 1, cumulative: size, min: size });
      else {
        d.count++;
        d.cumulative += size;
        d.min = Math.min(d.min, size);
      }
    }
  }
  let minimum = 0;
  let discovered = 0;
  const inefficiencies: Inefficiency[] = [];
  for (const [path, d] of data) {
    minimum += d.min;
    discovered += d.cumulative;
    if (d.count > 1) inefficiencies.push({ path: `/${path}`, count: d.count, cumulativeSize: d.cumulative });
  }
  inefficiencies.sort((a, b) => b.cumulativeSize - a.cumulativeSize || (a.path < b.path ? -1 : 1));
  const layerSizes = layers.map((l) => l.reduce((n, e) => n + (e.type === "file" ? e.size : 0), 0));
  const sizeBytes = layerSizes.reduce((a, b) => a + b, 0);
  const userSizeBytes = sizeBytes - (layerSizes[0] ?? 0);
  const wastedBytes = inefficiencies.reduce((n, x) => n + x.cumulativeSize, 0);
  return {
    score: discovered === 0 ? 1 : minimum / discovered,
    wastedBytes,
    sizeBytes,
    userSizeBytes,
    wastedUserPercent: userSizeBytes ? wastedBytes / userSizeBytes : 0,
    inefficiencies,
  };
}
