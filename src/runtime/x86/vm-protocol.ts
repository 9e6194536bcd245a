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
}

/** The page's side: the guest protocol and the 9P server beside the union. */
export interface VmPageApi {
  /** Bytes the guest wrote to its serial port (batched per task). */
  serial(data: Uint8Array): void;
  /** One 9P request; resolves with the reply. */
  p9(request: Uint8Array): Uint8Array;
}

