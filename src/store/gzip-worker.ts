/**
 * A Web Worker that gzips a layer tar being committed, digests the result and writes it into a
 * content-store ingest, while the page's thread reads the upper layer, hashes and stores the tar
 * (measured: bench/commit.ts — gzip alone was a third of a commit and more, on one core). The gzip
 * is one member joined from 1 MiB blocks compressed in deflate workers, one per core
 * (src/layer/gzip-join.ts). It also gzips whole buffers off the page's thread (the x86 runtime's
 * saved machine state).
 */
import { joinedGzip } from "../layer/gzip-join.ts";
import { localGzip, type Compressor } from "../layer/pack.ts";
import { MediaType } from "../oci/mediatypes.ts";
import type { Ingest } from "./content.ts";
import type { DeflateWorkerApi, GzipWorkerApi } from "./gzip-protocol.ts";
import { ImageStore } from "./images.ts";
import { connectWorker, FirstFailure, serveInWorker, type Rpc } from "./rpc.ts";
import { loadZlibJoin } from "./zlib-wasm.ts";

/** One deflate worker per core (two at least, four at most: past that IndexedDB is the bound). */
const DEFLATE_WORKERS = Math.max(2, Math.min(4, navigator.hardwareConcurrency || 2));
const deflaters: Rpc<DeflateWorkerApi>[] = [];
let next = 0;

function deflateBlock(data: Uint8Array) {
  if (deflaters.length < DEFLATE_WORKERS) {
    const worker = new Worker(new URL("./deflate-worker.ts", import.meta.url), { type: "module", name: "layerlab-deflate" });
    const rpc = connectWorker<DeflateWorkerApi>(worker, "deflate worker", {});
    // A worker that failed (its module did not load) fails its calls; later ones go to a new one.
    worker.addEventListener("error", () => {
      const at = deflaters.indexOf(rpc);
      if (at >= 0) deflaters.splice(at, 1);
      worker.terminate();
    });
    deflaters.push(rpc);
  }
  const rpc = deflaters[next++ % deflaters.length]!;
  return rpc.call("block", [data], [data.buffer as ArrayBuffer]);
}

/** Joined blocks where this worker can start workers of its own; CompressionStream on one core otherwise. */
async function gzipTo(sink: (chunk: Uint8Array) => Promise<void>): Promise<Compressor> {
  if (typeof Worker === "undefined") return localGzip(sink);
  return joinedGzip(await loadZlibJoin(), deflateBlock, DEFLATE_WORKERS * 2, sink);
}

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
      compressor = await gzipTo((c) => target.write(c));
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
