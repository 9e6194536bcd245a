/**
 * The content store and image store in real Chromium IndexedDB: verified ingests, resume, ranges,
 * garbage collection, and two tabs writing at once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { launchLab } from "../harness/browser.ts";

type Lab = Awaited<ReturnType<typeof launchLab>>;
let lab: Lab;

/** Runs `body` in the page with the store modules imported (vite serves /src/*). */
function run<T>(page: Page, body: string): Promise<T> {
  return page.evaluate(`(async () => {
    const { ImageStore } = await import("/src/store/images.ts");
    const { sha256Digest } = await import("/src/oci/digest.ts");
    const bytes = (n, seed = 1) => { const b = new Uint8Array(n); let x = seed; for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24; } return b; };
    const orphanChunks = async (store) => {
      const owners = new Set([...(await store.content.list()).map((b) => b.owner), ...(await store.content.ingests()).map((i) => i.owner)]);
      const keys = await store.db.getAllKeys("chunks");
      return keys.filter((k) => !owners.has(k[0])).length;
    };
    ${body}
  })()`) as Promise<T>;
}

beforeAll(async () => {
  lab = await launchLab({});
});
afterAll(async () => {
  await lab?.close();
});

describe("content store (IndexedDB in Chromium)", () => {
  it("stores a blob in chunks and reads any range back", async () => {
    const r = await run<{ whole: boolean; range: boolean; size: number; chunks: number }>(lab.page, `
      const store = await ImageStore.open("t-range", 1000);
      const data = bytes(4500);
      const d = await sha256Digest(data);
      const info = await store.content.put(data, d);
      const whole = await store.content.read(d);
      const part = await store.content.read(d, 999, 3001);
      return { whole: whole.every((b, i) => b === data[i]) && whole.length === 4500,
               range: part.length === 2002 && part.every((b, i) => b === data[999 + i]), size: info.size, chunks: info.chunks };
    `);
    expect(r).toEqual({ whole: true, range: true, size: 4500, chunks: 5 });
  });

  it("stores nothing when the digest does not match, and says both digests", async () => {
    const r = await run<{ message: string; blobs: number; chunks: number; ingests: number }>(lab.page, `
      const store = await ImageStore.open("t-mismatch", 1000);
      const data = bytes(3500);
      const wrong = "sha256:" + "0".repeat(64);
      let message = "";
      try { await store.content.put(data, wrong); } catch (e) { message = e.message; }
      return { message, blobs: (await store.content.list()).length, chunks: (await store.db.getAllKeys("chunks")).length, ingests: (await store.content.ingests()).length };
    `);
    expect(r.message).toMatch(/expected sha256:0{64}, got sha256:[a-f0-9]{64}/);
    expect(r).toMatchObject({ blobs: 0, chunks: 0, ingests: 0 });
  });

  it("resumes an interrupted ingest from the last flushed chunk", async () => {
    const r = await run<{ offset: number; ok: boolean }>(lab.page, `
      const store = await ImageStore.open("t-resume", 1000);
      const data = bytes(5500, 7);
      const d = await sha256Digest(data);
      const first = await store.content.openIngest("pull:" + d, { expected: d, total: data.length });
      await first.write(data.subarray(0, 3700));
      await first.suspend(); // interrupted: 3 chunks flushed, 700 bytes lost
      const again = await store.content.openIngest("pull:" + d, { expected: d, total: data.length });
      const offset = again.offset;
      await again.write(data.subarray(offset));
      await again.commit(d);
      const back = await store.content.read(d);
      return { offset, ok: back.length === data.length && back.every((b, i) => b === data[i]) && (await orphanChunks(store)) === 0 };
    `);
    expect(r).toEqual({ offset: 3000, ok: true });
  });

  it("two tabs writing the same blob at once leave one blob and no orphan chunks", async () => {
    const second = await lab.page.context().newPage();
    await second.goto(lab.page.url());
    await second.waitForFunction(() => (window as unknown as { layerlab?: unknown }).layerlab !== undefined);
    const body = `
      const store = await ImageStore.open("t-tabs", 1000);
      const data = bytes(20000, 3);
      const d = await sha256Digest(data);
      const info = await store.content.put(data, d);
      return info.digest;
    `;
    const [a, b] = await Promise.all([run<string>(lab.page, body), run<string>(second, body)]);
    expect(a).toBe(b);
    const r = await run<{ blobs: number; orphans: number }>(lab.page, `
      const store = await ImageStore.open("t-tabs", 1000);
      return { blobs: (await store.content.list()).length, orphans: await orphanChunks(store) };
    `);
    expect(r).toEqual({ blobs: 1, orphans: 0 });
    await second.close();
  });
});
