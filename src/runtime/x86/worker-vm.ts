/**
 * The page's side of a machine running in vm-worker.ts: feeds the guest protocol with the serial
 * bytes the worker batches, and answers the worker's 9P requests with the page's P9Server (so the
 * union a container writes is the very object `docker diff` reads).
 */
import { Guest } from "./guest.ts";
import type { P9Server } from "./p9.ts";
import type { Vm, VmFactory } from "./runtime.ts";
import type { MachineAssets } from "./machine.ts";
import type { FromVmWorker, ToVmWorker } from "./vm-protocol.ts";

/** A machine's worker (the runtime keeps a restored machine ahead of need: see X86RuntimeOptions). */
function newWorker(): Worker {
  return new Worker(new URL("./vm-worker.ts", import.meta.url), { type: "module", name: "layerlab-vm" });
}

export class WorkerVm implements Vm {
  readonly guest: Guest;
  private readonly worker: Worker;
  private waiters: { t: FromVmWorker["t"]; resolve: (m: FromVmWorker) => void; reject: (e: Error) => void }[] = [];

  private constructor(server: P9Server) {
    this.worker = newWorker();
    this.guest = new Guest((text) => this.send({ t: "serial", text }));
    this.worker.onmessage = (e: MessageEvent<FromVmWorker>) => {
      const m = e.data;
      if (m.t === "serial") {
        for (const b of m.data) this.guest.byte(b);
      } else if (m.t === "9p") {
        server.handle(m.data, (reply) => {
          const data = reply.slice();
          this.send({ t: "9p-reply", id: m.id, data }, [data.buffer]);
        });
      } else if (m.t === "error") {
        for (const w of this.waiters.splice(0)) w.reject(new Error(`emulator: ${m.message}`));
      } else {
        const i = this.waiters.findIndex((w) => w.t === m.t);
        if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
      }
    };
    this.worker.onerror = (e) => {
      for (const w of this.waiters.splice(0)) w.reject(new Error(`emulator worker failed: ${e.message}`));
    };
  }

  private send(m: ToVmWorker, transfer: Transferable[] = []) {
    this.worker.postMessage(m, transfer);
  }

  private next(t: FromVmWorker["t"]): Promise<FromVmWorker> {
    return new Promise((resolve, reject) => this.waiters.push({ t, resolve, reject }));
  }

  static async start(assets: MachineAssets, server: P9Server, state?: ArrayBuffer): Promise<WorkerVm> {
    const vm = new WorkerVm(server);
    const started = vm.next("started");
    // Each machine gets its own copies: buffers are transferred to the worker.
    vm.send({ t: "start", bios: assets.bios.slice(0), bzImage: assets.bzImage.slice(0), initrd: assets.initrd.slice(0), wasmPath: assets.wasmPath, wasmModule: assets.wasmModule, state: state?.slice(0) });
    await started;
    if (state) vm.guest.resetTo(true);
    else await vm.guest.whenReady();
    return vm;
  }

  async saveState(): Promise<ArrayBuffer> {
    const saved = this.next("saved");
    this.send({ t: "save" });
    return ((await saved) as { state: ArrayBuffer }).state;
  }

  async destroy(): Promise<void> {
    const done = this.next("destroyed");
    this.send({ t: "destroy" });
    await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
    this.worker.terminate();
  }
}

export function workerVmFactory(assets: () => Promise<MachineAssets>): VmFactory {
  return async (server, state) => WorkerVm.start(await assets(), server, state);
}
