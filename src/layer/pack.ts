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
  /** Compressed blob bytes, in order. */
  blob?(chunk: Uint8Array): Promise<void>;
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
  const blobHash = await createSha256();
  const entries: TarEntry[] = [];
  const parser = new TarStreamParser((e) => entries.push(e));
  const gzip = new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>;
  const gzipIn = gzip.writable.getWriter();
  const drained = (async () => {
    const reader = gzip.readable.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      blobHash.update(value);
      await sinks.blob?.(value);
    }
  })();
  drained.catch(() => {});
  const reader = tar.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      diffHash.update(value);
      parser.push(value);
      await Promise.all([sinks.diff?.(value), Promise.race([gzipIn.write(value), drained])]);
    }
    parser.end();
    await gzipIn.close();
    await drained;
  } catch (e) {
    await gzipIn.abort(e).catch(() => {});
    await reader.cancel(e).catch(() => {});
    throw e;
  }
  return { diffId: diffHash.digest(), size: diffHash.length, entries, digest: blobHash.digest(), compressedSize: blobHash.length };
}
