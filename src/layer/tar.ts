/**
 * A streaming tar reader: ustar, PAX extended headers (path, linkpath, size, uid, gid, uname, gname,
 * mtime, SCHILY.xattr.*), GNU long names/link names (types L and K). It is fed arbitrary chunks and
 * emits each entry's header together with the byte offset of its data inside the archive, which is
 * what the store's entry index needs to read a file later without re-reading the layer.
 *
 * Bodies are not buffered: the reader only keeps what a header (512 bytes) or a PAX/GNU record needs,
 * and records bigger than META_LIMIT are refused so a hostile archive cannot make it allocate.
 */

export type TarEntryType = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";

export interface TarEntry {
  path: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  uname?: string;
  gname?: string;
  size: number;
  /** Seconds since the epoch (may be fractional with PAX). */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, string>;
  /** Offset of the entry's header block in the archive (the first extension header, if any). */
  headerOffset: number;
  /** Offset of the entry's data in the archive. */
  dataOffset: number;
}

export class TarFormatError extends Error {
  override name = "TarFormatError";
  constructor(message: string, readonly offset: number, readonly entry?: string) {
    super(`malformed tar at byte ${offset}${entry ? ` (entry ${JSON.stringify(entry)})` : ""}: ${message}`);
  }
}

const BLOCK = 512;
const META_LIMIT = 1 << 20;
/** No layer has a file larger than this; a larger declared size is a corrupt or hostile header. */
const MAX_ENTRY_SIZE = 2 ** 45;

const decoder = new TextDecoder("utf-8");
const latin1 = new TextDecoder("latin1");

function cString(buf: Uint8Array, start: number, len: number, utf8 = true): string {
  let end = start;
  const max = start + len;
  while (end < max && buf[end] !== 0) end++;
  return (utf8 ? decoder : latin1).decode(buf.subarray(start, end));
}

/** Octal field, or GNU base-256 when the high bit of the first byte is set. */
function numeric(buf: Uint8Array, start: number, len: number): number {
  const first = buf[start]!;
  if (first & 0x80) {
    let v = first & 0x7f;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + buf[i]!;
    return v;
  }
  let v = 0;
  let seen = false;
  for (let i = start; i < start + len; i++) {
    const c = buf[i]!;
    if (c === 0 || c === 0x20) {
      if (seen) break;
      continue;
    }
    if (c < 0x30 || c > 0x37) return NaN;
    v = v * 8 + (c - 0x30);
    seen = true;
  }
  return v;
}

function checksumOk(h: Uint8Array): boolean {
  const stored = numeric(h, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

function isZeroBlock(h: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (h[i] !== 0) return false;
  return true;
}

function parsePax(data: Uint8Array, offset: number): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    let sp = i;
    while (sp < data.length && data[sp] !== 0x20) sp++;
    const len = Number(latin1.decode(data.subarray(i, sp)));
    if (!Number.isInteger(len) || len <= 0 || i + len > data.length) {
      if (data.subarray(i).every((b) => b === 0)) break;
      throw new TarFormatError("bad PAX record length", offset + i);
    }
    const record = decoder.decode(data.subarray(sp + 1, i + len - 1));
    const eq = record.indexOf("=");
    if (eq < 0) throw new TarFormatError("PAX record without '='", offset + i);
    out.set(record.slice(0, eq), record.slice(eq + 1));
    i += len;
  }
  return out;
}

function typeOf(flag: number): TarEntryType | "skip" {
  switch (flag) {
    case 0:
    case 0x30: // '0'
    case 0x37: // '7' contiguous file
      return "file";
    case 0x31:
      return "hardlink";
    case 0x32:
      return "symlink";
    case 0x33:
      return "char";
    case 0x34:
      return "block";
    case 0x35:
      return "dir";
    case 0x36:
      return "fifo";
    default:
      return "skip";
  }
}

type State = "header" | "meta" | "body" | "end";

/**
 * Push-style parser. Call push() with consecutive chunks, then end(). Entries are delivered through
 * the onEntry callback (synchronously) as soon as their header is complete; body bytes are delivered
 * through onData when given (for extraction), else skipped.
 */
export class TarStreamParser {
  private state: State = "header";
  private pos = 0; // archive offset of the next byte to consume
  private header = new Uint8Array(BLOCK);
  private headerFill = 0;
  private remaining = 0; // bytes of body/meta still to consume (including padding)
  private bodyLeft = 0; // bytes of real data still to deliver
  private meta: Uint8Array | null = null;
  private metaFill = 0;
  private metaKind = 0;
  private pendingPax = new Map<string, string>();
  private globalPax = new Map<string, string>();
  private longName: string | undefined;
  private longLink: string | undefined;
  private firstHeaderOffset = -1;
  private zeroBlocks = 0;
  private current: TarEntry | undefined;

  constructor(
    private readonly onEntry: (entry: TarEntry) => void,
    private readonly onData?: (entry: TarEntry, chunk: Uint8Array) => void,
  ) {}

  /** Bytes consumed so far. */
  get offset(): number {
    return this.pos;
  }

  get ended(): boolean {
    return this.state === "end";
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      switch (this.state) {
        case "end":
          // Anything after the end-of-archive marker is padding (tar pads to a record size).
          this.pos += chunk.length - i;
          return;
        case "header": {
          const take = Math.min(BLOCK - this.headerFill, chunk.length - i);
          this.header.set(chunk.subarray(i, i + take), this.headerFill);
          this.headerFill += take;
          i += take;
          this.pos += take;
          if (this.headerFill === BLOCK) {
            this.headerFill = 0;
            this.onHeader(this.pos - BLOCK);
          }
          break;
        }
        case "meta": {
          const take = Math.min(this.remaining, chunk.length - i);
          const meta = this.meta!;
          const useful = Math.min(take, meta.length - this.metaFill);
          if (useful > 0) meta.set(chunk.subarray(i, i + useful), this.metaFill);
          this.metaFill += useful;
          this.remaining -= take;
          i += take;
          this.pos += take;
          if (this.remaining === 0) this.onMetaDone();
          break;
        }
        case "body": {
          const take = Math.min(this.remaining, chunk.length - i);
          if (this.bodyLeft > 0) {
            const data = Math.min(take, this.bodyLeft);
            if (data > 0 && this.onData) this.onData(this.current!, chunk.subarray(i, i + data));
            this.bodyLeft -= data;
          }
          this.remaining -= take;
          i += take;
          this.pos += take;
          if (this.remaining === 0) this.state = "header";
          break;
        }
      }
    }
  }

  /** Call at end of input; throws when the archive is truncated. */
  end(): void {
    if (this.state === "end") return;
    // Go's archive/tar (Docker, containerd, umoci) reads input that stops cleanly at an entry
    // boundary as the end, with or without the end-of-archive blocks, and so does this reader:
    // umoci 0.4.7's `insert` writes layers with neither the blocks nor the last file's padding.
    if (this.state === "header" && this.headerFill === 0) {
      this.state = "end";
      return;
    }
    if (this.state === "body" && this.bodyLeft === 0) {
      this.state = "end";
      return;
    }
    throw new TarFormatError(
      this.state === "body" ? `truncated: ${this.bodyLeft} bytes of file data missing` : "truncated archive",
      this.pos,
      this.current?.path,
    );
  }

  private onHeader(at: number): void {
    const h = this.header;
    if (isZeroBlock(h)) {
      this.zeroBlocks++;
      if (this.zeroBlocks >= 2) this.state = "end";
      return;
    }
    if (this.zeroBlocks > 0) throw new TarFormatError("data after a zero block", at);
    if (!checksumOk(h)) throw new TarFormatError("bad header checksum", at, cString(h, 0, 100));
    if (this.firstHeaderOffset < 0) this.firstHeaderOffset = at;
    const flag = h[156]!;
    const size = numeric(h, 124, 12);
    if (!Number.isFinite(size) || size < 0 || size > MAX_ENTRY_SIZE) {
      throw new TarFormatError(`absurd size field ${cString(h, 124, 12)}`, at, cString(h, 0, 100));
    }
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    // Extension headers: PAX (x, g) and GNU long name/link (L, K).
    if (flag === 0x78 || flag === 0x67 || flag === 0x4c || flag === 0x4b || flag === 0x58) {
      if (size > META_LIMIT) throw new TarFormatError(`extension header of ${size} bytes`, at);
      this.metaKind = flag;
      this.meta = new Uint8Array(size);
      this.metaFill = 0;
      this.remaining = padded;
      this.state = padded === 0 ? "header" : "meta";
      if (padded === 0) this.onMetaDone();
      return;
    }
    const magic = cString(h, 257, 6, false);
    let name = cString(h, 0, 100);
    if (magic.startsWith("ustar")) {
      const prefix = cString(h, 345, 155);
      if (prefix && magic === "ustar") name = `${prefix}/${name}`;
    }
    const pax = new Map([...this.globalPax, ...this.pendingPax]);
    let path = pax.get("path") ?? this.longName ?? name;
    const linkname = pax.get("linkpath") ?? this.longLink ?? cString(h, 157, 100);
    let type = typeOf(flag);
    if (type === "file" && path.endsWith("/") && (flag === 0 || flag === 0x30)) type = "dir"; // old V7 dirs
    const entrySize = pax.has("size") ? Number(pax.get("size")) : size;
    if (!Number.isFinite(entrySize) || entrySize < 0 || entrySize > MAX_ENTRY_SIZE) {
      throw new TarFormatError("absurd PAX size", at, path);
    }
    const headerOffset = this.pendingHeaderOffset >= 0 ? this.pendingHeaderOffset : at;
    this.pendingPax = new Map();
    this.longName = undefined;
    this.longLink = undefined;
    this.pendingHeaderOffset = -1;
    const bodyBytes = Math.ceil(entrySize / BLOCK) * BLOCK;
    if (type !== "skip") {
      if (path.length > 1 && path.endsWith("/")) path = path.replace(/\/+$/, "");
      const xattrs: Record<string, string> = {};
      let hasX = false;
      for (const [k, v] of pax) {
        if (k.startsWith("SCHILY.xattr.")) {
          xattrs[k.slice(13)] = v;
          hasX = true;
        }
      }
      const entry: TarEntry = {
        path,
        type,
        mode: numeric(h, 100, 8) & 0o7777,
        uid: pax.has("uid") ? Number(pax.get("uid")) : numeric(h, 108, 8),
        gid: pax.has("gid") ? Number(pax.get("gid")) : numeric(h, 116, 8),
        size: type === "file" ? entrySize : 0,
        mtime: pax.has("mtime") ? Number(pax.get("mtime")) : numeric(h, 136, 12),
        headerOffset,
        dataOffset: at + BLOCK,
      };
      const uname = pax.get("uname") ?? cString(h, 265, 32);
      const gname = pax.get("gname") ?? cString(h, 297, 32);
      if (uname) entry.uname = uname;
      if (gname) entry.gname = gname;
      if (type === "symlink" || type === "hardlink") entry.linkname = linkname;
      if (type === "char" || type === "block") {
        entry.devmajor = numeric(h, 329, 8);
        entry.devminor = numeric(h, 337, 8);
      }
      if (hasX) entry.xattrs = xattrs;
      this.current = entry;
      this.onEntry(entry);
    } else {
      this.current = undefined;
    }
    // Hardlinks, symlinks, dirs and devices carry no data even if size is set (PAX size may say so).
    const carriesData = type === "file" || type === "skip";
    this.bodyLeft = carriesData ? entrySize : 0;
    this.remaining = carriesData ? bodyBytes : (type === "hardlink" && entrySize > 0 ? bodyBytes : 0);
    this.state = this.remaining > 0 ? "body" : "header";
  }

  private pendingHeaderOffset = -1;

  private onMetaDone(): void {
    const data = this.meta!;
    const at = this.pos - Math.ceil(data.length / BLOCK) * BLOCK - BLOCK;
    if (this.pendingHeaderOffset < 0) this.pendingHeaderOffset = at;
    switch (this.metaKind) {
      case 0x78:
      case 0x58:
        for (const [k, v] of parsePax(data, at + BLOCK)) this.pendingPax.set(k, v);
        break;
      case 0x67:
        this.pendingHeaderOffset = -1;
        for (const [k, v] of parsePax(data, at + BLOCK)) this.globalPax.set(k, v);
        break;
      case 0x4c:
        this.longName = cString(data, 0, data.length);
        break;
      case 0x4b:
        this.longLink = cString(data, 0, data.length);
        break;
    }
    this.meta = null;
    this.state = "header";
  }
}
