/** WASI modules in the page: a module Web Worker per container. */
import type { WorkerLike } from "./protocol.ts";
import { WasiRuntime, type WasiWorkerFactory } from "./runtime.ts";

export const browserWasiWorkers: WasiWorkerFactory = (): WorkerLike => {
  const w = new Worker(new URL("./wasi-worker.ts", import.meta.url), { type: "module", name: "layerlab-wasi" });
  return {
    post: (m, t) => w.postMessage(m, t),
    onMessage: (fn) => w.addEventListener("message", (e: MessageEvent) => fn(e.data)),
    onError: (fn) => w.addEventListener("error", (e) => fn(e.message)),
    terminate: () => w.terminate(),
  };
};

export function browserWasiRuntime(): WasiRuntime {
  return new WasiRuntime(browserWasiWorkers);
}
