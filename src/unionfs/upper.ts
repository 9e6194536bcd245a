/**
 * The writable upper layer of a union, as stored: path entries (a file, a directory — maybe opaque — or
 * a whiteout), inodes (metadata shared by hardlinked paths) and file bytes by inode. The union keeps all
 * entries and inodes in memory once loaded; the storage persists every change before the call that
 * made it returns, so a reload (or a crash) never loses an acknowledged write.
 */
import { FsError } from "./errors.ts";
import type { TarEntryType } from "../layer/tar.ts";

export type UpperEntry =
  /** The path is deleted: lower layers' entries at and below it are hidden. */
  | { path: string; whiteout: true }
  /** The path is this inode; an opaque directory hides lower entries below it. */
  | { path: string; whiteout?: false; ino: number; opaque?: boolean };

export type InodeType = Exclude<TarEntryType, "hardlink">;

export interface Inode {
  ino: number;
  type: InodeType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch (fractional). */
  mtime: number;
  atime: number;
  ctime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, string>;
  nlink: number;
}

export interface UpperBatch {
  putEntries?: UpperEntry[];
  deleteEntries?: string[];
  putInodes?: Inode[];
  /** Also deletes the inodes' bytes. */
  deleteInodes?: number[];
}

export interface UpperStorage {
  load(): Promise<{ entries: UpperEntry[]; inodes: Inode[] }>;
  /** Applies metadata changes atomically (a rename is one batch). */
  apply(batch: UpperBatch): Promise<void>;
  /** Bytes [start, end) of an inode's data; missing bytes (holes) read as zeros. */
  read(ino: number, start: number, end: number): Promise<Uint8Array>;
  write(ino: number, offset: number, data: Uint8Array): Promise<void>;
  /** Drops bytes at and after `size` (extending is a hole: zeros). */
  truncate(ino: number, size: number): Promise<void>;
  /** Deletes everything this upper layer stores. */
  destroy(): Promise<void>;
}

const MEMORY_FILE_LIMIT = 1 << 30;

/** An upper layer held in memory (tests, builds, and anything that need not survive a reload). */
export class MemoryUpperStorage implements UpperStorage {
  private readonly entries = new Map<string, UpperEntry>();
  private readonly inodes = new Map<number, Inode>();
  private readonly data = new Map<number, { buf: Uint8Array; len: number }>();

  async load(): Promise<{ entries: UpperEntry[]; inodes: Inode[] }> {
    return { entries: [...this.entries.values()].map((e) => ({ ...e })), inodes: [...this.inodes.values()].map(cloneInode) };
  }

  async apply(batch: UpperBatch): Promise<void> {
    for (const p of batch.deleteEntries ?? []) this.entries.delete(p);
    for (const e of batch.putEntries ?? []) this.entries.set(e.path, { ...e });
    for (const ino of batch.deleteInodes ?? []) {
      this.inodes.delete(ino);
      this.data.delete(ino);
    }
    for (const i of batch.putInodes ?? []) this.inodes.set(i.ino, cloneInode(i));
  }

  async read(ino: number, start: number, end: number): Promise<Uint8Array> {
    const out = new Uint8Array(Math.max(0, end - start));
    const d = this.data.get(ino);
    if (d && start < d.len) out.set(d.buf.subarray(start, Math.min(end, d.len)));
    return out;
  }

  async write(ino: number, offset: number, bytes: Uint8Array): Promise<void> {
    // A file in memory is one buffer: past this a hole would cost its size in memory.
    if (offset + bytes.length > MEMORY_FILE_LIMIT) throw new FsError("EFBIG", "", `a file held in memory stops at ${MEMORY_FILE_LIMIT} bytes`);
    let d = this.data.get(ino);
    if (!d) this.data.set(ino, (d = { buf: new Uint8Array(0), len: 0 }));
    const need = offset + bytes.length;
    if (need > d.buf.length) {
      const grown = new Uint8Array(Math.max(need, Math.min(d.buf.length * 2, need + (64 << 20))));
      grown.set(d.buf.subarray(0, d.len));
      d.buf = grown;
    }
    d.buf.set(bytes, offset);
    d.len = Math.max(d.len, need);
  }

  async truncate(ino: number, size: number): Promise<void> {
    const d = this.data.get(ino);
    if (!d || size >= d.len) return;
    d.buf.fill(0, size, d.len);
    d.len = size;
  }

  async destroy(): Promise<void> {
    this.entries.clear();
    this.inodes.clear();
    this.data.clear();
  }
}

export function cloneInode(i: Inode): Inode {
  return i.xattrs ? { ...i, xattrs: { ...i.xattrs } } : { ...i };
}
