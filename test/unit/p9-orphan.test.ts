/**
 * A file unlinked while it is open lives on through its open fids until the last clunk (apt writes a
 * temp file it unlinks at once). The orphan keeps only what the file holds: a sparse file's holes cost
 * no memory and no time — a write far into a file, then an unlink, once copied the whole gigabyte.
 */
import { describe, expect, it } from "vitest";
import { P9Server } from "../../src/runtime/x86/p9.ts";
import { LowerView } from "../../src/unionfs/lower.ts";
import { UnionFS } from "../../src/unionfs/union.ts";
import { MemoryUpperStorage } from "../../src/unionfs/upper.ts";
import { p9 } from "../fuzz/targets.ts";

const NOFID = 0xffffffff;
const enc = new TextEncoder();

function call(server: P9Server, msg: Uint8Array): Promise<Uint8Array> {
  return new Promise((r) => server.handle(msg, r));
}

describe("9P: an unlinked open file", () => {
  it("keeps its data, holes and all, until the last clunk, without copying its holes", async () => {
    const fs = await UnionFS.open(new LowerView([]), new MemoryUpperStorage());
    const server = new P9Server();
    server.export("c", fs);
    await call(server, p9(100, 0xffff, ["d", 65536], ["s", "9P2000.L"]));
    expect((await call(server, p9(104, 1, ["d", 1], ["d", NOFID], ["s", ""], ["s", "c"], ["d", 0])))[4]).toBe(105);
    await call(server, p9(110, 2, ["d", 1], ["d", 2], ["w", 0]));
    expect((await call(server, p9(14, 3, ["d", 2], ["s", "tmp"], ["d", 0o102], ["d", 0o644], ["d", 0])))[4]).toBe(15);
    const far = 900 * 2 ** 20;
    expect((await call(server, p9(118, 4, ["d", 2], ["q", far], ["d", 5], ["raw", enc.encode("hello")])))[4]).toBe(119);
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    expect((await call(server, p9(76, 5, ["d", 1], ["s", "tmp"], ["d", 0])))[4]).toBe(77); // Runlinkat
    expect(performance.now() - t0).toBeLessThan(500);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
    expect(fs.statSync("tmp")).toBeUndefined();
    // Still readable, and writable, through the open fid.
    const read = await call(server, p9(116, 6, ["d", 2], ["q", far - 2], ["d", 16]));
    expect(read[4]).toBe(117);
    expect([...read.subarray(11)]).toEqual([0, 0, ...enc.encode("hello")]);
    await call(server, p9(118, 7, ["d", 2], ["q", 0], ["d", 2], ["raw", enc.encode("hi")]));
    const head = await call(server, p9(116, 8, ["d", 2], ["q", 0], ["d", 4]));
    expect([...head.subarray(11)]).toEqual([...enc.encode("hi"), 0, 0]);
    const attr = await call(server, p9(24, 9, ["d", 2], ["q", 0x7ff]));
    expect(new DataView(attr.buffer, attr.byteOffset).getBigUint64(7 + 8 + 13 + 4 + 4 + 4 + 8 + 8, true)).toBe(BigInt(far + 5));
    expect((await call(server, p9(120, 10, ["d", 2])))[4]).toBe(121);
  });
});
