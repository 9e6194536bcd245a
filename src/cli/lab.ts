/**
 * What the CLI works on: the image store, a registry client going through the same-origin proxy,
 * credentials from `docker login`, and the platform the lab runs (linux/386: the emulator is 32-bit).
 */
import { defaultPlatform } from "../oci/platform.ts";
import { registryApiHost } from "../oci/reference.ts";
import type { Platform } from "../oci/types.ts";
import { RegistryClient } from "../registry/client.ts";
import type { Credentials, CredentialSource, RegistryApi } from "../registry/types.ts";
import { ImageStore } from "../store/images.ts";
import type { LayerSink, LayerSinkParams } from "../store/layer-sink.ts";
import { WorkerLayerSink } from "../store/worker-sink.ts";
import { ContainerStore } from "../store/containers.ts";
import { storeSnapshotter } from "../store/snapshots.ts";

export class MemoryCredentials implements CredentialSource {
  private readonly byHost = new Map<string, Credentials>();
  get(host: string): Credentials | undefined {
    return this.byHost.get(host);
  }
  set(host: string, c: Credentials): void {
    this.byHost.set(host, c);
  }
  delete(host: string): boolean {
    return this.byHost.delete(host);
  }
}

export interface LabOptions {
  /** Origin of the proxy; defaults to the page's own origin. */
  proxyOrigin?: string;
  /** IndexedDB database name (tests use their own). */
  dbName?: string;
  store?: ImageStore;
  registry?: RegistryApi;
}

export class Lab {
  readonly platform: Platform = defaultPlatform();
  /** Containers and their writable layers (snapshots on the image store). */
  readonly containers: ContainerStore;

  private constructor(
    readonly store: ImageStore,
    readonly registry: RegistryApi & { resetAuth?(): void },
    readonly credentials: MemoryCredentials,
  ) {
    this.containers = new ContainerStore(store, storeSnapshotter(store));
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
    const credentials = new MemoryCredentials();
    const registry =
      opts.registry ??
      new RegistryClient({
        endpoint: (host) => `${origin}/proxy/${registryApiHost(host)}`,
        credentials,
      });
    return new Lab(store, registry, credentials);
  }
}
