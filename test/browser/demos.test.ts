/**
 * The bundled demo images (public/demos/, built by scripts/build-demos.ts) pulled from the page's own
 * read-only registry `layerlab.demo`: no registry process, no proxy.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchLab, type LabDriver } from "../harness/browser.ts";

let lab: LabDriver;
const errors: string[] = [];
beforeAll(async () => {
  lab = await launchLab({ onConsoleError: (e: string) => errors.push(e) });
});
afterAll(async () => {
  await lab?.close();
});

async function ok(line: string): Promise<string> {
  const r = await lab.exec(line);
  if (r.code !== 0) throw new Error(`${line} → ${r.code}\n${r.output}`);
  return r.output;
}

describe("bundled demo images (layerlab.demo)", () => {
  it("pulls debian, busybox and the teaching image, sharing busybox's layers", async () => {
    expect(await ok("docker pull layerlab.demo/debian:bookworm")).toContain("Status: Downloaded newer image for layerlab.demo/debian:bookworm");
    await ok("docker pull -q layerlab.demo/busybox");
    const teaching = await ok("docker pull layerlab.demo/teaching");
    expect(teaching.match(/Already exists/g)).toHaveLength(2);
    expect(await ok("docker run --rm layerlab.demo/teaching")).toBe("hello from layer 2, settings: color=green layer=2 \n");
    expect(await ok("docker run --rm layerlab.demo/teaching ls /app /app/data")).toBe("/app:\nbig.bin\nconfig\ndata\nhello.sh\nnotes.txt\n\n/app/data:\nfresh.txt\n");
    expect(await ok("docker run --rm layerlab.demo/debian:bookworm cat /etc/debian_version")).toMatch(/^12\.\d+\n$/);
    const wasi = await ok("docker run --rm layerlab.demo/wasi/hello");
    expect(wasi).toMatch(/^Unable to find image .layerlab.demo\/wasi\/hello. locally\n/);
    expect(wasi.endsWith("Status: Downloaded newer image for layerlab.demo\/wasi\/hello:latest\nHello from WebAssembly!\n")).toBe(true);
  });

  it("lab storage lays the store out as Docker does: layerdb by chain ID with parents, distribution mappings", async () => {
    const inspect = JSON.parse(await ok("docker image inspect layerlab.demo/teaching"))[0];
    const facts = (await lab.page.evaluate(`(async () => {
      const s = window.layerlab.daemon.store;
      const img = (await s.listImages()).find((i) => i.id === ${JSON.stringify(inspect.Id)});
      return { chainIds: img.chainIds, diffIds: img.diffIds, digests: img.layers.map((l) => l.digest) };
    })()`)) as { chainIds: string[]; diffIds: string[]; digests: string[] };
    // The teaching image's five layers: the loops below check each of them.
    expect([facts.chainIds.length, facts.diffIds.length, facts.digests.length]).toEqual([5, 5, 5]);
    const out = await ok("lab storage layerlab.demo/teaching");
    const lines = out.split("\n");
    expect(lines[0]).toBe("/var/lib/docker/");
    expect(out).toMatch(new RegExp(`\\n {6}imagedb/\\n {8}content/\\n {10}sha256/\\n {12}${inspect.Id.slice(7)} {2}= \\(the image config JSON`));
    const hex = (d: string) => d.slice(7);
    // Each chain ID's directory: diff is its diff ID, parent the chain ID below it.
    for (let i = 0; i < facts.chainIds.length; i++) {
      const at = lines.findIndex((l) => l.trim() === `${hex(facts.chainIds[i]!)}/`);
      expect(at, `layerdb/sha256/${facts.chainIds[i]}`).toBeGreaterThan(0);
      const dir = lines.slice(at + 1, at + 6).map((l) => l.trim());
      expect(dir).toContain(`diff  = ${facts.diffIds[i]}`);
      if (i > 0) expect(dir).toContain(`parent  = ${facts.chainIds[i - 1]}`);
      else expect(dir.some((l) => l.startsWith("parent"))).toBe(false);
    }
    for (let i = 0; i < facts.digests.length; i++) expect(out).toContain(`${hex(facts.digests[i]!)}  = ${facts.diffIds[i]}`);
    expect(out).toContain('"layerlab.demo/teaching:latest":"' + inspect.Id + '"');
    // The whole store: busybox's two layers appear once, shared by both images.
    const all = await ok("lab storage");
    expect(all.split(`${hex(facts.chainIds[0]!)}/`).length - 1).toBe(1);
  });

  it("refuses pushes and unknown names with what is there", async () => {
    const unknown = await lab.exec("docker pull layerlab.demo/nginx");
    expect(unknown.code).not.toBe(0);
    expect(unknown.output).toContain("the bundled demo images are busybox:latest, debian:bookworm, teaching:latest, wasi/hello:latest, wasi/ls:latest, wasi/fileops:latest");
    const push = await lab.exec("docker push layerlab.demo/busybox");
    expect(push.code).not.toBe(0);
    expect(push.output).toContain("read-only");
    expect(errors).toEqual([]);
  });
});
