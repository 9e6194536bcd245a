/**
 * gzip in independent pieces that join into one gzip member, as pigz makes them, so a layer can be
 * compressed on every core and still be the single member Chromium's DecompressionStream accepts
 * (it refuses several; checked). Each 1 MiB block of the tar is compressed on its own (any worker):
 * runs of 64 KiB pieces near 8 bits of entropy a byte become stored blocks, the rest goes through
 * the platform's raw deflate (CompressionStream, native zlib); that stream's final bit is cleared
 * and a sync marker appended (zlib in WebAssembly finds both by inflating to each block boundary),
 * so the blocks concatenate. The joiner writes the header, the blocks in order, a final empty block
 * and the trailer with the CRC-32s combined. The same tar gives the same bytes: blocks are cut at
 * fixed offsets, whatever the chunks it arrives in.
 */
import { concatBytes } from "../oci/bytes.ts";
import { createSha256 } from "../oci/digest.ts";
import type { Compressor } from "./pack.ts";

/** The size of the blocks compressed apart. */
export const BLOCK_SIZE = 1 << 20;
const PIECE = 1 << 16;
/** gzip's header as Go's compress/gzip writes it: no name, no mtime, OS unknown. */
const HEADER = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255);
/** A final fixed-Huffman block holding only its end code. */
const FINAL_EMPTY_BLOCK = Uint8Array.of(3, 0);

/** zlib's part (src/store/zlib.wasm from scripts/zlib-wasm/deflate-join.c), instantiated. */
export class ZlibJoin {
  private readonly e: {
    memory: WebAssembly.Memory;
    _initialize(): void;
    ll_buffer(): number;
    ll_buffer_size(): number;
    ll_crc32(crc: number, len: number): number;
    ll_crc32_combine(a: number, b: number, lenB: number): number;
    ll_incompressible(len: number, piece: number): number;
    ll_final_block(len: number): bigint;
  };
  private readonly at: number;
  private readonly room: number;

  static async load(wasm: BufferSource): Promise<ZlibJoin> {
    return new ZlibJoin((await WebAssembly.instantiate(wasm)).instance);
  }

  private constructor(instance: WebAssembly.Instance) {
    this.e = instance.exports as unknown as ZlibJoin["e"];
    this.e._initialize();
    this.at = this.e.ll_buffer();
    this.room = this.e.ll_buffer_size();
  }

  private put(data: Uint8Array): void {
    if (data.length > this.room) throw new RangeError(`gzip join: ${data.length} bytes do not fit zlib's buffer`);
    new Uint8Array(this.e.memory.buffer, this.at, data.length).set(data);
  }

  /** CRC-32 of `data` and which of its 64 KiB pieces to store rather than compress (bit i: piece i). */
  classify(data: Uint8Array): { crc: number; stored: number } {
    this.put(data);
    return { crc: this.e.ll_crc32(0, data.length) >>> 0, stored: this.e.ll_incompressible(data.length, PIECE) >>> 0 };
  }

  combine(a: number, b: number, lengthB: number): number {
    return this.e.ll_crc32_combine(a, b, lengthB) >>> 0;
  }

  /** A complete raw deflate stream made joinable: its final bit cleared, a sync marker after it. */
  joinable(raw: Uint8Array): Uint8Array {
    this.put(raw);
    const r = this.e.ll_final_block(raw.length);
    if (r < 0n) throw new Error(`gzip join: the raw deflate stream is not one whole stream (zlib ${r})`);
    const finalBit = Number(r >> 3n);
    const pad = Number(r & 7n);
    // The stored block's 3 header bits fit in the padding, or begin a byte of their own.
    const marker = pad >= 3 ? [0, 0, 0xff, 0xff] : [0, 0, 0, 0xff, 0xff];
    const out = new Uint8Array(raw.length + marker.length);
    out.set(raw);
    out[finalBit >> 3]! &= ~(1 << (finalBit & 7));
    // The padding after the final block is zeros as zlib writes it; made sure, as the marker may begin in it.
    if (pad > 0) out[raw.length - 1]! &= (1 << (8 - pad)) - 1;
    out.set(marker, raw.length);
    return out;
  }
}

/** `data` as stored deflate blocks (byte-aligned, none final). */
export function storedBlocks(data: Uint8Array): Uint8Array {
  const count = Math.ceil(data.length / 0xffff);
  const out = new Uint8Array(data.length + count * 5);
  for (let i = 0, o = 0; i < data.length; i += 0xffff) {
    const n = Math.min(0xffff, data.length - i);
    out.set([0, n & 255, n >> 8, ~n & 255, (~n >> 8) & 255], o);
    out.set(data.subarray(i, i + n), o + 5);
    o += 5 + n;
  }
  return out;
}

/** A block ready to join: its deflate bytes (pieces in order), CRC-32 and uncompressed length. */
export interface JoinableBlock {
  parts: Uint8Array[];
  crc: number;
  length: number;
}

/** Compresses one block (≤ BLOCK_SIZE) into joinable deflate; `rawDeflate` is a whole raw deflate of its input. */
export async function compressBlock(zlib: ZlibJoin, block: Uint8Array, rawDeflate: (data: Uint8Array) => Promise<Uint8Array>): Promise<JoinableBlock> {
  const { crc, stored } = zlib.classify(block);
  const parts: Uint8Array[] = [];
  // Runs of pieces of one kind: stored, or compressed together.
  for (let start = 0; start < block.length; ) {
    const kind = (stored >>> (start / PIECE)) & 1;
    let end = start + PIECE;
    while (end < block.length && ((stored >>> (end / PIECE)) & 1) === kind) end += PIECE;
    const run = block.subarray(start, Math.min(end, block.length));
    parts.push(kind ? storedBlocks(run) : zlib.joinable(await rawDeflate(run)));
    start = end;
  }
  return { parts, crc, length: block.length };
}

/** Writes the member: header, then blocks in order, then the end. */
export class GzipJoiner {
  private crc = 0;
  private length = 0;
  constructor(private readonly zlib: ZlibJoin) {}

  header(): Uint8Array {
    return HEADER.slice();
  }

  add(block: JoinableBlock): Uint8Array[] {
    this.crc = this.zlib.combine(this.crc, block.crc, block.length); // with nothing before: block.crc
    this.length += block.length;
    return block.parts;
  }

  end(): Uint8Array {
    const out = new Uint8Array(10);
    out.set(FINAL_EMPTY_BLOCK);
    const view = new DataView(out.buffer);
    view.setUint32(2, this.crc, true);
    view.setUint32(6, this.length >>> 0, true); // ISIZE: the length modulo 2^32
    return out;
  }
}

/**
 * Raw deflate by the platform's CompressionStream (native zlib, default level). Written and read
 * directly: through Blob.stream() and Response it cost 4 ms more a call (measured in Chromium).
 */
export async function platformRawDeflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new CompressionStream("deflate-raw") as unknown as TransformStream<Uint8Array, Uint8Array>;
  const writer = stream.writable.getWriter();
  const written = Promise.all([writer.write(data), writer.close()]);
  written.catch(() => {}); // a failure errors the readable too
  const reader = stream.readable.getReader();
  const parts: Uint8Array[] = [];
  for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
  const out = parts.length === 1 ? parts[0]! : concatBytes(parts);
  await written;
  return out;
}

/**
 * A Compressor (pack.ts) that cuts the tar into blocks, has `compress` make each joinable (in workers:
 * up to `inFlight` at once) and hands the member to `sink` in order, with its digest and size.
 */
export async function joinedGzip(zlib: ZlibJoin, compress: (block: Uint8Array) => Promise<JoinableBlock>, inFlight: number, sink?: (chunk: Uint8Array) => Promise<void>): Promise<Compressor> {
  const hash = await createSha256();
  const joiner = new GzipJoiner(zlib);
  const pending: Promise<JoinableBlock>[] = [];
  let block = new Uint8Array(BLOCK_SIZE);
  let filled = 0;
  let failed: { error: unknown } | undefined;
  const emit = async (chunk: Uint8Array) => {
    hash.update(chunk);
    await sink?.(chunk);
  };
  const send = (data: Uint8Array) => {
    const p = compress(data);
    p.catch(() => {}); // surfaced where it is awaited, in order
    pending.push(p);
  };
  const takeOne = async () => {
    for (const part of joiner.add(await pending.shift()!)) await emit(part);
  };
  const check = () => {
    if (failed) throw failed.error;
  };
  await emit(joiner.header());
  return {
    async write(chunk) {
      check();
      try {
        for (let at = 0; at < chunk.length; ) {
          const n = Math.min(BLOCK_SIZE - filled, chunk.length - at);
          block.set(chunk.subarray(at, at + n), filled);
          filled += n;
          at += n;
          if (filled === BLOCK_SIZE) {
            send(block);
            block = new Uint8Array(BLOCK_SIZE);
            filled = 0;
            while (pending.length >= inFlight) await takeOne();
          }
        }
      } catch (e) {
        failed ??= { error: e };
        throw e;
      }
    },
    async finish() {
      check();
      try {
        if (filled > 0) send(block.slice(0, filled));
        while (pending.length) await takeOne();
        await emit(joiner.end());
      } catch (e) {
        failed ??= { error: e };
        throw e;
      }
      return { digest: hash.digest(), size: hash.length };
    },
    async abort(reason) {
      failed ??= { error: reason };
      await Promise.allSettled(pending.splice(0));
    },
  };
}
