/**
 * A deterministic streaming tar writer for layers: ustar headers, a PAX extended header only when a
 * field does not fit (long path or link name, large ids or sizes, sub-second or out-of-range mtime,
 * non-ASCII names, xattrs), no user/group names, and an optional fixed timestamp — so the same change
 * always gives the same bytes, and therefore the same diff ID.
 */
import type { TarEntryType } from "./tar.ts";

export interface TarWriteEntry {
  path: string;
  type: TarEntryType;
  mode: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch. */
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, string>;
  /** Regular files: the size of the data written after the header. */
  size?: number;
}

export interface TarWriterOptions {
  /** Overrides every entry's mtime (reproducible layers). */
  fixedMtime?: number;
}

const BLOCK = 512;
const encoder = new TextEncoder();
const TYPE_FLAG: Record<TarEntryType, string> = { file: "0", hardlink: "1", symlink: "2", char: "3", block: "4", dir: "5", fifo: "6" };
const MAX_OCTAL_8 = 0o7777777;
const MAX_OCTAL_12 = 0o77777777777;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

function putString(h: Uint8Array, at: number, len: number, s: string): void {
  h.set(encoder.encode(s).subarray(0, len), at);
}

function paxRecord(key: string, value: string): string {
  // "<len> <key>=<value>\n" where len counts its own digits: iterate to the fixed point.
  const body = ` ${key}=${value}\n`;
  const bodyLen = encoder.encode(body).length;
  let len = bodyLen;
  for (let next = bodyLen + String(len).length; next !== len; next = bodyLen + String(len).length) len = next;
  return `${len}${body}`;
}

function isAscii(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s);
}

/** Splits a path into ustar prefix (≤155) and name (≤100) at a slash, if it can be. */
function splitUstar(path: string): { prefix: string; name: string } | undefined {
  if (path.length <= 100) return { prefix: "", name: path };
  for (let i = path.length - 101; i < path.length; i++) {
    if (path[i] === "/" && i <= 155 && path.length - i - 1 <= 100 && i > 0) return { prefix: path.slice(0, i), name: path.slice(i + 1) };
  }
  return undefined;
}

function header(fields: { name: string; prefix: string; mode: number; uid: number; gid: number; size: number; mtime: number; flag: string; linkname: string; devmajor: number; devminor: number }): Uint8Array {
  const h = new Uint8Array(BLOCK);
  putString(h, 0, 100, fields.name);
  putString(h, 100, 8, octal(fields.mode & 0o7777, 8));
  putString(h, 108, 8, octal(fields.uid, 8));
  putString(h, 116, 8, octal(fields.gid, 8));
  putString(h, 124, 12, octal(fields.size, 12));
  putString(h, 136, 12, octal(fields.mtime, 12));
  putString(h, 148, 8, "        ");
  putString(h, 156, 1, fields.flag);
  putString(h, 157, 100, fields.linkname);
  putString(h, 257, 6, "ustar\0");
  putString(h, 263, 2, "00");
  putString(h, 329, 8, octal(fields.devmajor, 8));
  putString(h, 337, 8, octal(fields.devminor, 8));
  putString(h, 345, 155, fields.prefix);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i]!;
  putString(h, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

/** Header bytes (PAX extension first when needed) for one entry; data and padding follow separately. */
export function encodeHeader(e: TarWriteEntry, opts: TarWriterOptions = {}): Uint8Array {
  const path = e.type === "dir" && !e.path.endsWith("/") ? `${e.path}/` : e.path;
  const size = e.type === "file" ? (e.size ?? 0) : 0;
  const uid = e.uid ?? 0;
  const gid = e.gid ?? 0;
  const mtime = opts.fixedMtime ?? e.mtime ?? 0;
  const linkname = e.linkname ?? "";
  const pax: [string, string][] = [];
  const split = isAscii(path) ? splitUstar(path) : undefined;
  if (!split) pax.push(["path", path]);
  if (linkname.length > 100 || !isAscii(linkname)) pax.push(["linkpath", linkname]);
  if (uid > MAX_OCTAL_8) pax.push(["uid", String(uid)]);
  if (gid > MAX_OCTAL_8) pax.push(["gid", String(gid)]);
  if (size > MAX_OCTAL_12) pax.push(["size", String(size)]);
  if (!Number.isInteger(mtime) || mtime < 0 || mtime > MAX_OCTAL_12) pax.push(["mtime", String(mtime)]);
  for (const [k, v] of Object.entries(e.xattrs ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) pax.push([`SCHILY.xattr.${k}`, v]);
  const main = header({
    name: split ? split.name : path.slice(0, 100),
    prefix: split ? split.prefix : "",
    mode: e.mode,
    uid: Math.min(uid, MAX_OCTAL_8),
    gid: Math.min(gid, MAX_OCTAL_8),
    size: Math.min(size, MAX_OCTAL_12),
    mtime: Math.max(0, Math.min(Math.floor(mtime), MAX_OCTAL_12)),
    flag: TYPE_FLAG[e.type],
    linkname: linkname.length <= 100 && isAscii(linkname) ? linkname : linkname.slice(0, 100),
    devmajor: e.devmajor ?? 0,
    devminor: e.devminor ?? 0,
  });
  if (pax.length === 0) return main;
  const records = encoder.encode(pax.map(([k, v]) => paxRecord(k, v)).join(""));
  const paxName = `PaxHeaders/${(split ? split.name : path).slice(-80).replace(/\/$/, "")}`;
  const paxHeader = header({ name: paxName.slice(0, 100), prefix: "", mode: 0o644, uid: 0, gid: 0, size: records.length, mtime: 0, flag: "x", linkname: "", devmajor: 0, devminor: 0 });
  const out = new Uint8Array(BLOCK + padded(records.length) + BLOCK);
  out.set(paxHeader, 0);
  out.set(records, BLOCK);
  out.set(main, BLOCK + padded(records.length));
  return out;
}

export function padded(n: number): number {
  return Math.ceil(n / BLOCK) * BLOCK;
}

/** Two zero blocks: the end-of-archive marker. */
export function endOfArchive(): Uint8Array {
  return new Uint8Array(2 * BLOCK);
}

/**
 * Writes entries to a stream of chunks. Call add() in the order entries should appear (see
 * sortForLayer), then close().
 */
export class TarWriter {
  readonly readable: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private wake?: () => void;

  constructor(private readonly opts: TarWriterOptions = {}) {
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (c) => void (this.controller = c),
        pull: () => {
          this.wake?.();
          this.wake = undefined;
        },
      },
      { highWaterMark: 8 },
    );
  }

  /** Waits while the reader is behind, so file data is never buffered beyond a few chunks. */
  private async room(): Promise<void> {
    while ((this.controller.desiredSize ?? 1) <= 0) await new Promise<void>((r) => (this.wake = r));
  }

  /** Adds an entry; a regular file's data is given whole or as a stream of exactly `size` bytes. */
  async add(entry: TarWriteEntry, data?: Uint8Array | ReadableStream<Uint8Array>): Promise<void> {
    const size = entry.type === "file" ? (entry.size ?? (data instanceof Uint8Array ? data.length : 0)) : 0;
    this.controller.enqueue(encodeHeader({ ...entry, size }, this.opts));
    if (entry.type !== "file" || size === 0) return;
    let written = 0;
    if (data instanceof Uint8Array) {
      this.controller.enqueue(data);
      written = data.length;
    } else if (data) {
      const reader = data.getReader();
      for (;;) {
        await this.room();
        const { done, value } = await reader.read();
        if (done) break;
        this.controller.enqueue(value);
        written += value.length;
      }
    }
    if (written !== size) throw new Error(`tar: ${entry.path}: wrote ${written} bytes, header says ${size}`);
    const pad = padded(size) - size;
    if (pad) this.controller.enqueue(new Uint8Array(pad));
  }

  close(): void {
    this.controller.enqueue(endOfArchive());
    this.controller.close();
  }

  /** Ends the stream with an error (the reader sees it instead of a truncated archive). */
  error(reason: unknown): void {
    this.controller.error(reason);
  }
}

/**
 * Layer order: component by component, so a directory comes right before its contents; an opaque
 * marker comes first in its directory, as the spec asks it to be applied first.
 */
export function sortForLayer<T extends { path: string }>(entries: T[]): T[] {
  const key = (p: string) => p.replace(/\/$/, "").replace(/(^|\/)\.wh\.\.wh\.\.opq$/, "$1\u0000");
  return [...entries].sort((a, b) => {
    const ka = key(a.path).split("/");
    const kb = key(b.path).split("/");
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
    }
    return ka.length - kb.length;
  });
}
