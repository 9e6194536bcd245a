/**
 * 9P throughput as a container sees it: `cat` of 2,500 small files (one `cat /data/*` process) with
 * the container's root served by the lab's 9P server from the union filesystem, against v86's own
 * in-memory 9P filesystem holding the same files (target: ≤ 0.5× its time, issue 17). Both run the
 * same kernel, initramfs and guest protocol in Node, so the difference is the 9P server and the store
 * behind it. Then exec-heavy work on the same layer — 200 `true` processes from a shell loop, and
 * `find / -xdev | wc -l` — against the same commands in a container of real Docker (the same layer,
 * `docker load`ed; timed inside the container from /proc/uptime, so Docker's own start is not
 * counted) in the same run: ratio = lab / Docker.
 */
import { readFileSync } from "node:fs";
import { TarWriter, type TarWriteEntry } from "../src/layer/tar-writer.ts";
import { Machine } from "../src/runtime/x86/machine.ts";
import { nodeAssets } from "../src/runtime/x86/node.ts";
import { P9Server } from "../src/runtime/x86/p9.ts";
import { MemorySnapshotBackend, Snapshotter } from "../src/unionfs/snapshotter.ts";
import { buildFixtures, extractBusybox } from "../test/harness/fixtures.ts";
import { haveDocker, startDocker } from "../test/harness/docker.ts";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const FILES = 2500;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fileBody = (i: number) => new TextEncoder().encode(`small file ${i}\n`.repeat(4));
let TOTAL = 0;
for (let i = 0; i < 2500; i++) TOTAL += fileBody(i).length;
const name = (i: number) => `f${String(i).padStart(4, "0")}`;

const EXEC_LOOP = "for i in $(/bin/busybox seq 200); do /bin/busybox true; done";
const FIND = "/bin/busybox find / -xdev | /bin/busybox wc -l";

/** Runs `script` in the guest; milliseconds from spawn to exit, and what it printed. */
async function timeScript(m: Machine, root: string, script: string): Promise<{ ms: number; out: string }> {
  const p = m.guest.spawn({ root, cwd: "/", uid: 0, gid: 0, groups: [0], hostname: "bench", env: ["PATH=/bin"], argv: ["/bin/busybox", "sh", "-c", script], tty: false });
  let out = "";
  p.onOutput = (_fd, d) => (out += new TextDecoder().decode(d));
  p.closeStdin();
  const t0 = performance.now();
  const code = await p.exited;
  if (code !== 0) throw new Error(`${script} failed (${code}): ${out}`);
  return { ms: performance.now() - t0, out };
}

/** The same layer as a `docker load` archive (docker-archive: manifest.json, config, layer.tar). */
async function dockerArchive(layerTar: Uint8Array, path: string): Promise<void> {
  const diffId = `sha256:${createHash("sha256").update(layerTar).digest("hex")}`;
  const config = new TextEncoder().encode(JSON.stringify({ architecture: "386", os: "linux", config: { Env: ["PATH=/bin"] }, rootfs: { type: "layers", diff_ids: [diffId] } }));
  const manifest = new TextEncoder().encode(JSON.stringify([{ Config: "config.json", RepoTags: ["layerlab-bench/9p:latest"], Layers: ["layer.tar"] }]));
  const w = new TarWriter();
  const bytes = new Response(w.readable).arrayBuffer();
  for (const [name, data] of [["config.json", config], ["layer.tar", layerTar], ["manifest.json", manifest]] as const) await w.add({ path: name, type: "file", mode: 0o644, size: data.length, mtime: 0 }, data);
  w.close();
  writeFileSync(path, new Uint8Array(await bytes));
}

/** Each script's run time inside a Docker container, `runs` times, from /proc/uptime (10 ms steps). */
async function dockerTimes(layerTar: Uint8Array, runs: number): Promise<{ exec: number[]; find: number[]; findCount: string } | undefined> {
  if (!haveDocker()) return undefined;
  const docker = await startDocker({ storageDriver: "overlay2" });
  try {
    const archive = join(docker.dir, "bench-9p.tar");
    await dockerArchive(layerTar, archive);
    await docker.docker("load", "-q", "-i", archive);
    const timed = (script: string) => `read a _ < /proc/uptime; o=$(${script}); read b _ < /proc/uptime; echo "$a $b $o"`;
    const loop = Array.from({ length: runs }, () => `${timed(EXEC_LOOP)}; ${timed(FIND)}`).join("; ");
    const out = await docker.docker("run", "--rm", "--network", "none", "layerlab-bench/9p", "/bin/busybox", "sh", "-c", loop);
    const lines = out.trim().split("\n").map((l) => l.trim().split(/\s+/));
    const ms = (l: string[]) => Math.round((Number(l[1]) - Number(l[0])) * 1000);
    return { exec: lines.filter((_, i) => i % 2 === 0).map(ms), find: lines.filter((_, i) => i % 2 === 1).map(ms), findCount: lines[1]![2]! };
  } finally {
    await docker.stop();
  }
}

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
  const labExec: number[] = [];
  const labFind: number[] = [];
  let labFindCount = "";
  const execRequestsBefore = server.stats.requests;
  for (let i = 0; i < 3; i++) {
    labExec.push((await timeScript(ours, ourRoot, EXEC_LOOP)).ms);
    const f = await timeScript(ours, ourRoot, FIND);
    labFind.push(f.ms);
    labFindCount = f.out.trim();
  }
  const execRequests = Math.round((server.stats.requests - execRequestsBefore) / 3);
  await ours.destroy();
  const real = await dockerTimes(new Uint8Array(await tarBytes), 3);

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
    target_ratio: 0.5,
    exec_heavy: {
      exec_200_true_ms: Math.round(median(labExec)),
      find_xdev_ms: Math.round(median(labFind)),
      find_entries: Number(labFindCount),
      lab_9p_requests_per_round: execRequests,
      lab_runs_ms: { exec: labExec.map(Math.round), find: labFind.map(Math.round) },
      ...(real
        ? {
            docker_exec_200_true_ms: median(real.exec),
            docker_find_xdev_ms: median(real.find),
            docker_find_entries: Number(real.findCount),
            docker_runs_ms: { exec: real.exec, find: real.find },
            ratio_exec: +(median(labExec) / Math.max(1, median(real.exec))).toFixed(1),
            ratio_find: +(median(labFind) / Math.max(1, median(real.find))).toFixed(1),
          }
        : { docker: "not measured: dockerd needs root and docker.io" }),
    },
    lab_runs_ms: lab.map(Math.round),
    v86_runs_ms: v86.map(Math.round),
    lab_9p_requests_per_run: Math.round(requests / 5),
    lab_9p_by_type: byType,
  };
}
