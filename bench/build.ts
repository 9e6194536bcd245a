/**
 * Build benchmark (issue 14): the seed Dockerfile — FROM busybox, then two `RUN dd … bs=10M count=1`
 * — built with the classic builder by the lab in Chromium (uncached, then again: all cached) and by
 * real Docker 20.10 (DOCKER_BUILDKIT=0, --no-cache) on the same base image from one test registry, in
 * the same run. Targets: ratio = lab / docker ≤ 2; the cached rebuild ≤ 0.3 s.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LabDriver } from "../scripts/lab-driver.ts";
import { startDocker } from "../test/harness/docker.ts";
import { pushOracleImages } from "../test/harness/fixtures.ts";
import { startRegistry } from "../test/harness/registry.ts";

const seconds = (t0: number) => Math.round((performance.now() - t0) / 10) / 100;

export default async function buildBench(): Promise<Record<string, unknown>> {
  const reg = await startRegistry("none");
  const work = mkdtempSync(join(tmpdir(), "bench-build-"));
  const images = await pushOracleImages(reg, work);
  const docker = await startDocker({ insecureRegistries: [reg.host], storageDriver: "overlay2" });
  const lab = await LabDriver.launch({ allowRegistries: [reg.host] });
  try {
    const ctx = join(work, "seed");
    const dockerfile = `FROM ${images.busyboxV2}\nRUN dd if=/dev/zero of=file1 bs=10M count=1\nRUN dd if=/dev/zero of=file2 bs=10M count=1\n`;
    mkdirSync(ctx, { recursive: true });
    writeFileSync(join(ctx, "Dockerfile"), dockerfile);
    await docker.docker("pull", "-q", images.busyboxV2);
    if ((await lab.exec(`docker pull -q ${images.busyboxV2}`)).code !== 0) throw new Error("lab pull failed");
    await lab.workIn(ctx);

    const dockerRuns: number[] = [];
    for (let i = 0; i < 2; i++) {
      const t0 = performance.now();
      const r = await docker.shell(`cd ${ctx} && DOCKER_BUILDKIT=0 docker build -q --no-cache --network none -t seed:${i} .`);
      dockerRuns.push(seconds(t0));
      if (r.code !== 0) throw new Error(`docker build failed: ${r.stdout}${r.stderr}`);
    }
    const labRuns: number[] = [];
    for (let i = 0; i < 2; i++) {
      const t0 = performance.now();
      const r = await lab.exec(`docker build -q --no-cache -t seed:${i} .`);
      labRuns.push(seconds(t0));
      if (r.code !== 0) throw new Error(`lab build failed: ${r.output}`);
    }
    const t0 = performance.now();
    const cached = await lab.exec("docker build -t seed:cached .");
    const cachedS = seconds(t0);
    if ((cached.output.match(/Using cache/g) ?? []).length !== 2) throw new Error(`the rebuild was not cached:\n${cached.output}`);
    const lab_s = Math.min(...labRuns);
    const docker_s = Math.min(...dockerRuns);
    return { lab_s, docker_s, ratio: Math.round((lab_s / docker_s) * 100) / 100, cached_lab_s: cachedS, lab_runs: labRuns, docker_runs: dockerRuns, target_ratio: 1.5, target_cached_s: 0.3 };
  } finally {
    await lab.close();
    await docker.stop();
    await reg.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
