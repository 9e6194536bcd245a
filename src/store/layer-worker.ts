/**
 * A Web Worker that processes layer bytes for a pull: hashing, inflating, tar indexing and the
 * IndexedDB writes run here, on the second core, while the page's main thread only fetches. One
 * worker serves one layer at a time; it opens the same IndexedDB database as the page.
 */
import { ImageStore } from "./images.ts";
import { LocalLayerSink, type LayerSinkParams } from "./layer-sink.ts";
import type { SinkReply, SinkRequest } from "./worker-protocol.ts";

let store: Promise<ImageStore> | undefined;
let sink: LocalLayerSink | undefined;
/** The first failure of a push: reported with the next acknowledgement, as the local sink would throw. */
let pushError: unknown;
let queue: Promise<void> = Promise.resolve();

function serialise(e: unknown): SinkReply & { kind: "error" } {
  const err = e as { name?: string; message?: string; expected?: string; actual?: string };
  return { kind: "error", name: err?.name ?? "Error", message: err?.message ?? String(e), expected: err?.expected, actual: err?.actual };
}

function reply(r: SinkReply): void {
  (self as unknown as Worker).postMessage(r);
}

async function handle(req: SinkRequest): Promise<void> {
  switch (req.op) {
    case "open": {
      store ??= ImageStore.open(req.dbName, req.chunkSize);
      sink = new LocalLayerSink(await store, req.params as LayerSinkParams);
      pushError = undefined;
      reply({ kind: "opened", resumeAt: await sink.open() });
      return;
    }
    case "begin":
      await sink!.begin(req.offset);
      reply({ kind: "ok" });
      return;
    case "push":
      if (pushError === undefined) {
        try {
          await sink!.push(req.chunk);
        } catch (e) {
          pushError = e;
        }
      }
      reply(pushError === undefined ? { kind: "ack" } : serialise(pushError));
      return;
    case "finish":
      await sink!.finish();
      reply({ kind: "ok" });
      return;
    case "suspend":
      await sink?.suspend();
      reply({ kind: "ok" });
      return;
  }
}

self.onmessage = (m: MessageEvent<SinkRequest>) => {
  // Requests are handled strictly in order: a push must not overtake the begin before it.
  queue = queue.then(() => handle(m.data)).catch((e) => reply(serialise(e)));
};
