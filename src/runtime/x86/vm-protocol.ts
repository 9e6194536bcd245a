/** Messages between the page (worker-vm.ts) and the machine's worker (vm-worker.ts). */
export type ToVmWorker =
  | { t: "start"; bios: ArrayBuffer; bzImage: ArrayBuffer; initrd: ArrayBuffer; wasmPath: string; wasmModule?: WebAssembly.Module; state?: ArrayBuffer }
  | { t: "serial"; text: string }
  | { t: "9p-reply"; id: number; data: Uint8Array }
  | { t: "save" }
  | { t: "destroy" }
  /** Asks the worker to answer once the emulator's code is loaded (offline warm-up). */
  | { t: "loaded?" };

export type FromVmWorker =
  | { t: "started" }
  | { t: "serial"; data: Uint8Array }
  | { t: "9p"; id: number; data: Uint8Array }
  | { t: "saved"; state: ArrayBuffer }
  | { t: "destroyed" }
  | { t: "error"; message: string }
  | { t: "loaded" };
