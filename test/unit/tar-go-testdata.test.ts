/**
 * The lab's tar reader against Go's archive/tar (the reader Docker, containerd and umoci use), on every
 * archive of Go's own test data (Debian's golang-1.19-src): scripts/go-tar-headers prints what Go reads
 * from each file — its headers, the content of each entry, or the error Go returns — and the lab's
 * TarStreamParser must read the same entries, or refuse (TarFormatError) where Go refuses.
 *
 * Where the lab differs from Go by design it is spelled out here, not hidden:
 * - PAX global headers ('g'): Go returns each as an entry of type TypeXGlobalHeader and applies none of
 *   its records to the entries after it; a layer reader has nothing to do with such an entry, so the lab
 *   skips it (and applies nothing either).
 * - Entry types a layer cannot hold (GNU dump directories 'D', multi-volume 'M', volume labels 'V', ...):
 *   Go returns them; the lab skips them (and their data), as before.
 * - Names: the lab strips the trailing slash of a directory's name; modes are compared in their
 *   permission bits (the lab keeps mode & 0o7777).
 * - Sparse files: read as Go reads them (holes as zeros) only with `sparse: "expand"`; by default the
 *   lab refuses them with a TarFormatError that says "sparse", because its layer index reads a file's
 *   bytes at dataOffset..dataOffset+size, which a sparse file does not have.
 *
 * Content is compared by a digest both sides compute the same way: sha256 of the content with each
 * maximal run of NUL bytes replaced by "\0<length>\n" (so a 60 GB hole costs nothing to hash on the
 * lab's side, which gets holes as lengths through onHole).
 */
import { execFileSync } from "node:child_process";
import { createHash, type Hash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { TarFormatError, TarStreamParser, type TarEntry, type TarEntryType } from "../../src/layer/tar.ts";
import { PROJECT_ROOT, requireHostFile } from "../harness/shared.ts";

const TESTDATA = "/usr/share/go-1.19/src/archive/tar/testdata";
const GO = "/usr/lib/go-1.19/bin/go";
const PROGRAM = join(PROJECT_ROOT, "scripts", "go-tar-headers", "main.go");

interface GoHeader {
  name: string;
  typeflag: number;
  size: number;
  linkname: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  mtimeNsec: number;
  devmajor: number;
  devminor: number;
  xattrs?: Record<string, string>;
  paxRecords?: Record<string, string>;
  /** Present when the entry's size is under 1 GiB. */
  sha256?: string;
  digest: string;
  length: number;
}

interface GoResult {
  file: string;
  headers: GoHeader[];
  error: string | null;
}

/** The testdata archives, listed without needing the package (a missing directory lists none). */
function archives(): string[] {
  try {
    return readdirSync(TESTDATA).filter((f) => f.endsWith(".tar")).sort();
  } catch {
    return [];
  }
}

let tmp: string | undefined;
let goResults: Map<string, GoResult> | undefined;

function runGo(): Map<string, GoResult> {
  if (goResults) return goResults;
  tmp = mkdtempSync(join(tmpdir(), "go-tar-"));
  const files = archives().map((f) => join(TESTDATA, f));
  const out = execFileSync(GO, ["run", PROGRAM, ...files], {
    cwd: tmp,
    env: { ...process.env, GOCACHE: join(tmp, "cache"), GOPATH: join(tmp, "gopath"), GOFLAGS: "", GO111MODULE: "", GOTOOLCHAIN: "local" },
    maxBuffer: 1 << 26,
    timeout: 280_000,
  }).toString();
  goResults = new Map();
  for (const line of out.trim().split("\n")) {
    const r = JSON.parse(line) as GoResult;
    goResults.set(r.file.slice(TESTDATA.length + 1), r);
  }
  return goResults;
}

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** The digest described above, fed chunk by chunk; holes by length. */
class ZeroRunDigest {
  private hash = createHash("sha256");
  /** The plain sha256 too, when holes come as zeros. */
  private plain: Hash | undefined = createHash("sha256");
  private zeros = 0;
  length = 0;
  data(chunk: Uint8Array): void {
    this.length += chunk.length;
    this.plain?.update(chunk);
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === 0) {
        if (i > start) this.flushData(chunk.subarray(start, i));
        this.zeros++;
        start = i + 1;
      }
    }
    if (chunk.length > start) this.flushData(chunk.subarray(start));
  }
  hole(length: number): void {
    this.plain = undefined; // not computed when holes come as lengths
    this.length += length;
    this.zeros += length;
  }
  private flushData(bytes: Uint8Array): void {
    if (this.zeros) this.hash.update(`\0${this.zeros}\n`);
    this.zeros = 0;
    this.hash.update(bytes);
  }
  digest(plain: boolean): string {
    if (plain) return this.plain?.digest("hex") ?? "(holes came as lengths)";
    if (this.zeros) this.hash.update(`\0${this.zeros}\n`);
    this.zeros = 0;
    return this.hash.digest("hex");
  }
}

interface Comparable {
  name: string;
  type: TarEntryType;
  size?: number;
  linkname?: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  devmajor?: number;
  devminor?: number;
  xattrs: Record<string, string>;
  digest?: string;
  length?: number;
}

const GO_TYPES: Record<string, TarEntryType> = {
  "\0": "file",
  "0": "file",
  "7": "file",
  S: "file", // GNU old sparse: a regular file with a sparse map
  "1": "hardlink",
  "2": "symlink",
  "3": "char",
  "4": "block",
  "5": "dir",
  "6": "fifo",
};

function stripSlash(name: string): string {
  return name.length > 1 && name.endsWith("/") ? name.replace(/\/+$/, "") || "/" : name;
}

function fromGo(h: GoHeader, plain: boolean): Comparable | undefined {
  const type = GO_TYPES[String.fromCharCode(h.typeflag)];
  if (!type) return undefined; // 'g' and the types a layer cannot hold: the lab skips them (see above)
  const c: Comparable = {
    name: stripSlash(h.name),
    type,
    mode: h.mode & 0o7777,
    uid: h.uid,
    gid: h.gid,
    uname: h.uname,
    gname: h.gname,
    mtime: h.mtime + h.mtimeNsec / 1e9,
    xattrs: h.xattrs ?? {},
  };
  if (type === "file") Object.assign(c, { size: h.size, digest: plain ? h.sha256 : h.digest, length: h.length });
  if (type === "symlink" || type === "hardlink") c.linkname = h.linkname;
  if (type === "char" || type === "block") Object.assign(c, { devmajor: h.devmajor, devminor: h.devminor });
  return c;
}

function fromLab(e: TarEntry, d: ZeroRunDigest | undefined, plain: boolean): Comparable {
  const c: Comparable = {
    name: e.path,
    type: e.type,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    uname: e.uname ?? "",
    gname: e.gname ?? "",
    mtime: e.mtime,
    xattrs: e.xattrs ?? {},
  };
  if (e.type === "file") Object.assign(c, { size: e.size, digest: (d ?? new ZeroRunDigest()).digest(plain), length: d?.length ?? 0 });
  if (e.type === "symlink" || e.type === "hardlink") c.linkname = e.linkname;
  if (e.type === "char" || e.type === "block") Object.assign(c, { devmajor: e.devmajor, devminor: e.devminor });
  return c;
}

interface LabResult {
  /** Content digests are plain sha256 (holes came as zeros). */
  plain: boolean;
  entries: Comparable[];
  error: TarFormatError | null;
}

/** The lab's reading of an archive, fed in odd-sized chunks; holes by length when `holes` is set. */
function readWithLab(buf: Uint8Array, sparse: "expand" | "refuse", holes: boolean, chunk = 1000): LabResult {
  const entries: TarEntry[] = [];
  const digests = new Map<TarEntry, ZeroRunDigest>();
  const digestOf = (e: TarEntry): ZeroRunDigest => {
    let d = digests.get(e);
    if (!d) digests.set(e, (d = new ZeroRunDigest()));
    return d;
  };
  const p = new TarStreamParser(
    (e) => void entries.push(e),
    (e, c) => digestOf(e).data(c),
    { sparse, onHole: holes ? (e, n) => digestOf(e).hole(n) : undefined },
  );
  let error: TarFormatError | null = null;
  try {
    for (let i = 0; i < buf.length; i += chunk) p.push(buf.subarray(i, i + chunk));
    p.end();
  } catch (e) {
    if (!(e instanceof TarFormatError)) throw e;
    error = e;
  }
  return { plain: !holes, entries: entries.map((e) => fromLab(e, digests.get(e), !holes)), error };
}

function closeMtimes(lab: Comparable[], go: Comparable[]): Comparable[] {
  // PAX mtimes carry nanoseconds a double cannot hold: equal within a microsecond counts as equal.
  return lab.map((e, i) => (go[i] && Math.abs(e.mtime - go[i]!.mtime) < 1e-6 ? { ...e, mtime: go[i]!.mtime } : e));
}

/** Asserts the lab's reading matches Go's, as described at the top. */
function expectAgreement(name: string, lab: LabResult, go: GoResult): void {
  const want = go.headers.map((h) => fromGo(h, lab.plain)).filter((c): c is Comparable => c !== undefined);
  if (go.error === null) {
    expect(lab.error?.message ?? null, `${name}: Go reads it without error`).toBeNull();
    expect(closeMtimes(lab.entries, want), name).toEqual(want);
    return;
  }
  expect(lab.error, `${name}: Go refuses it (${go.error})`).toBeInstanceOf(TarFormatError);
  // Go may have announced the entry whose data was bad (an error from Read) before failing; the
  // lab may refuse it at its header. The entries before it must agree, content and all.
  const n = lab.entries.length;
  expect([want.length - 1, want.length], `${name}: entries before the error`).toContain(n);
  const strip = (cs: Comparable[]) => cs.map((c, i) => (i === cs.length - 1 ? { ...c, digest: undefined, length: undefined } : c));
  expect(strip(closeMtimes(lab.entries, want)), name).toEqual(strip(want.slice(0, n)));
}

/** Go read a sparse file here (an old GNU 'S' entry, or GNU's PAX sparse records). */
function hasSparse(go: GoResult): boolean {
  return go.headers.some((h) => h.typeflag === 0x53 || Object.keys(h.paxRecords ?? {}).some((k) => k.startsWith("GNU.sparse.")));
}

describe("the tar reader agrees with Go's archive/tar on Go's testdata", () => {
  beforeEach((ctx) => {
    requireHostFile(ctx, TESTDATA, "golang-1.19-src");
    requireHostFile(ctx, GO, "golang-1.19-go");
    runGo();
  });

  it("has Go's result for every archive", () => {
    const files = archives();
    expect(files.length).toBeGreaterThan(40);
    expect([...runGo().keys()].sort()).toEqual(files);
  });

  for (const file of archives()) {
    it(`${file}: the same entries and content, or an error where Go has one`, () => {
      const buf = new Uint8Array(readFileSync(join(TESTDATA, file)));
      const go = runGo().get(file)!;
      expectAgreement(file, readWithLab(buf, "expand", true), go);
      // Any chunking reads the same.
      for (const chunk of [1, 511, 512, buf.length]) expectAgreement(`${file} in chunks of ${chunk}`, readWithLab(buf, "expand", true, chunk), go);
      const logical = go.headers.reduce((n, h) => n + h.length, 0);
      if (logical < 1 << 20) {
        // Holes delivered as zeros through onData, as Go's Read gives them.
        expectAgreement(`${file} with holes as zeros`, readWithLab(buf, "expand", false), go);
      }
      // By default a sparse file is refused, saying so; anything else reads as with "expand".
      const byDefault = readWithLab(buf, "refuse", true);
      const sparse = hasSparse(go);
      if (sparse && go.error === null) {
        expect(byDefault.error?.message, file).toMatch(/sparse/);
      } else {
        expectAgreement(`${file} by default`, byDefault, go);
      }
    });
  }
});

/** A ustar header block (checksum filled in) for the synthetic archives below. */
function ustarHeader(name: string, flag: string, size: number): Uint8Array {
  const h = new Uint8Array(512);
  const enc = new TextEncoder();
  h.set(enc.encode(name), 0);
  h.set(enc.encode("0000644\0"), 100);
  h.set(enc.encode("0000000\0"), 108);
  h.set(enc.encode("0000000\0"), 116);
  h.set(enc.encode(`${size.toString(8).padStart(11, "0")}\0`), 124);
  h.set(enc.encode("00000000000\0"), 136);
  h[156] = flag.charCodeAt(0);
  h.set(enc.encode("ustar\0"), 257);
  h.set(enc.encode("00"), 263);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  h.set(enc.encode(`${sum.toString(8).padStart(6, "0")}\0 `), 148);
  return h;
}

function withData(h: Uint8Array, data: string): Uint8Array[] {
  const body = new Uint8Array(Math.ceil(data.length / 512) * 512);
  body.set(new TextEncoder().encode(data));
  return [h, body];
}

function paxRecord(k: string, v: string): string {
  let n = k.length + v.length + 3;
  n += String(n).length;
  if (`${n} ${k}=${v}\n`.length !== n) n++;
  return `${n} ${k}=${v}\n`;
}

function archiveOf(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0) + 1024);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe("the tar reader's Go rules, on synthetic archives", () => {
  it("applies no PAX global record and drops what was pending before a global header", () => {
    const g = paxRecord("path", "global-name");
    const x = paxRecord("path", "lost-name");
    const tar = archiveOf([
      ...withData(ustarHeader("pax", "x", x.length), x),
      ...withData(ustarHeader("global", "g", g.length), g),
      ...withData(ustarHeader("file1", "0", 3), "abc"),
    ]);
    const { entries, error } = readWithLab(tar, "refuse", false);
    expect(error).toBeNull();
    expect(entries.map((e) => e.name)).toEqual(["file1"]);
  });

  it("takes the last of several PAX headers, and refuses a NUL in a path or a bad mtime", () => {
    const a = paxRecord("path", "first");
    const b = paxRecord("path", "second");
    const tar = archiveOf([...withData(ustarHeader("x1", "x", a.length), a), ...withData(ustarHeader("x2", "x", b.length), b), ustarHeader("f", "0", 0)]);
    expect(readWithLab(tar, "refuse", false).entries.map((e) => e.name)).toEqual(["second"]);
    for (const bad of [paxRecord("path", "a\0b"), paxRecord("mtime", "12x"), "5 a=b\n", "99 path=x\n"]) {
      const t = archiveOf([...withData(ustarHeader("x", "x", bad.length), bad), ustarHeader("f", "0", 0)]);
      expect(readWithLab(t, "refuse", false).error, JSON.stringify(bad)).toBeInstanceOf(TarFormatError);
    }
  });

  it("reads no data for header-only types whatever their size, and gives a skipped type's data to no entry", () => {
    const chunks: [string, string][] = [];
    const tar = archiveOf([
      ...withData(ustarHeader("file", "0", 3), "abc"),
      ...withData(ustarHeader("dump", "D", 5), "d\0e\0\0"), // a GNU dump directory: skipped
      ustarHeader("link", "1", 300), // no data follows, as in Go
      ustarHeader("null", "3", 0),
    ]);
    const p = new TarStreamParser(
      () => {},
      (e, c) => void chunks.push([e.path, new TextDecoder().decode(c)]),
    );
    const seen: string[] = [];
    const q = new TarStreamParser((e) => void seen.push(`${e.type}:${e.path}`));
    p.push(tar);
    p.end();
    q.push(tar);
    q.end();
    expect(seen).toEqual(["file:file", "hardlink:link", "char:null"]);
    expect(chunks).toEqual([["file", "abc"]]);
  });
});

describe("sparse files read with sparse: \"expand\"", () => {
  it("map their data fragments to the archive's bytes from dataOffset", (ctx) => {
    const path = requireHostFile(ctx, join(TESTDATA, "sparse-formats.tar"), "golang-1.19-src");
    const buf = new Uint8Array(readFileSync(path));
    const entries: TarEntry[] = [];
    const content = new Map<TarEntry, number[]>();
    const p = new TarStreamParser(
      (e) => void entries.push(e),
      (e, c) => void content.set(e, [...(content.get(e) ?? []), ...c]),
      { sparse: "expand" },
    );
    p.push(buf);
    p.end();
    for (const e of entries.filter((x) => x.sparse)) {
      const rebuilt = new Uint8Array(e.size);
      let at = e.dataOffset;
      for (const d of e.sparse!) {
        rebuilt.set(buf.subarray(at, at + d.length), d.offset);
        at += d.length;
      }
      expect([...rebuilt], e.path).toEqual(content.get(e));
    }
    expect(entries.filter((x) => x.sparse).map((e) => e.path)).toEqual(["sparse-gnu", "sparse-posix-0.0", "sparse-posix-0.1", "sparse-posix-1.0"]);
  });
});
