/**
 * Push benchmark: the ~47 MB / 5-layer image pushed from the page (through the proxy, out of
 * IndexedDB) to a fresh Distribution registry, against `skopeo copy` of the same image from an OCI
 * layout to another fresh registry, in the same run. Target: ratio = lab / skopeo ≤ 1.2.
 */
import { execFileSync } from "node:child_process";
import { LabDriver } from "../scripts/lab-driver.ts";
import { buildFixtures, pushFixtures } from "../test/harness/fixtures.ts";
import { startRegistry } from "../test/harness/registry.ts";

function seconds(t0: number): number {
  return Math.round((performance.now() - t0) / 10) / 100;
}

export default async function pushBench(): Promise<Record<string, unknown>> {
  const fx = await buildFixtures();
  const src = await startRegistry("none");
  const regs = [await startRegistry("none"), await startRegistry("none"), await startRegistry("none"), await startRegistry("none")];
  const lab = await LabDriver.launch({ allowRegistries: [src.host, ...regs.map((r) => r.host)] });
  try {
    const pushed = await pushFixtures(src);
    const ref = `${src.host}/${pushed.big.name}`;
    if ((await lab.exec(`docker pull -q ${ref}`)).code !== 0) throw new Error("pull failed");
    const bytes = pushed.big.layers.reduce((n, l) => n + l.size, 0);
    const labRuns: number[] = [];
    const skopeoRuns: number[] = [];
    for (let round = 0; round < 2; round++) {
      const dst = regs[round]!;
      await lab.exec(`docker tag ${ref} ${dst.host}/lab/big:latest`);
      let t0 = performance.now();
      const r = await lab.exec(`docker push ${dst.host}/lab/big:latest`);
      labRuns.push(seconds(t0));
      if (r.code !== 0) throw new Error(`push failed: ${r.output}`);
      const other = regs[round + 2]!;
      t0 = performance.now();
      execFileSync("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", `oci:${fx.layout}:${fx.tags.big}`, `docker://${other.host}/lab/big:latest`]);
      skopeoRuns.push(seconds(t0));
    }
    const labS = Math.min(...labRuns);
    const skopeoS = Math.min(...skopeoRuns);
    return {
      compressed_bytes: bytes,
      layers: pushed.big.layers.length,
      lab_s: labS,
      lab_runs_s: labRuns,
      skopeo_s: skopeoS,
      skopeo_runs_s: skopeoRuns,
      ratio: Math.round((labS / skopeoS) * 100) / 100,
      target_ratio: 1.0, // issue 17
    };
  } finally {
    await lab.close();
    await src.stop();
    for (const r of regs) await r.stop();
  }
}
