/**
 * The host's files kept in IndexedDB (a database of their own, `layerlab-host`): the home directory
 * survives a reload, and a `docker save -o` tar of 50 MB is stored as chunks, never one record.
 *
 * Schema (version 1):
 * - `entries`: one record per path, keyed by the absolute real path ("/home/lab/Dockerfile"), with its
 *   type, mode, mtime, size, a link's target and, for a file, the id and chunk size of its data; an
 *   index on `parent` (the real path of the directory holding it) answers readdir with the direct
 *   children only. Every entry's ancestors are directory entries (never links), which is what lets a
 *   lookup try the whole path with one read before walking it component by component.
 * - `chunks`: a file's bytes, [fileId, index] → Uint8Array of `chunkSize` bytes (the last one shorter).
 *
 * Every operation is one transaction over both stores, lookups included: a write replaces a file's
 * chunks and its entry together (a crash or a full disk leaves the old file or the new one, never
 * half), a rename of a directory re-keys its whole subtree at once, and another tab never sees an
 * operation half done. Nothing is cached, so two tabs (or two instances) always agree.
 *
 * Semantics and errno codes are those of MemoryFiles (files.ts), with POSIX's answer where the two
 * differ at an edge (see the shared suite, test/shared/host-files-suite.ts). Hard links are copies (the
 * HostFiles contract allows it): a later write through one name does not show through the other.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction } from "idb";
import { absolutePath, HostFileError, type HostDirEntry, type HostFiles, type HostFileType, type HostStat } from "../terminal/host-files.ts";

export const HOST_DB_NAME = "layerlab-host";
const DB_VERSION = 1;
/** Bytes per stored chunk: a 50 MB tar is 200 records; appending a line rewrites at most one chunk. */
export const HOST_CHUNK_SIZE = 256 << 10;
const MAX_LINKS = 40;

interface FileData {
  /** Key prefix of the file's chunks. */
  id: string;
  chunkSize: number;
}

interface EntryRecord {
  path: string;
  /** The directory that holds the entry ("" for the root). */
  parent: string;
  type: HostFileType;
  mode: number;
  /** Milliseconds since the epoch. */
  mtime: number;
  /** Bytes of a file, the target's length for a link, 0 for a directory. */
  size: number;
  target?: string;
  data?: FileData;
}

interface HostDB extends DBSchema {
  entries: { key: string; value: EntryRecord; indexes: { parent: string } };
  chunks: { key: [string, number]; value: Uint8Array };
}

type Stores = ["entries", "chunks"];
type Tx<M extends IDBTransactionMode> = IDBPTransaction<HostDB, Stores, M>;
type WriteTx = Tx<"readwrite">;
type Get = (path: string) => Promise<EntryRecord | undefined>;

interface Found {
  entry: EntryRecord;
  /** The real path (every link on the way resolved). */
  path: string;
}

interface Parent {
  dir: EntryRecord;
  dirPath: string;
  name: string;
  /** Where the entry is (or would be) stored. */
  childPath: string;
}

function parentPath(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function baseOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function join(dir: string, name: string): string {
  return dir === "/" ? `/${name}` : `${dir}/${name}`;
}

/** Every key strictly below `dir` ("/a/" ≤ key < "/a0": "0" follows "/"). */
function subtree(dir: string): IDBKeyRange {
  return dir === "/" ? IDBKeyRange.lowerBound("/", true) : IDBKeyRange.bound(`${dir}/`, `${dir}0`, false, true);
}

function chunksOf(id: string): IDBKeyRange {
  return IDBKeyRange.bound([id, 0], [id, Infinity]);
}

function isCode(e: unknown, code: string): boolean {
  return e instanceof HostFileError && e.code === code;
}

function isQuota(e: unknown): boolean {
  return (e as { name?: unknown } | null)?.name === "QuotaExceededError";
}

function statOf(e: EntryRecord): HostStat {
  return { type: e.type, mode: e.mode, size: e.size, mtime: new Date(e.mtime) };
}

function rootRecord(): EntryRecord {
  return { path: "/", parent: "", type: "directory", mode: 0o755, mtime: Date.now(), size: 0 };
}

/** Walks to `path`; `follow` resolves a link in the last component too (MemoryFiles' lookup). */
async function lookup(get: Get, path: string, syscall: string, follow: boolean, depth = 0): Promise<Found> {
  const abs = absolutePath("/", path);
  // An entry at the path as given means every ancestor is a real directory: one read answers.
  const hit = await get(abs);
  if (hit) {
    if (hit.type !== "symlink" || !follow) return { entry: hit, path: abs };
    if (depth >= MAX_LINKS) throw new HostFileError("ELOOP", syscall, path);
    return lookup(get, absolutePath(parentPath(abs), hit.target ?? ""), syscall, follow, depth + 1);
  }
  if (abs === "/") throw new HostFileError("ENOENT", syscall, path);
  // Otherwise the deepest ancestor with an entry decides, as a walk from the root would: the
  // components below it have none, the ones above it are real directories. Usually it is the parent.
  let at = parentPath(abs);
  let found = await get(at);
  while (!found && at !== "/") {
    at = parentPath(at);
    found = await get(at);
  }
  if (!found || found.type === "directory") throw new HostFileError("ENOENT", syscall, path);
  if (found.type === "file") throw new HostFileError("ENOTDIR", syscall, path);
  if (depth >= MAX_LINKS) throw new HostFileError("ELOOP", syscall, path);
  const target = absolutePath(parentPath(at), found.target ?? "");
  return lookup(get, `${target}/${abs.slice(at.length + 1)}`, syscall, follow, depth + 1);
}

/** The directory that holds `path` (links in it resolved) and the entry's name. */
async function parentDir(get: Get, path: string, syscall: string): Promise<Parent> {
  const abs = absolutePath("/", path);
  if (abs === "/") throw new HostFileError("EINVAL", syscall, path);
  const { entry, path: dirPath } = await lookup(get, parentPath(abs), syscall, true);
  if (entry.type !== "directory") throw new HostFileError("ENOTDIR", syscall, path);
  const name = baseOf(abs);
  return { dir: entry, dirPath, name, childPath: join(dirPath, name) };
}

/**
 * Writes `data` as the file's bytes from `from` on (0: replacing every chunk; the current size: an
 * append, which rewrites only a partial last chunk). `fresh`: a new file, with no chunks to delete.
 * Returns the new size.
 */
async function putData(tx: WriteTx, file: FileData, from: number, data: Uint8Array, fresh = false): Promise<number> {
  const chunks = tx.objectStore("chunks");
  const cs = file.chunkSize;
  const requests: Promise<unknown>[] = [];
  if (from === 0 && !fresh) requests.push(chunks.delete(chunksOf(file.id)));
  let index = Math.floor(from / cs);
  let at = 0;
  const partial = from % cs;
  if (partial > 0 && data.length > 0) {
    const last = await chunks.get([file.id, index]);
    if (!last || last.length !== partial) throw new Error(`host file data ${file.id} is missing chunk ${index}`);
    const take = Math.min(cs - partial, data.length);
    const merged = new Uint8Array(partial + take);
    merged.set(last);
    merged.set(data.subarray(0, take), partial);
    requests.push(chunks.put(merged, [file.id, index]));
    at = take;
    index++;
  }
  // slice(), not subarray(): a view would be stored with its whole buffer.
  for (; at < data.length; at += cs, index++) requests.push(chunks.put(data.slice(at, at + cs), [file.id, index]));
  await Promise.all(requests);
  return from + data.length;
}

export interface IdbHostFilesOptions {
  /** The database's name (default `layerlab-host`; tests use their own). */
  name?: string;
  /** Bytes per chunk of new files (default 256 KiB). */
  chunkSize?: number;
}

export class IdbHostFiles implements HostFiles {
  readonly name: string;
  readonly chunkSize: number;
  private readonly db: Promise<IDBPDatabase<HostDB>>;
  /** Tells this database's other instances (other tabs) that something changed: they refresh their views. */
  private readonly channel: BroadcastChannel | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(opts: IdbHostFilesOptions = {}) {
    this.name = opts.name ?? HOST_DB_NAME;
    this.chunkSize = opts.chunkSize ?? HOST_CHUNK_SIZE;
    if (typeof BroadcastChannel !== "undefined") {
      this.channel = new BroadcastChannel(`layerlab-host-files:${this.name}`);
      this.channel.onmessage = () => {
        for (const l of this.listeners) l();
      };
    }
    this.db = openDB<HostDB>(this.name, DB_VERSION, {
      upgrade(db, oldVersion, _newVersion, tx) {
        if (oldVersion < 1) {
          db.createObjectStore("entries", { keyPath: "path" }).createIndex("parent", "parent");
          db.createObjectStore("chunks");
          void tx.objectStore("entries").put(rootRecord());
        }
      },
      blocking(_current, _blocked, event) {
        // Another tab wants a newer schema: let it have the database (this tab reloads to follow).
        (event.target as IDBDatabase).close();
      },
    });
    // A failure to open is reported by the first operation.
    this.db.catch(() => {});
  }

  /** Resolves once the database is open and holds a root directory. */
  async ready(): Promise<this> {
    await this.write("mkdir", "/", async (tx) => {
      const entries = tx.objectStore("entries");
      if (!(await entries.get("/"))) await entries.put(rootRecord());
    });
    return this;
  }

  async close(): Promise<void> {
    this.channel?.close();
    (await this.db).close();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Runs `fn` in one transaction over both stores. Anything thrown aborts it (nothing of a failed
   * operation stays); a full disk becomes ENOSPC, for `syscall` on `path`.
   */
  private async run<M extends IDBTransactionMode, T>(mode: M, syscall: string, path: string, fn: (tx: Tx<M>, get: Get) => Promise<T>): Promise<T> {
    const db = await this.db;
    const tx = db.transaction(["entries", "chunks"], mode) as Tx<M>;
    const done = tx.done;
    const entries = tx.objectStore("entries");
    const get: Get = (p) => entries.get(p);
    try {
      const out = await fn(tx, get);
      await done;
      return out;
    } catch (e) {
      try {
        tx.abort();
      } catch {
        // already committed or aborted
      }
      await done.catch(() => {});
      if (e instanceof HostFileError) throw e;
      if (isQuota(e) || isQuota(tx.error)) throw new HostFileError("ENOSPC", syscall, path);
      throw e;
    }
  }

  private read<T>(syscall: string, path: string, fn: (tx: Tx<"readonly">, get: Get) => Promise<T>): Promise<T> {
    return this.run("readonly", syscall, path, fn);
  }

  private async write<T>(syscall: string, path: string, fn: (tx: WriteTx, get: Get) => Promise<T>): Promise<T> {
    const out = await this.run("readwrite", syscall, path, fn);
    this.channel?.postMessage(syscall);
    return out;
  }

  /** A directory's mtime moved to now (an entry was created, removed or renamed in it). */
  private touch(tx: WriteTx, dir: EntryRecord, now: number): Promise<unknown> {
    return tx.objectStore("entries").put({ ...dir, mtime: now });
  }

  /** Deletes an entry (and a file's chunks); a directory's subtree with it. */
  private async remove(tx: WriteTx, entry: EntryRecord): Promise<void> {
    const entries = tx.objectStore("entries");
    const chunks = tx.objectStore("chunks");
    const requests: Promise<unknown>[] = [];
    if (entry.type === "directory") {
      for (const e of await entries.getAll(subtree(entry.path))) if (e.data) requests.push(chunks.delete(chunksOf(e.data.id)));
      requests.push(entries.delete(subtree(entry.path)));
    }
    if (entry.data) requests.push(chunks.delete(chunksOf(entry.data.id)));
    requests.push(entries.delete(entry.path));
    await Promise.all(requests);
  }

  async stat(path: string): Promise<HostStat> {
    return this.read("stat", path, async (_tx, get) => statOf((await lookup(get, path, "stat", true)).entry));
  }

  async lstat(path: string): Promise<HostStat> {
    return this.read("lstat", path, async (_tx, get) => statOf((await lookup(get, path, "lstat", false)).entry));
  }

  async readFile(path: string): Promise<Uint8Array> {
    return this.read("read", path, async (tx, get) => {
      const { entry } = await lookup(get, path, "open", true);
      if (entry.type === "directory") throw new HostFileError("EISDIR", "read", path);
      if (entry.type !== "file" || !entry.data) throw new HostFileError("EINVAL", "read", path);
      if (entry.size === 0) return new Uint8Array(0);
      const chunks = await tx.objectStore("chunks").getAll(chunksOf(entry.data.id));
      if (chunks.length === 1 && chunks[0]!.length === entry.size) return chunks[0]!;
      const out = new Uint8Array(entry.size);
      let at = 0;
      for (const c of chunks) {
        if (at + c.length > out.length) break;
        out.set(c, at);
        at += c.length;
      }
      if (at !== entry.size || chunks.length !== Math.ceil(entry.size / entry.data.chunkSize)) throw new HostFileError("EIO", "read", path);
      return out;
    });
  }

  async writeFile(path: string, data: Uint8Array, opts: { append?: boolean; mode?: number } = {}): Promise<void> {
    await this.write("write", path, async (tx, get) => {
      const entries = tx.objectStore("entries");
      const now = Date.now();
      // lstat first: a new file (the common miss) then costs no second walk.
      let existing: Found | undefined;
      try {
        existing = await lookup(get, path, "open", false);
        if (existing.entry.type === "symlink") existing = await lookup(get, path, "open", true);
      } catch (e) {
        if (!isCode(e, "ENOENT")) throw e;
        existing = undefined;
      }
      if (existing) {
        const { entry } = existing;
        if (entry.type === "directory") throw new HostFileError("EISDIR", "open", path);
        if (entry.type !== "file" || !entry.data) throw new HostFileError("EINVAL", "open", path);
        const size = await putData(tx, entry.data, opts.append ? entry.size : 0, data);
        await entries.put({ ...entry, size, mtime: now });
        return;
      }
      // A dangling link: create its target (the last of a chain of them), as open(O_CREAT) does.
      let target = absolutePath("/", path);
      for (let hops = 0; ; hops++) {
        let l: Found;
        try {
          l = await lookup(get, target, "open", false);
        } catch {
          break; // no entry at all
        }
        if (l.entry.type !== "symlink") throw new HostFileError("EEXIST", "open", path);
        if (hops >= MAX_LINKS) throw new HostFileError("ELOOP", "open", path);
        target = absolutePath(parentPath(l.path), l.entry.target ?? "");
      }
      const p = await parentDir(get, target, "open");
      const file: FileData = { id: crypto.randomUUID(), chunkSize: this.chunkSize };
      const size = await putData(tx, file, 0, data, true);
      await Promise.all([
        entries.put({ path: p.childPath, parent: p.dirPath, type: "file", mode: opts.mode ?? 0o644, mtime: now, size, data: file }),
        this.touch(tx, p.dir, now),
      ]);
    });
  }

  async readdir(path: string): Promise<HostDirEntry[]> {
    return this.read("scandir", path, async (tx, get) => {
      const { entry, path: real } = await lookup(get, path, "scandir", true);
      if (entry.type !== "directory") throw new HostFileError("ENOTDIR", "scandir", path);
      const children = await tx.objectStore("entries").index("parent").getAll(real);
      return children.map((c) => ({ name: baseOf(c.path), type: c.type })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  async mkdir(path: string, opts: { recursive?: boolean; mode?: number } = {}): Promise<void> {
    await this.write("mkdir", path, async (tx, get) => {
      const entries = tx.objectStore("entries");
      const now = Date.now();
      const abs = absolutePath("/", path);
      const create = async (p: Parent) => {
        // Taken by an entry lookup could not follow (a dangling link): mkdir(2) says EEXIST.
        if (await get(p.childPath)) throw new HostFileError("EEXIST", "mkdir", path);
        await Promise.all([entries.put({ path: p.childPath, parent: p.dirPath, type: "directory", mode: opts.mode ?? 0o755, mtime: now, size: 0 }), this.touch(tx, p.dir, now)]);
      };
      if (!opts.recursive) return create(await parentDir(get, abs, "mkdir"));
      const parts = abs.split("/").filter(Boolean);
      let at = "";
      for (let i = 0; i < parts.length; i++) {
        at = `${at}/${parts[i]}`;
        let found: Found | undefined;
        try {
          found = await lookup(get, at, "mkdir", true);
        } catch (e) {
          if (!isCode(e, "ENOENT")) throw e;
        }
        // mkdir -p over a file: "File exists"; a file on the way: "Not a directory".
        if (found && found.entry.type !== "directory") throw new HostFileError(i === parts.length - 1 ? "EEXIST" : "ENOTDIR", "mkdir", path);
        if (!found) await create(await parentDir(get, at, "mkdir"));
      }
    });
  }

  async rm(path: string, opts: { recursive?: boolean; force?: boolean } = {}): Promise<void> {
    await this.write("rm", path, async (tx, get) => {
      let p: Parent;
      try {
        p = await parentDir(get, path, "rm");
      } catch (e) {
        if (opts.force && isCode(e, "ENOENT")) return;
        throw e;
      }
      const entry = await get(p.childPath);
      if (!entry) {
        if (opts.force) return;
        throw new HostFileError("ENOENT", "rm", path);
      }
      if (entry.type === "directory" && !opts.recursive && (await tx.objectStore("entries").index("parent").count(entry.path)) > 0) {
        throw new HostFileError("ENOTEMPTY", "rm", path);
      }
      await Promise.all([this.remove(tx, entry), this.touch(tx, p.dir, Date.now())]);
    });
  }

  async rename(from: string, to: string): Promise<void> {
    await this.write("rename", to, async (tx, get) => {
      const entries = tx.objectStore("entries");
      const src = await parentDir(get, from, "rename");
      const node = await get(src.childPath);
      if (!node) throw new HostFileError("ENOENT", "rename", from);
      const absFrom = absolutePath("/", from);
      const absTo = absolutePath("/", to);
      if (absTo === absFrom) return;
      if (absTo.startsWith(`${absFrom}/`)) throw new HostFileError("EINVAL", "rename", to);
      const dst = await parentDir(get, to, "rename");
      if (dst.childPath === src.childPath) return;
      // Into its own subtree by way of a link: the lexical check above cannot see it.
      if (node.type === "directory" && dst.childPath.startsWith(`${src.childPath}/`)) throw new HostFileError("EINVAL", "rename", to);
      const there = await get(dst.childPath);
      if (there?.type === "directory" && (node.type !== "directory" || (await entries.index("parent").count(there.path)) > 0)) {
        throw new HostFileError(node.type === "directory" ? "ENOTEMPTY" : "EISDIR", "rename", to);
      }
      if (there && there.type !== "directory" && node.type === "directory") throw new HostFileError("ENOTDIR", "rename", to);
      if (there) await this.remove(tx, there);
      const requests: Promise<unknown>[] = [];
      if (node.type === "directory") {
        const moved = await entries.getAll(subtree(node.path));
        const base = node.path.length;
        requests.push(entries.delete(subtree(node.path)));
        for (const e of moved) requests.push(entries.put({ ...e, path: dst.childPath + e.path.slice(base), parent: dst.childPath + e.parent.slice(base) }));
      }
      requests.push(entries.delete(node.path));
      requests.push(entries.put({ ...node, path: dst.childPath, parent: dst.dirPath }));
      const now = Date.now();
      requests.push(this.touch(tx, src.dir, now));
      if (dst.dirPath !== src.dirPath) requests.push(this.touch(tx, dst.dir, now));
      await Promise.all(requests);
    });
  }

  async symlink(target: string, path: string): Promise<void> {
    await this.write("symlink", path, async (tx, get) => {
      const p = await parentDir(get, path, "symlink");
      if (await get(p.childPath)) throw new HostFileError("EEXIST", "symlink", path);
      const now = Date.now();
      await Promise.all([
        tx.objectStore("entries").put({ path: p.childPath, parent: p.dirPath, type: "symlink", mode: 0o777, mtime: now, size: target.length, target }),
        this.touch(tx, p.dir, now),
      ]);
    });
  }

  async readlink(path: string): Promise<string> {
    return this.read("readlink", path, async (_tx, get) => {
      const { entry } = await lookup(get, path, "readlink", false);
      if (entry.type !== "symlink") throw new HostFileError("EINVAL", "readlink", path);
      return entry.target ?? "";
    });
  }

  /** A copy under the new name (same bytes, mode and mtime): entries here have no shared inode. */
  async link(existing: string, path: string): Promise<void> {
    await this.write("link", path, async (tx, get) => {
      const { entry } = await lookup(get, existing, "link", false);
      if (entry.type === "directory") throw new HostFileError("EPERM", "link", existing);
      const p = await parentDir(get, path, "link");
      if (await get(p.childPath)) throw new HostFileError("EEXIST", "link", path);
      const copy: EntryRecord = { ...entry, path: p.childPath, parent: p.dirPath };
      const requests: Promise<unknown>[] = [];
      if (entry.data) {
        const chunks = tx.objectStore("chunks");
        copy.data = { id: crypto.randomUUID(), chunkSize: entry.data.chunkSize };
        const data = await chunks.getAll(chunksOf(entry.data.id));
        data.forEach((c, i) => requests.push(chunks.put(c, [copy.data!.id, i])));
      }
      requests.push(tx.objectStore("entries").put(copy), this.touch(tx, p.dir, Date.now()));
      await Promise.all(requests);
    });
  }

  async chmod(path: string, mode: number): Promise<void> {
    await this.write("chmod", path, async (tx, get) => {
      const { entry } = await lookup(get, path, "chmod", true);
      await tx.objectStore("entries").put({ ...entry, mode: mode & 0o7777 });
    });
  }

  async utimes(path: string, mtime: Date): Promise<void> {
    await this.write("utime", path, async (tx, get) => {
      const { entry } = await lookup(get, path, "utime", true);
      await tx.objectStore("entries").put({ ...entry, mtime: mtime.getTime() });
    });
  }
}

/** The host's files in IndexedDB database `name`, open and with a root directory. */
export function openHostFiles(name: string = HOST_DB_NAME, opts: Omit<IdbHostFilesOptions, "name"> = {}): Promise<IdbHostFiles> {
  return new IdbHostFiles({ ...opts, name }).ready();
}
