/**
 * Decompression of layer blobs as streams. Three gzip inflaters are kept so the benchmark can compare
 * them on real layers (bench/inflate.ts); the pull path uses DEFAULT_GZIP, chosen by that measurement.
 * fflate, pako and fzstd (decoders.ts) are imported when a stream first needs them, not with the page.
 */
import type { Inflate as PakoInflate } from "pako";
import type { LayerCompression } from "../oci/mediatypes.ts";

export type GzipImpl = "native" | "fflate" | "pako";

/** Chromium's native DecompressionStream measured fastest on real layers (see bench/inflate.ts). */
export const DEFAULT_GZIP: GzipImpl = "native";

export class DecompressionError extends Error {
  override name = "DecompressionError";
}

/** Push-style decoders (fflate's Gunzip, fzstd's Decompress) share one stream adapter. */
interface PushDecoder {
  push(chunk: Uint8Array, final: boolean): void;
}

function pushDecoderStream(label: string, load: () => Promise<(onData: (data: Uint8Array) => void) => PushDecoder>): TransformStream<Uint8Array, Uint8Array> {
  let decoder: PushDecoder;
  const run = (chunk: Uint8Array, final: boolean) => {
    try {
      decoder.push(chunk, final);
    } catch (e) {
      throw new DecompressionError(`${label}: ${(e as Error).message ?? String(e)}`);
    }
  };
  return new TransformStream({
    async start(controller) {
      const make = await load();
      decoder = make((data) => controller.enqueue(data));
    },
    transform(chunk) {
      run(chunk, false);
    },
    flush() {
      run(new Uint8Array(0), true);
    },
  });
}

function fflateGunzip(): TransformStream<Uint8Array, Uint8Array> {
  return pushDecoderStream("gzip", async () => {
    const { Gunzip } = await import("./decoders.ts");
    return (onData) => new Gunzip(onData);
  });
}

function pakoGunzip(): TransformStream<Uint8Array, Uint8Array> {
  let inflater: PakoInflate;
  let controllerRef: TransformStreamDefaultController<Uint8Array>;
  return new TransformStream({
    async start(controller) {
      const { PakoInflate: Inflate } = await import("./decoders.ts");
      controllerRef = controller;
      inflater = new Inflate();
      inflater.onData = (data: Uint8Array) => controllerRef.enqueue(data);
    },
    transform(chunk) {
      inflater.push(chunk, false);
      if (inflater.err) throw new DecompressionError(`gzip: ${inflater.msg}`);
    },
    flush() {
      inflater.push(new Uint8Array(0), true);
      if (inflater.err) throw new DecompressionError(`gzip: ${inflater.msg}`);
    },
  });
}

function nativeGunzip(): TransformStream<Uint8Array, Uint8Array> {
  return new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>;
}

export function gunzipStream(impl: GzipImpl = DEFAULT_GZIP): TransformStream<Uint8Array, Uint8Array> {
  switch (impl) {
    case "native":
      return nativeGunzip();
    case "fflate":
      return fflateGunzip();
    case "pako":
      return pakoGunzip();
  }
}

/**
 * zstd as a stream. Browsers' DecompressionStream has no zstd; fzstd is the streaming decoder among the
 * packages (the WebAssembly ones, zstddec and @bokuweb/zstd-wasm, decode whole buffers only, which
 * would hold a whole layer in memory). Its speed is in bench/pull.ts (inflate_zstd_MBps).
 */
export function zstdStream(): TransformStream<Uint8Array, Uint8Array> {
  return pushDecoderStream("zstd", async () => {
    const { ZstdDecompress } = await import("./decoders.ts");
    return (onData) => {
      const decoder = new ZstdDecompress(onData);
      const guard = new ZstdWindowGuard();
      return {
        push(chunk, final) {
          guard.check(chunk);
          decoder.push(chunk, final);
        },
      };
    };
  });
}

/** The unsigned little-endian number in `b[from..from+n)` (zstd's header fields; up to 8 bytes, as a double). */
function littleEndian(b: readonly number[], from: number, n: number): number {
  return b.slice(from, from + n).reduceRight((v, x) => v * 256 + x, 0);
}

/** The largest window a zstd frame may ask for: zstd's own default limit for decoders (ZSTD_WINDOWLOG_LIMIT_DEFAULT, 2^27). */
export const ZSTD_WINDOW_LIMIT = 2 ** 27;

/**
 * Reads the frame and block headers of a zstd stream as it passes, and refuses a frame whose window (or,
 * for a single-segment frame, whose content) is larger than ZSTD_WINDOW_LIMIT before the decoder
 * allocates it: fzstd allocates what a frame header asks for, so 140 bytes asked for a 1.2 GiB buffer
 * and took seconds to fail (found by `npm run fuzz -- zstd`). What it does not understand it leaves to
 * the decoder to refuse.
 */
class ZstdWindowGuard {
  private state: "magic" | "skippable" | "fhd" | "header" | "block" | "off" = "magic";
  private need = 4;
  private held: number[] = [];
  private skip = 0;
  private fhd = 0;
  private lastBlock = false;
  private checksum = false;

  check(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length && this.state !== "off"; ) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      this.held.push(chunk[i++]!);
      if (this.held.length === this.need) this.step(this.held.splice(0));
    }
  }

  private step(b: number[]): void {
    const le = (from: number, n: number) => littleEndian(b, from, n);
    switch (this.state) {
      case "magic": {
        const magic = le(0, 4);
        if (magic === 0xfd2fb528) return this.expect("fhd", 1);
        if (magic >>> 4 === 0x184d2a5) return this.expect("skippable", 4);
        return this.expect("off", 0);
      }
      case "skippable":
        this.skip = le(0, 4);
        return this.expect("magic", 4);
      case "fhd": {
        this.fhd = b[0]!;
        const single = (this.fhd >> 5) & 1;
        const fcs = this.fhd >> 6;
        this.checksum = ((this.fhd >> 2) & 1) === 1;
        const length = (single ? 0 : 1) + [0, 1, 2, 4][this.fhd & 3]! + (fcs === 0 ? single : [0, 2, 4, 8][fcs]!);
        return length ? this.expect("header", length) : this.frameHeader([]);
      }
      case "header":
        return this.frameHeader(b);
      case "block": {
        const h = le(0, 3);
        this.lastBlock = (h & 1) === 1;
        const type = (h >> 1) & 3;
        this.skip = type === 1 ? 1 : h >>> 3;
        if (this.lastBlock) {
          this.skip += this.checksum ? 4 : 0;
          return this.expect("magic", 4);
        }
        return this.expect("block", 3);
      }
    }
  }

  private frameHeader(b: number[]): void {
    const single = (this.fhd >> 5) & 1;
    const fcs = this.fhd >> 6;
    let window: number;
    if (!single) {
      const exponent = b[0]! >> 3;
      const base = 2 ** (10 + exponent);
      window = base + (base / 8) * (b[0]! & 7);
    } else {
      const at = [0, 1, 2, 4][this.fhd & 3]!;
      const size = fcs === 0 ? 1 : [0, 2, 4, 8][fcs]!;
      window = littleEndian(b, at, size) + (fcs === 1 ? 256 : 0);
    }
    if (window > ZSTD_WINDOW_LIMIT) {
      throw new Error(`frame requires too much memory for decoding (${single ? "content" : "window"} of ${window} bytes; at most ${ZSTD_WINDOW_LIMIT})`);
    }
    this.expect("block", 3);
  }

  private expect(state: ZstdWindowGuard["state"], need: number): void {
    this.state = state;
    this.need = need;
  }
}

/** Passes bytes through unchanged (uncompressed layers). */
export function identityStream(): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream();
}

export function decompressStream(kind: LayerCompression, gzip: GzipImpl = DEFAULT_GZIP): TransformStream<Uint8Array, Uint8Array> {
  switch (kind) {
    case "gzip":
      return gunzipStream(gzip);
    case "none":
      return identityStream();
    case "zstd":
      return zstdStream();
  }
}

/** Sniffs the compression of a blob from its first bytes (for `docker load` and OCI layouts). */
export function sniffCompression(head: Uint8Array): LayerCompression {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  return "none";
}

