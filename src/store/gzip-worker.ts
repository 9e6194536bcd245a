/**
 * A Web Worker that gzips a layer tar being committed, digests the result and writes it into a
 * content-store ingest, while the page's thread reads the upper layer, hashes and stores the tar
 * (measured: bench/commit.ts — gzip alone is a third of a commit). It also gzips whole buffers off
 * the page's thread (the x86 runtime's saved machine state).
 */
import { localGzip, type Compressor } from "../layer/pack.ts";
import { MediaType } from "../oci/mediatypes.ts";
import type { Ingest } from "./content.ts";
import type { GzipWorkerApi } from "./gzip-protocol.ts";
import { ImageStore } from "./images.ts";
import { FirstFailure, serveInWorker } from "./rpc.ts";

let store: Promise<ImageStore> | undefined;
let ingest: Ingest | undefined;
let compressor: Compressor | undefined;
/** The first failure of a write: reported with every later acknowledgement and by finish. */
const writes = new FirstFailure();

serveInWorker<GzipWorkerApi>(
  {
    async open(dbName, chunkSize, ref) {
      store ??= ImageStore.open(dbName, chunkSize);
      const s = await store;
      writes.reset();
      ingest = await s.content.openIngest(ref, { asBlobs: true }); // a compressed layer: sent whole, never read in pieces
      const target = ingest;
      compressor = await localGzip((c) => target.write(c));
    },
    push: (chunk) => writes.run(() => compressor!.write(chunk)),
    async finish() {
      writes.check();
      const { digest, size } = await compressor!.finish();
      await ingest!.commit(digest, MediaType.ociLayerGzip);
      return { digest, size };
    },
    async abort() {
      await compressor?.abort(new Error("aborted"));
      await ingest?.discard();
    },
    // CompressionStream runs on the thread that calls it: here, not the page's.
    gzip: (data) => new Response(new Blob([data]).stream().pipeThrough(new CompressionStream("gzip"))).blob(),
  },
  { sequential: true },
);
