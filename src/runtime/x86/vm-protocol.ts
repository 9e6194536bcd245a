/** What the machine's worker (vm-worker.ts) and the page (worker-vm.ts) serve each other. */
import type { MachineAssets, MachineNetwork, NetworkAnswer } from "./v86.ts";

/** The worker's side: one emulator. */
export interface VmWorkerApi {
  /** Boots (or, with `state`, restores) the machine; resolves once the emulator runs. */
  start(assets: MachineAssets, state?: ArrayBuffer, network?: MachineNetwork): void;
  /** What answers the machine's network (the relay, or else the mirror), waiting up to `timeoutMs` for the relay. */
  netReady(timeoutMs: number): NetworkAnswer;
  /** Text for the guest's first serial port. */
  serial(text: string): void;
  save(): ArrayBuffer;
  destroy(): void;
  /** Resolves once the emulator's code is loaded (offline warm-up). */
  loaded(): void;
  /** Opens TCP connection `id` into the guest (a published port): resolves once it is open, or with why not. */
  dial(id: number, to: { ip: string; mac: string; port: number }): DialAnswer;
  dialWrite(id: number, data: Uint8Array): void;
  /** No more data from the page's side of `id`. */
  dialEnd(id: number): void;
  /** Aborts `id` (RST). */
  dialClose(id: number): void;
}

/** A dial's outcome as it crosses (the error's code kept: ECONNREFUSED…). */
export type DialAnswer = { ok: true } | { ok: false; code: string; message: string };

/** The page's side: the guest protocol and the 9P server beside the union. */
export interface VmPageApi {
  /** Bytes the guest wrote to its serial port (batched per task). */
  serial(data: Uint8Array): void;
  /** One 9P request; resolves with the reply. */
  p9(request: Uint8Array): Uint8Array;
  /** The guest's bytes on connection `id`. */
  dialData(id: number, data: Uint8Array): void;
  /** The guest ended connection `id` (FIN), or reset it (`error`). */
  dialEnded(id: number, error?: { code: string; message: string }): void;
  /** Connection `id` is gone on the worker's side. */
  dialClosed(id: number): void;
}

