/**
 * One behavioural suite for every HostFiles implementation (src/shell/files.ts): it runs in Node
 * against MemoryFiles (test/unit/host-files.test.ts) and in Chromium against IdbHostFiles
 * (test/browser/host-files.test.ts). It has no test-framework dependency: each case throws on failure.
 *
 * Each case gets a fresh, empty store. Cases marked `heavy` move tens of MB or a thousand files; a
 * runner may leave them out of extra passes (e.g. the IndexedDB run with tiny chunks).
 */
import { HostFileError, type HostFiles } from "../../src/terminal/host-files.ts";
import { assertEqual } from "./deep-equal.ts";

export interface HostFilesEnv {
  files: HostFiles;
  /** A new instance over the same persisted state (what a page reload sees); the same one in memory. */
  reopen(): Promise<HostFiles>;
  /** Figures a case measures (milliseconds), for the runner to print. */
  note?(what: string, ms: number): void;
}

export interface HostFilesCase {
  name: string;
  heavy?: boolean;
  run(env: HostFilesEnv): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function fail(msg: string): never {
  throw new Error(msg);
}

/** Structural equality: the message names where the values differ. */
const eq = assertEqual;

/** The errno a HostFileError carries, or the error's name. */
function codeOf(e: unknown): string {
  return e instanceof HostFileError || typeof (e as { code?: unknown }).code === "string" ? (e as HostFileError).code : (e as Error).name;
}

async function rejects(p: Promise<unknown>, code: string, what: string): Promise<HostFileError> {
  try {
    await p;
  } catch (e) {
    if (codeOf(e) !== code) fail(`${what}: expected ${code}, got ${codeOf(e)} (${(e as Error).message})`);
    return e as HostFileError;
  }
  fail(`${what}: expected ${code}, but it succeeded`);
}

async function text(f: HostFiles, path: string): Promise<string> {
  return dec.decode(await f.readFile(path));
}

async function names(f: HostFiles, path: string): Promise<string[]> {
  return (await f.readdir(path)).map((e) => e.name);
}

async function missing(f: HostFiles, path: string, what: string): Promise<void> {
  await rejects(f.lstat(path), "ENOENT", what);
}

/** Bytes that differ from one position to the next and from one file to the next (xorshift). */
export function pattern(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed | 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Equal bytes, without printing megabytes when they are not. */
function sameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (actual.length !== expected.length) fail(`${what}: expected ${expected.length} bytes, got ${actual.length}`);
  for (let i = 0; i < actual.length; i++) if (actual[i] !== expected[i]) fail(`${what}: byte ${i} is ${actual[i]}, expected ${expected[i]}`);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const now = () => (globalThis.performance ?? Date).now();

/** Cases where MemoryFiles answers otherwise than POSIX (see test/unit/host-files.test.ts). */
export const POSIX_EDGE_CASES = [
  "mkdir -p over an existing file is EEXIST (a file inside the path is ENOTDIR)",
  "mkdir -p over a dangling symlink is EEXIST and keeps the link",
  "writing through a chain of dangling links creates the last target",
  "rename of a directory into its own subtree by way of a link is EINVAL and loses nothing",
];

export const hostFilesCases: HostFilesCase[] = [
  {
    name: "a new store is an empty root directory",
    async run({ files: f }) {
      const s = await f.stat("/");
      eq([s.type, s.mode, s.size, s.mtime instanceof Date], ["directory", 0o755, 0, true], "stat /");
      eq(await f.readdir("/"), [], "readdir /");
      eq((await f.lstat("/")).type, "directory", "lstat /");
    },
  },
  {
    name: "files: create, read, replace, append, modes, sizes, copies in and out",
    async run({ files: f }) {
      await f.mkdir("/home");
      await f.writeFile("/home/a", enc.encode("hello"));
      eq(await text(f, "/home/a"), "hello", "read");
      const s = await f.stat("/home/a");
      eq([s.type, s.mode, s.size, s.mtime instanceof Date], ["file", 0o644, 5, true], "stat of a new file");
      await f.writeFile("/home/a", enc.encode("hi"));
      eq([await text(f, "/home/a"), (await f.stat("/home/a")).size], ["hi", 2], "a shorter replacement");
      await f.writeFile("/home/a", enc.encode(" there"), { append: true });
      eq([await text(f, "/home/a"), (await f.stat("/home/a")).size], ["hi there", 8], "append");
      await f.writeFile("/home/new", enc.encode("x"), { append: true });
      eq(await text(f, "/home/new"), "x", "append creates a missing file");
      await f.writeFile("/home/empty", new Uint8Array(0));
      eq([(await f.readFile("/home/empty")).length, (await f.stat("/home/empty")).size], [0, 0], "an empty file");
      await f.writeFile("/home/empty", new Uint8Array(0), { append: true });
      await f.writeFile("/home/empty", enc.encode("now"), { append: true });
      eq(await text(f, "/home/empty"), "now", "append to an empty file");
      await f.writeFile("/home/secret", enc.encode("s"), { mode: 0o600 });
      eq((await f.stat("/home/secret")).mode, 0o600, "mode on create");
      await f.writeFile("/home/secret", enc.encode("t"), { mode: 0o666 });
      eq((await f.stat("/home/secret")).mode, 0o600, "a replaced file keeps its mode");
      const input = enc.encode("abc");
      await f.writeFile("/home/c", input);
      input[0] = 0x7a;
      const out = await f.readFile("/home/c");
      out[1] = 0x7a;
      eq(await text(f, "/home/c"), "abc", "the store keeps its own copy of what is written and read");
      const big = pattern(1000);
      await f.writeFile("/home/view", big.subarray(100, 300));
      sameBytes(await f.readFile("/home/view"), big.subarray(100, 300), "a view of a larger buffer writes only the view");
      eq(await names(f, "/home"), ["a", "c", "empty", "new", "secret", "view"], "readdir");
    },
  },
  {
    name: "errors carry the errno and Node's wording",
    async run({ files: f }) {
      await f.mkdir("/d");
      await f.writeFile("/d/file", enc.encode("x"));
      await f.mkdir("/d/sub");
      await f.writeFile("/d/sub/inner", enc.encode("y"));
      const e = await rejects(f.readFile("/nope"), "ENOENT", "readFile of a missing file");
      eq(e.message, "ENOENT: no such file or directory, open '/nope'", "the message");
      eq((await rejects(f.readFile("/d"), "EISDIR", "readFile of a directory")).message, "EISDIR: illegal operation on a directory, read '/d'", "EISDIR message");
      await rejects(f.stat("/nope"), "ENOENT", "stat");
      await rejects(f.stat("/d/file/x"), "ENOTDIR", "stat below a file");
      await rejects(f.readFile("/d/file/x"), "ENOTDIR", "readFile below a file");
      await rejects(f.writeFile("/d", enc.encode("x")), "EISDIR", "writeFile over a directory");
      await rejects(f.writeFile("/no/x", enc.encode("x")), "ENOENT", "writeFile in a missing directory");
      await rejects(f.writeFile("/d/file/x", enc.encode("x")), "ENOTDIR", "writeFile below a file");
      await rejects(f.readdir("/d/file"), "ENOTDIR", "readdir of a file");
      await rejects(f.readdir("/nope"), "ENOENT", "readdir of nothing");
      await rejects(f.mkdir("/d"), "EEXIST", "mkdir of an existing directory");
      await rejects(f.mkdir("/d/file"), "EEXIST", "mkdir over a file");
      await rejects(f.mkdir("/no/x"), "ENOENT", "mkdir in a missing directory");
      await rejects(f.mkdir("/d/file/x", { recursive: true }), "ENOTDIR", "mkdir -p below a file");
      await rejects(f.mkdir("/"), "EINVAL", "mkdir /");
      await rejects(f.rm("/nope"), "ENOENT", "rm of nothing");
      await rejects(f.rm("/d/sub"), "ENOTEMPTY", "rm of a non-empty directory");
      await rejects(f.rm("/"), "EINVAL", "rm /");
      await rejects(f.readlink("/d/file"), "EINVAL", "readlink of a file");
      await rejects(f.readlink("/nope"), "ENOENT", "readlink of nothing");
      await rejects(f.link("/d/sub", "/d/sub2"), "EPERM", "a hard link to a directory");
      await rejects(f.link("/nope", "/d/l"), "ENOENT", "a hard link to nothing");
      await rejects(f.link("/d/file", "/d/sub/inner"), "EEXIST", "a hard link over an entry");
      await rejects(f.symlink("x", "/d/file"), "EEXIST", "a symlink over an entry");
      await rejects(f.symlink("x", "/no/l"), "ENOENT", "a symlink in a missing directory");
      await rejects(f.chmod("/nope", 0o600), "ENOENT", "chmod");
      await rejects(f.utimes("/nope", new Date()), "ENOENT", "utimes");
      await rejects(f.rename("/nope", "/x"), "ENOENT", "rename of nothing");
      await rejects(f.rename("/d/file", "/no/x"), "ENOENT", "rename into a missing directory");
      await rejects(f.rename("/", "/x"), "EINVAL", "rename of /");
      // None of the failures changed anything.
      eq(await names(f, "/"), ["d"], "root after the failures");
      eq(await names(f, "/d"), ["file", "sub"], "/d after the failures");
      eq([await text(f, "/d/file"), await text(f, "/d/sub/inner")], ["x", "y"], "contents after the failures");
    },
  },
  {
    name: "directories: mkdir -p with a mode, readdir lists direct children sorted with their types, rm",
    async run({ files: f }) {
      await f.mkdir("/a/b/c", { recursive: true, mode: 0o700 });
      eq([(await f.stat("/a")).mode, (await f.stat("/a/b/c")).mode], [0o700, 0o700], "modes of new directories");
      await f.mkdir("/a/b", { recursive: true });
      await f.mkdir("/", { recursive: true });
      await f.mkdir("/a/b/c/../d", { recursive: true });
      eq(await names(f, "/a/b"), ["c", "d"], "paths are cleaned (..)");
      await f.mkdir("/p");
      for (const n of ["x", "x-y", "B", "b", "x.z", "a b"]) await f.writeFile(`/p/${n}`, enc.encode(n));
      await f.rm("/p/x");
      await f.mkdir("/p/x");
      await f.mkdir("/p/x/deep");
      await f.writeFile("/p/x/deep/f", enc.encode("deep"));
      await f.writeFile("/px", enc.encode("sibling of /p"));
      await f.symlink("x", "/p/link");
      eq(
        await f.readdir("/p"),
        [
          { name: "B", type: "file" },
          { name: "a b", type: "file" },
          { name: "b", type: "file" },
          { name: "link", type: "symlink" },
          { name: "x", type: "directory" },
          { name: "x-y", type: "file" },
          { name: "x.z", type: "file" },
        ],
        "readdir: sorted by code unit, no grandchildren, no /px",
      );
      eq(await names(f, "/"), ["a", "p", "px"], "readdir /");
      eq(await names(f, "/p/./x/../x/"), ["deep"], "readdir of an uncleaned path");
      await f.mkdir("/e");
      await f.rm("/e");
      await missing(f, "/e", "an empty directory is removed without recursive");
      await f.rm("/p", { recursive: true });
      for (const p of ["/p", "/p/x", "/p/x/deep/f", "/p/link"]) await missing(f, p, `${p} after rm -r`);
      eq(await text(f, "/px"), "sibling of /p", "a sibling with the same prefix stays");
      await f.mkdir("/p");
      eq(await f.readdir("/p"), [], "a directory re-created where a tree was removed is empty");
      await rejects(f.readFile("/p/x/deep/f"), "ENOENT", "nothing of the old tree is left");
      await f.rm("/nope", { force: true });
      await f.rm("/nope/deeper", { force: true });
      await f.writeFile("/p/f", enc.encode("f"));
      await f.rm("/p/f", { recursive: true });
      await missing(f, "/p/f", "rm -r of a file");
    },
  },
  {
    name: "symlinks are followed everywhere but in lstat, readlink, rm and rename",
    async run({ files: f }) {
      await f.mkdir("/d/sub", { recursive: true });
      await f.writeFile("/d/real", enc.encode("real"));
      await f.symlink("real", "/d/rel");
      await f.symlink("/d", "/abs");
      await f.symlink("../real", "/d/sub/up");
      eq(await text(f, "/d/rel"), "real", "a relative link");
      eq(await text(f, "/d/sub/up"), "real", "a relative link with ..");
      eq(await text(f, "/abs/real"), "real", "a link to a directory on the way");
      eq(await text(f, "/abs/rel"), "real", "two links");
      eq(await names(f, "/abs"), ["real", "rel", "sub"], "readdir through a link");
      const st = await f.stat("/d/rel");
      const ls = await f.lstat("/d/rel");
      eq([st.type, st.size], ["file", 4], "stat follows");
      eq([ls.type, ls.mode, ls.size], ["symlink", 0o777, 4], "lstat does not (size: the target's length)");
      eq((await f.lstat("/abs")).type, "symlink", "lstat of a link to a directory");
      eq((await f.stat("/abs")).type, "directory", "stat of a link to a directory");
      eq([await f.readlink("/d/rel"), await f.readlink("/abs/sub/up")], ["real", "../real"], "readlink, through a link on the way");
      await f.writeFile("/d/rel", enc.encode("through"));
      eq([await text(f, "/d/real"), (await f.lstat("/d/rel")).type], ["through", "symlink"], "a write follows the link");
      await f.writeFile("/abs/sub/made", enc.encode("m"));
      eq(await text(f, "/d/sub/made"), "m", "a file created through a linked directory");
      await f.mkdir("/abs/sub/n1/n2", { recursive: true });
      eq((await f.stat("/d/sub/n1/n2")).type, "directory", "mkdir -p through a linked directory");
      await f.chmod("/d/rel", 0o600);
      eq([(await f.stat("/d/real")).mode, (await f.lstat("/d/rel")).mode], [0o600, 0o777], "chmod follows");
      await f.utimes("/d/rel", new Date(1_000_000));
      eq((await f.stat("/d/real")).mtime.getTime(), 1_000_000, "utimes follows");
      await f.symlink("nothing-yet", "/d/dangling");
      await rejects(f.stat("/d/dangling"), "ENOENT", "stat of a dangling link");
      eq((await f.lstat("/d/dangling")).type, "symlink", "lstat of a dangling link");
      await f.writeFile("/d/dangling", enc.encode("made"));
      eq([await text(f, "/d/nothing-yet"), await f.readlink("/d/dangling")], ["made", "nothing-yet"], "writing a dangling link creates its target");
      await f.symlink("/d/sub", "/d/sublink");
      await f.symlink("nowhere", "/d/sub/dang2");
      await f.writeFile("/d/sublink/dang2", enc.encode("rel to the link's real directory"));
      eq(await text(f, "/d/sub/nowhere"), "rel to the link's real directory", "a dangling link's target is relative to the link's directory");
      await f.symlink("loop-b", "/d/loop-a");
      await f.symlink("loop-a", "/d/loop-b");
      await rejects(f.stat("/d/loop-a"), "ELOOP", "stat of a loop");
      await rejects(f.readFile("/d/loop-a"), "ELOOP", "readFile of a loop");
      await rejects(f.writeFile("/d/loop-a", enc.encode("x")), "ELOOP", "writeFile of a loop");
      eq((await f.lstat("/d/loop-a")).type, "symlink", "lstat of a loop");
      await f.rm("/d/rel");
      eq([await text(f, "/d/real")], ["through"], "rm removes the link, not its target");
      await f.rm("/abs");
      eq(await names(f, "/d/sub"), ["dang2", "made", "n1", "nowhere", "up"], "rm of a link to a directory keeps the directory");
      await f.rename("/d/sub/up", "/d/up2");
      eq([await f.readlink("/d/up2"), await text(f, "/d/sub/n1/../../real")], ["../real", "through"], "rename moves the link itself");
      await rejects(f.readFile("/d/up2"), "ENOENT", "its relative target now resolves from the new place");
      await f.symlink("/d/sub", "/d/s2");
      await f.writeFile("/d/plain", enc.encode("p"));
      await f.rename("/d/plain", "/d/s2");
      eq([(await f.lstat("/d/s2")).type, await text(f, "/d/s2")], ["file", "p"], "rename over a link replaces the link");
      eq((await f.stat("/d/sub")).type, "directory", "and not its target");
    },
  },
  {
    name: "rename: files, directories with their whole subtree, replacing, errors",
    async run({ files: f }) {
      await f.mkdir("/r/a/x/y", { recursive: true });
      await f.writeFile("/r/a/f", enc.encode("f"));
      await f.writeFile("/r/a/x/g", enc.encode("g"));
      await f.writeFile("/r/a/x/y/h", enc.encode("h"));
      await f.symlink("../f", "/r/a/x/lnk");
      await f.mkdir("/r/ab");
      await f.writeFile("/r/ab/keep", enc.encode("keep"));
      await f.writeFile("/r/a-b", enc.encode("keep too"));
      await f.chmod("/r/a/x", 0o700);
      await f.rename("/r/a", "/r/c");
      await missing(f, "/r/a", "the old name");
      await missing(f, "/r/a/x/y/h", "the old subtree");
      eq(await names(f, "/r"), ["a-b", "ab", "c"], "/r after the move");
      eq(await names(f, "/r/c/x"), ["g", "lnk", "y"], "the subtree moved");
      eq([await text(f, "/r/c/f"), await text(f, "/r/c/x/g"), await text(f, "/r/c/x/y/h"), await text(f, "/r/c/x/lnk")], ["f", "g", "h", "f"], "contents moved");
      eq((await f.stat("/r/c/x")).mode, 0o700, "modes moved");
      eq([await text(f, "/r/ab/keep"), await text(f, "/r/a-b")], ["keep", "keep too"], "names sharing the prefix stay");
      await f.mkdir("/r/a");
      eq(await f.readdir("/r/a"), [], "a directory re-created at the old name is empty");
      await f.mkdir("/r/dst");
      await f.rename("/r/c/x", "/r/dst/x2");
      eq(await names(f, "/r/dst/x2"), ["g", "lnk", "y"], "into another directory");
      eq(await names(f, "/r/c"), ["f"], "leaving the rest");
      await f.writeFile("/r/old", enc.encode("old content"));
      await f.writeFile("/r/new", enc.encode("new"));
      await f.rename("/r/new", "/r/old");
      eq([await text(f, "/r/old"), (await f.stat("/r/old")).size], ["new", 3], "a file replaces a file");
      await missing(f, "/r/new", "the file's old name");
      await f.mkdir("/r/empty");
      await f.rename("/r/c", "/r/empty");
      eq(await names(f, "/r/empty"), ["f"], "a directory replaces an empty directory");
      await rejects(f.rename("/r/a", "/r/dst"), "ENOTEMPTY", "a directory over a non-empty directory");
      await rejects(f.rename("/r/old", "/r/dst"), "EISDIR", "a file over a directory");
      await rejects(f.rename("/r/dst", "/r/old"), "ENOTDIR", "a directory over a file");
      await rejects(f.rename("/r/dst", "/r/dst/x2/inside"), "EINVAL", "a directory into its own subtree");
      await f.rename("/r/dst", "/r/dst");
      await f.rename("/r/dst", "/r/../r/dst/");
      eq(await names(f, "/r/dst"), ["x2"], "rename onto itself changes nothing");
      eq(await names(f, "/r"), ["a", "a-b", "ab", "dst", "empty", "old"], "/r at the end");
    },
  },
  {
    name: "hard links: the same bytes, mode and type under a second name; a link of a symlink is a symlink",
    async run({ files: f }) {
      await f.mkdir("/h");
      await f.writeFile("/h/a", enc.encode("shared"), { mode: 0o755 });
      await f.link("/h/a", "/h/b");
      eq([await text(f, "/h/b"), (await f.stat("/h/b")).mode, (await f.stat("/h/b")).size], ["shared", 0o755, 6], "the link");
      await f.symlink("a", "/h/s");
      await f.link("/h/s", "/h/s2");
      eq([(await f.lstat("/h/s2")).type, await f.readlink("/h/s2"), await text(f, "/h/s2")], ["symlink", "a", "shared"], "link does not follow a symlink");
      await f.rm("/h/a");
      eq(await text(f, "/h/b"), "shared", "removing one name keeps the other");
      eq(await names(f, "/h"), ["b", "s", "s2"], "readdir");
    },
  },
  {
    name: "chmod keeps permission bits only; utimes sets mtime; mtimes move as POSIX says",
    async run({ files: f }) {
      await f.mkdir("/m");
      await f.writeFile("/m/f", enc.encode("x"));
      await f.chmod("/m/f", 0o100755);
      eq((await f.stat("/m/f")).mode, 0o755, "file-type bits dropped");
      await f.chmod("/m/f", 0o4750);
      eq((await f.stat("/m/f")).mode, 0o4750, "setuid kept");
      await f.chmod("/m", 0o700);
      eq((await f.stat("/m")).mode, 0o700, "chmod of a directory");
      const old = new Date(1_600_000_000_000);
      await f.utimes("/m/f", old);
      await f.utimes("/m", old);
      eq([(await f.stat("/m/f")).mtime.getTime(), (await f.stat("/m")).mtime.getTime()], [old.getTime(), old.getTime()], "utimes");
      await f.writeFile("/m/f", enc.encode("y"));
      eq([(await f.stat("/m/f")).mtime > old, (await f.stat("/m")).mtime.getTime()], [true, old.getTime()], "a write moves the file's mtime, not its directory's");
      await f.utimes("/m/f", old);
      await f.writeFile("/m/f", enc.encode("z"), { append: true });
      eq((await f.stat("/m/f")).mtime > old, true, "so does an append");
      const dirMoves = async (what: string, op: () => Promise<void>) => {
        await f.utimes("/m", old);
        await op();
        eq((await f.stat("/m")).mtime > old, true, `${what} moves the directory's mtime`);
      };
      await dirMoves("creating a file", () => f.writeFile("/m/g", enc.encode("g")));
      await dirMoves("mkdir", () => f.mkdir("/m/sub"));
      await dirMoves("rm", () => f.rm("/m/g"));
      await dirMoves("rename within it", () => f.rename("/m/f", "/m/f2"));
      await f.mkdir("/other");
      await f.utimes("/other", old);
      await dirMoves("rename out of it", () => f.rename("/m/f2", "/other/f"));
      eq((await f.stat("/other")).mtime > old, true, "and the destination directory's");
      await f.utimes("/m/sub", old);
      await f.rename("/m/sub", "/m/sub2");
      eq((await f.stat("/m/sub2")).mtime.getTime(), old.getTime(), "rename keeps the entry's own mtime");
    },
  },
  {
    name: "contents at and across chunk boundaries read back exactly, appended in uneven pieces",
    async run({ files: f, reopen }) {
      await f.mkdir("/c");
      const sizes = [1, 1023, 1024, 1025, 262_143, 262_144, 262_145, 524_291];
      for (const n of sizes) await f.writeFile(`/c/s${n}`, pattern(n, n));
      for (const n of sizes) {
        sameBytes(await f.readFile(`/c/s${n}`), pattern(n, n), `a file of ${n} bytes`);
        eq((await f.stat(`/c/s${n}`)).size, n, `its size`);
      }
      const whole = pattern(600_000, 7);
      for (let at = 0; at < whole.length; at += 100_003) await f.writeFile("/c/log", whole.slice(at, Math.min(whole.length, at + 100_003)), { append: true });
      for (const piece of [1, 2, 1021, 3]) await f.writeFile("/c/log", pattern(piece, piece), { append: true });
      const expected = concat(whole, pattern(1, 1), pattern(2, 2), pattern(1021, 1021), pattern(3, 3));
      sameBytes(await f.readFile("/c/log"), expected, "appended pieces");
      eq((await f.stat("/c/log")).size, expected.length, "the appended file's size");
      await f.writeFile("/c/s524291", enc.encode("short now"));
      eq([await text(f, "/c/s524291"), (await f.stat("/c/s524291")).size], ["short now", 9], "a big file replaced by a small one");
      await f.writeFile("/c/s524291", pattern(300_000, 3), { append: true });
      sameBytes(await f.readFile("/c/s524291"), concat(enc.encode("short now"), pattern(300_000, 3)), "and appended to again");
      await f.link("/c/log", "/c/log2");
      sameBytes(await f.readFile("/c/log2"), expected, "a hard link of a multi-chunk file");
      const again = await reopen();
      sameBytes(await again.readFile("/c/log"), expected, "after a reopen");
      sameBytes(await again.readFile("/c/s262145"), pattern(262_145, 262_145), "after a reopen (one byte over a chunk)");
    },
  },
  {
    name: "a reopened store sees the same files, and each instance sees the other's writes",
    async run({ files: f, reopen }) {
      await f.mkdir("/home/lab/demo", { recursive: true, mode: 0o750 });
      await f.writeFile("/home/lab/demo/Dockerfile", enc.encode("FROM busybox\n"));
      await f.chmod("/home/lab/demo/Dockerfile", 0o640);
      await f.utimes("/home/lab/demo/Dockerfile", new Date(1_234_567_890_000));
      await f.symlink("demo/Dockerfile", "/home/lab/df");
      const g = await reopen();
      eq(await names(g, "/home/lab"), ["demo", "df"], "readdir after a reopen");
      eq(await text(g, "/home/lab/df"), "FROM busybox\n", "content through a link after a reopen");
      const s = await g.stat("/home/lab/demo/Dockerfile");
      eq([s.type, s.mode, s.size, s.mtime.getTime()], ["file", 0o640, 13, 1_234_567_890_000], "stat after a reopen");
      eq((await g.stat("/home/lab/demo")).mode, 0o750, "a directory's mode after a reopen");
      await g.writeFile("/home/lab/demo/Dockerfile", enc.encode("RUN true\n"), { append: true });
      await g.writeFile("/home/lab/new", enc.encode("from the second"));
      eq(await text(f, "/home/lab/demo/Dockerfile"), "FROM busybox\nRUN true\n", "the first instance sees the second's append");
      eq(await names(f, "/home/lab"), ["demo", "df", "new"], "and its new file");
      await f.rm("/home/lab/new");
      await rejects(g.readFile("/home/lab/new"), "ENOENT", "the second sees the first's rm");
      await f.rename("/home/lab/demo", "/home/lab/demo2");
      eq(await names(g, "/home/lab/demo2"), ["Dockerfile"], "and its rename");
    },
  },
  {
    name: "a 20 MB file writes, reads back, survives a reopen and is replaced whole",
    heavy: true,
    async run({ files: f, reopen, note }) {
      const size = 20 * 1000 * 1000;
      const data = pattern(size, 20);
      await f.mkdir("/big");
      let t = now();
      await f.writeFile("/big/image.tar", data);
      note?.("write 20 MB", now() - t);
      t = now();
      const back = await f.readFile("/big/image.tar");
      note?.("read 20 MB", now() - t);
      sameBytes(back, data, "the 20 MB file");
      eq((await f.stat("/big/image.tar")).size, size, "its size");
      const again = await reopen();
      t = now();
      const back2 = await again.readFile("/big/image.tar");
      note?.("read 20 MB after a reopen", now() - t);
      sameBytes(back2, data, "after a reopen");
      t = now();
      await again.writeFile("/big/image.tar", pattern(1000, 21));
      note?.("replace 20 MB by 1 KB", now() - t);
      sameBytes(await f.readFile("/big/image.tar"), pattern(1000, 21), "replaced by a small file");
      t = now();
      await f.rm("/big/image.tar");
      note?.("rm of a small file", now() - t);
      eq(await f.readdir("/big"), [], "removed");
    },
  },
  {
    name: "a directory of 1,000 files renames whole; readdir of a neighbour stays fast",
    heavy: true,
    async run({ files: f, reopen, note }) {
      await f.mkdir("/w/proj/src", { recursive: true });
      let t = now();
      for (let d = 0; d < 10; d++) {
        await f.mkdir(`/w/proj/src/d${d}`);
        for (let i = 0; i < 100; i++) await f.writeFile(`/w/proj/src/d${d}/f${String(i).padStart(3, "0")}`, enc.encode(`${d}/${i}`));
      }
      note?.("create 1,000 files", now() - t);
      await f.writeFile("/w/other", enc.encode("o"));
      t = now();
      eq(await names(f, "/w"), ["other", "proj"], "readdir of a directory above 1,000 files");
      note?.("readdir above 1,000 files", now() - t);
      t = now();
      await f.rename("/w/proj", "/w/moved");
      note?.("rename a directory of 1,000 files", now() - t);
      await missing(f, "/w/proj", "the old name");
      await missing(f, "/w/proj/src/d3/f042", "an old path inside");
      const g = await reopen();
      for (let d = 0; d < 10; d++) eq((await g.readdir(`/w/moved/src/d${d}`)).length, 100, `files in d${d}`);
      eq([await text(g, "/w/moved/src/d0/f000"), await text(g, "/w/moved/src/d9/f099"), await text(g, "/w/moved/src/d5/f050")], ["0/0", "9/99", "5/50"], "contents after the move");
      t = now();
      await g.rm("/w/moved", { recursive: true });
      note?.("rm -r of 1,000 files", now() - t);
      eq(await names(f, "/w"), ["other"], "rm -r of the tree");
    },
  },
  // POSIX at the edges (POSIX_EDGE_CASES: MemoryFiles answers otherwise today).
  {
    name: POSIX_EDGE_CASES[0]!,
    async run({ files: f }) {
      await f.writeFile("/file", enc.encode("x"));
      await rejects(f.mkdir("/file", { recursive: true }), "EEXIST", "mkdir -p /file");
      await rejects(f.mkdir("/file/sub", { recursive: true }), "ENOTDIR", "mkdir -p /file/sub");
    },
  },
  {
    name: POSIX_EDGE_CASES[1]!,
    async run({ files: f }) {
      await f.symlink("nowhere", "/dangling");
      await rejects(f.mkdir("/dangling/sub", { recursive: true }), "EEXIST", "mkdir -p through a dangling link");
      eq([(await f.lstat("/dangling")).type, await f.readlink("/dangling")], ["symlink", "nowhere"], "the link stays");
      await missing(f, "/nowhere", "nothing is created at its target");
    },
  },
  {
    name: POSIX_EDGE_CASES[2]!,
    async run({ files: f }) {
      await f.mkdir("/t");
      await f.symlink("l2", "/t/l1");
      await f.symlink("final", "/t/l2");
      await f.writeFile("/t/l1", enc.encode("end"));
      eq([(await f.lstat("/t/l2")).type, await text(f, "/t/final"), await text(f, "/t/l1")], ["symlink", "end", "end"], "the chain stays and its end is created");
    },
  },
  {
    name: POSIX_EDGE_CASES[3]!,
    async run({ files: f }) {
      await f.mkdir("/a/sub", { recursive: true });
      await f.writeFile("/a/sub/keep", enc.encode("keep"));
      await f.symlink("/a", "/l");
      await rejects(f.rename("/a", "/l/sub/x"), "EINVAL", "rename /a into /a/sub by way of /l");
      eq([await names(f, "/"), await text(f, "/a/sub/keep")], [["a", "l"], "keep"], "the tree is untouched");
    },
  },
];
