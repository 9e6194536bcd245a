/**
 * The v86 emulator as the lab uses it: the part of its API the lab calls (its npm typings are
 * incomplete), the lab's machine (memory, kernel command line, no devices but the serial port and
 * virtio-9p) as v86 options, and the emulator's code loaded once, lazily. Shared by the in-process
 * machine (machine.ts, Node) and the machine worker (vm-worker.ts, the page).
 */

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

/** A v86 emulator instance. */
export interface V86 {
  add_listener(event: "serial0-output-byte", fn: (byte: number) => void): void;
  add_listener(event: "emulator-started", fn: () => void): void;
  serial0_send(text: string): void;
  save_state(): Promise<ArrayBuffer>;
  destroy(): Promise<void>;
  /** v86's own 9P filesystem, when it was started with one. */
  readonly fs9p?: unknown;
}

export type V86Options = Record<string, unknown>;
type V86Constructor = new (options: V86Options) => V86;

let v86Module: Promise<V86Constructor> | undefined;
/** v86's code (94 KB gzip), imported the first time a machine is wanted. */
export function loadV86(): Promise<V86Constructor> {
  v86Module ??= import("v86").then((m) => (m as unknown as { V86: V86Constructor }).V86);
  return v86Module;
}

export interface V86MachineOptions {
  /** Answers the guest's 9P requests; absent: v86's own in-memory filesystem (the 9P benchmark's reference). */
  handle9p?: (request: Uint8Array, reply: (r: Uint8Array) => void) => void;
  /** A saved state to restore instead of booting. */
  state?: ArrayBuffer;
}

/** The v86 options of the lab's machine. */
export function v86Options(assets: MachineAssets, opts: V86MachineOptions): V86Options {
  const options: V86Options = {
    wasm_path: assets.wasmPath,
    memory_size: MEMORY_BYTES,
    vga_memory_size: 2 * 1024 * 1024,
    bios: { buffer: assets.bios },
    bzimage: { buffer: assets.bzImage },
    initrd: { buffer: assets.initrd },
    cmdline: CMDLINE,
    filesystem: opts.handle9p ? { handle9p: opts.handle9p } : {},
    autostart: true,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
    acpi: false,
    log_level: 0,
  };
  if (opts.state) options.initial_state = { buffer: opts.state };
  const compiled = assets.wasmModule;
  if (compiled) options.wasm_fn = async (env: WebAssembly.Imports) => (await WebAssembly.instantiate(compiled, env)).exports;
  return options;
}
