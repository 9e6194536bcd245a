/**
 * A v86 machine in a Web Worker: the page stays responsive while the guest runs. The worker only
 * emulates; the 9P server and the guest protocol stay on the page beside the union they use, so 9P
 * requests and serial bytes cross as messages (serial output batched per task).
 */
import { serveInWorker, transfer } from "../../store/rpc.ts";
import { GuestConnectionError, GuestStream, type DialAdapter } from "./tcp-dial.ts";
import { guardNetwork, loadV86, NET, networkReady, v86Options, type V86 } from "./v86.ts";
import type { VmPageApi, VmWorkerApi } from "./vm-protocol.ts";

// Loaded while the worker waits as the spare (see worker-vm.ts), not when a container starts.
const v86Module = loadV86();

let emulator: V86 | undefined;
let mirrorUrl: string | undefined;
let out: number[] = [];
const dials = new Map<number, GuestStream>();
let flushQueued = false;

function flush() {
  flushQueued = false;
  if (!out.length) return;
  const data = Uint8Array.from(out);
  out = [];
  page.notify("serial", [data], [data.buffer]);
}

/**
 * v86 in a worker schedules each slice of emulation by a round trip to a helper worker of its own
 * (its answer to setTimeout's 4 ms clamp). A MessageChannel inside this worker does the same without
 * the second thread: on two cores that thread competes with the page's 9P server. Ticks the helper
 * still has in flight are ignored by v86 (each carries its number).
 */
function yieldInThisThread(e: V86): void {
  const cpu = (e as unknown as { v86?: { yield(delay: number, tick: number): void; yield_callback(tick: number): void } }).v86;
  if (!cpu) return;
  const channel = new MessageChannel();
  channel.port1.onmessage = (m: MessageEvent<number>) => cpu.yield_callback(m.data);
  // Timers are set from a message task, never from a timer's callback, so they are not clamped.
  cpu.yield = (delay, tick) => {
    if (delay < 1) channel.port2.postMessage(tick);
    else setTimeout(() => channel.port2.postMessage(tick), delay);
  };
}

const page = serveInWorker<VmWorkerApi, VmPageApi>({
  async loaded() {
    await v86Module;
  },
  async start(assets, state, network) {
    const Emulator = await v86Module;
    const handle9p = (req: Uint8Array, reply: (r: Uint8Array) => void) => {
      const data = req.slice();
      page.call("p9", [data], [data.buffer]).then(reply, (e: Error) => console.error("9p:", e));
    };
    mirrorUrl = network?.mirrorUrl;
    const e = new Emulator(v86Options(assets, { handle9p, state, network }));
    emulator = e;
    e.add_listener("emulator-ready", () => yieldInThisThread(e));
    guardNetwork(e);
    e.add_listener("serial0-output-byte", (b) => {
      out.push(b);
      if (!flushQueued) {
        flushQueued = true;
        setTimeout(flush, 0);
      }
    });
    await new Promise<void>((resolve) => e.add_listener("emulator-started", resolve));
  },
  netReady(timeoutMs) {
    return emulator ? networkReady(emulator, timeoutMs, mirrorUrl) : undefined;
  },
  serial(text) {
    emulator?.serial0_send(text);
  },
  async save() {
    const state = await emulator!.save_state();
    return transfer(state, [state]);
  },
  async destroy() {
    for (const d of dials.values()) d.close();
    await emulator?.destroy();
    emulator = undefined;
  },
  async dial(id, to) {
    const adapter = (emulator as unknown as { network_adapter?: DialAdapter } | undefined)?.network_adapter;
    if (!adapter) return { ok: false, code: "ENETUNREACH", message: "the machine has no network adapter" };
    const s = new GuestStream(adapter, to, { ip: NET.gateway });
    dials.set(id, s);
    s.onData = (data) => page.notify("dialData", [id, data], [data.buffer]);
    s.onEnd = (e) => page.notify("dialEnded", [id, e ? { code: e instanceof GuestConnectionError ? e.code : "ECONNRESET", message: e.message } : undefined]);
    void s.closed.then(() => {
      dials.delete(id);
      page.notify("dialClosed", [id]);
    });
    try {
      await s.opened;
      return { ok: true };
    } catch (e) {
      return { ok: false, code: e instanceof GuestConnectionError ? e.code : "ECONNREFUSED", message: (e as Error).message };
    }
  },
  dialWrite(id, data) {
    dials.get(id)?.write(data);
  },
  dialEnd(id) {
    dials.get(id)?.end();
  },
  dialClose(id) {
    dials.get(id)?.close();
  },
});

