import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, linkSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { TarFormatError, TarStreamParser, type TarEntry } from "../../src/layer/tar.ts";
import { alpineRootfs } from "../harness/shared.ts";

function parse(buf: Uint8Array, chunk = 777): { entries: TarEntry[]; data: Map<string, Uint8Array[]> } {
  const entries: TarEntry[] = [];
  const data = new Map<string, Uint8Array[]>();
  const p = new TarStreamParser(
    (e) => entries.push(e),
    (e, c) => data.set(e.path, [...(data.get(e.path) ?? []), c.slice()]),
  );
  for (let i = 0; i < buf.length; i += chunk) p.push(buf.subarray(i, i + chunk));
  p.end();
  return { entries, data };
}

function concat(parts: Uint8Array[] = []): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function makeTree(): string {
  const dir = mkdtempSync(join(tmpdir(), "lltar-"));
  const root = join(dir, "root");
  mkdirSync(join(root, "etc"), { recursive: true });
  writeFileSync(join(root, "etc", "hello.txt"), "hello world\n");
  const long = "d".repeat(120);
  mkdirSync(join(root, long), { recursive: true });
  writeFileSync(join(root, long, `${"f".repeat(150)}.txt`), "x".repeat(5000));
  symlinkSync("etc/hello.txt", join(root, "link"));
  symlinkSync(`${"t".repeat(130)}`, join(root, "longlink"));
  linkSync(join(root, "etc", "hello.txt"), join(root, "hard"));
  execFileSync("mkfifo", [join(root, "fifo")]);
  writeFileSync(join(root, "empty"), "");
  return dir;
}

describe("TarStreamParser", () => {
  for (const format of ["pax", "gnu", "ustar"] as const) {
    it(`reads a ${format} archive made by GNU tar, in any chunking`, () => {
      const dir = makeTree();
      const tarPath = join(dir, `t.tar`);
      const members = format === "ustar" ? ["etc", "link", "hard", "fifo", "empty"] : ["."];
      execFileSync("tar", ["--format", format, "-C", join(dir, "root"), "-cf", tarPath, "--sort=name", ...members]);
      const buf = new Uint8Array(readFileSync(tarPath));
      for (const chunk of [1, 511, 512, 4096, buf.length]) {
        const { entries, data } = parse(buf, chunk);
        const byPath = new Map(entries.map((e) => [e.path.replace(/^\.\//, ""), e]));
        expect(byPath.get("etc/hello.txt")).toMatchObject({ type: "file", size: 12 });
        expect(new TextDecoder().decode(concat(data.get(format === "ustar" ? "etc/hello.txt" : "./etc/hello.txt")))).toBe("hello world\n");
        expect(byPath.get("link")).toMatchObject({ type: "symlink", linkname: "etc/hello.txt" });
        expect(byPath.get("fifo")?.type).toBe("fifo");
        expect(byPath.get("empty")).toMatchObject({ type: "file", size: 0 });
        const hard = byPath.get("hard") ?? byPath.get("etc/hello.txt");
        expect(["hardlink", "file"]).toContain(hard!.type);
        if (format !== "ustar") {
          const long = `${"d".repeat(120)}/${"f".repeat(150)}.txt`;
          expect(byPath.get(long)).toMatchObject({ type: "file", size: 5000 });
          expect(byPath.get("longlink")).toMatchObject({ type: "symlink", linkname: "t".repeat(130) });
        }
        // The recorded data offset points at the file's bytes in the archive.
        const e = byPath.get("etc/hello.txt")!;
        expect(new TextDecoder().decode(buf.subarray(e.dataOffset, e.dataOffset + e.size))).toBe("hello world\n");
      }
    });
  }

  it("reads the Alpine 3.15 x86 minirootfs with every entry's offset right", (ctx) => {
    const path = alpineRootfs(ctx);
    const buf = new Uint8Array(gunzipSync(readFileSync(path)));
    const { entries } = parse(buf, 65536);
    const listing = execFileSync("tar", ["-tzf", path], { maxBuffer: 1 << 24 }).toString().trim().split("\n");
    expect(entries.length).toBe(listing.length);
    const busybox = entries.find((e) => e.path.replace(/^\.\//, "") === "bin/busybox")!;
    expect(busybox.type).toBe("file");
    expect(buf[busybox.dataOffset]).toBe(0x7f); // ELF
    expect(entries.filter((e) => e.type === "symlink").length).toBeGreaterThan(300);
  });

  it("rejects a bad header checksum, naming where", () => {
    const dir = makeTree();
    const tarPath = join(dir, "t.tar");
    execFileSync("tar", ["-C", join(dir, "root"), "-cf", tarPath, "etc"]);
    const buf = new Uint8Array(readFileSync(tarPath));
    buf[600] = buf[600]! ^ 0xff; // inside the second header's name field
    expect(() => parse(buf)).toThrow(TarFormatError);
    expect(() => parse(buf)).toThrow(/bad header checksum/);
  });

  it("rejects a truncated archive with the entry's name", () => {
    const dir = makeTree();
    const tarPath = join(dir, "t.tar");
    execFileSync("tar", ["-C", join(dir, "root"), "-cf", tarPath, "etc/hello.txt"]);
    const buf = new Uint8Array(readFileSync(tarPath)).subarray(0, 512 + 5);
    expect(() => parse(buf)).toThrow(/etc\/hello.txt.*truncated/);
  });

  it("rejects an absurd declared size", () => {
    const h = new Uint8Array(1024);
    const enc = new TextEncoder();
    h.set(enc.encode("big"), 0);
    h.set(enc.encode("0000644\0"), 100);
    h.set(enc.encode("77777777777\0"), 124); // 8 GiB is fine; make it base-256 huge instead
    h[124] = 0x80;
    h.fill(0xff, 125, 136);
    h[156] = 0x30;
    h.set(enc.encode("ustar\0"), 257);
    h.set(enc.encode("00"), 263);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    h.set(enc.encode(`${sum.toString(8).padStart(6, "0")}\0 `), 148);
    expect(() => parse(h)).toThrow(/absurd size/);
  });
});
