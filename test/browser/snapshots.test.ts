/**
 * The shared snapshotter suite (test/shared/snapshotter-suite.ts) against the IndexedDB backend in
 * Chromium; "reopen" opens a second connection to the same database, as a reloaded page would.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchLab } from "../harness/browser.ts";
import { snapshotterCases } from "../shared/snapshotter-suite.ts";

type Lab = Awaited<ReturnType<typeof launchLab>>;
let lab: Lab;
let results: Record<string, string | null>;

beforeAll(async () => {
  lab = await launchLab({});
  results = (await lab.page.evaluate(`(async () => {
    const { ImageStore } = await import("/src/store/images.ts");
    const { storeSnapshotter } = await import("/src/store/snapshots.ts");
    const { snapshotterCases } = await import("/test/shared/snapshotter-suite.ts");
    const out = {};
    for (const c of snapshotterCases) {
      const name = "t-snap-" + Math.random().toString(36).slice(2);
      const store = await ImageStore.open(name);
      const opened = [store];
      try {
        await c.run({
          snapshotter: storeSnapshotter(store),
          reopen: async () => { const again = await ImageStore.open(name); opened.push(again); return storeSnapshotter(again); },
        });
        out[c.name] = null;
      } catch (e) {
        out[c.name] = String(e && e.stack || e);
      } finally {
        for (const s of opened) s.close();
      }
    }
    return out;
  })()`)) as Record<string, string | null>;
});

afterAll(async () => {
  await lab?.close();
});

describe("snapshotter (IndexedDB backend in Chromium)", () => {
  for (const c of snapshotterCases) {
    it(c.name, () => {
      expect(results[c.name]).toBeNull();
    });
  }
});
