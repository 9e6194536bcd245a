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
    return (onData) => new ZstdDecompress(onData);
  });
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

