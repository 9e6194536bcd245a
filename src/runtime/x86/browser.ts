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
import { workerVmFactory } from "./worker-vm.ts";

export interface BrowserRuntimeOptions {
  /** Where the kernel, initramfs and BIOS are served (public/v86/ under the app's base URL), ending in "/". */
  assetBase: string;
  /** The lab server's network relay, if the page has one (the page finds it; a static copy has none). */
  network?: () => Promise<MachineNetwork | undefined>;
}

async function fetchBuffer(base: string, name: string): Promise<ArrayBuffer> {
  const r = await fetch(base + name);
  if (!r.ok) throw new Error(`cannot load the emulator's ${name}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

const assets = new Map<string, Promise<MachineAssets>>();
export function browserAssets(base: string): Promise<MachineAssets> {
  let loading = assets.get(base);
  if (!loading) {
    loading = (async () => {
      const [bios, bzImage, initrd, wasmModule] = await Promise.all([
        fetchBuffer(base, "bios.bin"),
        fetchBuffer(base, "bzImage"),
        fetchBuffer(base, "initramfs.cpio.gz"),
        WebAssembly.compileStreaming(fetch(wasmUrl)),
      ]);
      return { bios, bzImage, initrd, wasmPath: wasmUrl, wasmModule };
    })();
    assets.set(base, loading);
    loading.catch(() => assets.delete(base));
  }
  return loading;
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
