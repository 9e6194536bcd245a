/**
 * The page's side of a machine running in vm-worker.ts: feeds the guest protocol with the serial
 * bytes the worker batches, and answers the worker's 9P requests with the page's P9Server (so the
 * union a container writes is the very object `docker diff` reads).
 */
import { connectWorker, transfer, type Rpc } from "../../store/rpc.ts";
import { Guest } from "./guest.ts";
import type { P9Server } from "./p9.ts";
import type { Vm, VmFactory } from "./runtime.ts";
import { GuestConnectionError } from "./tcp-dial.ts";
import type { GuestConnection } from "../types.ts";
import type { MachineAssets, MachineNetwork, NetworkAnswer } from "./v86.ts";
import type { VmPageApi, VmWorkerApi } from "./vm-protocol.ts";

/** A machine's worker (the runtime keeps a restored machine ahead of need: see X86RuntimeOptions). */
function newWorker(): Worker {
  return new Worker(new URL("./vm-worker.ts", import.meta.url), { type: "module", name: "layerlab-vm" });
}

/** A worker started before any machine was asked for (prestartVmWorker): its code and v86's already loaded. */
let prestarted: Worker | undefined;
/** A worker was prestarted while the service worker controlled the page, so its code went through it. */
let prestartedThroughServiceWorker = false;

/** Starts the first machine's worker ahead of need, so the first `docker run` does not load the emulator's code. */
export function prestartVmWorker(): void {
  if (prestarted) return;
  prestarted = newWorker();
  prestartedThroughServiceWorker ||= !!navigator.serviceWorker?.controller;
}

function takeWorker(): Worker {
  const w = prestarted ?? newWorker();
  prestarted = undefined;
  return w;
}

/** The page's end of a connection whose TCP runs in the machine's worker (tcp-dial.ts's GuestStream there). */
class WorkerConnection implements GuestConnection {
  readonly opened: Promise<void>;
  readonly closed: Promise<void>;
  onData: (data: Uint8Array) => void = () => {};
  onEnd: (error?: Error) => void = () => {};
  resolveClosed!: () => void;

  constructor(
    private readonly rpc: Rpc<VmWorkerApi, VmPageApi>,
    private readonly id: number,
    to: { ip: string; mac: string; port: number },
  ) {
    this.closed = new Promise((r) => (this.resolveClosed = r));
    this.opened = rpc.call("dial", [id, to]).then((a) => {
      if (!a.ok) throw new GuestConnectionError(a.code as GuestConnectionError["code"], a.message);
    });
    this.opened.catch(() => this.resolveClosed());
  }

  write(data: Uint8Array): void {
    const copy = data.slice();
    this.rpc.notify("dialWrite", [this.id, copy], [copy.buffer]);
  }

  end(): void {
    this.rpc.notify("dialEnd", [this.id]);
  }

  close(): void {
    this.rpc.notify("dialClose", [this.id]);
  }
}

export class WorkerVm implements Vm {
  readonly guest: Guest;
  private readonly worker = takeWorker();
  private readonly rpc: Rpc<VmWorkerApi, VmPageApi>;
  private readonly connections = new Map<number, WorkerConnection>();
  private nextConnection = 1;

  private constructor(server: P9Server) {
    this.guest = new Guest((text) => this.rpc.notify("serial", [text]));
    this.rpc = connectWorker<VmWorkerApi, VmPageApi>(
      this.worker,
      "emulator worker",
      {
        serial: (data) => {
          for (const b of data) this.guest.byte(b);
        },
        p9: (request) =>
          new Promise((resolve) =>
            server.handle(request, (reply) => {
              const data = reply.slice();
              resolve(transfer(data, [data.buffer]));
            }),
          ),
        dialData: (id, data) => this.connections.get(id)?.onData(data),
        dialEnded: (id, e) => this.connections.get(id)?.onEnd(e ? new GuestConnectionError(e.code as GuestConnectionError["code"], e.message) : undefined),
        dialClosed: (id) => {
          this.connections.get(id)?.resolveClosed();
          this.connections.delete(id);
        },
      },
      { revive: (e) => new Error(`emulator: ${e.message}`) },
    );
  }

  static async start(assets: MachineAssets, server: P9Server, state?: ArrayBuffer, network?: MachineNetwork): Promise<WorkerVm> {
    const vm = new WorkerVm(server);
    // Each machine gets its own copies, moved to the worker.
    const own = { bios: assets.bios.slice(0), bzImage: assets.bzImage.slice(0), initrd: assets.initrd.slice(0), wasmPath: assets.wasmPath, wasmModule: assets.wasmModule };
    const saved = state?.slice(0);
    await vm.rpc.call("start", [own, saved, network], [own.bios, own.bzImage, own.initrd, ...(saved ? [saved] : [])]);
    if (state) vm.guest.resetTo(true);
    else await vm.guest.whenReady();
    return vm;
  }

  dial(to: { ip: string; mac: string; port: number }): GuestConnection {
    const id = this.nextConnection++;
    const c = new WorkerConnection(this.rpc, id, to);
    this.connections.set(id, c);
    void c.closed.then(() => this.connections.delete(id));
    return c;
  }

  netReady(timeoutMs: number): Promise<NetworkAnswer> {
    return this.rpc.call("netReady", [timeoutMs]);
  }

  saveState(): Promise<ArrayBuffer> {
    return this.rpc.call("save", []);
  }

  async destroy(): Promise<void> {
    for (const c of this.connections.values()) {
      c.onEnd(new GuestConnectionError("ECONNRESET", "the container stopped"));
      c.resolveClosed();
    }
    this.connections.clear();
    await Promise.race([this.rpc.call("destroy", []), new Promise((r) => setTimeout(r, 2000))]);
    this.worker.terminate();
    // A terminated worker answers nothing: calls still waiting (a dial) fail instead of hanging.
    this.rpc.fail(new Error("emulator: the machine is gone"));
  }
}

export function workerVmFactory(assets: () => Promise<MachineAssets>, network?: () => Promise<MachineNetwork | undefined>): VmFactory {
  return async (server, state) => WorkerVm.start(await assets(), server, state, await network?.());
}

/** Loads the machine worker's code and the emulator's once, then ends the worker (for the service worker to keep them). */
export async function preloadVmWorker(timeoutMs = 120_000): Promise<void> {
  // The prestarted machine worker already loaded it through the service worker: not a second time.
  if (prestartedThroughServiceWorker) return;
  const worker = newWorker();
  const rpc = connectWorker<VmWorkerApi>(worker, "emulator worker", {});
  try {
    await Promise.race([rpc.call("loaded", []), new Promise((r) => setTimeout(r, timeoutMs))]);
  } finally {
    worker.terminate();
  }
}
