/**
 * WASI containers: `docker run --rm <hello wasm image>` until its output (target ≤ 50 ms warm), and
 * `ls` of a 10,000-entry directory through the SharedArrayBuffer/Atomics bridge. Measured in Chromium
 * (the product: the page's terminal, the store in IndexedDB, a module worker) and in Node (the same
 * runtime code with a memory store and worker_threads).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { TarWriter, type TarWriteEntry } from "../src/layer/tar-writer.ts";
import { resolveProcess } from "../src/runtime/spec.ts";
import { nodeWasiRuntime } from "../src/runtime/wasi/node.ts";
import { LabDriver } from "../scripts/lab-driver.ts";
import { buildFixtures } from "../test/harness/fixtures.ts";
import { loadLayoutImage, memorySnapshotter } from "../test/harness/memory-images.ts";
import { startRegistry } from "../test/harness/registry.ts";
import { pushWasiDemos, wasiDemoLayout } from "../test/harness/wasi-demos.ts";

const ENTRIES = 10_000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sha = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

async function tar(entries: [TarWriteEntry, Uint8Array?][]): Promise<Uint8Array> {
  const w = new TarWriter();
  const bytes = new Response(w.readable).arrayBuffer();
  for (const [e, d] of entries) await w.add({ mtime: 0, ...e }, d);
  w.close();
  return new Uint8Array(await bytes);
}

/** An OCI layout "big": a 10,000-entry /big directory under the demos' ls program. */
async function bigLayout(demoLayout: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "layerlab-wasi-big-"));
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  const put = (b: Uint8Array) => {
    writeFileSync(join(dir, "blobs", "sha256", sha(b).slice(7)), b);
    return { digest: sha(b), size: b.length };
  };
  const index = JSON.parse(readFileSync(join(demoLayout, "index.json"), "utf8")) as { manifests: { digest: string; annotations: Record<string, string> }[] };
  const lsManifest = JSON.parse(readFileSync(join(demoLayout, "blobs", "sha256", index.manifests.find((m) => m.annotations["org.opencontainers.image.ref.name"] === "ls")!.digest.slice(7)), "utf8"));
  const entries: [TarWriteEntry, Uint8Array?][] = [[{ path: "big", type: "dir", mode: 0o755 }]];
  for (let i = 0; i < ENTRIES; i++) entries.push([{ path: `big/entry-${String(i).padStart(5, "0")}`, type: "file", mode: 0o644, size: 0 }, new Uint8Array(0)]);
  const bigTar = await tar(entries);
  const layers = [...lsManifest.layers, { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...put(gzipSync(bigTar)) }];
  for (const l of lsManifest.layers) put(readFileSync(join(demoLayout, "blobs", "sha256", l.digest.slice(7))));
  const lsConfig = JSON.parse(readFileSync(join(demoLayout, "blobs", "sha256", lsManifest.config.digest.slice(7)), "utf8"));
  lsConfig.rootfs.diff_ids.push(sha(bigTar));
  lsConfig.config.Cmd = ["/big"];
  const cfg = put(new TextEncoder().encode(JSON.stringify(lsConfig)));
  const manifest = put(new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.image.config.v1+json", ...cfg }, layers })));
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest, annotations: { "org.opencontainers.image.ref.name": "big" } }] }));
  return dir;
}

async function nodeFigures(demoLayout: string, big: string) {
  const { backend, snapshotter } = memorySnapshotter();
  const hello = await loadLayoutImage(backend, demoLayout, "hello");
  const ls = await loadLayoutImage(backend, big, "big");
  const runtime = nodeWasiRuntime();
  let n = 0;
  const once = async (image: typeof hello) => {
    const t0 = performance.now();
    const key = `b${++n}`;
    const fs = await snapshotter.prepare(key, image.chainId);
    const proc = await resolveProcess(fs, image.config.config ?? {}, { tty: false });
    let first = 0;
    let bytes = 0;
    const c = await runtime.start(key, fs, proc, { output: (_fd, d) => { first ||= performance.now(); bytes += d.length; } });
    await c.exited;
    const end = performance.now();
    await snapshotter.remove(key);
    return { first: first - t0, total: end - t0, bytes };
  };
  await once(hello);
  const helloRuns: number[] = [];
  for (let i = 0; i < 10; i++) helloRuns.push((await once(hello)).first);
  const listRuns: number[] = [];
  for (let i = 0; i < 3; i++) listRuns.push((await once(ls)).total);
  return { hello_ms: +median(helloRuns).toFixed(1), list_10k_ms: Math.round(median(listRuns)) };
}

export default async function wasiBench(): Promise<Record<string, unknown>> {
  const fx = await buildFixtures();
  const demos = await wasiDemoLayout();
  const big = await bigLayout(demos);
  const node = await nodeFigures(demos, big);
  const reg = await startRegistry("none");
  const lab = await LabDriver.launch({ allowRegistries: [reg.host] });
  try {
    const { repo } = await pushWasiDemos(reg, fx.layout, fx.tags.busybox386);
    execFileSync("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", `oci:${big}:big`, `docker://${reg.host}/lab/wasi:big`]);
    for (const t of ["hello", "big"]) if ((await lab.exec(`docker pull -q ${repo}:${t}`)).code !== 0) throw new Error(`pull ${t} failed`);
    const timed = (line: string) => lab.page.evaluate(async (l) => {
      const t0 = performance.now();
      const r = await window.layerlab!.exec(l);
      return { ms: performance.now() - t0, code: r.code, lines: r.output.split("\n").length - 1 };
    }, line);
    await timed(`docker run --rm ${repo}:hello`);
    const hello: number[] = [];
    for (let i = 0; i < 10; i++) hello.push((await timed(`docker run --rm ${repo}:hello`)).ms);
    const list: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await timed(`docker run --rm ${repo}:big`);
      if (r.lines !== ENTRIES) throw new Error(`ls printed ${r.lines} lines`);
      list.push(r.ms);
    }
    return {
      warm_hello_ms: +median(hello).toFixed(1),
      target_warm_hello_ms: 50,
      list_10k_entries_ms: Math.round(median(list)),
      hello_runs_ms: hello.map((x) => +x.toFixed(1)),
      node: node,
      note: "browser: the page's docker run --rm (container create, start, output in the terminal, rm) until the command returns",
    };
  } finally {
    await lab.close();
    await reg.stop();
  }
}
