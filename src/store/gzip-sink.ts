/**
 * The page's side of gzip-worker.ts: a Compressor whose gzip, digest and blob ingest run in a Web
 * Worker. Chunks are copied (the page still stores the uncompressed tar) with at most MAX_IN_FLIGHT
 * unacknowledged, so memory stays at a few chunks whatever the layer size. And gzip of a whole buffer
 * off the page's thread (gzipInWorker).
 */
import type { Compressor } from "../layer/pack.ts";
import type { GzipWorkerApi } from "./gzip-protocol.ts";
import { connectWorker, Pipeline, type Rpc } from "./rpc.ts";

const MAX_IN_FLIGHT = 8;
const idle: Rpc<GzipWorkerApi>[] = [];

function takeWorker(): Rpc<GzipWorkerApi> {
  return idle.pop() ?? connectWorker<GzipWorkerApi>(new Worker(new URL("./gzip-worker.ts", import.meta.url), { type: "module" }), "gzip worker", {});
}

export async function workerGzip(dbName: string, chunkSize: number, ref: string): Promise<Compressor> {
  const rpc = takeWorker();
  const acks = new Pipeline(MAX_IN_FLIGHT);
  await rpc.call("open", [dbName, chunkSize, ref]);
  return {
    async write(chunk) {
      // A view is cloned with its whole buffer: send only its bytes.
      const own = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : chunk.slice();
      await acks.add(rpc.call("push", [own]));
    },
    async finish() {
      await acks.drain();
      const r = await rpc.call("finish", []);
      idle.push(rpc);
      return r;
    },
    async abort() {
      await acks.settle();
      await rpc.call("abort", []).catch(() => {});
      idle.push(rpc);
    },
  };
}

/** gzip of `data` in a worker (CompressionStream runs on the thread that calls it); `data` is left as it was. */
export async function gzipInWorker(data: ArrayBuffer): Promise<Blob> {
  const rpc = takeWorker();
  // A copy, moved to the worker: the caller keeps its buffer.
  const copy = data.slice(0);
  const blob = await rpc.call("gzip", [copy], [copy]);
  idle.push(rpc);
  return blob;
}
