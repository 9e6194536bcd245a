/**
 * A build that needs more storage than the page has left: the browser's profile on a small tmpfs, so
 * IndexedDB meets a full disk as it would on a learner's machine. The build fails in Docker's words,
 * nothing is tagged, no half-written blob or ingest stays, and once `docker image prune` frees room
 * the lab builds again.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LabDriver } from "../harness/browser.ts";
import { launchLabOnSmallDisk, type SmallDiskLab } from "../harness/small-disk.ts";

let disk: SmallDiskLab | undefined;
let lab: LabDriver | undefined;
let work = "";
let why = "";

beforeAll(async () => {
  disk = await launchLabOnSmallDisk(56);
  ({ lab, work, why } = disk);
}, 120_000);

afterAll(async () => {
  await disk?.close();
});

/** Random bytes (gzip cannot shrink them). */
function noise(bytes: number, seed: number): Buffer {
  const b = Buffer.alloc(bytes);
  let x = seed;
  for (let i = 0; i < bytes; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeUInt32LE(x >>> 0, i);
  }
  return b;
}

async function storeCounts() {
  return lab!.page.evaluate(async () => {
    const d = window.layerlab!.daemon!;
    return { images: (await d.store.listImages()).length, blobs: (await d.store.content.list()).length, ingests: (await d.store.content.ingests()).length, containers: (await d.containers.list({ all: true })).length };
  });
}

describe("docker build when the disk is full", () => {
  it("fails in Docker's words, tags nothing, leaves no partial content, and builds again once there is room", async (ctx) => {
    if (!lab) {
      if (process.env.CI === "true") throw new Error(why);
      return ctx.skip();
    }
    expect((await lab.exec("docker pull -q layerlab.demo/busybox")).code).toBe(0);
    const dir = join(work, "big");
    mkdirSync(dir);
    writeFileSync(join(dir, "big.bin"), noise(14 << 20, 7));
    writeFileSync(join(dir, "Dockerfile"), "FROM layerlab.demo/busybox\nCOPY big.bin /\nRUN cp /big.bin /copy\n");
    await lab.workIn(dir);
    const before = await storeCounts();
    const r = await lab.exec("docker build -t big:1 . 2>&1");
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(/no space left on device/);
    expect((await lab.exec("docker images -q big:1")).output).toBe("");
    const after = await storeCounts();
    // A step that finished stays (as Docker keeps it); the step that failed left no image, blob or ingest.
    expect(after.ingests).toBe(before.ingests);
    expect(after.images - before.images).toBeLessThanOrEqual(1);
    // Free the room: the workspace's copy and everything the build left.
    expect((await lab.exec("rm ~/big/big.bin && docker rm -f $(docker ps -aq) > /dev/null 2>&1; docker image prune -f > /dev/null; echo ok")).output).toBe("ok\n");
    writeFileSync(join(dir, "big.bin"), noise(2 << 20, 9));
    await lab.workIn(dir);
    const ok = await lab.exec("docker build -q -t big:1 . 2>&1");
    expect(ok.code, ok.output).toBe(0);
    expect((await lab.exec("docker run --rm big:1 ls -l /copy")).output).toMatch(/ 2097152 /);
  });
});
