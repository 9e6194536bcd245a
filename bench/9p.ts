/**
 * 9P throughput as a container sees it: `cat` of 2,500 small files (one `cat /data/*` process) with
 * the container's root served by the lab's 9P server from the union filesystem, against v86's own
 * in-memory 9P filesystem holding the same files (target: ≤ 2× its time). Both run the same kernel,
 * initramfs and guest protocol in Node, so the difference is the 9P server and the store behind it.
 */
import { readFileSync } from "node:fs";
import { TarWriter, type TarWriteEntry } from "../src/layer/tar-writer.ts";
import { Machine } from "../src/runtime/x86/machine.ts";
import { nodeAssets } from "../src/runtime/x86/node.ts";
import { P9Server } from "../src/runtime/x86/p9.ts";
import { MemorySnapshotBackend, Snapshotter } from "../src/unionfs/snapshotter.ts";
import { buildFixtures, extractBusybox } from "../test/harness/fixtures.ts";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const FILES = 2500;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fileBody = (i: number) => new TextEncoder().encode(`small file ${i}\n`.repeat(4));
let TOTAL = 0;
for (let i = 0; i < 2500; i++) TOTAL += fileBody(i).length;
const name = (i: number) => `f${String(i).padStart(4, "0")}`;

async function timeCat(m: Machine, root: string): Promise<number> {
  const p = m.guest.spawn({ root, cwd: "/", uid: 0, gid: 0, groups: [0], hostname: "bench", env: ["PATH=/bin"], argv: ["/bin/busybox", "sh", "-c", "/bin/busybox cat /data/* | /bin/busybox wc -c"], tty: false });
  let out = "";
  p.onOutput = (_fd, d) => (out += new TextDecoder().decode(d));
  p.closeStdin();
  const t0 = performance.now();
  const code = await p.exited;
  const ms = performance.now() - t0;
  if (code !== 0 || Number(out.trim()) !== TOTAL) throw new Error(`cat failed (${code}): ${out}`);
  return ms;
}

export default async function ninePBench(): Promise<Record<string, unknown>> {
  await buildFixtures();
  const busybox = new Uint8Array(readFileSync(extractBusybox("i386", mkdtempSync(join(tmpdir(), "bb-")))));
  // The lab's path: a layer with busybox and the files, a container snapshot on it, our 9P server.
  const w = new TarWriter();
  const tarBytes = new Response(w.readable).arrayBuffer();
  const entries: [TarWriteEntry, Uint8Array?][] = [
    [{ path: "bin", type: "dir", mode: 0o755 }],
    [{ path: "bin/busybox", type: "file", mode: 0o755, size: busybox.length }, busybox],
    [{ path: "data", type: "dir", mode: 0o755 }],
  ];
  for (let i = 0; i < FILES; i++) entries.push([{ path: `data/${name(i)}`, type: "file", mode: 0o644, size: fileBody(i).length }, fileBody(i)]);
  for (const [e, d] of entries) await w.add(e, d);
  w.close();
  const backend = new MemorySnapshotBackend();
  const layer = await backend.layers.addTar(new Uint8Array(await tarBytes), null);
  const fs = await new Snapshotter(backend).prepare("bench", layer.chainId);
  const server = new P9Server();
  server.export("bench", fs);
  const ours = await Machine.start(await nodeAssets(), server);
  const ourRoot = await ours.guest.mount("bench", "bench");
  const lab: number[] = [];
  for (let i = 0; i < 5; i++) lab.push(await timeCat(ours, ourRoot));
  const requests = server.stats.requests;
  const byType = Object.fromEntries(Object.entries(server.stats.byType).map(([k, v]) => [k, Math.round(v / 5)]));
  await ours.destroy();

  // v86's own filesystem with the same files.
  const theirs = await Machine.start(await nodeAssets(), new P9Server(), { v86Filesystem: true });
  type V86Fs = { CreateDirectory(n: string, p: number): number; CreateBinaryFile(n: string, p: number, b: Uint8Array): Promise<number>; inodes: { mode: number }[] };
  const vfs = theirs.v86Filesystem as V86Fs;
  const bin = vfs.CreateDirectory("bin", 0);
  const bb = await vfs.CreateBinaryFile("busybox", bin, busybox);
  vfs.inodes[bb]!.mode = 0o100755;
  const data = vfs.CreateDirectory("data", 0);
  for (let i = 0; i < FILES; i++) await vfs.CreateBinaryFile(name(i), data, fileBody(i));
  const theirRoot = await theirs.guest.mount("v86", "v86");
  const v86: number[] = [];
  for (let i = 0; i < 5; i++) v86.push(await timeCat(theirs, theirRoot));
  await theirs.destroy();
  const ratio = median(lab) / median(v86);
  return {
    files: FILES,
    lab_ms: Math.round(median(lab)),
    v86_builtin_ms: Math.round(median(v86)),
    ratio: +ratio.toFixed(2),
    target_ratio: 2,
    lab_runs_ms: lab.map(Math.round),
    v86_runs_ms: v86.map(Math.round),
    lab_9p_requests_per_run: Math.round(requests / 5),
    lab_9p_by_type: byType,
  };
}
