/**
 * The x86 runtime in Node (tests, benchmarks, the headless driver): machines run in-process, assets
 * come from public/v86 on disk.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Machine } from "./machine.ts";
import type { MachineAssets } from "./v86.ts";
import { MemoryStateCache, X86Runtime, type StateCache, type VmFactory } from "./runtime.ts";

const assetDir = new URL("../../../public/v86/", import.meta.url);
const wasmPath = fileURLToPath(new URL("../../../node_modules/v86/build/v86.wasm", import.meta.url));

let assets: Promise<MachineAssets> | undefined;
/** The committed assets; `kernelFile` swaps in another kernel (the benchmark's Debian reference). */
export function nodeAssets(kernelFile?: string): Promise<MachineAssets> {
  const load = async (name: string | URL) => {
    const b = await readFile(typeof name === "string" ? new URL(name, assetDir) : name);
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  };
  const get = async () => ({ bios: await load("bios.bin"), bzImage: await load(kernelFile ? new URL(`file://${kernelFile}`) : "bzImage"), initrd: await load("initramfs.cpio.gz"), wasmPath });
  if (kernelFile) return get();
  assets ??= get();
  return assets;
}

export const nodeVmFactory: VmFactory = async (server, state) => Machine.start(await nodeAssets(), server, { state });

export function nodeRuntime(cache: StateCache = new MemoryStateCache()): X86Runtime {
  return new X86Runtime(nodeVmFactory, cache);
}
