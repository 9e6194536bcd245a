/**
 * A 9P2000.L server whose files are the lab's union filesystems. v86 hands each request of its
 * virtio-9p device to `handle(request, reply)` (its `filesystem.handle9p` hook); the guest mounts one
 * union per container by `aname`. Every call goes straight to the union, so the union stays the single
 * source of truth: what a process wrote is in the container's upper layer when the reply leaves, and
 * `docker diff`/`commit` need no sync step.
 *
 * Fids name paths. Permission checks are the client's (Linux's 9p `access=client`, the default for
 * 9P2000.L): the server applies what the kernel already allowed. Message layouts follow the 9P2000.L
 * protocol as Linux's net/9p implements it.
 */
import { isQuotaError, isStorageFull } from "../../store/db.ts";
import { ERRNO, FsError } from "../../unionfs/errors.ts";
import type { Stat, UnionFS } from "../../unionfs/union.ts";
import { MemoryUpperStorage, type InodeType } from "../../unionfs/upper.ts";
import { isUnder, joinPath, parentOf } from "../../unionfs/path.ts";
import { concatBytes } from "../../oci/bytes.ts";

const T = {
  lerror: 6, statfs: 8, lopen: 12, lcreate: 14, symlink: 16, mknod: 18, rename: 20, readlink: 22, getattr: 24, setattr: 26,
  xattrwalk: 30, xattrcreate: 32, readdir: 40, fsync: 50, lock: 52, getlock: 54, link: 70, mkdir: 72, renameat: 74, unlinkat: 76,
  version: 100, auth: 102, attach: 104, flush: 108, walk: 110, read: 116, write: 118, clunk: 120, remove: 122,
} as const;

const S_IFMT: Record<InodeType, number> = { dir: 0o040000, file: 0o100000, symlink: 0o120000, char: 0o020000, block: 0o060000, fifo: 0o010000 };
const DT: Record<InodeType, number> = { dir: 4, file: 8, symlink: 10, char: 2, block: 6, fifo: 1 };
const QT: Record<InodeType, number> = { dir: 0x80, file: 0, symlink: 0x02, char: 0, block: 0, fifo: 0 };

const O_TRUNC = 0o1000;
const AT_REMOVEDIR = 0x200;
const SETATTR = { MODE: 0x1, UID: 0x2, GID: 0x4, SIZE: 0x8, ATIME: 0x10, MTIME: 0x20, ATIME_SET: 0x80, MTIME_SET: 0x100 };
const GETATTR_BASIC = 0x7ff;
const MAX_MSIZE = 512 * 1024;

interface Fid {
  root: UnionFS;
  path: string;
  /** The user the fid was attached for (Tattach's n_uname; the kernel attaches once per user): owner of what it creates. */
  uid: number;
  /** Directory listing taken when reading starts at offset 0. */
  listing?: { name: string; type: InodeType; ino: number }[];
  /** Opened (Tlopen/Tlcreate) rather than only walked to: its file outlives an unlink while it is open. */
  opened?: boolean;
  /** The file this open fid had when its name was unlinked or replaced: the data lives on here until the last clunk, as on a local filesystem. */
  orphan?: Orphan;
  /** An xattr fid: the value to read, or a value being written (committed on clunk). */
  xattr?: { value: Uint8Array } | { name: string; size: number; parts: Uint8Array[] };
}

const ORPHAN_LIMIT = 1 << 30;
/** An orphan is copied in reads of this size. */
const ORPHAN_COPY = 4 << 20;

interface Orphan {
  stat: Stat;
  /** Its bytes as inode 0 of a sparse in-memory store: holes cost nothing. */
  data: MemoryUpperStorage;
  size: number;
}

/** A request's fields in order; a message shorter than its fields is the client's error (EINVAL), not ours. */
class Reader {
  private off = 7;
  private readonly view: DataView;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number) {
    if (this.off + n > this.buf.length) throw new P9Error(ERRNO.EINVAL, `message too short: ${n} more bytes wanted at ${this.off} of ${this.buf.length}`);
  }
  u8() { this.need(1); return this.view.getUint8(this.off++); }
  u16() { this.need(2); const v = this.view.getUint16(this.off, true); this.off += 2; return v; }
  u32() { this.need(4); const v = this.view.getUint32(this.off, true); this.off += 4; return v; }
  u64() { this.need(8); const v = this.view.getBigUint64(this.off, true); this.off += 8; return Number(v); }
  str() { const n = this.u16(); this.need(n); const s = decoder.decode(this.buf.subarray(this.off, this.off + n)); this.off += n; return s; }
  bytes(n: number) { this.need(n); const b = this.buf.subarray(this.off, this.off + n); this.off += n; return b; }
}

class Writer {
  buf: Uint8Array;
  view: DataView;
  off = 7;
  constructor(size = 256) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }
  private need(n: number) {
    if (this.off + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.off + n));
    next.set(this.buf);
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number) { this.need(1); this.view.setUint8(this.off++, v); return this; }
  u16(v: number) { this.need(2); this.view.setUint16(this.off, v, true); this.off += 2; return this; }
  u32(v: number) { this.need(4); this.view.setUint32(this.off, v >>> 0, true); this.off += 4; return this; }
  u64(v: number) { this.need(8); this.view.setBigUint64(this.off, BigInt(Math.max(0, Math.floor(v))), true); this.off += 8; return this; }
  str(s: string) { const b = encoder.encode(s); this.u16(b.length); return this.bytes(b); }
  bytes(b: Uint8Array) { this.need(b.length); this.buf.set(b, this.off); this.off += b.length; return this; }
  qid(st: Pick<Stat, "type" | "ino" | "mtime">) { return this.u8(QT[st.type]).u32(Math.floor(st.mtime) >>> 0).u64(st.ino); }
  finish(type: number, tag: number): Uint8Array {
    this.view.setUint32(0, this.off, true);
    this.view.setUint8(4, type);
    this.view.setUint16(5, tag, true);
    return this.buf.subarray(0, this.off);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

class P9Error extends Error {
  constructor(readonly errno: number, message: string) {
    super(message);
  }
}

function join(dir: string, name: string): string {
  if (name === "" || name === "." ) return dir;
  if (name === "..") return parentOf(dir);
  if (name.includes("/")) throw new P9Error(ERRNO.EINVAL, `name with a slash: ${name}`);
  return joinPath(dir, name);
}

function sec(t: number): [number, number] {
  const s = Math.floor(t);
  return [s, Math.round((t - s) * 1e9)];
}

export interface P9Stats {
  requests: number;
  byType: Record<number, number>;
}

export class P9Server {
  private readonly roots = new Map<string, UnionFS>();
  private fids = new Map<number, Fid>();
  private msize = MAX_MSIZE;
  readonly stats: P9Stats = { requests: 0, byType: {} };

  /** Makes a union mountable by the guest as `aname`. */
  export(aname: string, root: UnionFS): void {
    this.roots.set(aname, root);
  }

  /** Stops serving `aname`; its fids answer EBADF from then on. */
  unexport(aname: string): void {
    const root = this.roots.get(aname);
    this.roots.delete(aname);
    if (!root) return;
    for (const [n, f] of this.fids) if (f.root === root) this.fids.delete(n);
  }

  /** The `filesystem.handle9p` hook. */
  readonly handle = (request: Uint8Array, reply: (response: Uint8Array) => void): void => {
    // Not even a header: nothing to answer to (no tag).
    if (request.length < 7) return;
    const type = request[4]!;
    const tag = request[5]! | (request[6]! << 8);
    this.stats.requests++;
    this.stats.byType[type] = (this.stats.byType[type] ?? 0) + 1;
    let result: Uint8Array | Promise<Uint8Array>;
    try {
      if (type === T.flush) {
        // Rflush must come after the flushed request's own reply (then the client takes that reply
        // as the answer); answering first would let the client reuse the tag while we still owe it.
        const oldTag = new Reader(request).u16();
        const done = () => reply(new Writer(16).finish(T.flush + 1, tag));
        const pending = this.inFlight.get(oldTag);
        if (pending) void pending.then(done);
        else done();
        return;
      }
      result = this.dispatch(type, tag, new Reader(request));
    } catch (e) {
      reply(this.error(tag, e));
      return;
    }
    if (result instanceof Uint8Array) reply(result);
    else {
      const sent = result.then(reply, (e) => reply(this.error(tag, e)));
      this.inFlight.set(tag, sent);
      void sent.then(() => {
        if (this.inFlight.get(tag) === sent) this.inFlight.delete(tag);
      });
    }
  };
  private readonly inFlight = new Map<number, Promise<void>>();

  private error(tag: number, e: unknown): Uint8Array {
    let errno: number = ERRNO.EIO;
    if (e instanceof FsError || e instanceof P9Error) errno = e.errno;
    // The browser's storage full under the container layer: the container's disk is.
    else if (isQuotaError(e) || isStorageFull(e)) errno = ERRNO.ENOSPC;
    else console.error("9p server:", e);
    return new Writer(16).u32(errno).finish(T.lerror + 1, tag);
  }

  private fid(n: number): Fid {
    const f = this.fids.get(n);
    if (!f) throw new P9Error(ERRNO.EBADF, `unknown fid ${n}`);
    return f;
  }

  private stat(f: Fid, path = f.path): Stat {
    const st = f.root.statSync(path);
    if (!st) throw new P9Error(ERRNO.ENOENT, path);
    return st;
  }

  private dispatch(type: number, tag: number, r: Reader): Uint8Array | Promise<Uint8Array> {
    const ok = (w: Writer = new Writer(16)) => w.finish(type + 1, tag);
    switch (type) {
      case T.version: {
        const msize = r.u32();
        const version = r.str();
        this.msize = Math.min(msize, MAX_MSIZE);
        this.fids = new Map();
        return ok(new Writer(32).u32(this.msize).str(version === "9P2000.L" ? "9P2000.L" : "unknown"));
      }
      case T.auth:
        throw new P9Error(ERRNO.EOPNOTSUPP, "no authentication");
      case T.attach: {
        const fid = r.u32();
        r.u32();
        r.str();
        const aname = r.str();
        const nUname = r.u32();
        const root = this.roots.get(aname);
        if (!root) throw new P9Error(ERRNO.ENOENT, `nothing exported as ${aname}`);
        // ~0 is "no numeric user": root, as before the kernel named one.
        const f: Fid = { root, path: "", uid: nUname === 0xffffffff ? 0 : nUname };
        this.fids.set(fid, f);
        return ok(new Writer(32).qid(this.stat(f)));
      }
      case T.flush:
        return ok();
      case T.walk: {
        const from = this.fid(r.u32());
        const newfid = r.u32();
        const n = r.u16();
        const w = new Writer(16 + n * 13).u16(0);
        let path = from.path;
        let walked = 0;
        for (let i = 0; i < n; i++) {
          const name = r.str();
          const parent = from.root.statSync(path);
          if (!parent || parent.type !== "dir") {
            if (i === 0) throw new P9Error(ERRNO.ENOTDIR, path);
            break;
          }
          const next = join(path, name);
          const st = from.root.statSync(next);
          if (!st) {
            if (i === 0) throw new P9Error(ERRNO.ENOENT, next);
            break;
          }
          w.qid(st);
          path = next;
          walked++;
        }
        w.view.setUint16(7, walked, true);
        if (walked === n) this.fids.set(newfid, { root: from.root, path, uid: from.uid });
        return ok(w);
      }
      case T.clunk: {
        const n = r.u32();
        const f = this.fids.get(n);
        this.fids.delete(n);
        if (f?.xattr && "parts" in f.xattr) {
          const x = f.xattr;
          const value = concatBytes(x.parts);
          return f.root.setxattr(f.path, x.name, decoder.decode(value)).then(() => ok());
        }
        return ok();
      }
      case T.getattr: {
        const f = this.fid(r.u32());
        const st = f.orphan ? { ...f.orphan.stat, size: f.orphan.size, nlink: 0 } : this.stat(f);
        const w = new Writer(180).u64(GETATTR_BASIC).qid(st);
        const rdev = st.type === "char" || st.type === "block" ? ((st.devmajor ?? 0) << 8) | (st.devminor ?? 0) : 0;
        w.u32(S_IFMT[st.type] | (st.mode & 0o7777)).u32(st.uid).u32(st.gid).u64(st.type === "dir" ? 2 : st.nlink).u64(rdev)
          // Sizes and blocks as ext4 reports them under Docker's overlay2 (what `ls -l` and `du` show
          // there): a directory is one 4 KiB block, files take whole 4 KiB blocks, short symlinks none.
          .u64(st.type === "dir" ? 4096 : st.size).u64(4096).u64(st.type === "dir" ? 8 : st.type === "file" ? Math.ceil(st.size / 4096) * 8 : 0);
        for (const t of [st.atime, st.mtime, st.ctime]) {
          const [s, ns] = sec(t);
          w.u64(s).u64(ns);
        }
        return ok(w.u64(0).u64(0).u64(0).u64(0).u64(0));
      }
      case T.setattr: {
        const f = this.fid(r.u32());
        const valid = r.u32();
        const mode = r.u32(), uid = r.u32(), gid = r.u32(), size = r.u64();
        const atime = r.u64() + r.u64() / 1e9;
        const mtime = r.u64() + r.u64() / 1e9;
        if (f.orphan) {
          if (valid & SETATTR.SIZE) return orphanResize(f.orphan, size).then(() => ok());
          return ok();
        }
        return this.setattr(f, valid, { mode, uid, gid, size, atime, mtime }).then(() => ok());
      }
      case T.statfs: {
        this.fid(r.u32());
        return ok(new Writer(80).u32(0x01021997).u32(4096).u64(1 << 20).u64(1 << 19).u64(1 << 19).u64(1 << 20).u64(1 << 19).u64(0).u32(255));
      }
      case T.lopen: {
        const f = this.fid(r.u32());
        const flags = r.u32();
        const st = this.stat(f);
        f.opened = true;
        const done = () => ok(new Writer(32).qid(this.stat(f)).u32(this.msize - 24));
        if (flags & O_TRUNC && st.type === "file" && st.size > 0) return f.root.truncate(f.path, 0).then(done);
        return done();
      }
      case T.lcreate: {
        const f = this.fid(r.u32());
        const name = r.str();
        r.u32();
        const mode = r.u32();
        const gid = r.u32();
        const path = join(f.path, name);
        const st = this.stat(f);
        return f.root.create(path, { mode: mode & 0o7777, uid: f.uid, gid }).then((created) => {
          void st;
          f.opened = true;
          f.path = path;
          f.listing = undefined;
          return ok(new Writer(32).qid(created).u32(this.msize - 24));
        });
      }
      case T.symlink: {
        const f = this.fid(r.u32());
        const name = r.str();
        const target = r.str();
        const gid = r.u32();
        return f.root.symlink(target, join(f.path, name), { uid: f.uid, gid }).then((st) => ok(new Writer(32).qid(st)));
      }
      case T.mknod: {
        const f = this.fid(r.u32());
        const name = r.str();
        const mode = r.u32();
        const major = r.u32();
        const minor = r.u32();
        const gid = r.u32();
        const fmt = mode & 0o170000;
        const kind = fmt === S_IFMT.char ? "char" : fmt === S_IFMT.block ? "block" : fmt === S_IFMT.fifo ? "fifo" : undefined;
        if (!kind) throw new P9Error(ERRNO.EOPNOTSUPP, "only character/block devices and fifos can be made");
        return f.root.mknod(join(f.path, name), kind, { mode: mode & 0o7777, uid: f.uid, gid, devmajor: major, devminor: minor }).then((st) => ok(new Writer(32).qid(st)));
      }
      case T.mkdir: {
        const f = this.fid(r.u32());
        const name = r.str();
        const mode = r.u32();
        const gid = r.u32();
        return f.root.mkdir(join(f.path, name), { mode: mode & 0o7777, uid: f.uid, gid }).then((st) => ok(new Writer(32).qid(st)));
      }
      case T.readlink: {
        const f = this.fid(r.u32());
        const st = this.stat(f);
        if (st.type !== "symlink") throw new P9Error(ERRNO.EINVAL, f.path);
        return ok(new Writer(32 + (st.linkname?.length ?? 0) * 3).str(st.linkname ?? ""));
      }
      case T.readdir: {
        const f = this.fid(r.u32());
        const offset = r.u64();
        const count = Math.min(r.u32(), this.msize - 11);
        if (offset === 0 || !f.listing) {
          const st = this.stat(f);
          f.listing = [{ name: ".", type: "dir", ino: st.ino }, { name: "..", type: "dir", ino: f.root.statSync(join(f.path, ".."))?.ino ?? st.ino }, ...f.root.readdirSync(f.path)];
        }
        const w = new Writer(Math.min(count, 65536) + 16).u32(0);
        const limit = 11 + count;
        for (let i = offset; i < f.listing.length; i++) {
          const e = f.listing[i]!;
          const name = encoder.encode(e.name);
          if (w.off + 13 + 8 + 1 + 2 + name.length > limit) break;
          w.u8(QT[e.type]).u32(0).u64(e.ino).u64(i + 1).u8(DT[e.type]).u16(name.length).bytes(name);
        }
        w.view.setUint32(7, w.off - 11, true);
        return ok(w);
      }
      case T.read: {
        const f = this.fid(r.u32());
        const offset = r.u64();
        const count = Math.min(r.u32(), this.msize - 11);
        if (f.xattr && "value" in f.xattr) {
          const part = f.xattr.value.subarray(offset, offset + count);
          return ok(new Writer(16 + part.length).u32(part.length).bytes(part));
        }
        if (f.orphan) {
          return f.orphan.data.read(0, Math.min(offset, f.orphan.size), Math.min(offset + count, f.orphan.size)).then((part) => ok(new Writer(16 + part.length).u32(part.length).bytes(part)));
        }
        return f.root.read(f.path, offset, count).then((data) => ok(new Writer(16 + data.length).u32(data.length).bytes(data)));
      }
      case T.write: {
        const f = this.fid(r.u32());
        const offset = r.u64();
        const count = r.u32();
        const data = r.bytes(count).slice();
        if (f.xattr && "parts" in f.xattr) {
          f.xattr.parts.push(data);
          return ok(new Writer(16).u32(count));
        }
        if (f.orphan) {
          const o = f.orphan;
          return (offset + count > o.size ? orphanResize(o, offset + count) : Promise.resolve())
            .then(() => o.data.write(0, offset, data))
            .then(() => ok(new Writer(16).u32(count)));
        }
        return f.root.write(f.path, offset, data).then((n) => ok(new Writer(16).u32(n)));
      }
      case T.fsync:
        this.fid(r.u32());
        return ok();
      case T.lock:
        this.fid(r.u32());
        return ok(new Writer(16).u8(0)); // P9_LOCK_SUCCESS: one guest, its kernel already arbitrates
      case T.getlock: {
        this.fid(r.u32());
        r.u8();
        const start = r.u64(), length = r.u64(), procId = r.u32(), client = r.str();
        return ok(new Writer(64).u8(2).u64(start).u64(length).u32(procId).str(client)); // F_UNLCK
      }
      case T.link: {
        const dir = this.fid(r.u32());
        const target = this.fid(r.u32());
        const name = r.str();
        return dir.root.link(target.path, join(dir.path, name)).then(() => ok());
      }
      case T.rename: {
        const f = this.fid(r.u32());
        const dir = this.fid(r.u32());
        const name = r.str();
        const to = join(dir.path, name);
        return this.rename(f.root, f.path, to).then(() => ok());
      }
      case T.renameat: {
        const oldDir = this.fid(r.u32());
        const oldName = r.str();
        const newDir = this.fid(r.u32());
        const newName = r.str();
        return this.rename(oldDir.root, join(oldDir.path, oldName), join(newDir.path, newName)).then(() => ok());
      }
      case T.unlinkat: {
        const dir = this.fid(r.u32());
        const name = r.str();
        const flags = r.u32();
        const path = join(dir.path, name);
        const st = this.stat(dir, path);
        const isDir = st.type === "dir";
        if (flags & AT_REMOVEDIR && !isDir) throw new P9Error(ERRNO.ENOTDIR, path);
        if (isDir) return dir.root.rmdir(path).then(() => ok());
        return this.orphanOpenFids(dir.root, path)
          .then(() => dir.root.unlink(path))
          .then(() => ok());
      }
      case T.remove: {
        const n = r.u32();
        const f = this.fid(n);
        this.fids.delete(n);
        const st = this.stat(f);
        if (st.type === "dir") return f.root.rmdir(f.path).then(() => ok());
        return this.orphanOpenFids(f.root, f.path)
          .then(() => f.root.unlink(f.path))
          .then(() => ok());
      }
      case T.xattrwalk: {
        const f = this.fid(r.u32());
        const newfid = r.u32();
        const name = r.str();
        const xattrs = this.stat(f).xattrs ?? {};
        let value: Uint8Array;
        if (name === "") value = encoder.encode(Object.keys(xattrs).map((k) => `${k}\0`).join(""));
        else if (name in xattrs) value = encoder.encode(xattrs[name]!);
        else throw new P9Error(ERRNO.ENODATA, name);
        this.fids.set(newfid, { root: f.root, path: f.path, uid: f.uid, xattr: { value } });
        return ok(new Writer(16).u64(value.length));
      }
      case T.xattrcreate: {
        const f = this.fid(r.u32());
        const name = r.str();
        const size = r.u64();
        f.xattr = { name, size, parts: [] };
        return ok();
      }
      default:
        throw new P9Error(ERRNO.EOPNOTSUPP, `9P message type ${type}`);
    }
  }

  private async setattr(f: Fid, valid: number, a: { mode: number; uid: number; gid: number; size: number; atime: number; mtime: number }): Promise<void> {
    const fs = f.root;
    if (valid & SETATTR.MODE) await fs.chmod(f.path, a.mode & 0o7777);
    if (valid & (SETATTR.UID | SETATTR.GID)) {
      const st = this.stat(f);
      await fs.chown(f.path, valid & SETATTR.UID ? a.uid : st.uid, valid & SETATTR.GID ? a.gid : st.gid);
    }
    if (valid & SETATTR.SIZE) await fs.truncate(f.path, a.size);
    if (valid & (SETATTR.ATIME | SETATTR.MTIME)) {
      const st = this.stat(f);
      const now = Date.now() / 1000;
      const atime = valid & SETATTR.ATIME ? (valid & SETATTR.ATIME_SET ? a.atime : now) : st.atime;
      const mtime = valid & SETATTR.MTIME ? (valid & SETATTR.MTIME_SET ? a.mtime : now) : st.mtime;
      await fs.utimes(f.path, atime, mtime);
    }
  }

  /** Before `path` goes (unlinked, or replaced by a rename): its open fids keep its data as an orphan. */
  private async orphanOpenFids(fs: UnionFS, path: string): Promise<void> {
    const open = [...this.fids.values()].filter((f) => f.root === fs && f.path === path && f.opened && !f.orphan && !f.xattr);
    if (!open.length) return;
    const st = fs.statSync(path);
    if (!st || st.type !== "file") return;
    if (st.size > ORPHAN_LIMIT) return; // too big to hold in memory: its open fids lose it, as before orphans were kept
    // Only what the file holds is copied, a piece at a time: a sparse file's holes stay holes.
    const data = new MemoryUpperStorage();
    for (const [start, end] of await fs.dataExtents(path)) {
      for (let at = start; at < end; at += ORPHAN_COPY) await data.write(0, at, await fs.read(path, at, Math.min(ORPHAN_COPY, end - at)));
    }
    const orphan: Orphan = { stat: st, data, size: st.size };
    for (const f of open) f.orphan = orphan;
  }

  private async rename(fs: UnionFS, from: string, to: string): Promise<void> {
    if (from !== to) await this.orphanOpenFids(fs, to);
    await fs.rename(from, to);
    // Fids below the old name follow it, as they would on a local filesystem.
    for (const f of this.fids.values()) {
      if (f.root !== fs) continue;
      if (f.path === from) f.path = to;
      else if (isUnder(f.path, from)) f.path = to + f.path.slice(from.length);
    }
  }
}

/** Grows or shrinks an orphan to `size` bytes; new bytes are zeros (a hole). */
async function orphanResize(o: Orphan, size: number): Promise<void> {
  // Held in memory, as the in-memory container layer holds a file (unionfs/upper.ts): the same bound.
  if (size > ORPHAN_LIMIT) throw new FsError("EFBIG", "", `an unlinked open file held in memory stops at ${ORPHAN_LIMIT} bytes`);
  if (size < o.size) await o.data.truncate(0, size);
  o.size = size;
}
