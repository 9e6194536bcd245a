/**
 * The x86 runtime in Node (tests, benchmarks, the headless driver): machines run in-process, assets
 * come from public/v86 on disk.
 */
import { readFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { WebSocket as NodeWebSocket } from "ws";
import { Machine } from "./machine.ts";
import type { MachineAssets, MachineNetwork } from "./v86.ts";
import { MemoryStateCache, X86Runtime, type StateCache, type VmFactory } from "./runtime.ts";

const assetDir = new URL("../../../public/v86/", import.meta.url);
const wasmPath = fileURLToPath(new URL("../../../node_modules/v86/build/v86.wasm", import.meta.url));

let assets: Promise<MachineAssets> | undefined;
/** The committed assets; `kernelFile` swaps in another kernel (the benchmark's Debian reference). */
export function nodeAssets(kernelFile?: string): Promise<MachineAssets> {
  const load = async (name: string | URL, gunzip = false) => {
    const file = await readFile(typeof name === "string" ? new URL(name, assetDir) : name);
    const b = gunzip ? gunzipSync(file) : file;
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  };
  const get = async () => ({ bios: await load("bios.bin"), bzImage: await load(kernelFile ? new URL(`file://${kernelFile}`) : "bzImage"), initrd: await load("initramfs.cpio.gz", true), wasmPath });
  if (kernelFile) return get();
  assets ??= get();
  return assets;
}

/**
 * v86's relay client wants the browser's WebSocket, which Node 20 lacks: the `ws` package's, with an
 * error listener (ws throws an error nobody listens for, e.g. a close before the connection opened).
 */
class RelaySocket extends NodeWebSocket {
  constructor(url: string) {
    super(url);
    this.on("error", () => {});
  }
}
function provideWebSocket(): void {
  const g = globalThis as { WebSocket?: unknown };
  if (!g.WebSocket) g.WebSocket = RelaySocket;
}

export function nodeVmFactory(network?: MachineNetwork): VmFactory {
  // Before any machine starts: the mirror's stand-in (mirror-net.ts) wraps whatever WebSocket is there.
  provideWebSocket();
  return async (server, state) => Machine.start(await nodeAssets(), server, { state, network });
}

/** Machines in this process; with `network`, their cards are answered by that lab server's relay. */
export function nodeRuntime(cache: StateCache = new MemoryStateCache(), opts: { network?: MachineNetwork } = {}): X86Runtime {
  return new X86Runtime(nodeVmFactory(opts.network), cache);
}

/** The network of a lab server at `origin` (http://host:port). */
export function labNetwork(origin: string): MachineNetwork {
  return { relayUrl: `${origin.replace(/^http/, "ws")}/net/wisp`, dnsUrl: `${origin}/net/dns-query` };
}
