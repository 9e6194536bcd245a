/**
 * A v86 machine in a Web Worker: the page stays responsive while the guest runs. The worker only
 * emulates; the 9P server and the guest protocol stay on the page beside the union they use, so 9P
 * requests and serial bytes cross as messages (serial output batched per task).
 */
import type { FromVmWorker, ToVmWorker } from "./vm-protocol.ts";

interface V86Instance {
  add_listener(event: string, fn: (arg: never) => void): void;
  serial0_send(text: string): void;
  save_state(): Promise<ArrayBuffer>;
  destroy(): Promise<void>;
}

// Loaded while the worker waits as the spare (see worker-vm.ts), not when a container starts.
const v86Module = import("v86");
const cmdline = import("./machine.ts").then((m) => m.CMDLINE);

const post = (m: FromVmWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);
let emulator: V86Instance | undefined;
const replies = new Map<number, (data: Uint8Array) => void>();
let nextId = 1;
let out: number[] = [];
let flushQueued = false;

function flush() {
  flushQueued = false;
  if (!out.length) return;
  const data = Uint8Array.from(out);
  out = [];
  post({ t: "serial", data }, [data.buffer]);
}

self.onmessage = async (e: MessageEvent<ToVmWorker>) => {
  const m = e.data;
  try {
    switch (m.t) {
      case "loaded?":
        await Promise.all([v86Module, cmdline]);
        post({ t: "loaded" });
        break;
      case "start": {
        const { V86 } = (await v86Module) as unknown as { V86: new (o: Record<string, unknown>) => V86Instance };
        const options: Record<string, unknown> = {
          wasm_path: m.wasmPath,
          memory_size: 128 * 1024 * 1024,
          vga_memory_size: 2 * 1024 * 1024,
          bios: { buffer: m.bios },
          bzimage: { buffer: m.bzImage },
          initrd: { buffer: m.initrd },
          cmdline: await cmdline,
          filesystem: {
            handle9p: (req: Uint8Array, reply: (r: Uint8Array) => void) => {
              const id = nextId++;
              replies.set(id, reply);
              const data = req.slice();
              post({ t: "9p", id, data }, [data.buffer]);
            },
          },
          autostart: true,
          disable_keyboard: true,
          disable_mouse: true,
          disable_speaker: true,
          acpi: false,
          log_level: 0,
        };
        if (m.state) options.initial_state = { buffer: m.state };
        const compiled = m.wasmModule;
        if (compiled) options.wasm_fn = async (env: WebAssembly.Imports) => (await WebAssembly.instantiate(compiled, env)).exports;
        emulator = new V86(options);
        emulator.add_listener("serial0-output-byte", ((b: number) => {
          out.push(b);
          if (!flushQueued) {
            flushQueued = true;
            setTimeout(flush, 0);
          }
        }) as (arg: never) => void);
        emulator.add_listener("emulator-started", (() => post({ t: "started" })) as (arg: never) => void);
        break;
      }
      case "serial":
        emulator?.serial0_send(m.text);
        break;
      case "9p-reply": {
        const r = replies.get(m.id);
        replies.delete(m.id);
        r?.(m.data);
        break;
      }
      case "save": {
        const state = await emulator!.save_state();
        post({ t: "saved", state }, [state]);
        break;
      }
      case "destroy":
        await emulator?.destroy();
        emulator = undefined;
        post({ t: "destroyed" });
        break;
    }
  } catch (err) {
    post({ t: "error", message: (err as Error).message });
  }
};
