/** Node's worker_threads entry for WASI modules (tests, benchmarks; see core.ts). */
import { parentPort } from "node:worker_threads";
import { runWasi } from "./core.ts";
import type { WasiRunMessage } from "./protocol.ts";

parentPort!.on("message", (m: WasiRunMessage) => void runWasi(m, (msg) => parentPort!.postMessage(msg)));
