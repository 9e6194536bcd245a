/**
 * The page's side of gzip-worker.ts: a Compressor whose gzip, digest and blob ingest run in a Web
 * Worker. Chunks are copied (the page still stores the uncompressed tar) with at most MAX_IN_FLIGHT
 * unacknowledged, so memory stays at a few chunks whatever the layer size.
 */
import type { Compressor } from "../layer/pack.ts";
import type { Digest } from "../oci/digest.ts";
import type { GzipReply, GzipRequest } from "./gzip-protocol.ts";

const MAX_IN_FLIGHT = 8;
const idle: Worker[] = [];

export async function workerGzip(dbName: string, chunkSize: number, ref: string): Promise<Compressor> {
  const worker = idle.pop() ?? new Worker(new URL("./gzip-worker.ts", import.meta.url), { type: "module" });
  const waiting: ((r: GzipReply) => void)[] = [];
  let inFlight: Promise<GzipReply>[] = [];
  worker.onmessage = (m: MessageEvent<GzipReply>) => waiting.shift()?.(m.data);
  worker.onerror = (e) => {
    for (const w of waiting.splice(0)) w({ kind: "error", name: "Error", message: `gzip worker failed: ${e.message}` });
  };
  const send = (req: GzipRequest): Promise<GzipReply> => {
    const p = new Promise<GzipReply>((resolve) => waiting.push(resolve));
    worker.postMessage(req);
    return p;
  };
  const check = (r: GzipReply): GzipReply => {
    if (r.kind === "error") {
      const e = new Error(r.message);
      e.name = r.name;
      throw e;
    }
    return r;
  };
  const drain = async () => {
    const all = inFlight;
    inFlight = [];
    for (const r of await Promise.all(all)) check(r);
  };
  check(await send({ op: "open", dbName, chunkSize, ref }));
  return {
    async write(chunk) {
      inFlight.push(send({ op: "push", chunk }));
      if (inFlight.length >= MAX_IN_FLIGHT) check(await inFlight.shift()!);
    },
    async finish() {
      await drain();
      const r = check(await send({ op: "finish" }));
      idle.push(worker);
      if (r.kind !== "done") throw new Error("gzip worker: no digest");
      return { digest: r.digest as Digest, size: r.size };
    },
    async abort() {
      await Promise.allSettled(inFlight);
      await send({ op: "abort" });
      idle.push(worker);
    },
  };
}
