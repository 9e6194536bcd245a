/**
 * Reads do not queue behind writes in the union (a container's `cat` runs beside its shell's `>`), so
 * each write must leave every moment consistent: a truncate shrinks the size before it deletes the
 * bytes, and a read meanwhile sees the shorter file — never the old size over deleted bytes (zeros),
 * which is what `docker exec … cat` of a file being rewritten once showed.
 */
import { describe, expect, it } from "vitest";
import { LowerView } from "../../src/unionfs/lower.ts";
import { UnionFS } from "../../src/unionfs/union.ts";
import { MemoryUpperStorage } from "../../src/unionfs/upper.ts";

class SlowTruncate extends MemoryUpperStorage {
  release?: () => void;
  override async truncate(ino: number, size: number): Promise<void> {
    await super.truncate(ino, size); // the bytes are gone at once…
    await new Promise<void>((r) => (this.release = r)); // …and the call returns later
  }
}

describe("union: a read beside a truncate", () => {
  it("sees the file shorter, never zeros", async () => {
    const storage = new SlowTruncate();
    const fs = await UnionFS.open(new LowerView([]), storage);
    await fs.writeFile("t", new TextEncoder().encode("12:00:00\n"));
    const truncating = fs.truncate("t", 0);
    while (!storage.release) await new Promise((r) => setTimeout(r, 1));
    const seen = await fs.read("t");
    expect([...seen]).toEqual([]);
    storage.release();
    await truncating;
    expect((await fs.stat("t")).size).toBe(0);
  });
});
