/**
 * One behavioural suite for every snapshotter backend: it runs in Node against the memory backend
 * (test/unit/unionfs-suite.test.ts) and in Chromium against IndexedDB (test/browser/snapshots.test.ts).
 * It has no test-framework dependency: each case throws on failure.
 */
import type { Digest } from "../../src/oci/digest.ts";
import { TarWriter, type TarWriteEntry } from "../../src/layer/tar-writer.ts";
import { containerChanges } from "../../src/unionfs/changes.ts";
import { FsError } from "../../src/unionfs/errors.ts";
import { upperLayerTar } from "../../src/unionfs/export.ts";
import { tarEntries, type Snapshotter } from "../../src/unionfs/snapshotter.ts";
import type { UnionFS } from "../../src/unionfs/union.ts";
import { assertEqual } from "./deep-equal.ts";

export interface SuiteEnv {
  snapshotter: Snapshotter;
  /** A new snapshotter over the same persisted state (what a page reload sees). */
  reopen(): Promise<Snapshotter>;
}

export interface SuiteCase {
  name: string;
  run(env: SuiteEnv): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function fail(msg: string): never {
  throw new Error(msg);
}

/** Structural equality: the message names where the values differ. */
const eq = assertEqual;

async function rejects(p: Promise<unknown>, code: string, what: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    const got = e instanceof FsError ? e.code : (e as Error).name;
    if (got !== code) fail(`${what}: expected ${code}, got ${got} (${(e as Error).message})`);
    return;
  }
  fail(`${what}: expected ${code}, but it succeeded`);
}

async function collect(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

type Spec = TarWriteEntry & { data?: string };

export async function makeTar(specs: Spec[]): Promise<Uint8Array> {
  const w = new TarWriter();
  const done = collect(w.readable);
  for (const s of specs) await w.add({ mtime: 1000, ...s, size: s.data?.length ?? 0 }, s.data !== undefined ? enc.encode(s.data) : undefined);
  w.close();
  return done;
}

const dir = (path: string, mode = 0o755): Spec => ({ path, type: "dir", mode });
const file = (path: string, data: string, mode = 0o644): Spec => ({ path, type: "file", mode, data });

export const BASE_LAYER: Spec[] = [
  dir("bin"),
  file("bin/busybox", "BB", 0o755),
  { path: "bin/ls", type: "hardlink", mode: 0o755, linkname: "bin/busybox" },
  { path: "bin/sh", type: "symlink", mode: 0o777, linkname: "busybox" },
  dir("etc"),
  file("etc/hosts", "127.0.0.1 localhost\n"),
  file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
  dir("tmp", 0o1777),
  dir("usr"),
  dir("usr/share"),
  dir("usr/share/doc"),
  file("usr/share/doc/readme", "doc"),
  dir("var"),
  dir("var/lib"),
  dir("var/lib/data"),
  file("var/lib/data/a", "A"),
  file("var/lib/data/b", "B"),
];

export const SECOND_LAYER: Spec[] = [
  dir("etc"),
  file("etc/hosts", "127.0.0.1 layer1\n"),
  dir("opt"),
  dir("opt/app"),
  file("opt/app/run.sh", "#!/bin/sh\necho hi\n", 0o755),
  dir("usr"),
  dir("usr/share"),
  file("usr/share/.wh.doc", ""),
  dir("var"),
  dir("var/lib"),
  dir("var/lib/data"),
  file("var/lib/data/.wh..wh..opq", ""),
  file("var/lib/data/c", "C"),
];

/** Two layers (with a whiteout and an opaque directory), returns the top chain ID. */
export async function baseChain(s: Snapshotter): Promise<Digest> {
  const layers = s.backend.layers;
  return s.guard(async () => {
    const l0 = await layers.putLayer(new Blob([(await makeTar(BASE_LAYER)) as BlobPart]).stream(), null);
    const l1 = await layers.putLayer(new Blob([(await makeTar(SECOND_LAYER)) as BlobPart]).stream(), l0.chainId);
    return l1.chainId;
  });
}

let counter = 0;
function key(name: string): string {
  return `${name}-${Date.now().toString(36)}-${++counter}`;
}

async function text(fs: UnionFS, path: string): Promise<string> {
  return dec.decode(await fs.read(path));
}

function names(fs: UnionFS, path: string): string[] {
  return fs.readdirSync(path).map((e) => e.name);
}

function diff(fs: UnionFS): string[] {
  return containerChanges(fs).map((c) => `${c.kind} ${c.path}`);
}

async function exportedPaths(fs: UnionFS): Promise<string[]> {
  return tarEntries(await collect(upperLayerTar(fs))).map((e) => `${e.type}:${e.path}${e.linkname ? `->${e.linkname}` : ""}`);
}

export const snapshotterCases: SuiteCase[] = [
  {
    name: "lower layers merge: whiteouts, opaque directories, symlinks, hardlinks, origin",
    async run({ snapshotter: s }) {
      const fs = await s.prepare(key("merge"), await baseChain(s));
      eq(names(fs, ""), ["bin", "etc", "opt", "tmp", "usr", "var"], "root");
      eq(names(fs, "usr/share"), [], "usr/share after the whiteout");
      eq(names(fs, "var/lib/data"), ["c"], "opaque var/lib/data");
      eq(fs.origin("etc/hosts"), 1, "origin of etc/hosts");
      eq(fs.origin("/etc/passwd"), 0, "origin of etc/passwd");
      eq(fs.origin("usr/share/doc"), undefined, "origin of a deleted path");
      eq(await text(fs, "etc/hosts"), "127.0.0.1 layer1\n", "etc/hosts");
      eq(await fs.readlink("bin/sh"), "busybox", "readlink");
      const bb = await fs.stat("bin/busybox");
      const ls = await fs.stat("bin/ls");
      eq([ls.ino === bb.ino, ls.nlink, bb.nlink, ls.type], [true, 2, 2, "file"], "hardlink in a layer");
      eq(await text(fs, "bin/ls"), "BB", "read through a hardlink");
      eq((await fs.stat("tmp")).mode, 0o1777, "mode of /tmp");
      eq(dec.decode(await fs.read("etc/passwd", 7, 3)), "0:0", "ranged read");
      eq(fs.realpath("/bin/sh"), "bin/busybox", "realpath");
      eq(fs.pristine, true, "nothing changed yet");
      eq(diff(fs), [], "docker diff of a new container");
    },
  },
  {
    name: "copy-up on first write; the image and other containers keep the original",
    async run({ snapshotter: s }) {
      const chain = await baseChain(s);
      const a = await s.prepare(key("cow-a"), chain);
      const b = await s.prepare(key("cow-b"), chain);
      const before = await a.stat("etc/passwd");
      await a.write("etc/passwd", before.size, enc.encode("learner:x:1000:1000::/home/learner:/bin/sh\n"));
      eq((await text(a, "etc/passwd")).split("\n").length, 3, "appended line");
      eq(a.origin("etc/passwd"), "upper", "origin after copy-up");
      eq(a.origin("etc"), "upper", "parent copied up");
      eq((await a.stat("etc")).mtime, 1000, "copy-up keeps the directory's mtime");
      eq(await text(b, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n", "other container");
      eq(diff(a), ["C /etc", "C /etc/passwd"], "docker diff");
      eq(diff(b), [], "docker diff of the other container");
      const view = await s.view(key("view"), chain);
      eq(await text(view, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n", "a view of the image");
      await rejects(view.write("etc/passwd", 0, enc.encode("x")), "EROFS", "writing a view");
    },
  },
  {
    name: "create files, directories, symlinks and fifos; docker diff lists A and the changed parents",
    async run({ snapshotter: s }) {
      const fs = await s.prepare(key("create"), await baseChain(s));
      await fs.mkdir("new", { mode: 0o700 });
      await fs.create("new/f", { mode: 0o600, uid: 1000, gid: 1000 });
      await fs.write("new/f", 0, enc.encode("hello"));
      await fs.symlink("f", "new/l");
      await fs.mknod("new/p", "fifo");
      await fs.create("tmp/t");
      eq(names(fs, "new"), ["f", "l", "p"], "readdir");
      const st = await fs.stat("new/f");
      eq([st.size, st.mode, st.uid, st.gid, st.origin], [5, 0o600, 1000, 1000, "upper"], "stat");
      eq((await fs.stat("new/p")).type, "fifo", "fifo");
      eq(diff(fs), ["A /new", "A /new/f", "A /new/l", "A /new/p", "C /tmp", "A /tmp/t"], "docker diff");
      await fs.mkdirAll("deep/er/est");
      eq(diff(fs).filter((l) => l.includes("deep")), ["A /deep", "A /deep/er", "A /deep/er/est"], "mkdir -p");
    },
  },
  {
    name: "deleting a lower file leaves a whiteout; re-creating it is a change",
    async run({ snapshotter: s }) {
      const fs = await s.prepare(key("whiteout"), await baseChain(s));
      await fs.unlink("etc/hosts");
      eq(names(fs, "etc"), ["passwd"], "readdir after unlink");
      await rejects(fs.stat("etc/hosts"), "ENOENT", "stat of a deleted file");
      eq(diff(fs), ["C /etc", "D /etc/hosts"], "docker diff");
      eq(await exportedPaths(fs), ["dir:etc", "file:etc/.wh.hosts"], "layer tar");
      await fs.writeFile("etc/hosts", enc.encode("new\n"));
      eq(await text(fs, "etc/hosts"), "new\n", "re-created");
      eq(diff(fs), ["C /etc", "C /etc/hosts"], "docker diff after re-creating");
      await fs.unlink("bin/ls");
      eq((await fs.stat("bin/busybox")).nlink, 2, "a lower file's link count is the image's");
    },
  },
  {
    name: "a directory removed and re-created is opaque",
    async run({ snapshotter: s }) {
      const fs = await s.prepare(key("opaque"), await baseChain(s));
      await rejects(fs.rmdir("var/lib/data"), "ENOTEMPTY", "rmdir of a non-empty directory");
      await fs.removeAll("var/lib/data");
      await rejects(fs.stat("var/lib/data"), "ENOENT", "removed");
      await fs.mkdir("var/lib/data");
      await fs.writeFile("var/lib/data/z", enc.encode("Z"));
      eq(names(fs, "var/lib/data"), ["z"], "only the new entry");
      // Docker's tree differ sees /var/lib/data in both trees: what was in it is gone (D), z is new, and
      // every directory above a change is C.
      eq(diff(fs), ["C /var", "C /var/lib", "C /var/lib/data", "D /var/lib/data/c", "A /var/lib/data/z"], "docker diff");
      eq(await exportedPaths(fs), ["dir:var", "dir:var/lib", "dir:var/lib/data", "file:var/lib/data/.wh..wh..opq", "file:var/lib/data/z"], "layer tar");
      await fs.removeAll("opt");
      eq(await exportedPaths(fs).then((p) => p.filter((x) => x.includes("opt"))), ["file:.wh.opt"], "a removed tree is one whiteout");
    },
  },
  {
    name: "rename: files move with a whiteout behind; merged directories answer EXDEV; upper directories move whole",
    async run({ snapshotter: s }) {
      const fs = await s.prepare(key("rename"), await baseChain(s));
      await fs.rename("etc/passwd", "etc/passwd.bak");
      eq(names(fs, "etc"), ["hosts", "passwd.bak"], "after rename");
      eq(await text(fs, "etc/passwd.bak"), "root:x:0:0:root:/root:/bin/sh\n", "content moved");
      eq(diff(fs), ["C /etc", "D /etc/passwd", "A /etc/passwd.bak"], "docker diff");
      await rejects(fs.rename("var", "var2"), "EXDEV", "rename of a merged directory");
      await fs.mkdirAll("u/v");
      await fs.writeFile("u/v/x", enc.encode("x"));
      await fs.rename("u", "w");
      eq(names(fs, "w/v"), ["x"], "moved tree");
      await rejects(fs.stat("u"), "ENOENT", "old name");
      await fs.writeFile("etc/a", enc.encode("a"));
      await fs.rename("etc/a", "etc/hosts");
      eq(await text(fs, "etc/hosts"), "a", "rename over an existing file");
      eq(names(fs, "etc"), ["hosts", "passwd.bak"], "replaced, not added");
      await rejects(fs.rename("etc/hosts", "tmp"), "EISDIR", "file over a directory");
      await rejects(fs.rename("w", "w/v/inside"), "EINVAL", "directory into itself");
    },
  },
  {
    name: "hardlinks share an inode; copy-up of a lower file for a link",
    async run({ snapshotter: s }) {
      const fs = await s.prepare(key("links"), await baseChain(s));
      await fs.writeFile("h1", enc.encode("one"));
      await fs.link("h1", "h2");
      await fs.write("h2", 0, enc.encode("ONE"));
      eq(await text(fs, "h1"), "ONE", "write through the other name");
      const [a, b] = [await fs.stat("h1"), await fs.stat("h2")];
      eq([a.ino === b.ino, a.nlink, b.nlink], [true, 2, 2], "one inode, two links");
      await fs.link("etc/passwd", "pw");
      eq([(await fs.stat("pw")).nlink, fs.origin("etc/passwd")], [2, "upper"], "link to a lower file");
      eq(await exportedPaths(fs), ["dir:etc", "file:etc/passwd", "file:h1", "hardlink:h2->h1", "hardlink:pw->etc/passwd"], "layer tar");
      await fs.unlink("h1");
      eq([(await fs.stat("h2")).nlink, await text(fs, "h2")], [1, "ONE"], "the other name stays");
      await rejects(fs.link("etc", "etc2"), "EPERM", "hardlink to a directory");
    },
  },
  {
    name: "chmod, chown, utimes, truncate and sparse writes",
    async run({ snapshotter: s }) {
      const fs = await s.prepare(key("attrs"), await baseChain(s));
      await fs.chmod("etc/passwd", 0o600);
      await fs.chown("etc/passwd", 1000, -1);
      await fs.utimes("etc/passwd", 2000, 3000);
      const st = await fs.stat("etc/passwd");
      eq([st.mode, st.uid, st.gid, st.mtime, st.size], [0o600, 1000, 0, 3000, 30], "attributes after copy-up");
      await fs.truncate("etc/hosts", 3);
      eq(await text(fs, "etc/hosts"), "127", "truncate");
      await fs.truncate("etc/hosts", 5);
      eq(Array.from(await fs.read("etc/hosts")), [49, 50, 55, 0, 0], "extending truncate reads zeros");
      await fs.create("sparse");
      await fs.write("sparse", 10, enc.encode("x"));
      eq(Array.from(await fs.read("sparse")), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 120], "a hole reads as zeros");
      // Every directory above a change is reported (Docker's tree differ), unchanged or not.
      eq(diff(fs), ["C /etc", "C /etc/hosts", "C /etc/passwd", "A /sparse"], "docker diff");
    },
  },
  {
    name: "errors carry the errno a program expects",
    async run({ snapshotter: s }) {
      const chain = await baseChain(s);
      const k = key("errors");
      const fs = await s.prepare(k, chain);
      await rejects(fs.create("etc/passwd"), "EEXIST", "create over a file");
      await rejects(fs.mkdir("etc/passwd/x"), "ENOTDIR", "mkdir below a file");
      await rejects(fs.create("nope/x"), "ENOENT", "create in a missing directory");
      await rejects(fs.unlink("etc"), "EISDIR", "unlink of a directory");
      await rejects(fs.rmdir("etc/passwd"), "ENOTDIR", "rmdir of a file");
      await rejects(fs.read("missing"), "ENOENT", "read of a missing file");
      await rejects(fs.read("etc"), "EISDIR", "read of a directory");
      await rejects(fs.readlink("etc/passwd"), "EINVAL", "readlink of a file");
      await rejects(fs.rmdir(""), "EPERM", "rmdir of the root");
      await rejects(s.prepare(k, chain), "SnapshotError", "prepare of an existing key");
      await rejects(s.prepare(key("bad"), "sha256:0000000000000000000000000000000000000000000000000000000000000000"), "SnapshotError", "unknown parent");
    },
  },
  {
    name: "an active snapshot survives a reopen (a page reload)",
    async run({ snapshotter: s, reopen }) {
      const k = key("persist");
      const fs = await s.prepare(k, await baseChain(s));
      await fs.writeFile("etc/motd", enc.encode("welcome\n"), { mode: 0o640 });
      await fs.unlink("etc/hosts");
      await fs.link("etc/motd", "motd2");
      const big = new Uint8Array(700_000).map((_, i) => (i * 7) & 255);
      await fs.writeFile("big", big);
      const before = diff(fs);
      const again = await (await reopen()).mount(k);
      eq(diff(again), before, "docker diff after reopen");
      eq(await text(again, "etc/motd"), "welcome\n", "content after reopen");
      eq([(await again.stat("etc/motd")).mode, (await again.stat("motd2")).nlink], [0o640, 2], "metadata after reopen");
      const read = await again.read("big");
      eq([read.length, read.every((v, i) => v === big[i])], [700_000, true], "a file of several chunks");
    },
  },
  {
    name: "commit turns the upper layer into a layer; the same changes give the same diff ID",
    async run({ snapshotter: s }) {
      const chain = await baseChain(s);
      const k = key("commit");
      const fs = await s.prepare(k, chain);
      await fs.writeFile("etc/motd", enc.encode("hi\n"));
      await fs.unlink("etc/hosts");
      const d1 = await s.guard(() => s.diff(k));
      const d2 = await s.guard(() => s.diff(k));
      eq(d1.diffId, d2.diffId, "deterministic diff ID");
      eq(d1.blob.digest, d2.blob.digest, "deterministic compressed digest");
      const name = key("committed");
      const info = await s.commit(name, k);
      eq([info.kind, info.parent, info.layer?.diffId], ["committed", chain, d1.diffId], "committed snapshot");
      await rejects(s.mount(k), "SnapshotError", "the active snapshot is consumed");
      const next = await s.prepare(key("next"), name);
      eq(await text(next, "etc/motd"), "hi\n", "a snapshot on the committed one sees the change");
      eq(names(next, "etc"), ["motd", "passwd"], "and the deletion");
      eq(next.origin("etc/motd"), 2, "from the new layer");
      eq(diff(next), [], "no changes of its own");
    },
  },
  {
    name: "remove drops the upper layer; unaligned writes across chunks read back exactly",
    async run({ snapshotter: s }) {
      const chain = await baseChain(s);
      const k = key("remove");
      const fs = await s.prepare(k, chain);
      const data = new Uint8Array((1 << 20) + 5).map((_, i) => (i * 31 + 7) & 255);
      await fs.create("f");
      for (let off = 0; off < data.length; off += 100_003) await fs.write("f", off, data.subarray(off, Math.min(data.length, off + 100_003)));
      const back = await fs.read("f", 262_000, 300_000);
      eq([back.length, back.every((v, i) => v === data[262_000 + i])], [300_000, true], "ranged read across chunks");
      await s.remove(k);
      await rejects(s.mount(k), "SnapshotError", "mount after remove");
      const again = await s.prepare(k, chain);
      eq([again.pristine, await again.tryStat("f")], [true, undefined], "a new snapshot with the same key starts clean");
    },
  },
];
