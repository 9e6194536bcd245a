/** Messages between the owner of the union and the worker running a WASI module. */
import type { FsRequest } from "./bridge.ts";

export interface WasiRunMessage {
  t: "run";
  module: WebAssembly.Module;
  args: string[];
  env: string[];
  sab: SharedArrayBuffer;
}

export type FromWasiWorker =
  | FsRequest
  | { kind: "out"; fd: 1 | 2; data: Uint8Array }
  | { kind: "exit"; code: number }
  | { kind: "trap"; message: string };

/** The few things both worker entries (browser, Node) need. */
export interface WorkerLike {
  postMessage(m: unknown): void;
  onMessage(fn: (m: FromWasiWorker) => void): void;
  onError(fn: (message: string) => void): void;
  terminate(): void;
  /** Node: an idle spare worker must not keep the process alive (unref), a working one must (ref). */
  keepAlive?(on: boolean): void;
}
