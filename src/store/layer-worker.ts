/**
 * A Web Worker that processes layer bytes for a pull: hashing, inflating, tar indexing and the
 * IndexedDB writes run here, on the second core, while the page's main thread only fetches. One
 * worker serves one layer at a time; it opens the same IndexedDB database as the page.
 */
import { ImageStore } from "./images.ts";
import { LocalLayerSink } from "./layer-sink.ts";
import { serveInWorker } from "./rpc.ts";
import type { LayerWorkerApi } from "./worker-protocol.ts";

let store: Promise<ImageStore> | undefined;
let sink: LocalLayerSink | undefined;
/** The first failure of a push: reported with the next acknowledgement, as the local sink would throw. */
let pushError: unknown;

// Requests are handled strictly in order: a push must not overtake the begin before it.
serveInWorker<LayerWorkerApi>(
  {
    async open(dbName, chunkSize, params) {
      store ??= ImageStore.open(dbName, chunkSize);
      sink = new LocalLayerSink(await store, params);
      pushError = undefined;
      return sink.open();
    },
    begin: (offset) => sink!.begin(offset),
    async push(chunk) {
      if (pushError === undefined) {
        try {
          await sink!.push(chunk);
        } catch (e) {
          pushError = e;
        }
      }
      if (pushError !== undefined) throw pushError;
    },
    finish: () => sink!.finish(),
    suspend: async () => sink?.suspend(),
  },
  { sequential: true },
);
