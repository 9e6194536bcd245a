import { describe, test } from "vitest";
import { MemorySnapshotBackend, Snapshotter } from "../../src/unionfs/snapshotter.ts";
import { snapshotterCases } from "../shared/snapshotter-suite.ts";

describe("snapshotter (memory backend)", () => {
  for (const c of snapshotterCases) {
    test(c.name, async () => {
      const backend = new MemorySnapshotBackend();
      await c.run({ snapshotter: new Snapshotter(backend), reopen: async () => new Snapshotter(backend) });
    });
  }
});
