import { expect } from "vitest";

/** `xs`, once it is asserted to hold something: a loop of assertions over nothing asserts nothing. */
export function nonEmpty<T>(xs: readonly T[], what: string): readonly T[] {
  expect(xs.length, `${what}: a loop over it would assert nothing`).toBeGreaterThan(0);
  return xs;
}
