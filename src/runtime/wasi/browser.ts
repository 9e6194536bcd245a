/** WASI modules in the page: a module Web Worker per container. */
import type { FromWasiWorker } from "./protocol.ts";
import { WasiRuntime, type WasiWorkerFactory } from "./runtime.ts";

export const browserWasiWorkers: WasiWorkerFactory = () => {
  const w = new Worker(new URL("./wasi-worker.ts", import.meta.url), { type: "module", name: "layerlab-wasi" });
  return {
    postMessage: (m) => w.postMessage(m),
    onMessage: (fn) => w.addEventListener("message", (e: MessageEvent<FromWasiWorker>) => fn(e.data)),
    onError: (fn) => w.addEventListener("error", (e) => fn(e.message)),
    terminate: () => w.terminate(),
  };
};

export function browserWasiRuntime(): WasiRuntime {
  return new WasiRuntime(browserWasiWorkers);
}
