/** Node's worker_threads entry for WASI modules (tests, benchmarks; see core.ts). */
import { parentPort, type TransferListItem } from "node:worker_threads";
import { Rpc } from "../../store/rpc.ts";
import { runWasi } from "./core.ts";
import type { WasiPageApi, WasiWorkerApi } from "./protocol.ts";

const port = parentPort!;
const page: Rpc<WasiPageApi, WasiWorkerApi> = new Rpc((m, t) => port.postMessage(m, t as unknown as TransferListItem[]), { run: (m) => runWasi(m, page) });
port.on("message", (m: unknown) => page.receive(m));
