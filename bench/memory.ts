/**
 * Memory benchmark: a pull of an image with one 500 MB layer (half incompressible), then a commit of
 * 500 MB of changes in a container of it, in Chromium. Sampled every 100 ms: the page's JS heap (CDP
 * Performance.getMetrics) and the resident memory of the renderer process, which holds the page and
 * all its workers (their heaps, wasm memories and buffers; IndexedDB's files live in the browser
 * process). Target: each grows by < 64 MB over its level before the operation — nothing holds a layer
 * whole. Peer: the layer's own size (a reader that buffered it would grow by that).
 */
import { execFileSync } from "node:child_process";
import { createHash, randomFillSync } from "node:crypto";
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { createGzip } from "node:zlib";
import { LabDriver } from "../scripts/lab-driver.ts";
import { TarWriter } from "../src/layer/tar-writer.ts";
import { startRegistry } from "../test/harness/registry.ts";
import { inPage } from "./_browser.ts";

const LAYER_MB = 500;
const FILE_MB = 10;
const TARGET_MB = 64;

/** A file of `mb` MiB: its first half random bytes, its second half text. */
function fileBytes(i: number, mb: number): Uint8Array {
  const b = new Uint8Array(mb << 20);
  randomFillSync(b, 0, b.length >> 1);
  b.fill(0x61 + (i % 26), b.length >> 1);
  return b;
}

/** An OCI layout with one image whose single layer is LAYER_MB of such files, written as it is made. */
async function bigLayout(dir: string): Promise<string> {
  const layout = join(dir, "layout");
  mkdirSync(join(layout, "blobs", "sha256"), { recursive: true });
  const tarHash = createHash("sha256");
  const gzHash = createHash("sha256");
  const tmp = join(layout, "layer.tmp");
  const w = new TarWriter();
  const writing = (async () => {
    await w.add({ path: "big", type: "dir", mode: 0o755, mtime: 0 });
    for (let i = 0; i < LAYER_MB / FILE_MB; i++) {
      const data = fileBytes(i, FILE_MB);
      await w.add({ path: `big/f${i}`, type: "file", mode: 0o644, size: data.length, mtime: 0 }, data);
    }
    w.close();
  })();
  const tarStream = Readable.fromWeb(w.readable as import("node:stream/web").ReadableStream<Uint8Array>);
  tarStream.on("data", (c: Buffer) => tarHash.update(c));
  const gz = createGzip({ level: 1 });
  gz.on("data", (c: Buffer) => gzHash.update(c));
  await Promise.all([pipeline(tarStream, gz, createWriteStream(tmp)), writing]);
  const layerDigest = gzHash.digest("hex");
  const layerSize = statSync(tmp).size;
  execFileSync("mv", [tmp, join(layout, "blobs", "sha256", layerDigest)]);
  const put = (b: Uint8Array) => {
    const d = createHash("sha256").update(b).digest("hex");
    writeFileSync(join(layout, "blobs", "sha256", d), b);
    return { digest: `sha256:${d}`, size: b.length };
  };
  const config = put(new TextEncoder().encode(JSON.stringify({ architecture: "386", os: "linux", config: { Cmd: ["/bin/sh"] }, rootfs: { type: "layers", diff_ids: [`sha256:${tarHash.digest("hex")}`] } })));
  const manifest = put(new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config }, layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: `sha256:${layerDigest}`, size: layerSize }] })));
  writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(join(layout, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest, annotations: { "org.opencontainers.image.ref.name": "big" } }] }));
  return layout;
}

/** Resident memory of Chromium's renderer processes (the page and its workers; run this benchmark alone). */
function rendererRss(): number {
  let total = 0;
  let pids: string[] = [];
  try {
    pids = execFileSync("pgrep", ["-f", "--", "--type=renderer"], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      // gone
    }
  }
  return total;
}

export default async function memoryBench(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "bench-memory-"));
  const reg = await startRegistry("none");
  const lab = await LabDriver.launch({ allowRegistries: [reg.host] });
  try {
    const layout = await bigLayout(dir);
    execFileSync("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", `oci:${layout}:big`, `docker://${reg.host}/lab/big500:latest`]);
    const cdp = await lab.context.newCDPSession(lab.page);
    await cdp.send("Performance.enable");
    const heap = async () => ((await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "JSHeapUsedSize")?.value ?? 0);
    /** Runs `op`, sampling; the growth of each measure over its level just before. */
    const watch = async (op: () => Promise<unknown>) => {
      await cdp.send("HeapProfiler.collectGarbage").catch(() => {});
      const base = { heap: await heap(), rss: rendererRss() };
      const peak = { ...base };
      let on = true;
      const sampler = (async () => {
        while (on) {
          peak.heap = Math.max(peak.heap, await heap());
          peak.rss = Math.max(peak.rss, rendererRss());
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const t0 = performance.now();
      await op();
      const seconds = (performance.now() - t0) / 1000;
      on = false;
      await sampler;
      return { seconds: +seconds.toFixed(1), heap_growth_MB: +((peak.heap - base.heap) / 1e6).toFixed(1), renderer_rss_growth_MB: +((peak.rss - base.rss) / 1e6).toFixed(1) };
    };
    const pull = await watch(async () => {
      const r = await lab.exec(`docker pull -q ${reg.host}/lab/big500:latest`);
      if (r.code !== 0) throw new Error(`pull failed: ${r.output}`);
    });
    if ((await lab.exec(`docker create --name mem ${reg.host}/lab/big500:latest`)).code !== 0) throw new Error("create failed");
    // 500 MB of changes written into the container layer a megabyte at a time (as a program in it would).
    await inPage(lab.page, `
      const { containers } = window.layerlab.daemon;
      const fs = await containers.fs(await containers.require("mem"));
      await fs.mkdir("changes");
      const piece = new Uint8Array(1 << 20);
      for (let f = 0; f < ${LAYER_MB / FILE_MB}; f++) {
        await fs.writeFile("changes/c" + f, new Uint8Array(0));
        for (let m = 0; m < ${FILE_MB}; m++) {
          if (m < ${FILE_MB / 2}) crypto.getRandomValues(piece.subarray(0, 65536)), piece.copyWithin(65536, 0, 65536 * 15);
          else piece.fill(97 + (f % 26));
          await fs.write("changes/c" + f, m << 20, piece);
        }
      }
    `);
    const commit = await watch(async () => {
      const r = await lab.exec("docker commit mem lab/mem:1");
      if (r.code !== 0) throw new Error(`commit failed: ${r.output}`);
    });
    const worst = Math.max(pull.heap_growth_MB, pull.renderer_rss_growth_MB, commit.heap_growth_MB, commit.renderer_rss_growth_MB);
    return {
      layer_MB: LAYER_MB,
      pull,
      commit,
      target_growth_MB: TARGET_MB,
      peer_layer_MB: LAYER_MB,
      ratio: +(worst / LAYER_MB).toFixed(3),
      met: worst < TARGET_MB,
    };
  } finally {
    await lab.close();
    await reg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
