/**
 * The x86 runtime in the page: machines in Web Workers, assets fetched from public/v86 the first
 * time a container runs (not with the page), and the warm state kept gzip-compressed in IndexedDB,
 * keyed by the kernel, initramfs and emulator it was taken with.
 */
import wasmUrl from "v86/build/v86.wasm?url";
import type { ImageStore } from "../../store/images.ts";
import type { MachineAssets } from "./machine.ts";
import { X86Runtime, type StateCache } from "./runtime.ts";
import { workerVmFactory } from "./worker-vm.ts";

const base = `${import.meta.env?.BASE_URL ?? "/"}v86/`;

async function fetchBuffer(name: string): Promise<ArrayBuffer> {
  const r = await fetch(base + name);
  if (!r.ok) throw new Error(`cannot load the emulator's ${name}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

let assets: Promise<MachineAssets> | undefined;
export function browserAssets(): Promise<MachineAssets> {
  assets ??= (async () => {
    const [bios, bzImage, initrd, wasmModule] = await Promise.all([
      fetchBuffer("bios.bin"),
      fetchBuffer("bzImage"),
      fetchBuffer("initramfs.cpio.gz"),
      WebAssembly.compileStreaming(fetch(wasmUrl)),
    ]);
    return { bios, bzImage, initrd, wasmPath: wasmUrl, wasmModule };
  })();
  assets.catch(() => (assets = undefined));
  return assets;
}

/** What the saved state depends on: a new kernel, initramfs or emulator build invalidates it. */
async function stateKey(): Promise<string> {
  const [k, g] = await Promise.all([fetch(`${base}kernel.json`).then((r) => r.json()), fetch(`${base}guest.json`).then((r) => r.json())]);
  return `x86-warm-state:${(k as { bzImage_sha256: string }).bzImage_sha256.slice(0, 16)}:${(g as { initramfs: { sha256: string } }).initramfs.sha256.slice(0, 16)}:${wasmUrl}`;
}

const PERSIST_DELAY_MS = 2000;

/** gzip in a short-lived worker (CompressionStream runs on the thread that calls it). */
function gzipInWorker(data: ArrayBuffer): Promise<Blob> {
  const source = `onmessage = async (e) => { postMessage(await new Response(new Blob([e.data]).stream().pipeThrough(new CompressionStream("gzip"))).blob()); close(); };`;
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  const worker = new Worker(url);
  return new Promise<Blob>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<Blob>) => {
      URL.revokeObjectURL(url);
      resolve(e.data);
    };
    worker.onerror = (e) => {
      URL.revokeObjectURL(url);
      worker.terminate();
      reject(new Error(`gzip worker: ${e.message}`));
    };
    // A copy: the caller keeps the state for the next start.
    worker.postMessage(data.slice(0));
  });
}

export class IdbStateCache implements StateCache {
  private memory?: ArrayBuffer;
  constructor(private readonly store: ImageStore) {}

  async get(): Promise<ArrayBuffer | undefined> {
    if (this.memory) return this.memory;
    const key = await stateKey();
    const rec = await this.store.db.get("settings", key);
    if (!(rec?.value instanceof Blob)) return undefined;
    const raw = await new Response(rec.value.stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
    this.memory = raw;
    return raw;
  }

  async put(state: ArrayBuffer): Promise<void> {
    this.memory = state;
    const key = await stateKey();
    // Measured: gzip of the 12 MB state on the page's thread takes ~1 s and starves the 9P server
    // of the container that just started (its mount went from 20 ms to 900). So: a moment later, in
    // a worker of its own.
    await new Promise((r) => setTimeout(r, PERSIST_DELAY_MS));
    const compressed = await gzipInWorker(state);
    // Older states (another kernel) are dropped: only one is ever useful.
    const tx = this.store.db.transaction("settings", "readwrite");
    for (const k of await tx.store.getAllKeys()) if (k.startsWith("x86-warm-state:") && k !== key) await tx.store.delete(k);
    await tx.store.put({ key, value: compressed });
    await tx.done;
  }
}

export function browserRuntime(store: ImageStore): X86Runtime {
  return new X86Runtime(workerVmFactory(browserAssets), new IdbStateCache(store), { spareMachine: true });
}
