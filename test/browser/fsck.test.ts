/**
 * `lab fsck` in Chromium on a real store: clean after pulls, a run and a commit; then the store is
 * damaged the ways an interrupted tab or a bad disk leaves it (a layer's chunk gone, a config's byte
 * flipped, chunks and an ingest nobody finishes, a tag to nowhere, container-layer data of no
 * snapshot) and fsck names each; `--repair` removes what cannot be completed and what stood on it,
 * keeps everything whole, and the damaged image pulls again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchLab, type LabDriver } from "../harness/browser.ts";

let lab: LabDriver;

beforeAll(async () => {
  lab = await launchLab();
}, 120_000);
afterAll(async () => {
  await lab?.close();
});

async function ok(line: string): Promise<string> {
  const r = await lab.exec(line);
  if (r.code !== 0) throw new Error(`${line} → ${r.code}\n${r.output}`);
  return r.output;
}

describe("lab fsck", () => {
  it("a store after pulls, a run and a commit is whole", async () => {
    await ok("docker pull -q layerlab.demo/busybox && docker pull -q layerlab.demo/teaching");
    await ok("docker run --name wk layerlab.demo/busybox sh -c 'echo kept > /kept'");
    await ok("docker commit wk kept:1");
    const out = await ok("lab fsck");
    expect(out).toMatch(/^checked \d+ blobs \([\d.]+[kM]?B, re-hashed\), \d+ layers, 3 images, 3 tags, \d+ snapshots, 1 containers, 0 ingests\nthe store is whole\n$/);
  }, 180_000);

  it("names what an interrupted tab or a bad disk leaves, and --repair keeps what is whole", async () => {
    const damage = await lab.page.evaluate(async () => {
      const d = window.layerlab!.daemon!;
      const db = d.store.db;
      const teaching = (await d.images.resolve("layerlab.demo/teaching"))!;
      const busybox = (await d.images.resolve("layerlab.demo/busybox"))!;
      // A layer's chunk lost (teaching's top layer).
      const diff = teaching.diffIds.at(-1)!;
      const info = (await d.store.content.info(diff))!;
      await db.delete("chunks", [info.owner, 0]);
      // A byte of busybox's config flipped… no: busybox stays whole; the committed image's config is damaged.
      const kept = (await d.images.resolve("kept:1"))!;
      const cfg = (await d.store.content.info(kept.id))!;
      const chunk = (await db.get("chunks", [cfg.owner, 0])) as Uint8Array; // a config: stored as bytes
      chunk[10] = chunk[10]! ^ 0xff;
      await db.put("chunks", chunk, [cfg.owner, 0]);
      // Leftovers: chunks of nobody, an ingest abandoned two hours ago, a tag to nowhere, upper data of no snapshot.
      await db.put("chunks", new Uint8Array(100), ["no-such-owner", 0]);
      await db.put("ingests", { ref: "pull-abandoned", owner: "abandoned-owner", offset: 4, chunkSize: 4 << 20, chunks: 1, hashState: new Uint8Array(0), startedAt: Date.now() - 7.2e6, updatedAt: Date.now() - 7.2e6 });
      await db.put("chunks", new Uint8Array(4), ["abandoned-owner", 0]);
      await db.put("tags", { name: "docker.io/library/ghost:latest", imageId: "sha256:0000000000000000000000000000000000000000000000000000000000000000" as never, updatedAt: Date.now() });
      await db.put("upperEntries", { path: "x", ino: 1 } as never, ["no-such-snapshot", "x"]);
      return { diff, teaching: teaching.id, kept: kept.id, busybox: busybox.id };
    });
    const r = await lab.exec("lab fsck");
    expect(r.code).toBe(1);
    const short = (d: string) => d.slice(7, 19);
    expect(r.output).toContain(`blob ${short(damage.diff)}: chunk 1 of `);
    expect(r.output).toContain(" is missing\n");
    expect(r.output).toMatch(new RegExp(`blob ${short(damage.kept)}: its bytes hash to sha256:[0-9a-f]{64}\\n`));
    expect(r.output).toMatch(/layer [0-9a-f]{12}: its diff sha256:[0-9a-f]{64} is damaged\n/);
    expect(r.output).toContain(`image ${short(damage.teaching)}: layer `);
    expect(r.output).toContain(`image ${short(damage.kept)}: its config ${damage.kept} is damaged\n`);
    expect(r.output).toContain("chunks no-such-owner: 1 chunk that no blob or ingest owns\n");
    expect(r.output).toMatch(/ingest pull-abandoned: abandoned: nothing written for 12\d minutes\n/);
    expect(r.output).toContain("tag docker.io/library/ghost:latest: points at sha256:0000000000000000000000000000000000000000000000000000000000000000, which is not stored\n");
    expect(r.output).toContain("upper no-such-snapshot: container-layer data of a snapshot that is not stored\n");
    expect(r.output).not.toContain(`image ${short(damage.busybox)}`);
    expect(r.output).toMatch(/\d+ problems: `lab fsck --repair` removes what cannot be completed/);

    const fixed = await lab.exec("lab fsck --repair");
    expect(fixed.code, fixed.output).toBe(0);
    expect(fixed.output).toContain(`removed image ${short(damage.teaching)}\n`);
    expect(fixed.output).toContain("removed tag layerlab.demo/teaching:latest\n");
    expect(fixed.output).toMatch(/the store is whole now\n$/);
    // What was whole is kept and works; the container stands on busybox, which was whole.
    expect(await ok("docker images --format '{{.Repository}}:{{.Tag}}' | sort")).toBe("layerlab.demo/busybox:latest\n");
    expect(await ok("docker ps -a --format '{{.Names}}'")).toBe("wk\n");
    expect(await ok("docker start -a wk && docker diff wk")).toBe("A /kept\n");
    // The damaged image comes back whole.
    await ok("docker pull -q layerlab.demo/teaching");
    expect(await ok("docker run --rm layerlab.demo/teaching")).toBe("hello from layer 2, settings: color=green layer=2 \n");
    expect(await ok("lab fsck")).toMatch(/the store is whole\n$/);
  }, 180_000);
});
