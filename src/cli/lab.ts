/**
 * What the CLI works on: the image store, a registry client going through the same-origin proxy,
 * credentials from `docker login`, and the platform the lab runs (linux/386: the emulator is 32-bit).
 */
import { defaultPlatform, runnablePlatforms } from "../oci/platform.ts";
import { registryApiHost } from "../oci/reference.ts";
import type { Platform } from "../oci/types.ts";
import { RegistryClient } from "../registry/client.ts";
import { BundledRegistry, withBundledRegistry } from "../registry/bundled.ts";
import type { Credentials, CredentialSource, RegistryApi } from "../registry/types.ts";
import { ImageStore } from "../store/images.ts";
import type { LayerSink, LayerSinkParams } from "../store/layer-sink.ts";
import { WorkerLayerSink } from "../store/worker-sink.ts";
import { ContainerStore } from "../store/containers.ts";
import { storeSnapshotter } from "../store/snapshots.ts";
import { ContainerEngine } from "../runtime/engine.ts";
import type { X86Runtime } from "../runtime/x86/runtime.ts";
import type { WasiRuntime } from "../runtime/wasi/runtime.ts";

/**
 * Registry credentials from `docker login`: held in memory for the session; with `--remember` also kept
 * in this browser's IndexedDB (like Docker's config.json "auths": not encrypted), until `docker logout`.
 * They are handed only to the registry they were given for and its token realm (see registry/client.ts).
 */
export class MemoryCredentials implements CredentialSource {
  private readonly byHost = new Map<string, Credentials>();
  private readonly remembered = new Set<string>();
  constructor(private readonly store?: ImageStore) {}

  /** Loads logins remembered on this device. */
  async load(): Promise<void> {
    const rec = await this.store?.db.get("settings", "credentials");
    for (const [host, c] of Object.entries((rec?.value ?? {}) as Record<string, Credentials>)) {
      this.byHost.set(host, c);
      this.remembered.add(host);
    }
  }

  get(host: string): Credentials | undefined {
    return this.byHost.get(host);
  }

  isRemembered(host: string): boolean {
    return this.remembered.has(host);
  }

  async set(host: string, c: Credentials, remember = false): Promise<void> {
    this.byHost.set(host, c);
    if (remember) this.remembered.add(host);
    else this.remembered.delete(host);
    await this.persist();
  }

  async delete(host: string): Promise<boolean> {
    const had = this.byHost.delete(host);
    this.remembered.delete(host);
    await this.persist();
    return had;
  }

  private async persist(): Promise<void> {
    if (!this.store) return;
    const value: Record<string, Credentials> = {};
    for (const host of this.remembered) {
      const c = this.byHost.get(host);
      if (c) value[host] = c;
    }
    await this.store.db.put("settings", { key: "credentials", value });
  }
}

export interface LabOptions {
  /** Origin of the proxy; defaults to the page's own origin. */
  proxyOrigin?: string;
  /** IndexedDB database name (tests use their own). */
  dbName?: string;
  store?: ImageStore;
  registry?: RegistryApi;
  x86Runtime?: (store: ImageStore) => X86Runtime;
  wasiRuntime?: () => WasiRuntime;
}

export class Lab {
  readonly platform: Platform = defaultPlatform();
  /** What a pull without --platform takes from a multi-platform image, best first. */
  readonly pullPlatforms: Platform[] = runnablePlatforms();
  /** PATCH chunk size for pushes (tests make it small to exercise chunked uploads on small images). */
  pushChunkSize: number | undefined;
  /** Containers and their writable layers (snapshots on the image store). */
  readonly containers: ContainerStore;
  /** Runs containers (the daemon's part); its x86 runtime is created when a container first runs. */
  readonly engine: ContainerEngine;
  private x86?: X86Runtime;
  private wasi?: WasiRuntime;

  private constructor(
    readonly store: ImageStore,
    readonly registry: RegistryApi & { resetAuth?(): void },
    readonly credentials: MemoryCredentials,
    runtimes: { x86?: (store: ImageStore) => X86Runtime; wasi?: () => WasiRuntime } = {},
  ) {
    this.containers = new ContainerStore(store, storeSnapshotter(store));
    this.engine = new ContainerEngine(
      this.containers,
      {
        x86: () => {
          if (!this.x86) {
            if (!runtimes.x86) throw new Error("this lab has no x86 runtime");
            this.x86 = runtimes.x86(store);
          }
          return this.x86;
        },
        wasi: () => {
          if (!this.wasi) {
            if (!runtimes.wasi) throw new Error("this lab has no WASI runtime");
            this.wasi = runtimes.wasi();
          }
          return this.wasi;
        },
      },
      (id) => store.getImage(id as never),
    );
  }

  /** The WASI runtime, once a wasi/wasm container has run. */
  get wasiRuntime(): WasiRuntime | undefined {
    return this.wasi;
  }

  /** The x86 runtime, once a container has run (benchmarks read its lastStart). */
  get x86Runtime(): X86Runtime | undefined {
    return this.x86;
  }

  /**
   * Layers are processed in Web Workers where there are any (measured: bench/pull.ts), so hashing and
   * inflating use the second core; `?worker=0` in the page URL turns that off for comparison.
   */
  layerSinkFactory(): ((p: LayerSinkParams) => LayerSink) | undefined {
    if (typeof Worker === "undefined" || new URLSearchParams(globalThis.location?.search).get("worker") === "0") return undefined;
    return (p) => new WorkerLayerSink(this.store.db.name, this.store.content.chunkSize, p);
  }

  static async open(opts: LabOptions = {}): Promise<Lab> {
    const store = opts.store ?? (await ImageStore.open(opts.dbName));
    const origin = opts.proxyOrigin ?? globalThis.location?.origin ?? "";
    const credentials = new MemoryCredentials(store);
    await credentials.load();
    const registry = withBundledRegistry(
      new BundledRegistry(`${globalThis.location ? new URL(import.meta.env?.BASE_URL ?? "/", globalThis.location.href).href : `${origin}/`}demos/`),
      opts.registry ??
        new RegistryClient({
          endpoint: (host) => `${origin}/proxy/${registryApiHost(host)}`,
          credentials,
        }),
    );
    const inPage = typeof Worker !== "undefined";
    const x86 = opts.x86Runtime ?? (inPage ? (await import("../runtime/x86/browser.ts")).browserRuntime : undefined);
    const wasi = opts.wasiRuntime ?? (inPage ? (await import("../runtime/wasi/browser.ts")).browserWasiRuntime : undefined);
    const lab = new Lab(store, registry, credentials, { x86, wasi });
    // Containers recorded as running lost their machine with the last page: as after a daemon restart.
    for (const c of await lab.containers.list()) {
      if (c.state !== "running") continue;
      c.state = "exited";
      c.exitCode = 255;
      c.finishedAt = Date.now();
      await lab.containers.update(c);
    }
    return lab;
  }
}
