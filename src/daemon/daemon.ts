/**
 * The lab's daemon: the composition root of store, registry client, snapshotter, engine and runtimes,
 * and the services its three clients (the CLI, the page, the lessons) call — images, containers,
 * logins and the storage layout. Clients pass everything the environment decides (the proxy's origin,
 * whether to use Web Workers, where the bundled demos are) as options: nothing here reads the page's URL.
 */
import { NetworkService } from "./networks.ts";
import { PortService } from "./ports.ts";
import { runnablePlatforms } from "../oci/platform.ts";
import { sha256Digest } from "../oci/digest.ts";
import { registryApiHost } from "../oci/reference.ts";
import { RegistryClient } from "../registry/client.ts";
import { BundledRegistry, withBundledRegistry } from "../registry/bundled.ts";
import type { RegistryApi } from "../registry/types.ts";
import { ContainerEngine } from "../runtime/engine.ts";
import type { ContainerRuntime } from "../runtime/types.ts";
import { ContainerStore, NETWORK_MODES, randomHex } from "../store/containers.ts";
import { dockerStorageLayout, layoutOfImage, type LayoutEntry } from "../store/docker-layout.ts";
import { ImageStore } from "../store/images.ts";
import { isStorageFull } from "../store/db.ts";
import { checkStore, type FsckReport } from "../store/fsck.ts";
import { storeSnapshotter } from "../store/snapshots.ts";
import { WorkerLayerSink } from "../store/worker-sink.ts";
import { ContainerService } from "./containers.ts";
import { MemoryCredentials } from "./credentials.ts";
import type { BuildImage } from "../build/classic.ts";
import { InstructionError } from "../build/instructions.ts";
import type { BuildEvent, BuildEventListener } from "../build/events.ts";
import { DaemonError } from "./errors.ts";
import { namedTag } from "./references.ts";
import { ImageService } from "./images.ts";

export interface DaemonOptions {
  /** Origin of the registry proxy (`/proxy/<host>/v2/…`); the page's own origin in the page. */
  proxyOrigin: string;
  /** URL of the bundled demo images' OCI layout (served as the registry `layerlab.demo`). */
  demosUrl: string;
  /** IndexedDB database name (tests use their own). */
  dbName?: string;
  /** Hash, inflate and gzip layers in Web Workers (measured faster: see bench/pull.ts); `?worker=0` turns it off. */
  useWorkers?: boolean;
  /** Runtimes, made when a container first needs one. */
  runtimes?: { x86?: (store: ImageStore) => ContainerRuntime; wasi?: () => ContainerRuntime };
  /** A registry client in place of the proxy's (tests). */
  registry?: RegistryApi;
}

/** "https://index.docker.io/v1/", "docker.io", none → "docker.io"; other servers keep host[:port]. */
export function normalizeServer(s: string | undefined): string {
  if (!s) return "docker.io";
  const host = s.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  return host === "index.docker.io" || host === "registry-1.docker.io" ? "docker.io" : host;
}

export class Daemon {
  readonly images: ImageService;
  readonly containers: ContainerService;
  /** Runs containers: start, stop, kill, wait, exec, logs. */
  readonly engine: ContainerEngine;
  readonly networks: NetworkService;
  /** The host's side of published ports (`localhost:8080`). */
  readonly ports: PortService;
  private readonly made: { x86?: ContainerRuntime; wasi?: ContainerRuntime } = {};
  private readonly buildListeners = new Set<BuildEventListener>();
  private readonly proxyOrigin: string;
  private readonly syncedDockerfiles = new Set<string>();
  /** The digests BuildKit-mode builds printed for their steps (`#5 sha256:…`), hex only. */
  private readonly stepDigests = new Set<string>();

  /** Whether `ref` (12 or more hex digits, `sha256:` optional) is a digest a BuildKit build printed for a step. */
  isBuildKitStepDigest(ref: string): boolean {
    const hex = ref.replace(/^sha256:/, "");
    if (!/^[0-9a-f]{12,64}$/.test(hex)) return false;
    for (const d of this.stepDigests) if (d.startsWith(hex)) return true;
    return false;
  }

  /** Every build's events, whichever client started it (the page's build view); returns the unsubscribe. */
  watchBuilds(listener: BuildEventListener): () => void {
    this.buildListeners.add(listener);
    return () => this.buildListeners.delete(listener);
  }

  private constructor(
    readonly store: ImageStore,
    readonly registry: RegistryApi & { resetAuth?(): void },
    readonly credentials: MemoryCredentials,
    opts: DaemonOptions,
  ) {
    this.proxyOrigin = opts.proxyOrigin;
    const records = new ContainerStore(store, storeSnapshotter(store, { useWorkers: opts.useWorkers === true }));
    const runtime = (kind: "x86" | "wasi") => () => {
      let r = this.made[kind];
      if (!r) {
        const make = opts.runtimes?.[kind];
        if (!make) throw new Error(`this lab has no ${kind === "x86" ? "x86" : "WASI"} runtime`);
        r = this.made[kind] = make(store);
      }
      return r;
    };
    this.engine = new ContainerEngine(records, { x86: runtime("x86"), wasi: runtime("wasi") }, (id) => store.getImage(id as never));
    this.images = new ImageService(store, records, registry, {
      pullPlatforms: runnablePlatforms(),
      layerSink: opts.useWorkers ? (p) => new WorkerLayerSink(store.db.name, store.content.chunkSize, p) : undefined,
    });
    this.networks = new NetworkService(store.settings, this.engine, () => records.list());
    this.containers = new ContainerService(records, store, this.images, this.engine, this.networks);
    this.ports = new PortService(this.engine, () => records.list());
  }

  static async open(opts: DaemonOptions): Promise<Daemon> {
    const store = await ImageStore.open(opts.dbName);
    const credentials = new MemoryCredentials(store.settings);
    await credentials.load();
    const registry = withBundledRegistry(
      new BundledRegistry(opts.demosUrl),
      opts.registry ?? new RegistryClient({ endpoint: (host) => `${opts.proxyOrigin}/proxy/${registryApiHost(host)}`, credentials }),
    );
    const daemon = new Daemon(store, registry, credentials, opts);
    await daemon.containers.recover();
    return daemon;
  }

  /** `lab fsck`: the store checked whole (store/fsck.ts); containers running in this tab are never repaired away. */
  async fsck(opts: { repair?: boolean; verifyDigests?: boolean } = {}): Promise<FsckReport> {
    const running = new Set<string>();
    for (const c of await this.containers.records.list()) if (this.engine.isRunning(c.id) || (await this.engine.runsElsewhere(c))) running.add(c.id);
    return checkStore(this.store, { ...opts, running });
  }

  /** A runtime, once a container has needed it (benchmarks read the x86 runtime's lastStart). */
  runtime(kind: "x86" | "wasi"): ContainerRuntime | undefined {
    return this.made[kind];
  }

  /**
   * `docker login`: the credentials are tried against the registry before they are kept (in memory, or
   * with `remember` on this device); a refusal restores what was there. Returns the server's name.
   */
  /**
   * `docker build` with the classic builder: `context` is the tar the client sent. Resolves with the
   * image, or the error the client prints (and the status it exits with); finished steps' images stay.
   */
  async build(o: {
    context: Uint8Array;
    dockerfile: string;
    tags: readonly string[];
    buildArgs: ReadonlyMap<string, string>;
    target?: string;
    noCache?: boolean;
    quiet?: boolean;
    out: (s: string) => void;
    err: (s: string) => void;
    signal?: AbortSignal;
    /** `DOCKER_BUILDKIT=1` / `docker buildx build`: BuildKit's output (to `progress`), history and cache. */
    builder?: "classic" | "buildkit";
    progress?: (s: string) => void;
    dockerignoreSize?: number;
    /** `--network`: the RUN steps' network (default: the bridge). */
    network?: string;
  }): Promise<{ image?: BuildImage; error?: string; status: number }> {
    const kit = o.builder === "buildkit";
    if (o.network !== undefined && !NETWORK_MODES.includes(o.network)) return { error: `network ${o.network} not found`, status: 1 };
    // The builder (its Dockerfile parser above all) loads with the first build, not with the page.
    const [{ BuildError, ClassicBuilder, kitIntro }, { BuildContext }, { ShellExpansionError }, { dockerfileInstructions, DockerfileError }, { DaemonBuildBackend }, { BuildKitProgress }] = await Promise.all([
      import("../build/classic.ts"),
      import("../build/context.ts"),
      import("../build/dockerfile/index.ts"),
      import("../build/dockerfile-instructions.ts"),
      import("./build.ts"),
      import("../build/buildkit-progress.ts"),
    ]);
    const tags: string[] = [];
    for (const t of o.tags) {
      const name = namedTag(t);
      if (!name) return { error: `invalid argument "${t}" for "-t, --tag" flag: invalid reference format`, status: 125 };
      tags.push(t);
    }
    const buildId = randomHex(8);
    const emit = (e: BuildEvent) => {
      for (const l of this.buildListeners) l(e);
    };
    const dockerfileSize = new TextEncoder().encode(o.dockerfile).length;
    // What BuildKit's file sync reports: the file with its stat (37 bytes more), or only the stat when
    // the session already has that Dockerfile.
    const dockerfileKey = kit ? await sha256Digest(o.dockerfile) : "";
    const sizes = { dockerfile: kit && this.syncedDockerfiles.has(dockerfileKey) ? 31 : dockerfileSize + 37, dockerignore: o.dockerignoreSize ?? 2, context: o.context.length };
    if (kit) this.syncedDockerfiles.add(dockerfileKey);
    // BuildKit reads the Dockerfile and .dockerignore before it parses anything; with -q its progress
    // is shown only when the build fails.
    let buffered = "";
    const progressOut = o.progress ?? o.err;
    const kitProgress = kit ? new BuildKitProgress(o.quiet ? (s) => void (buffered += s) : progressOut, undefined, (d) => this.stepDigests.add(d.replace(/^sha256:/, ""))) : undefined;
    if (kitProgress) await kitIntro(kitProgress, sizes);
    const flush = () => {
      if (buffered) progressOut(buffered);
      buffered = "";
    };
    let instructions;
    try {
      instructions = dockerfileInstructions(o.dockerfile, { classic: !kit });
    } catch (e) {
      if (e instanceof DockerfileError) {
        // Docker 20.10's BuildKit frontend words parse errors as its classic builder does.
        const reason = e.kind === "instruction" ? `dockerfile parse error line ${e.line}: ${e.reason.replace(/ \(did you mean [^)]*\?\)$/, "")}` : e.reason;
        const error = kit ? `failed to solve with frontend dockerfile.v0: failed to create LLB definition: ${reason}` : `Error response from daemon: ${e.classicMessage}`;
        emit({ kind: "start", buildId, total: 0, builder: kit ? "buildkit" : "classic", dockerfile: o.dockerfile, tags });
        emit({ kind: "end", buildId, error, status: 1, lastImageId: null, failedStep: 0 });
        flush();
        return { error, status: 1 };
      }
      throw e;
    }
    const context = BuildContext.fromTar(o.context);
    const proxy = this.proxyOrigin;
    const builder = new ClassicBuilder(
      new DaemonBuildBackend(this.images, this.containers, this.engine, (url, signal) => {
        // Through the proxy's download route: a page cannot fetch most servers itself (no CORS).
        const u = new URL(url);
        return fetch(`${proxy}/proxy/~download/${u.protocol.slice(0, -1)}/${u.host}${u.pathname}${u.search}`, signal ? { signal } : {});
      }, o.network),
    );
    emit({ kind: "start", buildId, total: instructions.length, builder: kit ? "buildkit" : "classic", dockerfile: o.dockerfile, tags });
    const failed = (error: string, status: number) => {
      flush();
      emit({ kind: "end", buildId, error, status, lastImageId: builder.lastImage?.id ?? null, failedStep: builder.step });
      return { error, status };
    };
    try {
      const image = await builder.build({ ...o, instructions, context, tags, buildId, onEvent: emit, sizes, ...(kitProgress ? { kitProgress } : {}) });
      emit({ kind: "end", buildId, imageId: image.id, status: 0 });
      return { image, status: 0 };
    } catch (e) {
      if (e instanceof BuildError) return failed(e.message, e.status);
      if (e instanceof InstructionError || e instanceof ShellExpansionError || e instanceof DaemonError) return failed(`Error response from daemon: ${e.message}`, 1);
      // The browser's storage quota is this lab's disk.
      if (isStorageFull(e)) return failed(`Error response from daemon: ${(e as Error).message}`, 1);
      if ((e as { name?: string }).name === "QuotaExceededError") return failed("Error response from daemon: write /var/lib/docker: no space left on device (the browser's storage for this page is full: docker image prune or docker rmi frees space)", 1);
      failed(String((e as Error).message ?? e), 1);
      throw e;
    }
  }

  async login(server: string | undefined, username: string, password: string, remember = false): Promise<string> {
    const host = normalizeServer(server);
    const previous = this.credentials.get(host);
    const wasRemembered = this.credentials.isRemembered(host);
    await this.credentials.set(host, { username, password }, false);
    this.registry.resetAuth?.();
    try {
      await this.registry.ping(host);
    } catch (e) {
      if (previous) await this.credentials.set(host, previous, wasRemembered);
      else await this.credentials.delete(host);
      this.registry.resetAuth?.();
      throw e;
    }
    if (remember) await this.credentials.set(host, { username, password }, true);
    return host;
  }

  /** `docker logout`: whether there was a login to forget. */
  async logout(server: string | undefined): Promise<{ server: string; was: boolean }> {
    const host = normalizeServer(server);
    const was = await this.credentials.delete(host);
    this.registry.resetAuth?.();
    return { server: host, was };
  }

  /**
   * The store as Docker lays it out under /var/lib/docker, and the part of it that belongs to `ref`
   * (a container, or an image by name or ID: its layers, config and distribution entries).
   */
  async storageLayout(ref?: string): Promise<{ all: LayoutEntry[]; selected: LayoutEntry[] }> {
    const all = await dockerStorageLayout(this.store, await this.containers.records.list());
    if (!ref) return { all, selected: [] };
    const c = await this.containers.maybe(ref);
    const image = c ? await this.store.getImage(c.imageId) : await this.images.resolve(ref);
    if (!image) throw new DaemonError(`No such image or container: ${ref}`);
    return { all, selected: layoutOfImage(all, image, c?.id) };
  }
}
