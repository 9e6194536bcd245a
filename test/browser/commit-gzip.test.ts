/**
 * A commit's gzip in Chromium as the page makes it (src/store/gzip-worker.ts joining blocks from its
 * deflate workers, src/layer/gzip-join.ts): the stored blob is one member that Chromium's own
 * DecompressionStream inflates to the exact tar, and the same tar gives the same digest twice.
 * (Node's zlib, GNU gzip and Go read it in test/unit/gzip-join.test.ts; skopeo and umoci read a
 * committed image in containers.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchLab } from "../harness/browser.ts";

type Lab = Awaited<ReturnType<typeof launchLab>>;
let lab: Lab;

beforeAll(async () => {
  lab = await launchLab({});
});
afterAll(async () => {
  await lab?.close();
});

describe("commit gzip in the page", () => {
  it("stores one member DecompressionStream inflates to the tar, with the same digest each time", async () => {
    const r = (await lab.page.evaluate(`(async () => {
      const { workerGzip } = await import("/src/store/gzip-sink.ts");
      const { ImageStore } = await import("/src/store/images.ts");
      const store = await ImageStore.open("t-commit-gzip-" + Math.random().toString(36).slice(2));
      // Text, pseudo-random pieces (stored), zeros, and a tail that is not a whole block.
      const size = (3 << 20) + 54_321;
      const data = new Uint8Array(size);
      let x = 12345;
      for (let i = 0; i < size; i++) {
        const region = (i >> 16) % 5;
        if (region === 1 || region === 3) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; data[i] = x & 255; }
        else if (region === 0) data[i] = "layer\\n".charCodeAt(i % 6);
      }
      const once = async (ref, chunk) => {
        const c = await workerGzip(store.db.name, store.content.chunkSize, ref);
        for (let i = 0; i < size; i += chunk) await c.write(data.slice(i, i + chunk));
        return c.finish();
      };
      const a = await once("a", 200_000);
      const b = await once("b", 65_536);
      const blob = await store.content.readBlob(a.digest);
      const back = new Uint8Array(await new Response(blob.stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
      let same = back.length === size;
      for (let i = 0; same && i < size; i++) if (back[i] !== data[i]) same = false;
      const head = Array.from(new Uint8Array(await blob.slice(0, 4).arrayBuffer()));
      store.close();
      return { a, b, same, head, blobSize: blob.size };
    })()`)) as { a: { digest: string; size: number }; b: { digest: string }; same: boolean; head: number[]; blobSize: number };
    expect(r.same).toBe(true);
    expect(r.b.digest).toBe(r.a.digest);
    expect(r.blobSize).toBe(r.a.size);
    expect(r.head).toEqual([0x1f, 0x8b, 8, 0]);
  });
});
