/** WASI modules in Node (tests, benchmarks): worker_threads running wasi-worker-node.ts through tsx. */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker, type TransferListItem } from "node:worker_threads";
import type { WasiWorkerFactory } from "./runtime.ts";
import { WasiRuntime } from "./runtime.ts";

export const nodeWasiWorkers: WasiWorkerFactory = () => {
  // The entry is TypeScript: the worker registers tsx's loader first (per-thread in Node 20; an
  // `--import tsx` execArgv is not honoured for workers).
  const entry = new URL("./wasi-worker-node.ts", import.meta.url).href;
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api")).href.replace(/\.cjs$/, ".mjs");
  const code = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
  const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`));
  return {
    post: (m, t) => w.postMessage(m, t as unknown as TransferListItem[]),
    onMessage: (fn) => void w.on("message", fn),
    onError: (fn) => void w.on("error", (e) => fn(e.message)),
    terminate: () => void w.terminate(),
    keepAlive: (on) => (on ? w.ref() : w.unref()),
  };
};

export function nodeWasiRuntime(): WasiRuntime {
  return new WasiRuntime(nodeWasiWorkers);
}
