/**
 * The joined gzip (src/layer/gzip-join.ts) against real inflaters: Node's zlib, GNU gzip and Go's
 * compress/gzip read it as one member with the same bytes; the same tar in other chunkings gives the
 * same member; stored and compressed runs mix; the final-bit fix holds for every padding length.
 * (Chromium's DecompressionStream reads it in test/browser/commit-gzip.test.ts.)
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BLOCK_SIZE, compressBlock, joinedGzip, platformRawDeflate, ZlibJoin } from "../../src/layer/gzip-join.ts";

const GO = "/usr/lib/go-1.19/bin/go";
let zlib: ZlibJoin;
let dir: string;

beforeAll(async () => {
  zlib = await ZlibJoin.load(readFileSync(new URL("../../src/store/zlib.wasm", import.meta.url)));
  dir = mkdtempSync(join(tmpdir(), "gzip-join-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function random(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}
const text = (n: number) => new TextEncoder().encode("the container layer becomes an image layer\n".repeat(Math.ceil(n / 43))).subarray(0, n);

/** A tar-like mix: text, random 64 KiB pieces between text, zeros, a tail that is not a whole block. */
function mixed(): Uint8Array {
  const parts = [text(300_000), random(1 << 16, 1), text(70_000), random(BLOCK_SIZE + 12_345, 2), new Uint8Array(200_000), text(BLOCK_SIZE), random(777, 3)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
}

async function gzipJoined(data: Uint8Array, chunk: number): Promise<{ bytes: Uint8Array; digest: string; size: number }> {
  const out: Uint8Array[] = [];
  const c = await joinedGzip(zlib, (b) => compressBlock(zlib, b, platformRawDeflate), 3, async (x) => void out.push(x.slice()));
  for (let i = 0; i < data.length; i += chunk) await c.write(data.subarray(i, i + chunk));
  const r = await c.finish();
  return { bytes: Buffer.concat(out), ...r };
}

describe("joined gzip", () => {
  it("is one gzip member Node's zlib, GNU gzip and Go read back byte for byte", async () => {
    const data = mixed();
    const { bytes, size } = await gzipJoined(data, 100_000);
    expect(size).toBe(bytes.length);
    expect(Buffer.compare(gunzipSync(bytes), Buffer.from(data))).toBe(0);
    const file = join(dir, "mixed.gz");
    writeFileSync(file, bytes);
    expect(Buffer.compare(execFileSync("gzip", ["-dc", file], { maxBuffer: 1 << 26 }), Buffer.from(data))).toBe(0);
    if (existsSync(GO)) {
      // Multistream off: a second member would be an error, not read on.
      writeFileSync(join(dir, "main.go"), 'package main\nimport ("compress/gzip"; "io"; "os")\nfunc main() { r, err := gzip.NewReader(os.Stdin); if err != nil { panic(err) }; r.Multistream(false); if _, err := io.Copy(os.Stdout, r); err != nil { panic(err) }; if n, _ := os.Stdin.Read(make([]byte, 1)); n != 0 { panic("bytes after the member") } }\n');
      const back = execFileSync(GO, ["run", join(dir, "main.go")], { input: bytes, maxBuffer: 1 << 26, env: { ...process.env, GOCACHE: join(dir, "gocache"), GOFLAGS: "-mod=mod", GO111MODULE: "off" } });
      expect(Buffer.compare(back, Buffer.from(data))).toBe(0);
    }
  });

  it("gives the same bytes whatever chunks the tar arrives in, and stores random pieces", async () => {
    const data = mixed();
    const a = await gzipJoined(data, 100_000);
    const b = await gzipJoined(data, 4096 * 3 + 1);
    const c = await gzipJoined(data, data.length);
    expect(b.digest).toBe(a.digest);
    expect(c.digest).toBe(a.digest);
    // The random pieces (1.1 MiB) cost their size and 5 bytes a stored block; the rest compresses.
    expect(a.size).toBeLessThan((1 << 16) + BLOCK_SIZE + 12_345 + 777 + 40_000);
  });

  it("joins streams whatever padding their final block leaves, and an empty tar", async () => {
    for (let n = 1; n <= 300; n += 7) {
      const data = n % 2 ? text(n) : random(n, n);
      const { bytes } = await gzipJoined(data, 50);
      expect(Buffer.compare(gunzipSync(bytes), Buffer.from(data))).toBe(0);
    }
    const empty = await gzipJoined(new Uint8Array(0), 1);
    expect(gunzipSync(empty.bytes).length).toBe(0);
  });

  it("refuses a raw stream that is not whole", async () => {
    const raw = await platformRawDeflate(text(10_000));
    expect(() => zlib.joinable(raw.subarray(0, raw.length - 3))).toThrow(/not one whole stream/);
  });
});
