/**
 * The shared HostFiles suite (test/shared/host-files-suite.ts) against MemoryFiles; "reopen" gives the
 * same instance (nothing of it outlives the page). The IndexedDB run is test/browser/host-files.test.ts.
 */
import { describe, test } from "vitest";
import { MemoryFiles } from "../../src/shell/files.ts";
import { hostFilesCases, POSIX_EDGE_CASES } from "../shared/host-files-suite.ts";

/**
 * Where MemoryFiles answers otherwise than POSIX (and IdbHostFiles): expected to fail until files.ts
 * is fixed, at which point `test.fails` reports it and the name comes off this list.
 */
const MEMORY_DEVIATIONS = new Set(POSIX_EDGE_CASES);

describe("host files (MemoryFiles)", () => {
  for (const c of hostFilesCases) {
    (MEMORY_DEVIATIONS.has(c.name) ? test.fails : test)(c.name, async () => {
      const files = new MemoryFiles();
      await c.run({ files, reopen: async () => files });
    });
  }
});
