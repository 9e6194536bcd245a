/**
 * Daemon policy that reading the code found wrong (issue 12), each checked against what Docker does:
 * `image prune -a` keeps images that containers use, `lab cat IMAGE` records nothing that would keep
 * layers from being collected, and `docker start` goes on past a missing container.
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

/** What the store holds, read through the page's own daemon. */
function storeFacts(): Promise<{ images: string[]; layers: string[]; snapshots: string[] }> {
  return lab.page.evaluate(async () => {
    const d = window.layerlab!.daemon!;
    return {
      images: (await d.store.listImages()).map((i) => i.id),
      layers: (await d.store.listLayers()).map((l) => l.chainId),
      snapshots: (await d.containers.records.snapshots.list()).map((s) => s.key),
    };
  });
}

describe("the daemon's image and container policy", () => {
  it("docker image prune -a keeps the images containers were created from, as Docker does", async () => {
    await ok("docker pull -q layerlab.demo/wasi/hello");
    await ok("docker pull -q layerlab.demo/wasi/ls");
    const used = (await ok("docker image inspect -f '{{.Id}}' layerlab.demo/wasi/hello")).trim();
    const unused = (await ok("docker image inspect -f '{{.Id}}' layerlab.demo/wasi/ls")).trim();
    await ok("docker create --name keeper layerlab.demo/wasi/hello");
    const out = await ok("docker image prune -a -f");
    expect(out).toContain(`deleted: ${unused}`);
    expect(out).not.toContain(used);
    const facts = await storeFacts();
    expect(facts.images).toContain(used);
    expect(facts.images).not.toContain(unused);
    expect(await ok("docker run --rm layerlab.demo/wasi/hello")).toBe("Hello from WebAssembly!\n");
    await ok("docker rm keeper");
  });

  it("lab cat IMAGE records no snapshot, so the image's layers are collected when it goes", async () => {
    await ok("docker pull -q layerlab.demo/teaching");
    expect(await ok("lab cat layerlab.demo/teaching /app/notes.txt")).not.toBe("");
    const chain = await lab.page.evaluate(async () => (await window.layerlab!.daemon!.images.require("layerlab.demo/teaching")).chainIds);
    expect((await storeFacts()).snapshots.filter((k) => !k.match(/^[0-9a-f]{64}$/))).toEqual([]);
    await ok("docker rmi layerlab.demo/teaching");
    // Nothing else in this profile stands on the teaching image's layers.
    expect((await storeFacts()).layers.filter((l) => chain.includes(l as never))).toEqual([]);
  });

  it("docker start goes on past a missing container and names the ones that failed", async () => {
    await ok("docker create --name other layerlab.demo/wasi/hello");
    const r = await lab.exec("docker start missing other");
    expect(r.code).toBe(1);
    expect(r.output).toContain("Error response from daemon: No such container: missing\n");
    expect(r.output).toContain("other\n");
    expect(r.output).toContain("Error: failed to start containers: missing\n");
    expect(await ok("docker wait other")).toBe("0\n");
    expect(await ok("docker logs other")).toBe("Hello from WebAssembly!\n");
  });

  it("logged no console errors", () => {
    expect(errors).toEqual([]);
  });
});
