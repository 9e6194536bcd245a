/**
 * Union filesystem lookups (in Node: the union's metadata lives in memory, so this is the same code
 * the page runs): lstat of a deep path as the lower stack grows from 1 to 20 layers (the merged
 * lower view makes it one map access per path component, whatever the layer count), and readdir of a
 * 10,000-entry directory merged from 20 layers plus upper-layer changes (target < 20 ms); the lower
 * view's own listing of it and a `lab tree`-style walk (children table, each entry with its layer) of
 * the whole 20-layer view and of a 10,001-entry tree of 2,000 directories (each listing from the
 * children table: linear in the entries, where a scan of every entry per directory was quadratic).
 */
import { TarWriter, type TarWriteEntry } from "../src/layer/tar-writer.ts";
import { MemorySnapshotBackend, Snapshotter } from "../src/unionfs/snapshotter.ts";
import { LowerView } from "../src/unionfs/lower.ts";
import type { TarEntry } from "../src/layer/tar.ts";
import type { Digest } from "../src/oci/digest.ts";

async function tar(entries: TarWriteEntry[]): Promise<ReadableStream<Uint8Array>> {
  const w = new TarWriter();
  const bytes = new Response(w.readable).arrayBuffer();
  for (const e of entries) await w.add(e, e.type === "file" ? new Uint8Array(e.size ?? 0) : undefined);
  w.close();
  return new Blob([await bytes]).stream() as ReadableStream<Uint8Array>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median ms of `fn` over `n` runs, and its last result. */
function timed<T>(n: number, fn: () => T): { ms: number; value: T } {
  const times: number[] = [];
  let value!: T;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    value = fn();
    times.push(performance.now() - t0);
  }
  return { ms: Math.round(median(times) * 100) / 100, value };
}

/** What `lab tree IMAGE` does: every entry, depth first, each listing from the view's children table. */
function treeWalk(view: LowerView): number {
  let n = 0;
  const walk = (dir: string) => {
    for (const node of view.readdir(dir)) {
      n++;
      if (node.header.type === "dir") walk(node.path);
    }
  };
  walk("");
  return n;
}

export default async function unionBench(): Promise<Record<string, unknown>> {
  const s = new Snapshotter(new MemorySnapshotBackend());
  const layers = s.backend.layers;
  const deep = "usr/lib/python3/dist-packages/pkg/sub/module/file.py";
  const dirs = deep.split("/").slice(0, -1).map((_, i, a) => a.slice(0, i + 1).join("/"));
  let parent: Digest | null = null;
  const statUs: Record<string, number> = {};
  const BIG = 10_000;
  for (let n = 1; n <= 20; n++) {
    // Each layer: the deep path's directories, a modified copy of the file, 500 entries of the big
    // directory (so 20 layers make 10,000), and 200 unrelated files.
    const entries: TarWriteEntry[] = [
      ...dirs.map((d) => ({ path: d, type: "dir" as const, mode: 0o755 })),
      { path: deep, type: "file", mode: 0o644, size: n },
      { path: "big", type: "dir", mode: 0o755 },
      ...Array.from({ length: BIG / 20 }, (_, i) => ({ path: `big/f${String((n - 1) * (BIG / 20) + i).padStart(5, "0")}`, type: "file" as const, mode: 0o644, size: 1 })),
      { path: `other${n}`, type: "dir", mode: 0o755 },
      ...Array.from({ length: 200 }, (_, i) => ({ path: `other${n}/x${i}`, type: "file" as const, mode: 0o644, size: 1 })),
    ];
    parent = (await layers.putLayer(await tar(entries), parent)).chainId;
    if ([1, 5, 10, 20].includes(n)) {
      const fs = await s.prepare(`stat-${n}`, parent);
      const reps = 20_000;
      const times: number[] = [];
      for (let round = 0; round < 5; round++) {
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) fs.statSync(deep);
        times.push(((performance.now() - t0) * 1000) / reps);
      }
      statUs[`layers_${n}`] = Math.round(median(times) * 1000) / 1000;
    }
  }
  const fs = await s.prepare("readdir", parent);
  // Upper-layer changes in the big directory: 100 new files, 100 deleted, 100 rewritten.
  for (let i = 0; i < 100; i++) {
    await fs.writeFile(`big/new${i}`, new Uint8Array([1]));
    await fs.unlink(`big/f${String(i * 7).padStart(5, "0")}`);
    await fs.write(`big/f${String(5000 + i).padStart(5, "0")}`, 0, new Uint8Array([2]));
  }
  const readdirTimes: number[] = [];
  let count = 0;
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    count = fs.readdirSync("big").length;
    readdirTimes.push(performance.now() - t0);
  }
  const pristine = await s.prepare("readdir-pristine", parent);
  const pristineTimes: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    pristine.readdirSync("big");
    pristineTimes.push(performance.now() - t0);
  }
  // Mounting builds the merged lower view once per chain (then shared by every container on it).
  const fresh = new Snapshotter(s.backend);
  const buildT0 = performance.now();
  await fresh.lowerView(parent);
  const buildMs = performance.now() - buildT0;
  const lowerT0 = performance.now();
  const lower = await s.lowerView(parent);
  const lowerCachedMs = performance.now() - lowerT0;
  const lowerReaddir = timed(15, () => lower.readdir("big").length);
  const walk = timed(5, () => treeWalk(lower));
  const entry = (path: string, type: TarEntry["type"]): TarEntry => ({ path, type, mode: 0o644, uid: 0, gid: 0, size: 1, mtime: 0, headerOffset: 0, dataOffset: 0 });
  const wide: TarEntry[] = [entry("w", "dir")];
  for (let d = 0; d < 2000; d++) {
    wide.push(entry(`w/d${d}`, "dir"));
    for (let f = 0; f < 4; f++) wide.push(entry(`w/d${d}/f${f}`, "file"));
  }
  const wideView = new LowerView([{ diffId: "wide", entries: wide, read: async () => new Uint8Array(0) }]);
  const wideWalk = timed(5, () => treeWalk(wideView));
  return {
    stat_us: statUs,
    stat_growth_1_to_20: Math.round((statUs.layers_20! / statUs.layers_1!) * 100) / 100,
    readdir_entries: count,
    readdir_ms: Math.round(median(readdirTimes) * 100) / 100,
    readdir_pristine_ms: Math.round(median(pristineTimes) * 100) / 100,
    readdir_target_ms: 20,
    lower_view_build_ms_20_layers: Math.round(buildMs * 100) / 100,
    lower_view_cached_ms: Math.round(lowerCachedMs * 100) / 100,
    lower_readdir_entries: lowerReaddir.value,
    lower_readdir_ms: lowerReaddir.ms,
    tree_walk_entries: walk.value,
    tree_walk_ms: walk.ms,
    tree_walk_wide_entries: wideWalk.value,
    tree_walk_wide_ms: wideWalk.ms,
  };
}
