/**
 * One v86 machine running the lab's kernel and /init, with its virtio-9p device answered by a
 * P9Server and its first serial port spoken to by a Guest. Boots cold, or restores a saved state in
 * which /init already waits for work (the warm start). The same code runs in Node (tests, benchmarks)
 * and in the browser's runtime worker.
 */
import { Guest } from "./guest.ts";
import type { P9Server } from "./p9.ts";

export interface MachineAssets {
  bios: ArrayBuffer;
  bzImage: ArrayBuffer;
  initrd: ArrayBuffer;
  /** Where v86.wasm is (a URL in the browser, a file path in Node). */
  wasmPath: string;
  /** v86.wasm compiled once (the page), so each machine only instantiates it. */
  wasmModule?: WebAssembly.Module;
}

/** The kernel command line: quiet serial console, no crypto self-tests or mitigations to pay for. */
export const CMDLINE = "console=ttyS0 quiet loglevel=3 tsc=reliable mitigations=off random.trust_cpu=on init_on_free=1 rdinit=/init";
export const MEMORY_BYTES = 128 * 1024 * 1024;

// The v86 npm package has incomplete typings; this is the part the lab uses.
interface V86Instance {
  add_listener(event: string, fn: (arg: never) => void): void;
  serial0_send(text: string): void;
  save_state(): Promise<ArrayBuffer>;
  stop(): Promise<void>;
  destroy(): Promise<void>;
}
type V86Constructor = new (options: Record<string, unknown>) => V86Instance;

let v86Module: Promise<V86Constructor> | undefined;
function loadV86(): Promise<V86Constructor> {
  v86Module ??= import("v86").then((m) => (m as unknown as { V86: V86Constructor }).V86);
  return v86Module;
}

export interface MachineOptions {
  /** A saved state taken at /init's READY (raw or zstd; v86 accepts both). */
  state?: ArrayBuffer;
  /** Receives every line the guest printed outside the protocol (kernel messages). */
  onConsole?: (line: string) => void;
  /** Use v86's own in-memory 9P filesystem instead of `server` (the 9P benchmark's reference). */
  v86Filesystem?: boolean;
}

export class Machine {
  readonly guest: Guest;
  private constructor(private readonly emulator: V86Instance, guest: Guest) {
    this.guest = guest;
  }

  static async start(assets: MachineAssets, server: P9Server, opts: MachineOptions = {}): Promise<Machine> {
    const V86 = await loadV86();
    let emulator: V86Instance | undefined;
    const guest = new Guest((text) => emulator!.serial0_send(text));
    const options: Record<string, unknown> = {
      wasm_path: assets.wasmPath,
      memory_size: MEMORY_BYTES,
      vga_memory_size: 2 * 1024 * 1024,
      bios: { buffer: assets.bios },
      bzimage: { buffer: assets.bzImage },
      initrd: { buffer: assets.initrd },
      cmdline: CMDLINE,
      filesystem: opts.v86Filesystem ? {} : { handle9p: server.handle },
      autostart: true,
      disable_keyboard: true,
      disable_mouse: true,
      disable_speaker: true,
      acpi: false,
      log_level: 0,
    };
    if (opts.state) options.initial_state = { buffer: opts.state };
    emulator = new V86(options);
    emulator.add_listener("serial0-output-byte", ((b: number) => guest.byte(b)) as (arg: never) => void);
    const m = new Machine(emulator, guest);
    if (opts.state) {
      // The restored machine sits in /init's poll(): it is READY, and says nothing until spoken to.
      await new Promise<void>((resolve) => emulator!.add_listener("emulator-started", (() => resolve()) as (arg: never) => void));
      guest.resetTo(true);
    } else {
      await guest.whenReady();
    }
    return m;
  }

  /** v86's own filesystem object when started with `v86Filesystem` (benchmark use only). */
  get v86Filesystem(): unknown {
    return (this.emulator as unknown as { fs9p?: unknown }).fs9p;
  }

  /** The machine's state (for a warm start later): take it while nothing is mounted or running. */
  saveState(): Promise<ArrayBuffer> {
    return this.emulator.save_state();
  }

  async destroy(): Promise<void> {
    await this.emulator.destroy();
  }
}
