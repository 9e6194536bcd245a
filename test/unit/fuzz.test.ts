/**
 * `npm test`'s slice of the fuzzer (scripts/fuzz.ts runs the long ones): every saved regression case
 * under test/fuzz-cases/, then 1,000 seeded mutations per target — each must end in a result or the
 * target's own typed error, within its time bound.
 */
import { describe, expect, it } from "vitest";
import { fuzz, runOne, savedCases } from "../fuzz/engine.ts";
import { TARGETS } from "../fuzz/targets.ts";

describe("fuzz slice", () => {
  for (const t of TARGETS) {
    it(`${t.name}: the saved cases and 1,000 seeded mutations end in a result or ${t.name}'s own error`, async () => {
      for (const c of savedCases(t.name)) expect(await runOne(t, c.input, 2000), c.path).toBeUndefined();
      const report = await fuzz(t, 1000, 20261202);
      expect(report.crashes).toEqual([]);
    });
  }
});
