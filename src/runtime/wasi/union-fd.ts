/**
 * browser_wasi_shim file descriptors whose files are the container's union filesystem, reached through
 * the synchronous bridge: a directory fd (the "/" preopen and directories the module opens) that
 * resolves paths, follows symlinks when asked, creates, renames, links and deletes; and a file fd with
 * its own position. The shim's in-memory inodes are not used (they keep bytes in memory and have no
 * symlinks); nothing is cached here, so what the module wrote is in the container layer at once.
 */
import { Fd, Inode, wasi } from "@bjorn3/browser_wasi_shim";
import { WASI_ERRNO } from "../../unionfs/errors.ts";
import type { DirEntry, Stat } from "../../unionfs/union.ts";
import { resolvePath } from "../../unionfs/path.ts";
import { BridgeError, MAX_IO, type SyncBridge } from "./bridge.ts";

const FILETYPE: Record<string, number> = {
  file: wasi.FILETYPE_REGULAR_FILE,
  dir: wasi.FILETYPE_DIRECTORY,
  symlink: wasi.FILETYPE_SYMBOLIC_LINK,
  char: wasi.FILETYPE_CHARACTER_DEVICE,
  block: wasi.FILETYPE_BLOCK_DEVICE,
  fifo: wasi.FILETYPE_UNKNOWN,
};

/** WASI lookupflags: follow a final symlink. */
const SYMLINK_FOLLOW = 1;

const ns = (s: number) => BigInt(Math.round(s * 1e9));

function filestat(st: Stat): wasi.Filestat {
  const f = new wasi.Filestat(BigInt(st.ino), FILETYPE[st.type] ?? wasi.FILETYPE_UNKNOWN, BigInt(st.type === "file" ? st.size : 0));
  f.nlink = BigInt(st.nlink);
  f.atim = ns(st.atime);
  f.mtim = ns(st.mtime);
  f.ctim = ns(st.ctime);
  return f;
}

/** Runs a bridge call and turns its failure into a WASI errno. */
function attempt<T>(fn: () => T): { ret: number; value: T | null } {
  try {
    return { ret: 0, value: fn() };
  } catch (e) {
    if (e instanceof BridgeError) return { ret: e.errno, value: null };
    throw e;
  }
}

/** The shim's path_link hands an Inode across fds: ours carries the union path. */
class UnionInode extends Inode {
  constructor(readonly path: string, private readonly bridge: SyncBridge) {
    super();
  }
  path_open(): { ret: number; fd_obj: Fd | null } {
    return { ret: WASI_ERRNO.EOPNOTSUPP, fd_obj: null };
  }
  stat(): wasi.Filestat {
    return filestat(this.bridge.call("stat", this.path));
  }
}

export class UnionDirFd extends Fd {
  private listing?: DirEntry[];
  constructor(readonly bridge: SyncBridge, readonly path: string, private readonly preopenName?: string) {
    super();
  }

  private resolve(path: string, follow: boolean): string {
    const joined = resolvePath(this.path, path);
    return this.bridge.call("realpath", joined, follow);
  }

  override fd_prestat_get() {
    if (this.preopenName === undefined) return { ret: WASI_ERRNO.EBADF, prestat: null };
    return { ret: 0, prestat: wasi.Prestat.dir(this.preopenName) };
  }

  override fd_fdstat_get() {
    return { ret: 0, fdstat: new wasi.Fdstat(wasi.FILETYPE_DIRECTORY, 0) };
  }

  override fd_filestat_get() {
    const r = attempt(() => filestat(this.bridge.call("stat", this.path)));
    return { ret: r.ret, filestat: r.value };
  }

  override fd_readdir_single(cookie: bigint) {
    if (cookie === 0n || !this.listing) {
      const r = attempt(() => this.bridge.call("readdir", this.path));
      if (r.ret) return { ret: r.ret, dirent: null };
      this.listing = [{ name: ".", type: "dir", ino: 0 }, { name: "..", type: "dir", ino: 0 }, ...r.value!];
    }
    const e = this.listing[Number(cookie)];
    if (!e) return { ret: 0, dirent: null };
    return { ret: 0, dirent: new wasi.Dirent(cookie + 1n, BigInt(e.ino), e.name, FILETYPE[e.type] ?? wasi.FILETYPE_UNKNOWN) };
  }

  override path_filestat_get(flags: number, path: string) {
    const r = attempt(() => filestat(this.bridge.call("stat", this.resolve(path, (flags & SYMLINK_FOLLOW) !== 0))));
    return { ret: r.ret, filestat: r.value };
  }

  override path_filestat_set_times(flags: number, path: string, atim: bigint, mtim: bigint, fstFlags: number): number {
    return attempt(() => {
      const p = this.resolve(path, (flags & SYMLINK_FOLLOW) !== 0);
      const st = this.bridge.call("stat", p);
      const now = Date.now() / 1000;
      const a = fstFlags & wasi.FSTFLAGS_ATIM ? Number(atim) / 1e9 : fstFlags & wasi.FSTFLAGS_ATIM_NOW ? now : st.atime;
      const m = fstFlags & wasi.FSTFLAGS_MTIM ? Number(mtim) / 1e9 : fstFlags & wasi.FSTFLAGS_MTIM_NOW ? now : st.mtime;
      this.bridge.call("utimes", p, a, m);
    }).ret;
  }

  override path_open(dirflags: number, path: string, oflags: number, _base: bigint, _inheriting: bigint, fdFlags: number) {
    const r = attempt(() => {
      const p = this.resolve(path, (dirflags & SYMLINK_FOLLOW) !== 0);
      let st: Stat;
      try {
        st = this.bridge.call("stat", p);
        if (oflags & wasi.OFLAGS_CREAT && oflags & wasi.OFLAGS_EXCL) throw new BridgeError(WASI_ERRNO.EEXIST);
      } catch (e) {
        if (!(e instanceof BridgeError) || e.errno !== WASI_ERRNO.ENOENT || !(oflags & wasi.OFLAGS_CREAT)) throw e;
        st = this.bridge.call("create", p, { mode: 0o644 });
      }
      if (st.type === "dir") return new UnionDirFd(this.bridge, p) as Fd;
      if (oflags & wasi.OFLAGS_DIRECTORY) throw new BridgeError(WASI_ERRNO.ENOTDIR);
      if (st.type === "symlink") throw new BridgeError(WASI_ERRNO.ELOOP);
      if (oflags & wasi.OFLAGS_TRUNC && st.size > 0) this.bridge.call("truncate", p, 0);
      return new UnionFileFd(this.bridge, p, (fdFlags & wasi.FDFLAGS_APPEND) !== 0) as Fd;
    });
    return { ret: r.ret, fd_obj: r.value };
  }

  override path_create_directory(path: string): number {
    return attempt(() => this.bridge.call("mkdir", this.resolve(path, false), { mode: 0o755 })).ret;
  }

  override path_remove_directory(path: string): number {
    return attempt(() => this.bridge.call("rmdir", this.resolve(path, false))).ret;
  }

  override path_unlink_file(path: string): number {
    return attempt(() => {
      const p = this.resolve(path, false);
      if (this.bridge.call("stat", p).type === "dir") throw new BridgeError(WASI_ERRNO.EISDIR);
      this.bridge.call("unlink", p);
    }).ret;
  }

  override path_readlink(path: string) {
    const r = attempt(() => {
      const st = this.bridge.call("stat", this.resolve(path, false));
      if (st.type !== "symlink") throw new BridgeError(WASI_ERRNO.EINVAL);
      return st.linkname ?? "";
    });
    return { ret: r.ret, data: r.value };
  }

  override path_lookup(path: string, dirflags: number) {
    const r = attempt(() => {
      const p = this.resolve(path, (dirflags & SYMLINK_FOLLOW) !== 0);
      this.bridge.call("stat", p);
      return new UnionInode(p, this.bridge) as Inode;
    });
    return { ret: r.ret, inode_obj: r.value };
  }

  override path_link(path: string, inode: Inode): number {
    if (!(inode instanceof UnionInode)) return WASI_ERRNO.EXDEV;
    return attempt(() => this.bridge.call("link", inode.path, this.resolve(path, false))).ret;
  }

  /** rename(2) as one union operation (the shim's own unlink-then-link cannot express it). */
  rename(oldPath: string, to: UnionDirFd, newPath: string): number {
    return attempt(() => this.bridge.call("rename", this.resolve(oldPath, false), to.resolve(newPath, false))).ret;
  }

  symlink(target: string, path: string): number {
    return attempt(() => this.bridge.call("symlink", target, this.resolve(path, false))).ret;
  }
}

export class UnionFileFd extends Fd {
  private position = 0n;
  constructor(private readonly bridge: SyncBridge, readonly path: string, private readonly append: boolean) {
    super();
  }

  private size(): bigint {
    return BigInt(this.bridge.call("stat", this.path).size);
  }

  override fd_fdstat_get() {
    return { ret: 0, fdstat: new wasi.Fdstat(wasi.FILETYPE_REGULAR_FILE, this.append ? wasi.FDFLAGS_APPEND : 0) };
  }

  override fd_filestat_get() {
    const r = attempt(() => filestat(this.bridge.call("stat", this.path)));
    return { ret: r.ret, filestat: r.value };
  }

  override fd_filestat_set_size(size: bigint): number {
    return attempt(() => this.bridge.call("truncate", this.path, Number(size))).ret;
  }

  override fd_pread(size: number, offset: bigint) {
    const r = attempt(() => this.readAt(Number(offset), size));
    return { ret: r.ret, data: r.value ?? new Uint8Array(0) };
  }

  override fd_read(size: number) {
    const r = attempt(() => this.readAt(Number(this.position), size));
    if (r.value) this.position += BigInt(r.value.length);
    return { ret: r.ret, data: r.value ?? new Uint8Array(0) };
  }

  private readAt(offset: number, size: number): Uint8Array {
    return this.bridge.call("read", this.path, offset, Math.min(size, MAX_IO));
  }

  override fd_pwrite(data: Uint8Array, offset: bigint) {
    const r = attempt(() => this.writeAt(Number(offset), data));
    return { ret: r.ret, nwritten: r.value ?? 0 };
  }

  override fd_write(data: Uint8Array) {
    const r = attempt(() => {
      if (this.append) this.position = this.size();
      return this.writeAt(Number(this.position), data);
    });
    if (r.value) this.position += BigInt(r.value);
    return { ret: r.ret, nwritten: r.value ?? 0 };
  }

  private writeAt(offset: number, data: Uint8Array): number {
    let done = 0;
    while (done < data.length) {
      const part = data.subarray(done, done + MAX_IO);
      this.bridge.call("write", this.path, offset + done, part.slice());
      done += part.length;
    }
    return done;
  }

  override fd_seek(offset: bigint, whence: number) {
    let base = 0n;
    if (whence === wasi.WHENCE_CUR) base = this.position;
    else if (whence === wasi.WHENCE_END) {
      const r = attempt(() => this.size());
      if (r.ret) return { ret: r.ret, offset: 0n };
      base = r.value!;
    }
    const next = base + offset;
    if (next < 0n) return { ret: WASI_ERRNO.EINVAL, offset: this.position };
    this.position = next;
    return { ret: 0, offset: next };
  }

  override fd_tell() {
    return { ret: 0, offset: this.position };
  }
}
