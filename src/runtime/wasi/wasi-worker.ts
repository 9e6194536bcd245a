/** The browser's worker entry for WASI modules (see core.ts). */
import { runWasi } from "./core.ts";
import type { WasiRunMessage } from "./protocol.ts";

self.onmessage = (e: MessageEvent<WasiRunMessage>) => void runWasi(e.data, (m) => (self as unknown as Worker).postMessage(m));
