/**
 * Pull benchmark: a ~50 MB multi-layer image from the local Distribution registry into IndexedDB in
 * headless Chromium (through the proxy), against `skopeo copy` + `umoci unpack` of the same image in the
 * same run. Also measures, in Chromium on a real layer, gzip inflate (native DecompressionStream vs
 * fflate vs pako) and SHA-256 (hash-wasm vs @noble/hashes), the figures behind the pull path's choices.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LabDriver } from "../scripts/lab-driver.ts";
import { buildFixtures, pushFixtures } from "../test/harness/fixtures.ts";
import { startRegistry } from "../test/harness/registry.ts";
import { inPage } from "./_browser.ts";

function seconds(t0: number): number {
  return Math.round((performance.now() - t0) / 10) / 100;
}

export default async function pullBench(): Promise<Record<string, unknown>> {
  await buildFixtures();
  const reg = await startRegistry("none");
  const lab = await LabDriver.launch({ allowRegistries: [reg.host] });
  try {
    const pushed = await pushFixtures(reg);
    const ref = `${reg.host}/${pushed.big.name}`;
    const manifest = JSON.parse(execFileSync("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${ref}`]).toString()) as {
      layers: { digest: string; size: number }[];
    };
    const compressedBytes = manifest.layers.reduce((s, l) => s + l.size, 0);

    // Lab: docker pull in the page, fresh profile, until the command returns.
    let t0 = performance.now();
    const res = await lab.exec(`docker pull ${ref}`);
    const labS = seconds(t0);
    if (res.code !== 0) throw new Error(`pull failed: ${res.output}`);

    // Native: skopeo copy to an OCI layout + umoci unpack of it.
    const dir = mkdtempSync(join(tmpdir(), "bench-pull-"));
    t0 = performance.now();
    execFileSync("skopeo", ["copy", "--quiet", "--src-tls-verify=false", `docker://${ref}`, `oci:${dir}/layout:latest`]);
    execFileSync("umoci", ["unpack", "--rootless", "--image", `${dir}/layout:latest`, `${dir}/bundle`]);
    const nativeS = seconds(t0);
    rmSync(dir, { recursive: true, force: true });

    // Inflate and hash on the largest real layer, fetched through the proxy into page memory.
    const biggest = [...manifest.layers].sort((a, b) => b.size - a.size)[0]!;
    const zstdLayer = [...pushed.busyboxZstd.layers].sort((a, b) => b.size - a.size)[0]!;
    const micro = await inPage<Record<string, number>>(lab.page, `
      const { gunzipStream, zstdStream } = await import("/src/layer/compression.ts");
      const { createSha256 } = await import("/src/oci/digest.ts");
      const { sha256 } = await import("/node_modules/@noble/hashes/sha2.js");
      const blob = new Uint8Array(await (await fetch("/proxy/${reg.host}/v2/${pushed.big.repository}/blobs/${biggest.digest}")).arrayBuffer());
      const chunks = []; for (let i = 0; i < blob.length; i += 65536) chunks.push(blob.subarray(i, i + 65536));
      const out = {};
      let raw = 0;
      for (const impl of ["native", "fflate", "pako", "native", "fflate", "pako"]) {
        const t = performance.now();
        const s = gunzipStream(impl);
        const w = s.writable.getWriter();
        const r = s.readable.getReader();
        const drain = (async () => { let n = 0; for (;;) { const x = await r.read(); if (x.done) return n; n += x.value.length; } })();
        for (const c of chunks) await w.write(c);
        await w.close();
        raw = await drain;
        out["inflate_" + impl + "_MBps"] = Math.round(raw / 1e6 / ((performance.now() - t) / 1000));
      }
      const zblob = new Uint8Array(await (await fetch("/proxy/${reg.host}/v2/${pushed.busyboxZstd.repository}/blobs/${zstdLayer.digest}")).arrayBuffer());
      let zt = performance.now(), zraw = 0;
      for (let k = 0; k < 10; k++) {
        const s = zstdStream(); const w = s.writable.getWriter(); const r = s.readable.getReader();
        const drain = (async () => { for (;;) { const x = await r.read(); if (x.done) return; zraw += x.value.length; } })();
        for (let i = 0; i < zblob.length; i += 65536) await w.write(zblob.subarray(i, i + 65536));
        await w.close(); await drain;
      }
      out.inflate_zstd_fzstd_MBps = Math.round(zraw / 1e6 / ((performance.now() - zt) / 1000));
      const data = new Uint8Array(raw); for (let i = 0; i < data.length; i++) data[i] = i * 31;
      let t = performance.now();
      const h = await createSha256(); for (let i = 0; i < data.length; i += 65536) h.update(data.subarray(i, i + 65536)); h.digest();
      out.sha256_hashwasm_MBps = Math.round(data.length / 1e6 / ((performance.now() - t) / 1000));
      t = performance.now();
      const n = sha256.create(); for (let i = 0; i < data.length; i += 65536) n.update(data.subarray(i, i + 65536)); n.digest();
      out.sha256_noble_MBps = Math.round(data.length / 1e6 / ((performance.now() - t) / 1000));
      // Reading a file by path: from the stored uncompressed tar + entry index (what the store does),
      // against a compressed-only store that must inflate the layer up to the entry.
      const { ImageStore } = await import("/src/store/images.ts");
      const { TarStreamParser } = await import("/src/layer/tar.ts");
      const store = await ImageStore.open();
      const img = (await store.listImages()).find((i) => i.layers.some((l) => l.digest === "${biggest.digest}"));
      const diffId = img.diffIds[img.layers.findIndex((l) => l.digest === "${biggest.digest}")];
      const entries = await store.layerEntries(diffId);
      const last = entries.filter((e) => e.type === "file").at(-1);
      t = performance.now();
      for (let k = 0; k < 20; k++) await store.readLayerFile(diffId, last.path);
      out.read_file_indexed_ms = Math.round((performance.now() - t) / 20 * 10) / 10;
      t = performance.now();
      const gz = gunzipStream("native");
      const parser = new TarStreamParser(() => {});
      const done = (async () => { const r = gz.readable.getReader(); for (;;) { const x = await r.read(); if (x.done) return; parser.push(x.value); } })();
      const w = gz.writable.getWriter();
      const src = store.content.stream("${biggest.digest}").getReader();
      for (;;) { const x = await src.read(); if (x.done) break; await w.write(x.value); }
      await w.close(); await done;
      out.read_file_by_inflating_ms = Math.round(performance.now() - t);
      store.close();
      out.layer_compressed_MB = Math.round(blob.length / 1e5) / 10;
      out.layer_raw_MB = Math.round(raw / 1e5) / 10;
      return out;
    `);
    return {
      lab_s: labS,
      native_s: nativeS,
      ratio: Math.round((labS / nativeS) * 100) / 100,
      image_compressed_MB: Math.round(compressedBytes / 1e5) / 10,
      layers: manifest.layers.length,
      ...micro,
    };
  } finally {
    await lab.close();
    await reg.stop();
  }
}
