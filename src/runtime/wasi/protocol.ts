/** What the owner of the union and the worker running a WASI module serve each other. */
import type { Post } from "../../store/rpc.ts";
import type { FsRequest } from "./bridge.ts";

export interface WasiRun {
  module: WebAssembly.Module;
  args: string[];
  env: string[];
  /** The bridge's shared buffer (bridge.ts). */
  sab: SharedArrayBuffer;
}

/** The worker's side. */
export interface WasiWorkerApi {
  run(m: WasiRun): void;
}

/** The union owner's side (all notifications: the bridge answers through the shared buffer). */
export interface WasiPageApi {
  /** A bridge call; the answer goes into the shared buffer. */
  fs(req: FsRequest): void;
  out(fd: 1 | 2, data: Uint8Array): void;
  exit(code: number): void;
  /** The module trapped (or its instantiation failed). */
  trap(message: string): void;
}

/** A worker as both entries (browser, Node) offer it. */
export interface WorkerLike {
  post: Post;
  onMessage(fn: (m: unknown) => void): void;
  onError(fn: (message: string) => void): void;
  terminate(): void;
  /** Node: an idle spare worker must not keep the process alive (unref), a working one must (ref). */
  keepAlive?(on: boolean): void;
}
