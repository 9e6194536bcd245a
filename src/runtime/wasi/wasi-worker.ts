/** The browser's worker entry for WASI modules (see core.ts). */
import { serveInWorker, type Rpc } from "../../store/rpc.ts";
import { runWasi } from "./core.ts";
import type { WasiPageApi, WasiWorkerApi } from "./protocol.ts";

const page: Rpc<WasiPageApi, WasiWorkerApi> = serveInWorker<WasiWorkerApi, WasiPageApi>({ run: (m) => runWasi(m, page) });
