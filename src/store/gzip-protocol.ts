/** What gzip-worker.ts serves the page. */
import type { JoinableBlock } from "../layer/gzip-join.ts";
import type { Digest } from "../oci/digest.ts";

export interface GzipWorkerApi {
  /** Starts a gzip'd blob, written into the content-store ingest `ref` of database `dbName`. */
  open(dbName: string, chunkSize: number, ref: string): void;
  push(chunk: Uint8Array): void;
  /** Commits the ingest under the compressed bytes' digest. */
  finish(): { digest: Digest; size: number };
  abort(): void;
  /** gzip of a whole buffer, stored nowhere (the x86 runtime's warm state). */
  gzip(data: ArrayBuffer): Blob;
}

/** What deflate-worker.ts serves the gzip worker. */
export interface DeflateWorkerApi {
  /** One block (≤ BLOCK_SIZE) as joinable deflate. */
  block(data: Uint8Array): JoinableBlock;
}
