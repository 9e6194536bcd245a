/**
 * Container network throughput: a 50 MiB download from a server on the host's 127.0.0.1, reached by a
 * container as host.docker.internal through the lab's relay (v86's virtio-net → Wisp over one
 * WebSocket → proxy/wisp.ts → TCP), against the same download by the host's own curl in the same run.
 * Also the time from `docker run` to eth0 being up (the relay's first answer and /init's @N), and
 * `apt-get update && apt-get install -y vim-tiny` from a local repository (test/harness/debian.ts) in
 * the lab against real Docker (`--network host`, the same image and repository) in the same run.
 * Node's in-process machine (the page adds a worker hop for frames; see the network browser test).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLabServer } from "../proxy/node.ts";
import { containerNetwork } from "../src/runtime/network.ts";
import { resolveProcess } from "../src/runtime/spec.ts";
import { labNetwork, nodeRuntime } from "../src/runtime/x86/node.ts";
import { INIT_LAYER_LABEL } from "../src/unionfs/init-layer.ts";
import { debianFixture, serveDirectory } from "../test/harness/debian.ts";
import { haveDocker, startDocker } from "../test/harness/docker.ts";
import { buildFixtures } from "../test/harness/fixtures.ts";
import { startRegistry } from "../test/harness/registry.ts";
import { loadLayoutImage, memorySnapshotter } from "../test/harness/memory-images.ts";

const SIZE = 50 << 20;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export default async function net(): Promise<Record<string, unknown>> {
  const body = Buffer.alloc(SIZE, 0x5a);
  const web = createServer((_req, res) => res.writeHead(200, { "Content-Length": String(SIZE) }).end(body));
  await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
  const port = (web.address() as { port: number }).port;
  const root = mkdtempSync(join(tmpdir(), "layerlab-bench-net-"));
  mkdirSync(join(root, "dist"));
  writeFileSync(join(root, "dist", "index.html"), "<!doctype html>");
  const deb = await debianFixture();
  const repo = await serveDirectory(deb.repo);
  const lab = await startLabServer({ port: 0, dev: false, root, allowNet: [`host.docker.internal:${port}`, `host.docker.internal:${repo.port}`], netResolve: async () => ["127.0.0.1"] });
  const runtime = nodeRuntime(undefined, { network: labNetwork(lab.url.replace(/\/$/, "")) });
  const { backend, snapshotter } = memorySnapshotter();
  const fx = await buildFixtures();
  const alpine = await loadLayoutImage(backend, fx.layout, fx.tags.alpine386);
  const lab_s: number[] = [];
  const netMs: number[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const key = `bench-net-${i}`;
      const fs = await snapshotter.prepare(key, alpine.chainId, { [INIT_LAYER_LABEL]: "docker" });
      const proc = await resolveProcess(fs, { ...(alpine.config.config ?? {}), Hostname: "benchnet" }, {
        tty: false,
        argv: ["sh", "-c", `t0=$(cat /proc/uptime); wget -qO /dev/null http://host.docker.internal:${port}/x; t1=$(cat /proc/uptime); echo "$t0 $t1"`],
      });
      let out = "";
      const running = await runtime.start(key, fs, proc, { output: (fd, d) => fd === 1 && (out += new TextDecoder().decode(d)) }, containerNetwork("bridge", "172.17.0.2", "benchnet"));
      const code = await running.exited;
      const [a, b] = out.trim().split(/\s+/).filter((_, j) => j % 2 === 0).map(Number);
      if (code !== 0 || a === undefined || b === undefined) throw new Error(`download failed (${code}): ${out}`);
      console.error(`run ${i}: ${(b - a).toFixed(2)} s in the guest, net setup ${runtime.lastStart?.netMs?.toFixed(0)} ms`);
      if (i > 0) lab_s.push(b - a); // the first run also boots the kernel: left out
      netMs.push(runtime.lastStart?.netMs ?? NaN);
    }
    const host_s: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      // Asynchronously: the server answering curl runs on this process's event loop.
      await promisify(execFile)("curl", ["-s", "-o", "/dev/null", `http://127.0.0.1:${port}/x`]);
      host_s.push((performance.now() - t0) / 1000);
    }
    // apt-get: the lab's machine (a cold one: a fresh kernel boot is part of a first `docker run`, not counted here).
    const apt = (host: string) => `rm -f /etc/apt/sources.list.d/* && echo 'deb [trusted=yes] http://${host}/ ./' > /etc/apt/sources.list && apt-get update -qq && apt-get install -y -qq --no-install-recommends vim-tiny >/dev/null && vim.tiny --version | head -1`;
    const debian = await loadLayoutImage(backend, deb.layout, deb.tag);
    const aptKey = "bench-apt";
    const aptFs = await snapshotter.prepare(aptKey, debian.chainId, { [INIT_LAYER_LABEL]: "docker" });
    const aptProc = await resolveProcess(aptFs, { ...(debian.config.config ?? {}), Hostname: "benchapt" }, { tty: false, argv: ["sh", "-c", apt(`host.docker.internal:${repo.port}`)] });
    let aptOut = "";
    const t0 = performance.now();
    const aptRun = await runtime.start(aptKey, aptFs, aptProc, { output: (_fd, d) => (aptOut += new TextDecoder().decode(d)) }, containerNetwork("bridge", "172.17.0.2", "benchapt"));
    if ((await aptRun.exited) !== 0 || !aptOut.includes("VIM - Vi IMproved")) throw new Error(`apt-get in the lab failed: ${aptOut}`);
    const labApt = (performance.now() - t0) / 1000;
    let dockerApt: number | undefined;
    if (haveDocker()) {
      const reg = await startRegistry("none");
      const docker = await startDocker({ insecureRegistries: [reg.host], storageDriver: "overlay2" });
      try {
        const image = `${reg.host}/lab/debian:bookworm`;
        await promisify(execFile)("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", `oci:${deb.layout}:${deb.tag}`, `docker://${image}`]);
        await docker.docker("pull", "-q", image);
        const t1 = performance.now();
        await docker.docker("run", "--rm", "--network", "host", image, "sh", "-c", apt(`127.0.0.1:${repo.port}`));
        dockerApt = (performance.now() - t1) / 1000;
      } finally {
        await docker.stop();
        await reg.stop();
      }
    }
    const lab_MiBps = SIZE / (1 << 20) / median(lab_s);
    const host_MiBps = SIZE / (1 << 20) / median(host_s);
    return {
      bytes: SIZE,
      lab_download_s: +median(lab_s).toFixed(3),
      lab_MiB_per_s: +lab_MiBps.toFixed(1),
      lab_net_setup_ms: Math.round(median(netMs)),
      peer: "host curl, same server",
      host_download_s: +median(host_s).toFixed(3),
      host_MiB_per_s: +host_MiBps.toFixed(1),
      ratio: +(median(lab_s) / median(host_s)).toFixed(1),
      apt_install_vim_tiny_lab_s: +labApt.toFixed(2),
      apt_peer: "Docker 20.10, --network host, same image and repository",
      apt_install_vim_tiny_docker_s: dockerApt === undefined ? null : +dockerApt.toFixed(2),
      apt_ratio: dockerApt === undefined ? null : +(labApt / dockerApt).toFixed(1),
    };
  } finally {
    await lab.close();
    web.close();
    repo.server.close();
  }
}
