/**
 * Where a layer's bytes go during a pull: the compressed ingest (kept byte-exact for save/push) and,
 * beside it, inflate → tar indexer → the uncompressed diff ingest. A LayerSink runs where the work is
 * cheapest: in a Web Worker in the page (worker-sink.ts, so hashing and inflating use the second core
 * while the main thread only fetches), or in the calling thread (LocalLayerSink).
 */
import { DigestMismatchError, shortId, type Digest } from "../oci/digest.ts";
import type { LayerCompression } from "../oci/mediatypes.ts";
import type { Descriptor } from "../oci/types.ts";
import { decompressStream, DecompressionError, type GzipImpl } from "../layer/compression.ts";
import { drainedTransform } from "../layer/pack.ts";
import { TarStreamParser, type TarEntry } from "../layer/tar.ts";
import type { Ingest } from "./content.ts";
import { isStorageFull } from "./db.ts";
import type { ImageStore } from "./images.ts";

export class PullError extends Error {
  override name = "PullError";
}

export interface LayerSinkParams {
  layer: Descriptor;
  diffId: Digest;
  compression: LayerCompression;
  gzip?: GzipImpl;
  /** The diff (uncompressed tar + index) is already stored: only the compressed blob is needed. */
  haveDiff: boolean;
}

export interface LayerSink {
  /** Opens (or finds, to resume) the compressed ingest; returns the offset a download continues at. */
  open(): Promise<number>;
  /** The download starts at `offset` (0 when the registry ignored the Range): replays or restarts. */
  begin(offset: number): Promise<void>;
  push(chunk: Uint8Array): Promise<void>;
  /** Verifies the digest, commits both blobs and the entry index. A mismatch stores nothing. */
  finish(): Promise<void>;
  /** The download broke: keep the compressed bytes flushed so far for the next pull. */
  suspend(): Promise<void>;
  close(): void;
}

export interface Extraction {
  push(chunk: Uint8Array): Promise<void>;
  finish(layer: Descriptor): Promise<void>;
  abort(reason: unknown): Promise<void>;
}

/**
 * Inflates a layer as its compressed bytes arrive: the output feeds the tar indexer and the diff
 * ingest (keyed by diff ID, verified at finish), then the entry index is stored.
 */
export async function startExtraction(store: ImageStore, compression: LayerCompression, diffId: Digest, gzip: GzipImpl | undefined): Promise<Extraction> {
  const diff = await store.content.openIngest(`diff:${diffId}`, { expected: diffId });
  if (diff.offset > 0) await diff.restart();
  const entries: TarEntry[] = [];
  const parser = new TarStreamParser((e) => entries.push(e));
  const inflater = drainedTransform(
    decompressStream(compression, gzip),
    async (value) => {
      parser.push(value);
      await diff.write(value);
    },
    () => parser.end(),
  );
  return {
    async push(chunk) {
      await inflater.write(chunk); // an inflate or tar error stops the download at once
    },
    async finish(layer) {
      try {
        await inflater.close();
        await diff.commit(diffId);
      } catch (e) {
        await diff.discard().catch(() => {});
        if (e instanceof DigestMismatchError) {
          throw new PullError(`layer ${shortId(layer.digest)}: uncompressed content does not match the config's diff ID: expected ${e.expected}, got ${e.actual}`);
        }
        if (e instanceof TypeError || e instanceof DecompressionError) {
          throw new PullError(`layer ${shortId(layer.digest)}: cannot decompress (${compression}): ${(e as Error).message}`);
        }
        throw e;
      }
      await store.putLayerIndex({ diffId, entries });
    },
    async abort(reason) {
      await inflater.abort(reason);
      await diff.discard();
    },
  };
}

export async function extractLayer(
  store: ImageStore,
  blob: ReadableStream<Uint8Array>,
  compression: LayerCompression,
  diffId: Digest,
  gzip: GzipImpl | undefined,
  layer: Descriptor,
): Promise<void> {
  const extraction = await startExtraction(store, compression, diffId, gzip);
  const reader = blob.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await extraction.push(value);
    }
  } catch (e) {
    await extraction.abort(e);
    throw e;
  }
  await extraction.finish(layer);
}

/** The sink in the calling thread (a worker runs one of these too, on the other side of worker-sink.ts). */
export class LocalLayerSink implements LayerSink {
  private compressed?: Ingest;
  private extraction?: Extraction;
  // An inflate error does not stop the download: the digest decides first whether the bytes are the
  // ones asked for (a corrupted blob is a digest mismatch, not a "bad gzip"), and a verified blob that
  // still fails to inflate is reported as such after.
  private extractError: unknown;
  /** The compressed blob was stored before this pull (another image shares it): a failure keeps it. */
  private hadCompressed = false;

  constructor(private readonly store: ImageStore, private readonly p: LayerSinkParams) {}

  async open(): Promise<number> {
    const { layer } = this.p;
    this.hadCompressed = await this.store.content.has(layer.digest);
    // The compressed copy is only ever sent whole (push, save): kept as Blobs, it uploads unread.
    this.compressed = await this.store.content.openIngest(`pull:${layer.digest}`, { expected: layer.digest, total: layer.size, asBlobs: true });
    return this.compressed.offset;
  }

  async begin(offset: number): Promise<void> {
    const compressed = this.compressed!;
    if (offset === 0 && compressed.offset > 0) await compressed.restart();
    if (this.p.haveDiff) return;
    this.extraction = await startExtraction(this.store, this.p.compression, this.p.diffId, this.p.gzip);
    if (offset > 0) {
      // Inflate cannot resume mid-stream: replay the stored prefix through it, then continue.
      const prefix = compressed.storedPrefix().getReader();
      for (;;) {
        const { done, value } = await prefix.read();
        if (done) break;
        await this.feed(value);
      }
    }
  }

  private async feed(chunk: Uint8Array): Promise<void> {
    if (!this.extraction || this.extractError !== undefined) return;
    try {
      await this.extraction.push(chunk);
    } catch (e) {
      this.extractError = e;
    }
  }

  async push(chunk: Uint8Array): Promise<void> {
    await this.compressed!.write(chunk);
    await this.feed(chunk);
  }

  async finish(): Promise<void> {
    const { layer, compression } = this.p;
    try {
      await this.compressed!.commit(layer.digest, layer.mediaType); // a mismatch deletes everything and throws
    } catch (e) {
      await this.extraction?.abort(e);
      throw e;
    }
    if (this.extractError !== undefined) {
      await this.extraction?.abort(this.extractError);
      if (isStorageFull(this.extractError)) {
        // Out of room: the store is left as before the pull, so its compressed copy goes too.
        if (!this.hadCompressed) await this.store.content.delete(layer.digest).catch(() => {});
        throw this.extractError;
      }
      throw new PullError(`layer ${shortId(layer.digest)}: cannot decompress (${compression}): ${(this.extractError as Error).message}`);
    }
    await this.extraction?.finish(layer);
  }

  async suspend(): Promise<void> {
    await this.compressed?.suspend();
    await this.extraction?.abort(new Error("download interrupted"));
  }

  close(): void {}
}
