import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync, lstatSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TarStreamParser, type TarEntry } from "../../src/layer/tar.ts";
import { encodeHeader, sortForLayer, TarWriter, type TarWriteEntry } from "../../src/layer/tar-writer.ts";
import { classifyEntry, opaqueMarkerFor, whiteoutFor } from "../../src/layer/whiteout.ts";

async function write(entries: [TarWriteEntry, Uint8Array?][], fixedMtime?: number): Promise<Uint8Array> {
  const w = new TarWriter({ fixedMtime });
  const done = new Response(w.readable).arrayBuffer();
  for (const [e, d] of entries) await w.add(e, d);
  w.close();
  return new Uint8Array(await done);
}

const longDir = "d".repeat(120);
const sample = (): [TarWriteEntry, Uint8Array?][] => [
  [{ path: "etc", type: "dir", mode: 0o755, mtime: 1700000000 }],
  [{ path: "etc/motd", type: "file", mode: 0o644, mtime: 1700000000 }, new TextEncoder().encode("hello\n")],
  [{ path: "bin", type: "dir", mode: 0o755 }],
  [{ path: "bin/sh", type: "symlink", mode: 0o777, linkname: "/bin/busybox" }],
  [{ path: "etc/motd2", type: "hardlink", mode: 0o644, linkname: "etc/motd" }],
  [{ path: `${longDir}/${"f".repeat(120)}.txt`, type: "file", mode: 0o600, uid: 3000000, gid: 1000 }, new Uint8Array(700).fill(65)],
  [{ path: "ünïcode.txt", type: "file", mode: 0o644, xattrs: { "user.note": "layer" } }, new Uint8Array(0)],
  [{ path: "dev-fifo", type: "fifo", mode: 0o644 }],
  [{ path: whiteoutFor("tmp/scratch.txt"), type: "file", mode: 0 }, new Uint8Array(0)],
];

describe("TarWriter", () => {
  it("writes archives GNU tar extracts exactly", async () => {
    const bytes = await write(sample());
    const dir = mkdtempSync(join(tmpdir(), "lltw-"));
    writeFileSync(join(dir, "t.tar"), bytes);
    const out = join(dir, "x");
    execFileSync("mkdir", [out]);
    execFileSync("tar", ["-xf", join(dir, "t.tar"), "-C", out, "--xattrs", "--xattrs-include=user.*", "--same-owner"]);
    expect(readFileSync(join(out, "etc/motd"), "utf8")).toBe("hello\n");
    expect(readlinkSync(join(out, "bin/sh"))).toBe("/bin/busybox");
    expect(lstatSync(join(out, "etc/motd2")).ino).toBe(lstatSync(join(out, "etc/motd")).ino);
    const long = lstatSync(join(out, longDir, `${"f".repeat(120)}.txt`));
    expect(long.size).toBe(700);
    expect(long.uid).toBe(3000000);
    expect(lstatSync(join(out, "ünïcode.txt")).isFile()).toBe(true);
    expect(lstatSync(join(out, "dev-fifo")).isFIFO()).toBe(true);
    expect(lstatSync(join(out, "tmp/.wh.scratch.txt")).isFile()).toBe(true);
    expect(lstatSync(join(out, "etc/motd")).mtimeMs).toBe(1700000000 * 1000);
  });

  it("round-trips through the reader", async () => {
    const bytes = await write(sample());
    const entries: TarEntry[] = [];
    const p = new TarStreamParser((e) => entries.push(e));
    p.push(bytes);
    p.end();
    expect(entries.map((e) => e.path)).toEqual(sample().map(([e]) => e.path));
    expect(entries[5]).toMatchObject({ uid: 3000000, gid: 1000, size: 700, mode: 0o600 });
    expect(entries[6]!.xattrs).toEqual({ "user.note": "layer" });
  });

  it("uses PAX only when a field does not fit", () => {
    expect(encodeHeader({ path: "a/b", type: "file", mode: 0o644, size: 1 }).length).toBe(512);
    expect(encodeHeader({ path: `${"p".repeat(150)}/${"n".repeat(90)}`, type: "file", mode: 0o644 }).length).toBe(512); // prefix + name
    expect(encodeHeader({ path: "n".repeat(101), type: "file", mode: 0o644 }).length).toBeGreaterThan(512);
    expect(encodeHeader({ path: "a", type: "symlink", mode: 0o777, linkname: "l".repeat(101) }).length).toBeGreaterThan(512);
  });

  it("is deterministic: same entries, same bytes, same diff ID", async () => {
    const a = createHash("sha256").update(await write(sample(), 0)).digest("hex");
    const b = createHash("sha256").update(await write(sample(), 0)).digest("hex");
    expect(a).toBe(b);
  });

  it("sorts a directory before its contents and an opaque marker first in its directory", () => {
    const sorted = sortForLayer([{ path: "b/z" }, { path: "a" }, { path: "b/.wh..wh..opq" }, { path: "b" }, { path: "a-b" }, { path: "a/c" }]).map((e) => e.path);
    expect(sorted).toEqual(["a", "a/c", "a-b", "b", "b/.wh..wh..opq", "b/z"]);
  });
});

describe("whiteouts", () => {
  it("classifies entries", () => {
    expect(classifyEntry("./etc/.wh.motd")).toEqual({ kind: "whiteout", path: "etc/.wh.motd", hides: "etc/motd" });
    expect(classifyEntry("var/lib/.wh..wh..opq")).toEqual({ kind: "opaque", path: "var/lib/.wh..wh..opq", dir: "var/lib" });
    expect(classifyEntry("etc/motd")).toEqual({ kind: "entry", path: "etc/motd" });
    expect(() => classifyEntry("etc/.wh.")).toThrow(/invalid whiteout/);
    expect(whiteoutFor("/tmp/x")).toBe("tmp/.wh.x");
    expect(opaqueMarkerFor("/var/lib/")).toBe("var/lib/.wh..wh..opq");
  });
});
