/**
 * The merged view of read-only lower layers plus one writable upper layer, with overlayfs semantics:
 * the first change to a lower entry copies it up (its parents as directories, a file with its bytes);
 * deleting a lower entry leaves a whiteout; a directory removed and re-created is opaque (its lower
 * contents stay hidden); a lower directory that still merges with lower contents cannot be renamed
 * (EXDEV, as overlay2 answers without redirect_dir — `mv` then copies). Hardlinks made in the union
 * share one inode; copy-up of a hardlinked lower file breaks the link, as overlayfs does.
 *
 * Paths are relative to the root, without a leading slash ("" is the root); callers may pass either.
 * Lookups cost one map access per path component, whatever the number of layers.
 */
import { FsError } from "./errors.ts";
import type { LowerView, LowerNode } from "./lower.ts";
import { baseName, cleanPath, isUnder, joinPath, parentOf, segments } from "./path.ts";
import { cloneInode, type Inode, type InodeType, type UpperBatch, type UpperEntry, type UpperStorage } from "./upper.ts";

/** lstat's answer: the inode's metadata (a lower entry's, or the upper inode's), its path and origin. */
export interface Stat extends Inode {
  path: string;
  /** Which layer provides the entry: a lower layer's index (0 = bottom), or "upper" (the container layer). */
  origin: number | "upper";
}

export interface DirEntry {
  name: string;
  type: InodeType;
  ino: number;
}

export interface CreateOptions {
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface UnionOptions {
  readonly?: boolean;
  /** Clock in seconds (tests pin it). */
  now?: () => number;
}

/** Inode numbers of upper inodes start here, far above any lower layer's. */
const UPPER_INO_BASE = 1 << 30;
const COPY_CHUNK = 1 << 20;
const MAX_SYMLINKS = 40;

type Resolved = { kind: "upper"; entry: UpperEntry & { ino: number }; inode: Inode } | { kind: "lower"; node: LowerNode } | { kind: "root" };

function lowerStat(path: string, n: LowerNode): Stat {
  const e = n.entry;
  const type: InodeType = e.type === "hardlink" ? "file" : e.type;
  const s: Stat = { path, type, mode: e.mode, uid: e.uid, gid: e.gid, size: type === "file" ? e.size : 0, mtime: e.mtime, atime: e.mtime, ctime: e.mtime, ino: n.ino, nlink: n.nlink, origin: n.layer };
  if (type === "symlink") s.linkname = e.linkname ?? "";
  if (type === "char" || type === "block") {
    s.devmajor = e.devmajor ?? 0;
    s.devminor = e.devminor ?? 0;
  }
  if (e.xattrs) s.xattrs = { ...e.xattrs };
  if (type === "symlink") s.size = (e.linkname ?? "").length;
  return s;
}

function upperStat(path: string, i: Inode): Stat {
  const s: Stat = { path, type: i.type, mode: i.mode, uid: i.uid, gid: i.gid, size: i.size, mtime: i.mtime, atime: i.atime, ctime: i.ctime, ino: i.ino, nlink: i.nlink, origin: "upper" };
  if (i.linkname !== undefined) s.linkname = i.linkname;
  if (i.devmajor !== undefined) s.devmajor = i.devmajor;
  if (i.devminor !== undefined) s.devminor = i.devminor;
  if (i.xattrs) s.xattrs = { ...i.xattrs };
  return s;
}

/** The largest file a container may write (64 GiB): no layer holds more, and the size math stays exact. */
const MAX_FILE_SIZE = 2 ** 36;

export class UnionFS {
  private readonly entries = new Map<string, UpperEntry>();
  private readonly inodes = new Map<number, Inode>();
  /** Directory → names of upper entries in it (whiteouts included). */
  private readonly upperChildren = new Map<string, Set<string>>();
  private nextIno = UPPER_INO_BASE;
  private readonly now: () => number;
  readonly readonly: boolean;
  /** Serialises mutations: each is a read-modify-write of in-memory state plus a storage write. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(readonly lower: LowerView, private readonly storage: UpperStorage, opts: UnionOptions) {
    this.now = opts.now ?? (() => Date.now() / 1000);
    this.readonly = opts.readonly ?? false;
  }

  static async open(lower: LowerView, storage: UpperStorage, opts: UnionOptions = {}): Promise<UnionFS> {
    const fs = new UnionFS(lower, storage, opts);
    const { entries, inodes } = await storage.load();
    for (const i of inodes) {
      fs.inodes.set(i.ino, i);
      if (i.ino >= fs.nextIno) fs.nextIno = i.ino + 1;
    }
    for (const e of entries) fs.index(e);
    return fs;
  }

  // ── reading ─────────────────────────────────────────────────────────────

  private index(e: UpperEntry): void {
    this.entries.set(e.path, e);
    if (!e.path) return;
    const dir = parentOf(e.path);
    let set = this.upperChildren.get(dir);
    if (!set) this.upperChildren.set(dir, (set = new Set()));
    set.add(baseName(e.path));
  }

  private unindex(path: string): void {
    this.entries.delete(path);
    this.upperChildren.get(parentOf(path))?.delete(baseName(path));
  }

  /**
   * Whether lower entries below `dir` show through: no upper ancestor (or `dir` itself) is opaque or
   * replaces a lower directory. Throws ENOENT/ENOTDIR when `dir` is not a directory of the union.
   */
  private lowerVisibleBelow(dir: string, forPath: string): boolean {
    let visible = true;
    if (!dir) {
      const root = this.entries.get("");
      return !(root && !root.whiteout && root.opaque);
    }
    let at = "";
    for (const part of segments(dir)) {
      at = joinPath(at, part);
      const ue = this.entries.get(at);
      if (ue) {
        if (ue.whiteout) throw new FsError("ENOENT", forPath);
        const inode = this.inodes.get(ue.ino)!;
        if (inode.type !== "dir") throw new FsError("ENOTDIR", forPath);
        if (ue.opaque) visible = false;
        else if (visible) {
          const l = this.lower.get(at);
          if (!l || l.entry.type !== "dir") visible = false;
        }
      } else {
        const l = visible ? this.lower.get(at) : undefined;
        if (!l) throw new FsError("ENOENT", forPath);
        if (l.entry.type !== "dir") throw new FsError("ENOTDIR", forPath);
      }
    }
    return visible;
  }

  /** The node at `path`, or undefined when its parent exists but it does not. */
  private resolve(path: string): Resolved | undefined {
    if (!path) {
      const root = this.entries.get("");
      if (root && !root.whiteout) return { kind: "upper", entry: root, inode: this.inodes.get(root.ino)! };
      return { kind: "root" };
    }
    const visible = this.lowerVisibleBelow(parentOf(path), path);
    const ue = this.entries.get(path);
    if (ue) return ue.whiteout ? undefined : { kind: "upper", entry: ue, inode: this.inodes.get(ue.ino)! };
    if (!visible) return undefined;
    const node = this.lower.get(path);
    return node ? { kind: "lower", node } : undefined;
  }

  private statOf(path: string, r: Resolved): Stat {
    if (r.kind === "upper") return upperStat(path, r.inode);
    if (r.kind === "lower") return lowerStat(path, r.node);
    return { path: "", type: "dir", mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0, atime: 0, ctime: 0, ino: 1, nlink: 1, origin: 0 };
  }

  private must(path: string): Resolved {
    const r = this.resolve(path);
    if (!r) throw new FsError("ENOENT", path);
    return r;
  }

  /** lstat: the entry itself (symlinks are not followed). */
  async stat(path: string): Promise<Stat> {
    const p = cleanPath(path);
    return this.statOf(p, this.must(p));
  }

  /** Like stat, but undefined for a missing entry (ENOENT/ENOTDIR). */
  async tryStat(path: string): Promise<Stat | undefined> {
    try {
      return await this.stat(path);
    } catch (e) {
      if (e instanceof FsError && (e.code === "ENOENT" || e.code === "ENOTDIR")) return undefined;
      throw e;
    }
  }

  /** Synchronous lstat for hot paths (9P walks, benchmarks): the union's metadata is all in memory. */
  statSync(path: string): Stat | undefined {
    const p = cleanPath(path);
    try {
      const r = this.resolve(p);
      return r && this.statOf(p, r);
    } catch (e) {
      if (e instanceof FsError) return undefined;
      throw e;
    }
  }

  /** Which layer provides `path`: a lower layer index, "upper", or undefined when nothing does. */
  origin(path: string): number | "upper" | undefined {
    return this.statSync(path)?.origin;
  }

  /** The directory's entries, sorted by name. */
  async readdir(path: string): Promise<DirEntry[]> {
    return this.readdirSync(path);
  }

  readdirSync(path: string): DirEntry[] {
    const dir = cleanPath(path);
    const r = this.must(dir);
    const type = r.kind === "root" ? "dir" : r.kind === "upper" ? r.inode.type : r.node.entry.type;
    if (type !== "dir") throw new FsError("ENOTDIR", dir);
    const ue = this.entries.get(dir);
    const merged = r.kind !== "upper" || !(ue && !ue.whiteout && ue.opaque);
    const lowerVisible = merged && (r.kind === "root" || this.lowerVisibleBelow(dir, dir));
    const lowerNames = lowerVisible ? this.lower.list(dir) : [];
    const lowerNodes = lowerVisible ? this.lower.readdir(dir) : [];
    const lowerEntry = (name: string, n: LowerNode): DirEntry => ({ name, type: n.entry.type === "hardlink" ? "file" : n.entry.type, ino: n.ino });
    const ups = this.upperChildren.get(dir);
    if (!ups || ups.size === 0) return lowerNodes.map((n, i) => lowerEntry(lowerNames[i]!, n));
    const names = new Set<string>(lowerNames);
    for (const u of ups) names.add(u);
    const out: DirEntry[] = [];
    for (const name of [...names].sort()) {
      const path = joinPath(dir, name);
      const e = this.entries.get(path);
      if (e) {
        if (e.whiteout) continue;
        const i = this.inodes.get(e.ino)!;
        out.push({ name, type: i.type, ino: i.ino });
      } else out.push(lowerEntry(name, this.lower.get(path)!));
    }
    return out;
  }

  /** Bytes [offset, offset+length) of a regular file (fewer at its end). */
  async read(path: string, offset = 0, length = Infinity): Promise<Uint8Array> {
    const p = cleanPath(path);
    const r = this.must(p);
    const st = this.statOf(p, r);
    if (st.type === "dir") throw new FsError("EISDIR", p);
    if (st.type !== "file") throw new FsError("EINVAL", p, `not a regular file: ${st.type}`);
    const end = Math.min(st.size, offset + length);
    if (offset >= end) return new Uint8Array(0);
    if (r.kind === "upper") return this.storage.read(r.inode.ino, offset, end);
    return this.lower.read((r as { node: LowerNode }).node, offset, end);
  }

  /** Byte ranges [start, end) of a regular file that may hold data, within its size: holes of an upper file are left out. */
  async dataExtents(path: string): Promise<Array<[number, number]>> {
    const p = cleanPath(path);
    const r = this.must(p);
    const st = this.statOf(p, r);
    if (st.type !== "file") throw new FsError("EINVAL", p, `not a regular file: ${st.type}`);
    if (r.kind !== "upper" || !this.storage.extents) return st.size ? [[0, st.size]] : [];
    return (await this.storage.extents(r.inode.ino)).filter(([a]) => a < st.size).map(([a, b]) => [a, Math.min(b, st.size)]);
  }

  /** A regular file as a stream of chunks (never the whole file in memory). */
  stream(path: string, chunk = COPY_CHUNK): ReadableStream<Uint8Array> {
    let offset = 0;
    return new ReadableStream<Uint8Array>({
      pull: async (c) => {
        const bytes = await this.read(path, offset, chunk);
        if (bytes.length === 0) return c.close();
        offset += bytes.length;
        c.enqueue(bytes);
      },
    });
  }

  async readlink(path: string): Promise<string> {
    const st = await this.stat(path);
    if (st.type !== "symlink") throw new FsError("EINVAL", st.path, "not a symbolic link");
    return st.linkname ?? "";
  }

  /**
   * Resolves symlinks the way the kernel would inside the container's root (absolute targets are
   * relative to the root, ".." stops at it). `followLast` false keeps a final symlink itself.
   */
  realpath(path: string, followLast = true): string {
    let todo = segments(cleanPath(path));
    let done: string[] = [];
    let hops = 0;
    while (todo.length) {
      const part = todo.shift()!;
      if (part === "..") {
        done.pop();
        continue;
      }
      const candidate = [...done, part].join("/");
      const st = this.statSync(candidate);
      if (st?.type === "symlink" && (todo.length > 0 || followLast)) {
        if (++hops > MAX_SYMLINKS) throw new FsError("ELOOP", path);
        const target = st.linkname ?? "";
        if (target.startsWith("/")) done = [];
        todo = [...target.split("/").filter((s) => s && s !== "."), ...todo];
        continue;
      }
      done.push(part);
    }
    return done.join("/");
  }

  // ── upper-layer introspection (diff, commit, the UI) ───────────────────

  /** Upper entries (whiteouts included), each with its inode when it has one. */
  upperEntries(): { entry: UpperEntry; inode?: Inode }[] {
    return [...this.entries.values()].map((entry) => (entry.whiteout ? { entry } : { entry, inode: this.inodes.get(entry.ino)! }));
  }

  /** Reads bytes of an upper inode (the commit streams files with it). */
  readUpper(ino: number, start: number, end: number): Promise<Uint8Array> {
    return this.storage.read(ino, start, end);
  }

  /** Whether the union has changed nothing yet. */
  get pristine(): boolean {
    return this.entries.size === 0;
  }

  // ── writing ─────────────────────────────────────────────────────────────

  private mutate<T>(fn: () => Promise<T>): Promise<T> {
    if (this.readonly) return Promise.reject(new FsError("EROFS", ""));
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private allocInode(fields: Omit<Inode, "ino" | "nlink" | "atime" | "ctime" | "mtime" | "size"> & Partial<Inode>): Inode {
    const t = this.now();
    return { size: 0, mtime: t, atime: t, ctime: t, nlink: 1, ...fields, ino: this.nextIno++ };
  }

  private async commitBatch(batch: UpperBatch): Promise<void> {
    await this.storage.apply(batch);
    for (const p of batch.deleteEntries ?? []) this.unindex(p);
    for (const e of batch.putEntries ?? []) this.index(e);
    for (const ino of batch.deleteInodes ?? []) this.inodes.delete(ino);
    for (const i of batch.putInodes ?? []) this.inodes.set(i.ino, i);
  }

  /** Copies `path` (a directory or anything else) and its parents up; returns its upper inode (a copy). */
  private async copyUp(path: string): Promise<Inode> {
    const r = this.must(path);
    if (r.kind === "upper") return cloneInode(r.inode);
    if (path) await this.copyUp(parentOf(path));
    const st = this.statOf(path, r);
    const inode = this.allocInode({ type: st.type, mode: st.mode, uid: st.uid, gid: st.gid, mtime: st.mtime, atime: st.atime, ctime: st.ctime, size: st.type === "file" ? st.size : 0 });
    if (st.linkname !== undefined) inode.linkname = st.linkname;
    if (st.devmajor !== undefined) inode.devmajor = st.devmajor;
    if (st.devminor !== undefined) inode.devminor = st.devminor;
    if (st.xattrs) inode.xattrs = st.xattrs;
    if (st.type === "symlink") inode.size = (st.linkname ?? "").length;
    if (r.kind === "lower" && st.type === "file") {
      for (let off = 0; off < st.size; off += COPY_CHUNK) {
        await this.storage.write(inode.ino, off, await this.lower.read(r.node, off, Math.min(st.size, off + COPY_CHUNK)));
      }
    }
    await this.commitBatch({ putInodes: [inode], putEntries: [{ path, ino: inode.ino }] });
    return cloneInode(inode);
  }

  /** The parent directory of a new or removed entry, copied up, with its times touched. */
  private async touchParent(path: string): Promise<Inode> {
    const dir = parentOf(path);
    const r = this.must(dir);
    const type = r.kind === "upper" ? r.inode.type : r.kind === "lower" ? r.node.entry.type : "dir";
    if (type !== "dir") throw new FsError("ENOTDIR", path);
    const parent = await this.copyUp(dir);
    parent.mtime = parent.ctime = this.now();
    return parent;
  }

  private lowerHasDirAt(path: string): boolean {
    try {
      if (!this.lowerVisibleBelow(parentOf(path), path)) return false;
    } catch {
      return false;
    }
    return this.lower.get(path)?.entry.type === "dir";
  }

  private lowerVisibleAt(path: string): boolean {
    try {
      return this.lowerVisibleBelow(parentOf(path), path) && this.lower.get(path) !== undefined;
    } catch {
      return false;
    }
  }

  private async createNode(path: string, type: InodeType, opts: CreateOptions & { linkname?: string; devmajor?: number; devminor?: number }): Promise<Stat> {
    const p = cleanPath(path);
    if (!p) throw new FsError("EEXIST", p);
    if (baseName(p).length > 255) throw new FsError("ENAMETOOLONG", p);
    if (this.resolve(p)) throw new FsError("EEXIST", p);
    const parent = await this.touchParent(p);
    const defaultMode = type === "dir" ? 0o755 : type === "symlink" ? 0o777 : 0o644;
    const inode = this.allocInode({ type, mode: opts.mode ?? defaultMode, uid: opts.uid ?? 0, gid: opts.gid ?? 0 });
    if (opts.linkname !== undefined) {
      inode.linkname = opts.linkname;
      inode.size = opts.linkname.length;
    }
    if (type === "char" || type === "block") {
      inode.devmajor = opts.devmajor ?? 0;
      inode.devminor = opts.devminor ?? 0;
    }
    const entry: UpperEntry = { path: p, ino: inode.ino };
    if (type === "dir" && this.lowerHasDirAt(p)) entry.opaque = true;
    await this.commitBatch({ putInodes: [inode, parent], putEntries: [entry] });
    return upperStat(p, inode);
  }

  create(path: string, opts: CreateOptions = {}): Promise<Stat> {
    return this.mutate(() => this.createNode(path, "file", opts));
  }

  mkdir(path: string, opts: CreateOptions = {}): Promise<Stat> {
    return this.mutate(() => this.createNode(path, "dir", opts));
  }

  symlink(target: string, path: string, opts: CreateOptions = {}): Promise<Stat> {
    return this.mutate(() => this.createNode(path, "symlink", { ...opts, linkname: target }));
  }

  mknod(path: string, type: "char" | "block" | "fifo", opts: CreateOptions & { devmajor?: number; devminor?: number } = {}): Promise<Stat> {
    return this.mutate(() => this.createNode(path, type, opts));
  }

  /** A new name for an existing non-directory (both share one inode). */
  link(existing: string, path: string): Promise<Stat> {
    return this.mutate(async () => {
      const from = cleanPath(existing);
      const to = cleanPath(path);
      const st = this.statOf(from, this.must(from));
      if (st.type === "dir") throw new FsError("EPERM", from, "hard link to a directory");
      if (this.resolve(to)) throw new FsError("EEXIST", to);
      const inode = await this.copyUp(from);
      const parent = await this.touchParent(to);
      inode.nlink++;
      inode.ctime = this.now();
      await this.commitBatch({ putInodes: [parent, inode], putEntries: [{ path: to, ino: inode.ino }] });
      return upperStat(to, inode);
    });
  }

  /** Removes a non-directory. */
  unlink(path: string): Promise<void> {
    return this.mutate(async () => {
      const p = cleanPath(path);
      const r = this.must(p);
      if (r.kind === "root" || this.statOf(p, r).type === "dir") throw new FsError("EISDIR", p);
      await this.removeEntry(p, r);
    });
  }

  /** Removes an empty directory. */
  rmdir(path: string): Promise<void> {
    return this.mutate(async () => {
      const p = cleanPath(path);
      if (!p) throw new FsError("EPERM", p, "cannot remove the root");
      const r = this.must(p);
      if (this.statOf(p, r).type !== "dir") throw new FsError("ENOTDIR", p);
      if (this.readdirSync(p).length > 0) throw new FsError("ENOTEMPTY", p);
      await this.removeEntry(p, r);
    });
  }

  private async removeEntry(p: string, r: Resolved): Promise<void> {
    const hasLower = this.lowerVisibleAt(p);
    const parent = await this.touchParent(p);
    const batch: UpperBatch = { putInodes: [parent], deleteEntries: [], deleteInodes: [] };
    if (r.kind === "upper") {
      const inode = cloneInode(r.inode);
      inode.nlink--;
      if (inode.nlink <= 0 || inode.type === "dir") batch.deleteInodes!.push(inode.ino);
      else {
        inode.ctime = this.now();
        batch.putInodes!.push(inode);
      }
      // A directory's remaining upper children can only be whiteouts (it is empty): they go too.
      if (inode.type === "dir") for (const name of this.upperChildren.get(p) ?? []) batch.deleteEntries!.push(joinPath(p, name));
    }
    if (hasLower) batch.putEntries = [{ path: p, whiteout: true }];
    else batch.deleteEntries!.push(p);
    await this.commitBatch(batch);
  }

  /** rename(2): replaces a compatible destination; a directory still merged with a lower one gives EXDEV. */
  rename(from: string, to: string): Promise<void> {
    return this.mutate(async () => {
      const src = cleanPath(from);
      const dst = cleanPath(to);
      if (!src || !dst) throw new FsError("EBUSY", "");
      const r = this.must(src);
      if (src === dst) return;
      if (isUnder(dst, src)) throw new FsError("EINVAL", dst, "cannot move a directory into itself");
      const st = this.statOf(src, r);
      this.lowerVisibleBelow(parentOf(dst), dst); // destination parent must exist
      const target = this.resolve(dst);
      if (target) {
        const tst = this.statOf(dst, target);
        if (st.type === "dir" && tst.type !== "dir") throw new FsError("ENOTDIR", dst);
        if (st.type !== "dir" && tst.type === "dir") throw new FsError("EISDIR", dst);
        if (tst.type === "dir" && this.readdirSync(dst).length > 0) throw new FsError("ENOTEMPTY", dst);
        if (tst.ino === st.ino) return; // two names of one inode: nothing to do
      }
      const srcHasLower = this.lowerVisibleAt(src);
      const ue = this.entries.get(src);
      if (st.type === "dir" && srcHasLower && !(ue && !ue.whiteout && ue.opaque)) throw new FsError("EXDEV", src, "a merged directory cannot be renamed");
      const inode = await this.copyUp(src);
      const srcParent = await this.touchParent(src);
      const dstParent = parentOf(src) === parentOf(dst) ? srcParent : await this.touchParent(dst);
      const batch: UpperBatch = { putInodes: [], putEntries: [], deleteEntries: [], deleteInodes: [] };
      if (target?.kind === "upper") {
        const old = cloneInode(target.inode);
        old.nlink--;
        if (old.nlink <= 0 || old.type === "dir") batch.deleteInodes!.push(old.ino);
        else batch.putInodes!.push(old);
        if (old.type === "dir") for (const name of this.upperChildren.get(dst) ?? []) batch.deleteEntries!.push(joinPath(dst, name));
      }
      // Move the entry and, for a directory, everything the upper layer has below it.
      const moved: UpperEntry[] = [{ path: dst, ino: inode.ino, ...(st.type === "dir" && this.lowerHasDirAt(dst) ? { opaque: true } : {}) }];
      if (st.type === "dir") {
        for (const [p, e] of this.entries) {
          if (isUnder(p, src)) {
            batch.deleteEntries!.push(p);
            moved.push({ ...e, path: dst + p.slice(src.length) });
          }
        }
      }
      batch.deleteEntries!.push(src);
      if (srcHasLower) moved.push({ path: src, whiteout: true });
      batch.putEntries = moved;
      inode.ctime = this.now();
      batch.putInodes!.push(srcParent, inode);
      if (dstParent !== srcParent) batch.putInodes!.push(dstParent);
      // deleteEntries run before putEntries (storage and index alike), so `src`'s whiteout survives.
      await this.commitBatch(batch);
    });
  }

  /** Writes bytes at an offset (a hole before it reads as zeros); copies a lower file up first. */
  write(path: string, offset: number, data: Uint8Array): Promise<number> {
    return this.mutate(async () => {
      const p = cleanPath(path);
      if (offset + data.length > MAX_FILE_SIZE) throw new FsError("EFBIG", p);
      const st = this.statOf(p, this.must(p));
      if (st.type === "dir") throw new FsError("EISDIR", p);
      if (st.type !== "file") throw new FsError("EINVAL", p, `not a regular file: ${st.type}`);
      const inode = await this.copyUp(p);
      inode.size = Math.max(inode.size, offset + data.length);
      inode.mtime = inode.ctime = this.now();
      // The bytes and the new size go to storage together; this union sees them once both are kept.
      await this.storage.write(inode.ino, offset, data, inode);
      this.inodes.set(inode.ino, inode);
      return data.length;
    });
  }

  truncate(path: string, size: number): Promise<void> {
    return this.mutate(async () => {
      const p = cleanPath(path);
      if (size > MAX_FILE_SIZE) throw new FsError("EFBIG", p);
      const st = this.statOf(p, this.must(p));
      if (st.type === "dir") throw new FsError("EISDIR", p);
      if (st.type !== "file") throw new FsError("EINVAL", p);
      if (size < 0) throw new FsError("EINVAL", p);
      const inode = await this.copyUp(p);
      const before = inode.size;
      inode.size = size;
      inode.mtime = inode.ctime = this.now();
      // The size goes down before the bytes go: a read meanwhile (reads do not queue behind writes)
      // sees the shorter file, never the old size over bytes already deleted (zeros).
      await this.commitBatch({ putInodes: [inode] });
      if (size < before) {
        try {
          await this.storage.truncate(inode.ino, size);
        } catch (e) {
          inode.size = before; // the bytes may still be there: the file is as it was
          await this.commitBatch({ putInodes: [inode] }).catch(() => {});
          throw e;
        }
      }
    });
  }

  private setattr(path: string, change: (i: Inode) => void): Promise<void> {
    return this.mutate(async () => {
      const p = cleanPath(path);
      this.must(p);
      const inode = await this.copyUp(p);
      change(inode);
      inode.ctime = this.now();
      await this.commitBatch({ putInodes: [inode] });
    });
  }

  chmod(path: string, mode: number): Promise<void> {
    return this.setattr(path, (i) => void (i.mode = mode & 0o7777));
  }

  chown(path: string, uid: number, gid: number): Promise<void> {
    return this.setattr(path, (i) => {
      if (uid >= 0) i.uid = uid;
      if (gid >= 0) i.gid = gid;
    });
  }

  utimes(path: string, atime: number, mtime: number): Promise<void> {
    return this.setattr(path, (i) => {
      i.atime = atime;
      i.mtime = mtime;
    });
  }

  setxattr(path: string, name: string, value: string | undefined): Promise<void> {
    return this.setattr(path, (i) => {
      const x = { ...(i.xattrs ?? {}) };
      if (value === undefined) delete x[name];
      else x[name] = value;
      if (Object.keys(x).length) i.xattrs = x;
      else delete i.xattrs;
    });
  }

  // ── conveniences for the daemon, the lessons and the page ───────────────

  /** Creates or replaces a regular file's contents. */
  async writeFile(path: string, data: Uint8Array, opts: CreateOptions = {}): Promise<void> {
    const st = await this.tryStat(path);
    if (!st) await this.create(path, opts);
    else if (st.size > 0) await this.truncate(path, 0);
    if (data.length) await this.write(path, 0, data);
    else if (st) await this.truncate(path, 0);
  }

  /** mkdir -p */
  async mkdirAll(path: string, opts: CreateOptions = {}): Promise<void> {
    let at = "";
    for (const part of segments(cleanPath(path))) {
      at = joinPath(at, part);
      const st = await this.tryStat(at);
      if (!st) await this.mkdir(at, opts);
      else if (st.type !== "dir") throw new FsError("ENOTDIR", at);
    }
  }

  /** rm -r */
  async removeAll(path: string): Promise<void> {
    const p = cleanPath(path);
    const st = await this.stat(p);
    if (st.type === "dir") {
      for (const e of this.readdirSync(p)) await this.removeAll(joinPath(p, e.name));
      if (p) await this.rmdir(p);
    } else await this.unlink(p);
  }

  /** Every entry of the union, depth first in name order (the root excluded). */
  *walk(dir = ""): Generator<Stat> {
    const d = cleanPath(dir);
    for (const e of this.readdirSync(d)) {
      const p = joinPath(d, e.name);
      const st = this.statSync(p)!;
      yield st;
      if (st.type === "dir") yield* this.walk(p);
    }
  }
}
