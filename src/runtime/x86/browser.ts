/**
 * The x86 runtime in the page: machines in Web Workers, assets fetched from public/v86 the first
 * time a container runs (not with the page), and the warm state kept gzip-compressed in IndexedDB,
 * keyed by the kernel, initramfs and emulator it was taken with.
 */
import wasmUrl from "v86/build/v86.wasm?url";
import { gzipInWorker } from "../../store/gzip-sink.ts";
import type { ImageStore } from "../../store/images.ts";
import type { Settings } from "../../store/settings.ts";
import { X86Runtime, type StateCache } from "./runtime.ts";
import type { MachineAssets, MachineNetwork } from "./v86.ts";
import { prestartVmWorker, workerVmFactory } from "./worker-vm.ts";

export interface BrowserRuntimeOptions {
  /** Where the kernel, initramfs and BIOS are served (public/v86/ under the app's base URL), ending in "/". */
  assetBase: string;
  /** The lab server's network relay, if the page has one (the page finds it; a static copy has none). */
  network?: () => Promise<MachineNetwork | undefined>;
}

async function fetchBuffer(base: string, name: string, gunzip = false): Promise<ArrayBuffer> {
  const r = await fetch(base + name);
  if (!r.ok) throw new Error(`cannot load the emulator's ${name}: HTTP ${r.status}`);
  const body = await r.arrayBuffer();
  // A server may already have sent it with Content-Encoding: gzip (Vite's does), so the bytes decide.
  const magic = new Uint8Array(body, 0, Math.min(2, body.byteLength));
  if (!gunzip || magic[0] !== 0x1f || magic[1] !== 0x8b) return body;
  return new Response(new Blob([body]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
}

const assets = new Map<string, Promise<MachineAssets>>();
export function browserAssets(base: string): Promise<MachineAssets> {
  let loading = assets.get(base);
  if (!loading) {
    loading = (async () => {
      const [bios, bzImage, initrd, wasmModule] = await Promise.all([
        fetchBuffer(base, "bios.bin"),
        fetchBuffer(base, "bzImage"),
        fetchBuffer(base, "initramfs.cpio.gz", true),
        WebAssembly.compileStreaming(fetch(wasmUrl)),
      ]);
      return { bios, bzImage, initrd, wasmPath: wasmUrl, wasmModule };
    })();
    assets.set(base, loading);
    loading.catch(() => assets.delete(base));
  }
  return loading;
}

/**
 * What the first container start needs that does not depend on the container, fetched while the
 * page is idle: the emulator's assets (wasm compiled), and a machine worker with v86 loaded. Measured
 * (bench/start.ts): 0.3–0.5 s of a cold `docker run` in the page. Nothing boots: no CPU or guest
 * memory is spent for a learner who never runs an x86 container.
 */
export function prepareBrowserMachine(base: string): void {
  prestartVmWorker();
  void browserAssets(base).catch(() => {}); // a failure is reported by the start that needs them
}

/** Settings keys of saved machine states; only the current kernel's is kept. */
const STATE_PREFIX = "x86-warm-state:";

/** What the saved state depends on: a new kernel, initramfs or emulator build invalidates it. */
async function stateKey(base: string): Promise<string> {
  const [k, g] = await Promise.all([fetch(`${base}kernel.json`).then((r) => r.json()), fetch(`${base}guest.json`).then((r) => r.json())]);
  return `${STATE_PREFIX}${(k as { bzImage_sha256: string }).bzImage_sha256.slice(0, 16)}:${(g as { initramfs: { sha256: string } }).initramfs.sha256.slice(0, 16)}:${wasmUrl}`;
}

const PERSIST_DELAY_MS = 2000;

export class IdbStateCache implements StateCache {
  private memory?: ArrayBuffer;
  constructor(private readonly settings: Settings, private readonly base: string) {}

  async get(): Promise<ArrayBuffer | undefined> {
    if (this.memory) return this.memory;
    const key = await stateKey(this.base);
    const saved = await this.settings.get(key);
    if (!(saved instanceof Blob)) return undefined;
    const raw = await new Response(saved.stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
    this.memory = raw;
    return raw;
  }

  async put(state: ArrayBuffer): Promise<void> {
    this.memory = state;
    const key = await stateKey(this.base);
    // Measured: gzip of the 12 MB state on the page's thread takes ~1 s and starves the 9P server
    // of the container that just started (its mount went from 20 ms to 900). So: a moment later, in
    // the store's gzip worker.
    await new Promise((r) => setTimeout(r, PERSIST_DELAY_MS));
    const compressed = await gzipInWorker(state);
    // Older states (another kernel) are dropped: only one is ever useful.
    await this.settings.replace(STATE_PREFIX, key, compressed);
  }
}

export function browserRuntime(store: ImageStore, opts: BrowserRuntimeOptions): X86Runtime {
  const base = opts.assetBase;
  return new X86Runtime(workerVmFactory(() => browserAssets(base), opts.network ?? (async () => undefined)), new IdbStateCache(store.settings, base), { spareMachine: true });
}
