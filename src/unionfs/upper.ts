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
  /** `inode`: the file's inode as it is after this write, stored with the bytes (atomically, where the storage can). */
  write(ino: number, offset: number, data: Uint8Array, inode?: Inode): Promise<void>;
  /** Drops bytes at and after `size` (extending is a hole: zeros). */
  truncate(ino: number, size: number): Promise<void>;
  /** Byte ranges [start, end) of an inode that may hold data (sorted); the rest is holes. Absent: all of it may. */
  extents?(ino: number): Promise<Array<[number, number]>>;
  /** Deletes everything this upper layer stores. */
  destroy(): Promise<void>;
}

const MEMORY_FILE_LIMIT = 1 << 30;
/** Memory files are sparse, in pieces of this size: a write at a far offset costs what it writes, not the hole before it. */
const MEMORY_PIECE = 64 << 10;

export class MemoryUpperStorage implements UpperStorage {
  private readonly entries = new Map<string, UpperEntry>();
  private readonly inodes = new Map<number, Inode>();
  /** Per inode, its written pieces by index; a missing piece is a hole (zeros). */
  private readonly data = new Map<number, Map<number, Uint8Array>>();

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
    const pieces = this.data.get(ino);
    if (!pieces) return out;
    for (let at = start; at < end; ) {
      const index = Math.floor(at / MEMORY_PIECE);
      const from = at - index * MEMORY_PIECE;
      const take = Math.min(MEMORY_PIECE - from, end - at);
      const piece = pieces.get(index);
      if (piece) out.set(piece.subarray(from, from + take), at - start);
      at += take;
    }
    return out;
  }

  async write(ino: number, offset: number, bytes: Uint8Array, inode?: Inode): Promise<void> {
    await this.writeBytes(ino, offset, bytes);
    if (inode) await this.apply({ putInodes: [inode] });
  }

  private async writeBytes(ino: number, offset: number, bytes: Uint8Array): Promise<void> {
    if (offset + bytes.length > MEMORY_FILE_LIMIT) throw new FsError("EFBIG", "", `a file held in memory stops at ${MEMORY_FILE_LIMIT} bytes`);
    let pieces = this.data.get(ino);
    if (!pieces) this.data.set(ino, (pieces = new Map()));
    for (let done = 0; done < bytes.length; ) {
      const at = offset + done;
      const index = Math.floor(at / MEMORY_PIECE);
      const from = at - index * MEMORY_PIECE;
      const take = Math.min(MEMORY_PIECE - from, bytes.length - done);
      let piece = pieces.get(index);
      if (!piece) pieces.set(index, (piece = new Uint8Array(MEMORY_PIECE)));
      piece.set(bytes.subarray(done, done + take), from);
      done += take;
    }
  }

  async extents(ino: number): Promise<Array<[number, number]>> {
    return [...(this.data.get(ino)?.keys() ?? [])].sort((a, b) => a - b).map((i) => [i * MEMORY_PIECE, (i + 1) * MEMORY_PIECE]);
  }

  async truncate(ino: number, size: number): Promise<void> {
    const pieces = this.data.get(ino);
    if (!pieces) return;
    const keep = Math.ceil(size / MEMORY_PIECE); // pieces [0, keep) may stay
    for (const index of [...pieces.keys()]) if (index >= keep) pieces.delete(index);
    if (size % MEMORY_PIECE !== 0) pieces.get(keep - 1)?.fill(0, size % MEMORY_PIECE);
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
