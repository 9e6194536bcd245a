/**
 * A Web Worker that gzips a layer tar being committed, digests the result and writes it into a
 * content-store ingest, while the page's thread reads the upper layer, hashes and stores the tar
 * (measured: bench/commit.ts — gzip alone is a third of a commit).
 */
import { localGzip, type Compressor } from "../layer/pack.ts";
import { MediaType } from "../oci/mediatypes.ts";
import type { Ingest } from "./content.ts";
import { ImageStore } from "./images.ts";
import type { GzipReply, GzipRequest } from "./gzip-protocol.ts";

let store: Promise<ImageStore> | undefined;
let ingest: Ingest | undefined;
let compressor: Compressor | undefined;
let failure: unknown;
let queue: Promise<void> = Promise.resolve();

function reply(r: GzipReply): void {
  (self as unknown as Worker).postMessage(r);
}

function fail(e: unknown): GzipReply {
  return { kind: "error", name: (e as Error)?.name ?? "Error", message: (e as Error)?.message ?? String(e) };
}

async function handle(req: GzipRequest): Promise<void> {
  switch (req.op) {
    case "open": {
      store ??= ImageStore.open(req.dbName, req.chunkSize);
      const s = await store;
      failure = undefined;
      ingest = await s.content.openIngest(req.ref);
      const target = ingest;
      compressor = await localGzip((c) => target.write(c));
      reply({ kind: "ok" });
      return;
    }
    case "push":
      if (failure === undefined) {
        try {
          await compressor!.write(req.chunk);
        } catch (e) {
          failure = e;
        }
      }
      reply(failure === undefined ? { kind: "ok" } : fail(failure));
      return;
    case "finish": {
      if (failure !== undefined) throw failure;
      const { digest, size } = await compressor!.finish();
      await ingest!.commit(digest, MediaType.ociLayerGzip);
      reply({ kind: "done", digest, size });
      return;
    }
    case "abort":
      await compressor?.abort(new Error("aborted"));
      await ingest?.discard();
      reply({ kind: "ok" });
      return;
  }
}

self.onmessage = (m: MessageEvent<GzipRequest>) => {
  queue = queue.then(() => handle(m.data)).catch((e) => reply(fail(e)));
};
