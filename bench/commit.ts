/**
 * Commit benchmark: 50 MB of changed files (50 × 1 MiB, half pseudo-random, half text) in a container
 * of busybox → `docker commit` in Chromium (deterministic tar from the IndexedDB upper layer, gzip,
 * both digests, stored) against `umoci repack` of the same change to the same image in an OCI layout,
 * in the same run. Target: ratio = lab / umoci ≤ 1.0.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LabDriver } from "../scripts/lab-driver.ts";
import { buildFixtures, pushFixtures } from "../test/harness/fixtures.ts";
import { startRegistry } from "../test/harness/registry.ts";
import { inPage } from "./_browser.ts";

const FILES = 50;
const FILE_SIZE = 1 << 20;

/** Deterministic content, the same in Node and in the page (its source is sent there). */
function fileContent(i: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = (i + 1) * 2654435761;
  const half = size >> 1;
  for (let k = 0; k < half; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[k] = x & 255;
  }
  const text = new TextEncoder().encode(`line ${i}: the container layer becomes an image layer\n`);
  for (let k = half; k < size; k++) out[k] = text[(k - half) % text.length]!;
  return out;
}

function seconds(t0: number): number {
  return Math.round((performance.now() - t0) / 10) / 100;
}

export default async function commitBench(): Promise<Record<string, unknown>> {
  await buildFixtures();
  const reg = await startRegistry("none");
  const lab = await LabDriver.launch({ allowRegistries: [reg.host] });
  const dir = mkdtempSync(join(tmpdir(), "bench-commit-"));
  try {
    const pushed = await pushFixtures(reg);
    const ref = `${reg.host}/${pushed.busyboxOci.name}`;
    if ((await lab.exec(`docker pull -q ${ref}`)).code !== 0) throw new Error("pull failed");
    if ((await lab.exec(`docker create --name bench ${ref}`)).code !== 0) throw new Error("create failed");
    await inPage(lab.page, `
      const fileContent = ${fileContent.toString()};
      const { containers } = window.layerlab.daemon;
      const fs = await containers.fs(await containers.require("bench"));
      await fs.mkdir("bench");
      for (let i = 0; i < ${FILES}; i++) await fs.writeFile("bench/f" + i, fileContent(i, ${FILE_SIZE}));
    `);
    const runs: number[] = [];
    let t0 = performance.now();
    const r = await lab.exec("docker commit bench lab/bench:commit");
    runs.push(seconds(t0));
    if (r.code !== 0) throw new Error(`commit failed: ${r.output}`);
    t0 = performance.now();
    await lab.exec("docker commit bench lab/bench:commit2");
    runs.push(seconds(t0));
    const layerInfo = await inPage<{ size: number; compressed: number }>(lab.page, `
      const { ImageStore } = await import("/src/store/images.ts");
      const store = await ImageStore.open();
      const tag = await store.getTag("docker.io/lab/bench:commit");
      const img = await store.getImage(tag.imageId);
      const top = await store.getLayer(img.chainIds.at(-1));
      const r = { size: top.size, compressed: img.layers.at(-1).size };
      store.close();
      return r;
    `);

    // umoci: the same image unpacked, the same files written, then repack (timed).
    const layout = join(dir, "layout");
    execFileSync("skopeo", ["copy", "--quiet", "--src-tls-verify=false", `docker://${ref}`, `oci:${layout}:base`]);
    const nativeRuns: number[] = [];
    for (let round = 0; round < 2; round++) {
      const bundle = join(dir, `bundle${round}`);
      execFileSync("umoci", ["unpack", "--image", `${layout}:base`, bundle]);
      mkdirSync(join(bundle, "rootfs/bench"));
      for (let i = 0; i < FILES; i++) writeFileSync(join(bundle, `rootfs/bench/f${i}`), fileContent(i, FILE_SIZE));
      execFileSync("sync");
      t0 = performance.now();
      execFileSync("umoci", ["repack", "--image", `${layout}:out${round}`, bundle]);
      nativeRuns.push(seconds(t0));
    }
    const labS = Math.min(...runs);
    const nativeS = Math.min(...nativeRuns);
    return {
      changed_bytes: FILES * FILE_SIZE,
      layer_tar_bytes: layerInfo.size,
      layer_gzip_bytes: layerInfo.compressed,
      lab_s: labS,
      lab_runs_s: runs,
      umoci_repack_s: nativeS,
      umoci_runs_s: nativeRuns,
      ratio: Math.round((labS / nativeS) * 100) / 100,
      target_ratio: 1.0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await lab.close();
    await reg.stop();
  }
}
