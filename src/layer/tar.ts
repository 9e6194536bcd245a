/**
 * A streaming tar reader that reads what Go's archive/tar (the reader of Docker, containerd and umoci)
 * reads, and refuses what it refuses: V7, ustar (with its name prefix), star, GNU (long names and
 * link names, types L and K; base-256 numbers), PAX extended headers ('x': path, linkpath, size, uid,
 * gid, uname, gname, mtime, SCHILY.xattr.*; the last of several wins, as in Go) and GNU sparse files
 * (old GNU 'S', PAX 0.0, 0.1 and 1.0; see `sparse` below). test/unit/tar-go-testdata.test.ts checks it
 * against Go on every archive of Go's own test data.
 *
 * It is fed arbitrary chunks and emits each entry's header together with the byte offset of its data
 * inside the archive, which is what the store's entry index needs to read a file later without
 * re-reading the layer.
 *
 * Like Go it applies none of a PAX global header's ('g') records to the entries after it (a global
 * header also drops the extension headers pending before it, as in Go); where Go returns the global
 * header as an entry of its own, this reader, which reads layers, skips it. Entry types a layer cannot
 * hold (GNU dump directories 'D', volume labels 'V', multi-volume 'M', Solaris 'X', ...) are skipped
 * with their data. Header-only types (links, devices, directories, FIFOs) have no data whatever their
 * size field says, as in Go.
 *
 * Bodies are not buffered: the reader only keeps what a header (512 bytes) or a PAX/GNU record or a
 * sparse map needs, and records bigger than META_LIMIT are refused (as Go does) so a hostile archive
 * cannot make it allocate.
 */
import { concatBytes } from "../oci/bytes.ts";

export type TarEntryType = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";

/** A data fragment of a sparse file: `length` bytes of the file at `offset` (the rest are holes). */
export interface TarSparseData {
  offset: number;
  length: number;
}

export interface TarEntry {
  path: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  uname?: string;
  gname?: string;
  /** The file's size (for a sparse file its logical size, holes included). */
  size: number;
  /** Seconds since the epoch (may be fractional with PAX). */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, string>;
  /** Offset of the entry's header block in the archive (the first extension header, if any). */
  headerOffset: number;
  /** Offset of the entry's data in the archive (for a sparse file: of its first data fragment). */
  dataOffset: number;
  /**
   * Only for a sparse file (read with `sparse: "expand"`): its data fragments, in order; their bytes are
   * stored back to back from dataOffset, and everything else of the file is zeros. A sparse file's
   * bytes are NOT dataOffset..dataOffset+size.
   */
  sparse?: TarSparseData[];
}

export interface TarParserOptions {
  /**
   * GNU sparse files: "refuse" (the default) throws a TarFormatError saying "sparse", because a reader
   * that takes a file's bytes from dataOffset..dataOffset+size would mis-read one; "expand" reads them
   * as Go does: the entry has its logical size and a `sparse` map, and onData delivers the holes as
   * zeros (or onHole gets their lengths).
   */
  sparse?: "refuse" | "expand";
  /** With sparse: "expand": called with each hole's length instead of delivering its zeros to onData. */
  onHole?: (entry: TarEntry, length: number) => void;
}

export class TarFormatError extends Error {
  override name = "TarFormatError";
  constructor(message: string, readonly offset: number, readonly entry?: string) {
    super(`malformed tar at byte ${offset}${entry ? ` (entry ${JSON.stringify(entry)})` : ""}: ${message}`);
  }
}

const BLOCK = 512;
/** The largest PAX record set, GNU long name or sparse map read (Go's and libarchive's limit). */
const META_LIMIT = 1 << 20;
/** The most fragments a sparse map may have. */
const SPARSE_LIMIT = 1 << 18;
/** No layer has a file larger than this; a larger declared size is a corrupt or hostile header. */
const MAX_ENTRY_SIZE = 2 ** 45;
/** Holes delivered as zeros to onData come in chunks of at most this. */
const ZERO_CHUNK = 1 << 16;

const decoder = new TextDecoder("utf-8");
const latin1 = new TextDecoder("latin1");

function cBytes(buf: Uint8Array, start = 0, len = buf.length - start): Uint8Array {
  let end = start;
  const max = start + len;
  while (end < max && buf[end] !== 0) end++;
  return buf.subarray(start, end);
}

/** A NUL-terminated string field (the whole field when it has no NUL), as UTF-8. */
function cString(buf: Uint8Array, start = 0, len = buf.length - start): string {
  return decoder.decode(cBytes(buf, start, len));
}

const isAscii = (b: Uint8Array): boolean => b.every((c) => c < 0x80);

/** strconv.ParseInt(s, 10, 64): an optional sign and decimal digits, within int64. */
function parseDecimal(s: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const v = BigInt(s);
  if (v > 0x7fffffffffffffffn || v < -0x8000000000000000n) return undefined;
  return Number(v);
}

/**
 * Numeric header fields as Go reads them: base-256 (two's complement) when the high bit of the first
 * byte is set, else octal padded with spaces or NULs. A field that is neither sets `bad`.
 */
class FieldReader {
  bad: string | undefined;
  constructor(private readonly h: Uint8Array) {}

  numeric(start: number, len: number, what: string): number {
    const h = this.h;
    if (h[start]! & 0x80) {
      const inv = h[start]! & 0x40 ? 0xff : 0;
      let x = 0n;
      for (let i = 0; i < len; i++) {
        let c = h[start + i]! ^ inv;
        if (i === 0) c &= 0x7f;
        if (x >> 56n) return this.fail(what, true);
        x = (x << 8n) | BigInt(c);
      }
      if (x >> 63n) return this.fail(what, true);
      return inv ? -Number(x) - 1 : Number(x);
    }
    return this.octal(start, len, what);
  }

  octal(start: number, len: number, what: string): number {
    let s = start;
    let e = start + len;
    const pad = (c: number) => c === 0 || c === 0x20;
    while (s < e && pad(this.h[s]!)) s++;
    while (e > s && pad(this.h[e - 1]!)) e--;
    if (s === e) return 0;
    const digits = latin1.decode(cBytes(this.h, s, e - s));
    if (!/^[0-7]+$/.test(digits)) return this.fail(what);
    const v = BigInt(`0o${digits}`);
    if (v > 0xffffffffffffffffn) return this.fail(what, true);
    return Number(BigInt.asIntN(64, v));
  }

  private fail(what: string, overflow = false): number {
    this.bad ??= overflow ? `absurd ${what} field (more than 64 bits)` : `invalid number in the ${what} field`;
    return 0;
  }
}

type Format = "v7" | "ustar" | "star" | "gnu";

function formatOf(h: Uint8Array): Format | undefined {
  const f = new FieldReader(h);
  const stored = f.octal(148, 8, "checksum");
  if (f.bad) return undefined;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  if (stored !== unsigned && stored !== signed) return undefined;
  const magic = latin1.decode(h.subarray(257, 263));
  if (magic === "ustar\0") return latin1.decode(h.subarray(508, 512)) === "tar\0" ? "star" : "ustar";
  if (magic === "ustar " && h[263] === 0x20 && h[264] === 0) return "gnu";
  return "v7";
}

function isZeroBlock(h: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (h[i] !== 0) return false;
  return true;
}

/** What Go's validPAXRecord accepts. */
function validPaxRecord(key: Uint8Array, value: Uint8Array): boolean {
  if (key.length === 0) return false;
  const k = latin1.decode(key);
  if (k === "path" || k === "linkpath" || k === "uname" || k === "gname") return !value.includes(0);
  return !key.includes(0);
}

/**
 * A PAX extended header's records, strictly as Go reads them ("%d %s=%s\n" each, nothing else), with
 * GNU sparse 0.0's repeated GNU.sparse.offset/numbytes records joined into GNU.sparse.map (as Go does).
 * Throws a message on any malformed record.
 */
function parsePax(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  const sparseMap: string[] = [];
  let i = 0;
  while (i < data.length) {
    let sp = i;
    while (sp < data.length && data[sp] !== 0x20) sp++;
    if (sp === data.length) throw "PAX record without a length";
    const len = parseDecimal(latin1.decode(data.subarray(i, sp)));
    if (len === undefined || len < 5 || len > data.length - i || len <= sp - i + 1) throw "bad PAX record length";
    const end = i + len;
    if (data[end - 1] !== 0x0a) throw "PAX record not ended by a newline";
    const record = data.subarray(sp + 1, end - 1);
    const eq = record.indexOf(0x3d);
    if (eq < 0) throw "PAX record without '='";
    const key = record.subarray(0, eq);
    const value = record.subarray(eq + 1);
    if (!validPaxRecord(key, value)) throw `invalid PAX record ${JSON.stringify(latin1.decode(key))} (NUL or empty key)`;
    const k = decoder.decode(key);
    const v = decoder.decode(value);
    if (k === "GNU.sparse.offset" || k === "GNU.sparse.numbytes") {
      if ((sparseMap.length % 2 === 0) !== (k === "GNU.sparse.offset") || v.includes(",")) throw "bad GNU sparse 0.0 records";
      sparseMap.push(v);
    } else {
      out.set(k, v);
    }
    i = end;
  }
  if (sparseMap.length) out.set("GNU.sparse.map", sparseMap.join(","));
  return out;
}

/** A PAX time ("%d" or "%d.%d") as seconds, like Go's parsePAXTime; undefined when malformed. */
function parsePaxTime(s: string): number | undefined {
  const dot = s.indexOf(".");
  const secs = parseDecimal(dot < 0 ? s : s.slice(0, dot));
  if (secs === undefined) return undefined;
  if (dot < 0) return secs;
  const frac = s.slice(dot + 1);
  if (!/^[0-9]*$/.test(frac)) return undefined;
  const nanos = Number(frac.slice(0, 9).padEnd(9, "0")) / 1e9;
  return s.startsWith("-") ? secs - nanos : secs + nanos;
}

function typeOf(flag: number): TarEntryType | "skip" {
  switch (flag) {
    case 0:
    case 0x30: // '0'
    case 0x37: // '7' contiguous file
    case 0x53: // 'S' GNU sparse file
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

/** Types '1'..'6': they have no data, whatever their size field says (Go's isHeaderOnlyType). */
const headerOnly = (flag: number): boolean => flag >= 0x31 && flag <= 0x36;

/** One piece of a sparse file as it is delivered: data from the archive, or a hole. */
interface Fragment {
  hole: boolean;
  length: number;
}

/**
 * Checks a sparse map against the file's size as Go (and BSD tar) do, and turns it into the pieces of
 * the file in order, empty ones dropped.
 */
function sparseFragments(map: TarSparseData[], size: number): Fragment[] | undefined {
  let end = 0;
  for (const d of map) {
    if (d.offset < 0 || d.length < 0 || d.offset + d.length > size || d.offset < end) return undefined;
    end = d.offset + d.length;
  }
  const out: Fragment[] = [];
  let pos = 0;
  for (const d of map) {
    if (d.length === 0) continue;
    if (d.offset > pos) out.push({ hole: true, length: d.offset - pos });
    out.push({ hole: false, length: d.length });
    pos = d.offset + d.length;
  }
  if (size > pos) out.push({ hole: true, length: size - pos });
  return out;
}

type State = "header" | "meta" | "sparseext" | "sparsemap" | "body" | "end";

/** An entry whose header is read but which waits for more of its sparse map. */
interface Pending {
  entry: TarEntry;
  flag: number;
  /** A type a layer cannot hold: read past, not announced. */
  skip: boolean;
  /** The entry's data in the archive (after the sparse map for PAX 1.0), bytes. */
  physical: number;
  map: TarSparseData[];
  /** sparsemap: the map's blocks so far, their newlines, the count of entries once read. */
  blocks?: Uint8Array[];
  newlines?: number;
  count?: number;
}

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
  private metaAt = 0;
  private metaRead = false;
  /** The records of the last PAX extended header before the entry (Go keeps only the last). */
  private pax: Map<string, string> | undefined;
  private longName: string | undefined;
  private longLink: string | undefined;
  private pendingHeaderOffset = -1;
  private zeroBlocks = 0;
  private current: TarEntry | undefined;
  private pending: Pending | undefined;
  private fragments: Fragment[] | undefined;
  private fragment = 0;
  private fragmentLeft = 0;
  private readonly sparseMode: "refuse" | "expand";
  private readonly onHole: ((entry: TarEntry, length: number) => void) | undefined;

  constructor(
    private readonly onEntry: (entry: TarEntry) => void,
    private readonly onData?: (entry: TarEntry, chunk: Uint8Array) => void,
    options: TarParserOptions = {},
  ) {
    this.sparseMode = options.sparse ?? "refuse";
    this.onHole = options.onHole;
  }

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
        case "header":
        case "sparseext": {
          const take = Math.min(BLOCK - this.headerFill, chunk.length - i);
          this.header.set(chunk.subarray(i, i + take), this.headerFill);
          this.headerFill += take;
          i += take;
          this.pos += take;
          if (this.headerFill === BLOCK) {
            this.headerFill = 0;
            if (this.state === "header") this.onHeader(this.pos - BLOCK);
            else this.onSparseExtension(this.pos - BLOCK);
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
          // Its records count as soon as its data is read (as in Go), padding or not.
          if (this.metaFill === meta.length && !this.metaRead) this.onMetaDone();
          if (this.remaining === 0) this.state = "header";
          break;
        }
        case "sparsemap": {
          const take = Math.min(BLOCK - this.headerFill, chunk.length - i);
          this.header.set(chunk.subarray(i, i + take), this.headerFill);
          this.headerFill += take;
          i += take;
          this.pos += take;
          this.remaining -= take;
          this.bodyLeft -= take;
          if (this.headerFill === BLOCK) {
            this.headerFill = 0;
            this.onSparseMapBlock(this.pos - BLOCK);
          }
          break;
        }
        case "body": {
          const take = Math.min(this.remaining, chunk.length - i);
          if (this.bodyLeft > 0) {
            const n = Math.min(take, this.bodyLeft);
            if (n > 0) this.deliver(chunk.subarray(i, i + n));
            this.bodyLeft -= n;
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
    // (Go reads an extension header with nothing after it the same way: as the end.)
    if (this.state === "header" && this.headerFill === 0) {
      this.state = "end";
      return;
    }
    if ((this.state === "body" && this.bodyLeft === 0) || (this.state === "meta" && this.metaRead)) {
      this.state = "end";
      return;
    }
    throw new TarFormatError(
      this.state === "body" ? `truncated: ${this.bodyLeft} bytes of file data missing` : "truncated archive",
      this.pos,
      this.current?.path ?? this.pending?.entry.path,
    );
  }

  /** Delivers body bytes of the current entry: as they are, or between the holes of a sparse file. */
  private deliver(bytes: Uint8Array): void {
    const entry = this.current;
    if (!entry) return; // a skipped entry's data
    if (!this.fragments) {
      this.onData?.(entry, bytes);
      return;
    }
    let at = 0;
    while (at < bytes.length) {
      const n = Math.min(this.fragmentLeft, bytes.length - at);
      this.onData?.(entry, bytes.subarray(at, at + n));
      at += n;
      this.fragmentLeft -= n;
      if (this.fragmentLeft === 0) this.nextFragment();
    }
  }

  /** Moves past the data fragment just delivered, delivering the holes after it. */
  private nextFragment(): void {
    const fragments = this.fragments!;
    const entry = this.current!;
    while (this.fragment < fragments.length) {
      const f = fragments[this.fragment++]!;
      if (!f.hole) {
        this.fragmentLeft = f.length;
        return;
      }
      if (this.onHole) this.onHole(entry, f.length);
      else if (this.onData) {
        for (let left = f.length; left > 0; left -= ZERO_CHUNK) this.onData(entry, new Uint8Array(Math.min(left, ZERO_CHUNK)));
      }
    }
    this.fragmentLeft = 0;
  }

  private onHeader(at: number): void {
    const h = this.header;
    if (isZeroBlock(h)) {
      this.zeroBlocks++;
      if (this.zeroBlocks >= 2) this.state = "end";
      return;
    }
    if (this.zeroBlocks > 0) throw new TarFormatError("data after a zero block", at);
    const format = formatOf(h);
    if (!format) throw new TarFormatError("bad header checksum", at, cString(h, 0, 100));
    const f = new FieldReader(h);
    const flag = h[156]!;
    let name = cString(h, 0, 100);
    const size = f.numeric(124, 12, "size");
    const mode = f.numeric(100, 8, "mode");
    const uid = f.numeric(108, 8, "uid");
    const gid = f.numeric(116, 8, "gid");
    const mtime = f.numeric(136, 12, "mtime");
    let uname = "";
    let gname = "";
    let devmajor = 0;
    let devminor = 0;
    if (format !== "v7") {
      uname = cString(h, 265, 32);
      gname = cString(h, 297, 32);
      devmajor = f.numeric(329, 8, "devmajor");
      devminor = f.numeric(337, 8, "devminor");
      let prefix: Uint8Array | undefined;
      if (format === "ustar") prefix = cBytes(h, 345, 155);
      else if (format === "star") {
        prefix = cBytes(h, 345, 131);
        f.numeric(476, 12, "atime");
        f.numeric(488, 12, "ctime");
      } else {
        // Go before 1.8 wrote a ustar prefix into GNU headers, where the atime and ctime are: when
        // those do not read as numbers and the prefix is ASCII, Go reads it as a prefix, and so do we.
        const times = new FieldReader(h);
        if (h[345] !== 0) times.numeric(345, 12, "atime");
        if (h[357] !== 0) times.numeric(357, 12, "ctime");
        if (times.bad) {
          const p = cBytes(h, 345, 155);
          if (isAscii(p)) prefix = p;
        }
      }
      if (prefix?.length) name = `${decoder.decode(prefix)}/${name}`;
    }
    if (f.bad) throw new TarFormatError(f.bad, at, name);
    if (!headerOnly(flag) && size < 0) throw new TarFormatError(`negative size ${size}`, at, name);
    if (size > MAX_ENTRY_SIZE) throw new TarFormatError(`absurd size field ${size}`, at, name);
    if (this.pendingHeaderOffset < 0) this.pendingHeaderOffset = at;

    // Extension headers: PAX (x, g) and GNU long name/link (L, K).
    if (flag === 0x78 || flag === 0x67 || flag === 0x4c || flag === 0x4b) {
      if (size > META_LIMIT) throw new TarFormatError(`extension header of ${size} bytes`, at);
      this.metaKind = flag;
      this.metaAt = at;
      this.meta = new Uint8Array(size);
      this.metaFill = 0;
      this.metaRead = false;
      this.remaining = Math.ceil(size / BLOCK) * BLOCK;
      this.state = "meta";
      if (this.remaining === 0) {
        this.onMetaDone();
        this.state = "header";
      }
      return;
    }

    // PAX records over the header's fields (an empty value keeps the header's), then GNU long names.
    const pax = this.pax ?? new Map<string, string>();
    let linkname = cString(h, 157, 100);
    let entrySize = size;
    let entryUid = uid;
    let entryGid = gid;
    let entryMtime = mtime;
    const xattrs: Record<string, string> = {};
    let hasXattrs = false;
    for (const [k, v] of pax) {
      if (v === "") continue;
      let ok = true;
      switch (k) {
        case "path":
          name = v;
          break;
        case "linkpath":
          linkname = v;
          break;
        case "uname":
          uname = v;
          break;
        case "gname":
          gname = v;
          break;
        case "uid":
        case "gid":
        case "size": {
          const n = parseDecimal(v);
          if (n === undefined) ok = false;
          else if (k === "uid") entryUid = n;
          else if (k === "gid") entryGid = n;
          else entrySize = n;
          break;
        }
        case "mtime":
        case "atime":
        case "ctime": {
          const t = parsePaxTime(v);
          if (t === undefined) ok = false;
          else if (k === "mtime") entryMtime = t;
          break;
        }
        default:
          if (k.startsWith("SCHILY.xattr.")) {
            xattrs[k.slice(13)] = v;
            hasXattrs = true;
          }
      }
      if (!ok) throw new TarFormatError(`invalid PAX ${k} ${JSON.stringify(v)}`, at, name);
    }
    if (this.longName) name = this.longName;
    if (this.longLink) linkname = this.longLink;
    const headerOffset = this.pendingHeaderOffset;
    this.pax = undefined;
    this.longName = undefined;
    this.longLink = undefined;
    this.pendingHeaderOffset = -1;

    let type = typeOf(flag);
    if (flag === 0 && name.endsWith("/")) type = "dir"; // legacy archives mark directories so
    const physical = headerOnly(flag) ? 0 : entrySize;
    if (physical < 0) throw new TarFormatError(`negative PAX size ${entrySize}`, at, name);
    if (entrySize > MAX_ENTRY_SIZE) throw new TarFormatError(`absurd PAX size ${entrySize}`, at, name);

    // GNU sparse files: the old GNU format ('S', the map in the header and extension blocks after it)
    // or GNU's PAX formats (0.0 and 0.1: the map in PAX records; 1.0: at the start of the data).
    let sparse: "old" | "0.1" | "1.0" | undefined;
    if (flag === 0x53) {
      if (format !== "gnu") throw new TarFormatError("sparse file ('S') in a non-GNU header", at, name);
      sparse = "old";
    } else {
      const major = pax.get("GNU.sparse.major") ?? "";
      const minor = pax.get("GNU.sparse.minor") ?? "";
      if (major === "0" && (minor === "0" || minor === "1")) sparse = "0.1";
      else if (major === "1" && minor === "0") sparse = "1.0";
      else if (major === "" && minor === "" && pax.get("GNU.sparse.map")) sparse = "0.1";
    }
    let logical = entrySize;
    if (sparse && sparse !== "old") {
      const realName = pax.get("GNU.sparse.name");
      if (realName) name = realName;
      const real = pax.get("GNU.sparse.size") || pax.get("GNU.sparse.realsize");
      if (real) {
        const n = parseDecimal(real);
        if (n === undefined) throw new TarFormatError(`invalid GNU sparse size ${JSON.stringify(real)}`, at, name);
        logical = n;
      }
    }

    if (name.length > 1 && name.endsWith("/")) name = name.replace(/\/+$/, "");
    const entry: TarEntry = {
      path: name,
      type: type === "skip" ? "file" : type,
      mode: mode & 0o7777,
      uid: entryUid,
      gid: entryGid,
      size: type === "file" || type === "skip" ? logical : 0,
      mtime: entryMtime,
      headerOffset,
      dataOffset: at + BLOCK,
    };
    if (uname) entry.uname = uname;
    if (gname) entry.gname = gname;
    if (type === "symlink" || type === "hardlink") entry.linkname = linkname;
    if (type === "char" || type === "block") {
      entry.devmajor = devmajor;
      entry.devminor = devminor;
    }
    if (hasXattrs) entry.xattrs = xattrs;

    if (!sparse) {
      this.startBody(entry, type === "skip", physical, undefined);
      return;
    }
    const kind = sparse === "old" ? "old GNU" : `GNU PAX ${sparse === "0.1" ? (pax.has("GNU.sparse.major") ? "0.1" : "0.0") : "1.0"}`;
    if (this.sparseMode === "refuse") {
      throw new TarFormatError(`sparse file (${kind} format) not supported here; read with sparse: "expand"`, at, name);
    }
    if (headerOnly(flag)) throw new TarFormatError(`${kind} sparse map on a ${type} entry`, at, name);
    if (logical < 0 || logical > MAX_ENTRY_SIZE) throw new TarFormatError(`absurd sparse file size ${logical}`, at, name);
    const p: Pending = { entry: { ...entry, size: logical }, flag, skip: type === "skip", physical, map: [] };
    this.pending = p;
    this.current = undefined;
    if (sparse === "old") {
      const rf = new FieldReader(h);
      logical = rf.numeric(483, 12, "real size");
      p.entry.size = logical;
      if (logical < 0 || logical > MAX_ENTRY_SIZE) rf.bad ??= `absurd sparse file size ${logical}`;
      this.readOldSparse(rf, h, 386, 4, at);
      if (h[482]! > 0) {
        this.state = "sparseext";
        return;
      }
      this.finishSparse(at);
    } else if (sparse === "0.1") {
      const count = parseDecimal(pax.get("GNU.sparse.numblocks") ?? "");
      let list = (pax.get("GNU.sparse.map") ?? "").split(",");
      if (list.length === 1 && list[0] === "") list = [];
      if (count === undefined || count < 0 || count > SPARSE_LIMIT || list.length !== 2 * count) {
        throw new TarFormatError("bad GNU sparse map (GNU.sparse.numblocks, GNU.sparse.map)", at, name);
      }
      for (let i = 0; i < list.length; i += 2) {
        const offset = parseDecimal(list[i]!);
        const length = parseDecimal(list[i + 1]!);
        if (offset === undefined || length === undefined) throw new TarFormatError("bad number in the GNU sparse map", at, name);
        p.map.push({ offset, length });
      }
      this.finishSparse(at);
    } else {
      p.blocks = [];
      p.newlines = 0;
      this.bodyLeft = physical;
      this.remaining = Math.ceil(physical / BLOCK) * BLOCK;
      this.state = "sparsemap";
      if (this.bodyLeft < BLOCK) throw new TarFormatError("GNU sparse 1.0 map truncated", at, name);
    }
  }

  /** Reads `n` entries of an old GNU sparse map at `start` (ended early by an entry starting with NUL). */
  private readOldSparse(f: FieldReader, h: Uint8Array, start: number, n: number, at: number): void {
    const p = this.pending!;
    for (let i = 0; i < n; i++) {
      const s = start + i * 24;
      if (h[s] === 0) break;
      const offset = f.numeric(s, 12, "sparse offset");
      const length = f.numeric(s + 12, 12, "sparse length");
      p.map.push({ offset, length });
    }
    if (f.bad) throw new TarFormatError(f.bad, at, p.entry.path);
    if (p.map.length > SPARSE_LIMIT) throw new TarFormatError("sparse map too large", at, p.entry.path);
  }

  private onSparseExtension(at: number): void {
    const h = this.header;
    this.readOldSparse(new FieldReader(h), h, 0, 21, at);
    if (h[504]! > 0) return; // another extension block follows
    this.pending!.entry.dataOffset = at + BLOCK;
    this.finishSparse(at);
  }

  /** A block of a GNU PAX 1.0 sparse map: decimal numbers, one a line — the count, then offset and length pairs. */
  private onSparseMapBlock(at: number): void {
    const p = this.pending!;
    const block = this.header.slice();
    p.blocks!.push(block);
    for (const c of block) if (c === 0x0a) p.newlines!++;
    const need = (n: number) => {
      if (p.newlines! >= n) return true;
      if (p.blocks!.length * BLOCK >= META_LIMIT) throw new TarFormatError("GNU sparse 1.0 map too large", at, p.entry.path);
      if (this.bodyLeft < BLOCK) throw new TarFormatError("GNU sparse 1.0 map truncated", at, p.entry.path);
      return false;
    };
    if (!need(1)) return;
    const text = latin1.decode(concatBytes(p.blocks!));
    const tokens = text.split("\n");
    if (p.count === undefined) {
      const count = parseDecimal(tokens[0]!);
      if (count === undefined || count < 0 || count > SPARSE_LIMIT) throw new TarFormatError("bad GNU sparse 1.0 map", at, p.entry.path);
      p.count = count;
    }
    if (!need(1 + 2 * p.count)) return;
    for (let i = 0; i < p.count; i++) {
      const offset = parseDecimal(tokens[1 + 2 * i]!);
      const length = parseDecimal(tokens[2 + 2 * i]!);
      if (offset === undefined || length === undefined) throw new TarFormatError("bad number in the GNU sparse 1.0 map", at, p.entry.path);
      p.map.push({ offset, length });
    }
    p.entry.dataOffset = at + BLOCK;
    p.physical = this.bodyLeft;
    this.finishSparse(at);
  }

  /** The sparse map is complete: check it, announce the entry, read its data. */
  private finishSparse(at: number): void {
    const p = this.pending!;
    this.pending = undefined;
    const fragments = sparseFragments(p.map, p.entry.size);
    if (!fragments) throw new TarFormatError("invalid sparse map (out of order, overlapping or beyond the file's size)", at, p.entry.path);
    const stored = fragments.reduce((n, f) => n + (f.hole ? 0 : f.length), 0);
    if (stored !== p.physical) {
      throw new TarFormatError(
        stored > p.physical ? "sparse file references non-existent data" : "sparse file contains unreferenced data",
        at,
        p.entry.path,
      );
    }
    p.entry.sparse = p.map.filter((d) => d.length > 0);
    // What is already consumed of the body (a 1.0 map's blocks) is not data.
    const consumed = p.flag !== 0x53 && p.blocks ? p.blocks.length * BLOCK : 0;
    this.startBody(p.entry, p.skip, p.physical, fragments, consumed);
  }

  private startBody(entry: TarEntry, skip: boolean, physical: number, fragments: Fragment[] | undefined, consumed = 0): void {
    this.fragments = fragments;
    this.fragment = 0;
    this.fragmentLeft = 0;
    if (skip) {
      this.current = undefined;
    } else {
      this.current = entry;
      this.onEntry(entry);
      if (fragments) this.nextFragment();
    }
    this.bodyLeft = physical;
    this.remaining = Math.ceil((physical + consumed) / BLOCK) * BLOCK - consumed;
    this.state = this.remaining > 0 ? "body" : "header";
  }

  private onMetaDone(): void {
    const data = this.meta!;
    const at = this.metaAt;
    this.metaRead = true;
    switch (this.metaKind) {
      case 0x78:
      case 0x67: {
        let records: Map<string, string>;
        try {
          records = parsePax(data);
        } catch (why) {
          throw new TarFormatError(String(why), at + BLOCK);
        }
        if (this.metaKind === 0x78) {
          this.pax = records; // the last extended header wins, as in Go
        } else {
          // A global header: Go returns it as an entry and applies none of its records; a layer
          // reader skips it. What was pending before it is dropped, as in Go.
          this.pax = undefined;
          this.longName = undefined;
          this.longLink = undefined;
          this.pendingHeaderOffset = -1;
        }
        break;
      }
      case 0x4c:
        this.longName = cString(data);
        break;
      case 0x4b:
        this.longLink = cString(data);
        break;
    }
  }
}
