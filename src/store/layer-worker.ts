/**
 * A Web Worker that processes layer bytes for a pull: hashing, inflating, tar indexing and the
 * IndexedDB writes run here, on the second core, while the page's main thread only fetches. One
 * worker serves one layer at a time; it opens the same IndexedDB database as the page.
 */
import { ImageStore } from "./images.ts";
import { LocalLayerSink } from "./layer-sink.ts";
import { FirstFailure, serveInWorker } from "./rpc.ts";
import type { LayerWorkerApi } from "./worker-protocol.ts";

let store: Promise<ImageStore> | undefined;
let sink: LocalLayerSink | undefined;
/** The first failure of a push: reported with the next acknowledgement, as the local sink would throw. */
const pushes = new FirstFailure();

// Requests are handled strictly in order: a push must not overtake the begin before it.
serveInWorker<LayerWorkerApi>(
  {
    async open(dbName, chunkSize, params) {
      store ??= ImageStore.open(dbName, chunkSize);
      sink = new LocalLayerSink(await store, params);
      pushes.reset();
      return sink.open();
    },
    begin: (offset) => sink!.begin(offset),
    push: (chunk) => pushes.run(() => sink!.push(chunk)),
    finish: () => sink!.finish(),
    suspend: async () => sink?.suspend(),
  },
  { sequential: true },
);
