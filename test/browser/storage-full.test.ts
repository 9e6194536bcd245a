/**
 * A pull, a commit and a container's writes that need more storage than the page has left. The
 * browser's profile sits on a small tmpfs, so IndexedDB meets a full disk as it would on a learner's
 * machine (Chromium does not apply CDP's Storage.overrideQuotaForOrigin to IndexedDB: a real full disk
 * is the only way to get its QuotaExceededError). Each failure speaks Docker's words with what it
 * needed and what is free, leaves the store as it was (no blob, ingest, image or container more), and
 * the lab keeps working once `docker rm`/`docker rmi` frees room. `docker system df` says what uses it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LabDriver } from "../harness/browser.ts";
import { launchLabOnSmallDisk, type SmallDiskLab } from "../harness/small-disk.ts";

let disk: SmallDiskLab | undefined;
let lab: LabDriver | undefined;
let why = "";

beforeAll(async () => {
  disk = await launchLabOnSmallDisk(64, { cacheElsewhere: true });
  ({ lab, why } = disk);
}, 120_000);

afterAll(async () => {
  await disk?.close();
});

async function run(line: string): Promise<{ code: number; output: string }> {
  return lab!.exec(line);
}

async function ok(line: string): Promise<string> {
  const r = await run(line);
  if (r.code !== 0) throw new Error(`${line} → ${r.code}\n${r.output}`);
  return r.output;
}

/** Everything the store holds, by key: a failed write must leave exactly this. */
async function storeState() {
  return lab!.page.evaluate(async () => {
    const d = window.layerlab!.daemon!;
    return {
      images: (await d.store.listImages()).map((i) => i.id).sort(),
      blobs: (await d.store.content.list()).map((b) => b.digest).sort(),
      ingests: (await d.store.content.ingests()).map((i) => i.ref).sort(),
      containers: (await d.containers.list({ all: true })).map((c) => c.id).sort(),
    };
  });
}

function needsLab(ctx: { skip(): void }): boolean {
  if (lab) return true;
  if (process.env.CI === "true") throw new Error(why);
  ctx.skip();
  return false;
}

const NO_SPACE = /no space left on device \((the lab's storage in this browser is full|the disk that holds this browser's data is full): this needs (about|at least) \d+(\.\d)? MB more(; \d+(\.\d)? MB of the \d+(\.\d)? MB the browser allows this site are free|, though the browser counts \d+(\.\d)? MB of the \d+(\.\d)? MB it allows this site as free)\)\. docker rmi, docker image prune or docker system prune frees space$/m;

describe("the lab's storage full", () => {
  it("a pull that does not fit fails in Docker's words and stores nothing of it", async (ctx) => {
    if (!needsLab(ctx)) return;
    await ok("docker pull -q layerlab.demo/busybox");
    const before = await storeState();
    const r = await run("docker pull layerlab.demo/debian:bookworm 2>&1");
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(NO_SPACE);
    expect(r.output).toMatch(/^write \/var\/lib\/docker: no space left on device/m);
    expect(await storeState()).toEqual(before);
    expect(await ok("docker images --format '{{.Repository}}'")).toBe("layerlab.demo/busybox\n");
  });

  it("a container's write that does not fit gets ENOSPC in the container, and its other files stay", async (ctx) => {
    if (!needsLab(ctx)) return;
    const out = await run("docker run --name full layerlab.demo/busybox sh -c 'echo kept > /kept; dd if=/dev/urandom of=/huge bs=1M count=80 2>&1; echo rc=$?; rm /huge; cat /kept'");
    expect(out.output).toMatch(/No space left on device/);
    expect(out.output).toMatch(/rc=1/);
    expect(out.output).toMatch(/kept\n$/);
    expect(await ok("docker diff full")).toBe("A /kept\n");
    await ok("docker rm full");
  }, 180_000);

  it("a commit that does not fit fails, adds nothing, and the container is left as it was", async (ctx) => {
    if (!needsLab(ctx)) return;
    await ok("docker run --name big layerlab.demo/busybox sh -c 'dd if=/dev/urandom of=/big bs=1M count=16'");
    const before = await storeState();
    const r = await run("docker commit big big:1");
    expect(r.code, r.output).toBe(1);
    expect(r.output).toMatch(NO_SPACE);
    expect(await storeState()).toEqual(before);
    expect(await ok("docker images -q big:1")).toBe("");
    expect(await ok("docker diff big")).toBe("A /big\n");
  }, 180_000);

  it("docker system df shows what uses the space; once it is freed, the same work succeeds", async (ctx) => {
    if (!needsLab(ctx)) return;
    const df = await ok("docker system df");
    expect(df).toMatch(/^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE\nImages +1 +1 +[\d.]+MB +0B \(0%\)\nContainers +1 +0 +1[67][.\d]*MB +1[67][.\d]*MB \(100%\)\nLocal Volumes +0 +0 +0B +0B\nBuild Cache +0 +0 +0B +0B\n$/);
    await ok("docker rm big");
    await ok("docker run --name small layerlab.demo/busybox sh -c 'dd if=/dev/urandom of=/small bs=1M count=4'");
    await ok("docker commit small small:1");
    expect(await ok("docker run --rm small:1 ls -l /small")).toMatch(/ 4194304 /);
  }, 180_000);
});
