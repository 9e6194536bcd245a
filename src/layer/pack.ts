/**
 * Turns an uncompressed layer tar stream into what an image needs, in one pass: the diff ID (sha256 of
 * the tar), the entry index, and the gzip-compressed blob with its digest. Each side is handed to a
 * sink as it is produced (the store's ingests, or memory), and the compressor's backpressure paces the
 * tar, so no more than a few chunks are held at once.
 */
import { createSha256, type Digest } from "../oci/digest.ts";
import { TarStreamParser, type TarEntry } from "./tar.ts";

export interface PackSinks {
  /** Uncompressed tar bytes, in order. */
  diff?(chunk: Uint8Array): Promise<void>;
  /** Compressed blob bytes, in order (with the local compressor). */
  blob?(chunk: Uint8Array): Promise<void>;
  /** Compresses (and stores) elsewhere — a Web Worker — instead of here. */
  compressor?: Compressor;
  /** The diff sink hashes what it stores: its digest is the diff ID (the tar is not hashed twice). */
  diffDigest?: () => Promise<Digest>;
}

/** gzip + digest of the tar, wherever it runs; write() resolves when more may be written. */
export interface Compressor {
  write(chunk: Uint8Array): Promise<void>;
  finish(): Promise<{ digest: Digest; size: number }>;
  abort(reason: unknown): Promise<void>;
}

/**
 * A transform (gzip, inflate) whose output `each` takes as it comes, with writes that cannot hang:
 * a write races the drain, so a failure of `each` or of the transform stops the writer at once; and
 * a drain that fails cancels the transform's output, which errors its input side, so a write stuck
 * on backpressure (and a close or abort waiting on that write) settles instead of waiting for ever.
 */
export function drainedTransform(stream: TransformStream<Uint8Array, Uint8Array>, each: (chunk: Uint8Array) => void | Promise<void>, end?: () => void) {
  const input = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const drained = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        await each(value);
      }
      end?.();
    } catch (e) {
      await reader.cancel(e).catch(() => {});
      throw e;
    }
  })();
  drained.catch(() => {}); // surfaced by write() or close()
  return {
    write: (chunk: Uint8Array): Promise<void> => Promise.race([input.write(chunk), drained]),
    /** Ends the input and waits until `each` has had all the output. */
    async close(): Promise<void> {
      await Promise.race([input.close(), drained]);
      await drained;
    },
    async abort(reason: unknown): Promise<void> {
      await Promise.all([input.abort(reason).catch(() => {}), reader.cancel(reason).catch(() => {})]);
      await drained.catch(() => {});
    },
  };
}

/** gzip in this thread: native CompressionStream, digest, and each compressed chunk to `sink`. */
export async function localGzip(sink?: (chunk: Uint8Array) => Promise<void>): Promise<Compressor> {
  const hash = await createSha256();
  const gzip = drainedTransform(new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>, async (value) => {
    hash.update(value);
    await sink?.(value);
  });
  return {
    write: (chunk) => gzip.write(chunk),
    async finish() {
      await gzip.close();
      return { digest: hash.digest(), size: hash.length };
    },
    abort: (reason) => gzip.abort(reason),
  };
}

export interface PackedLayer {
  diffId: Digest;
  /** Uncompressed size. */
  size: number;
  entries: TarEntry[];
  digest: Digest;
  compressedSize: number;
}

export async function packLayer(tar: ReadableStream<Uint8Array>, sinks: PackSinks = {}): Promise<PackedLayer> {
  const diffHash = await createSha256();
  const entries: TarEntry[] = [];
  const parser = new TarStreamParser((e) => entries.push(e));
  const compressor = sinks.compressor ?? (await localGzip(sinks.blob));
  const reader = tar.getReader();
  let blob: { digest: Digest; size: number };
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const toCompressor = compressor.write(value);
      if (sinks.diffDigest) size += value.length;
      else diffHash.update(value);
      parser.push(value);
      await Promise.all([sinks.diff?.(value), toCompressor]);
    }
    parser.end();
    blob = await compressor.finish();
  } catch (e) {
    await compressor.abort(e);
    await reader.cancel(e).catch(() => {});
    throw e;
  }
  if (sinks.diffDigest) return { diffId: await sinks.diffDigest(), size, entries, digest: blob.digest, compressedSize: blob.size };
  return { diffId: diffHash.digest(), size: diffHash.length, entries, digest: blob.digest, compressedSize: blob.size };
}
