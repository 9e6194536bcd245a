/**
 * The part of a Docker daemon that runs containers: start a container's process in the runtime its
 * image needs, keep its logs, let clients attach, stop, kill and exec, and record state and exit codes
 * on the container record. The container layer is the union the runtime serves; nothing is copied
 * back when a process ends.
 */
import { isWasiPlatform } from "../oci/platform.ts";
import { randomHex, type ContainerStore } from "../store/containers.ts";
import { acquireLock, lockHeld } from "../store/db.ts";
import type { ContainerRecord, ImageRecord } from "../store/schema.ts";
import { AddressPool, containerNetwork, networkOfMode } from "./network.ts";
import { HostPortAllocator, PortAllocationError, splitPortKey, type PortMap } from "./ports.ts";
import { signalNumber } from "./signals.ts";
import { resolveProcess, SpecError, type ResolvedProcess } from "./spec.ts";
import { EngineError, ProcessStartError, type ContainerNetwork, type ContainerProcess, type ContainerRuntime, type GuestConnection, type OutputListener, type RunningContainer, type RuntimeProcess } from "./types.ts";

export { EngineError, type OutputListener } from "./types.ts";

/** The Web Lock a tab holds while it runs a container. */
export const containerLock = (id: string) => `container:${id}`;

/** Which runtime an image needs: wasi/wasm images need no emulator. */
export function runtimeKind(image: Pick<ImageRecord, "config"> | undefined): "wasi" | "x86" {
  return isWasiPlatform(image?.config) ? "wasi" : "x86";
}

/** Kept per container: Docker's json-file log driver keeps everything; the lab keeps the last 1 MiB. */
const LOG_LIMIT = 1 << 20;

export interface LogEntry {
  fd: 1 | 2;
  /** ms since the epoch */
  t: number;
  data: Uint8Array;
}

interface Running {
  container: RunningContainer;
  listeners: Set<OutputListener>;
  exited: Promise<number>;
  tty: boolean;
  network: ContainerNetwork;
  /** NetworkSettings.Ports while it runs. */
  ports: PortMap;
}

export class ContainerEngine {
  private readonly running = new Map<string, Running>();
  private readonly logs = new Map<string, LogEntry[]>();
  private readonly logWatchers = new Map<string, Set<(e: LogEntry | null) => void>>();
  private readonly addresses = new AddressPool();
  private readonly hostPorts = new HostPortAllocator();
  /** Containers this tab is starting (it holds their lock; they are not running yet). */
  private readonly starting = new Set<string>();

  constructor(
    private readonly containers: ContainerStore,
    private readonly runtimes: { x86: () => ContainerRuntime; wasi: () => ContainerRuntime },
    private readonly getImage: (id: string) => Promise<ImageRecord | undefined>,
  ) {}

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  /**
   * Whether the container runs in another tab of the lab (its record says running, this tab does not
   * run it, and that tab still holds the container's lock): this tab must neither start, remove,
   * commit nor mark it exited.
   */
  async runsElsewhere(c: ContainerRecord): Promise<boolean> {
    return !this.running.has(c.id) && !this.starting.has(c.id) && (await lockHeld(containerLock(c.id)));
  }

  /** A running container's endpoint (address, gateway, MAC); undefined once it stopped, as in Docker. */
  network(id: string): ContainerNetwork | undefined {
    return this.running.get(id)?.network;
  }

  /** A running container's published ports (NetworkSettings.Ports); {} otherwise, as Docker shows a stopped one. */
  ports(id: string): PortMap {
    return this.running.get(id)?.ports ?? {};
  }

  /**
   * The container port the lab's host port `hostPort` is published from (`-p 8080:80`: port 80 of
   * that container), as a client on the Docker host dialling localhost:8080 reaches it.
   */
  publisherOf(hostPort: number, proto = "tcp"): { containerId: string; port: number } | undefined {
    const id = this.hostPorts.holder(hostPort, proto);
    const r = id ? this.running.get(id) : undefined;
    if (!id || !r) return undefined;
    for (const [key, bindings] of Object.entries(r.ports)) {
      const { port, proto: p } = splitPortKey(key);
      if (p === proto && bindings?.some((b) => Number(b.HostPort) === hostPort)) return { containerId: id, port };
    }
    return undefined;
  }

  /** A TCP connection to `port` of a running container, from the bridge's gateway; undefined when its runtime has no network. */
  connect(containerId: string, port: number): GuestConnection | undefined {
    return this.running.get(containerId)?.container.connect?.(port);
  }

  /**
   * A container of this image is about to be created and started: its runtime may get ready
   * meanwhile (the x86 runtime boots or restores a machine while the container's layer is prepared).
   */
  prewarm(image: ImageRecord): void {
    try {
      this.runtimes[runtimeKind(image)]().prewarm?.();
    } catch {
      // No runtime for it here: the start will say so.
    }
  }

  /** Docker's warning when an image is not for the lab's platform (it is still run, as Docker does). */
  async platformWarning(c: ContainerRecord): Promise<string | undefined> {
    const image = await this.getImage(c.imageId);
    const arch = image?.config.architecture;
    const os = image?.config.os;
    if (!arch || (os === "linux" && arch === "386") || runtimeKind(image) === "wasi") return undefined;
    return `WARNING: The requested image's platform (${os}/${arch}${image?.config.variant ? `/${image.config.variant}` : ""}) does not match the detected host platform (linux/386) and no specific platform was requested\n`;
  }

  /**
   * Starts the container's main process. `listener` sees its output from the first byte (attach);
   * resolves once the process runs. Daemon-side failures throw EngineError with Docker's message and
   * leave the container "created" with the exit code Docker records.
   */
  async start(c: ContainerRecord, opts: { listener?: OutputListener; rows?: number; cols?: number } = {}): Promise<{ exited: Promise<number>; process: RuntimeProcess }> {
    if (this.running.has(c.id) || this.starting.has(c.id)) throw new EngineError(`container ${c.id.slice(0, 12)} is already running`);
    // The container's lock, from before its machine boots until it exits: no other tab starts,
    // removes or commits it meanwhile.
    const release = await acquireLock(containerLock(c.id));
    if (!release) throw new EngineError(`container ${c.id.slice(0, 12)} is already running in another tab of the lab`);
    this.starting.add(c.id);
    try {
      return await this.startLocked(c, opts, release);
    } catch (e) {
      release();
      throw e;
    } finally {
      this.starting.delete(c.id);
    }
  }

  private async startLocked(c: ContainerRecord, opts: { listener?: OutputListener; rows?: number; cols?: number }, release: () => void): Promise<{ exited: Promise<number>; process: RuntimeProcess }> {
    const fs = await this.containers.fs(c);
    const tty = c.config.Tty === true;
    let proc: ResolvedProcess;
    try {
      proc = await resolveProcess(fs, c.config, { tty, stdin: c.config.OpenStdin === true });
    } catch (e) {
      if (e instanceof SpecError) throw await this.failStart(c, e.message, e.status);
      throw e;
    }
    proc.rows = opts.rows;
    proc.cols = opts.cols;
    const listeners = new Set<OutputListener>();
    if (opts.listener) listeners.add(opts.listener);
    const log: LogEntry[] = [];
    this.logs.set(c.id, log);
    let logged = 0;
    const output: OutputListener = (fd, data) => {
      const entry = { fd, t: Date.now(), data };
      log.push(entry);
      logged += data.length;
      while (logged > LOG_LIMIT && log.length > 1) logged -= log.shift()!.data.length;
      for (const l of listeners) l(fd, data);
      for (const w of this.logWatchers.get(c.id) ?? []) w(entry);
    };
    let container: RunningContainer;
    const onNetwork = networkOfMode(c.networkMode);
    // Docker binds published ports on the bridge only ("host" shares the host's, "none" has none).
    let ports: PortMap = {};
    if (onNetwork === "bridge") {
      try {
        ports = this.hostPorts.bind(c.id, Object.keys(c.config.ExposedPorts ?? {}), c.portBindings ?? {}, c.publishAll === true);
      } catch (e) {
        if (!(e instanceof PortAllocationError)) throw e;
        throw new EngineError(`driver failed programming external connectivity on endpoint ${c.name} (${randomHex(32)}): ${e.message}`, 125);
      }
    }
    let network: ContainerNetwork;
    try {
      network = containerNetwork(onNetwork, onNetwork === "bridge" ? this.addresses.take(c.id) : "", proc.hostname, c.extraHosts);
      const runtime = this.runtimes[runtimeKind(await this.getImage(c.imageId))]();
      container = await runtime.start(c.id, fs, proc, { output }, network);
    } catch (e) {
      this.addresses.release(c.id);
      this.hostPorts.release(c.id);
      if (e instanceof ProcessStartError && e.failure.daemonError) throw await this.failStart(c, e.failure.daemonError, e.failure.status);
      throw e;
    }
    const exited = container.exited.then(async (code) => {
      try {
        const rec = (await this.containers.get(c.id)) ?? c;
        rec.state = "exited";
        rec.exitCode = code;
        rec.finishedAt = Date.now();
        rec.logs = log.map((e) => ({ fd: e.fd, t: e.t, data: e.data }));
        await this.containers.update(rec);
      } finally {
        // Only once the exit is recorded (or could not be: a full disk): a `docker wait` in between
        // would read the record's old exit code. Its ports, address and lock are free either way.
        this.running.delete(c.id);
        this.addresses.release(c.id);
        this.hostPorts.release(c.id);
        release();
        for (const w of this.logWatchers.get(c.id) ?? []) w(null);
      }
      return code;
    });
    this.running.set(c.id, { container, listeners, exited, tty, network: network!, ports });
    c.state = "running";
    c.startedAt = Date.now();
    delete c.exitCode;
    delete c.finishedAt;
    await this.containers.update(c);
    return { exited, process: container.main };
  }

  private async failStart(c: ContainerRecord, message: string, status: number): Promise<EngineError> {
    c.exitCode = status;
    await this.containers.update(c);
    return new EngineError(message, status);
  }

  async stop(c: ContainerRecord, timeoutS = 10, signal?: string): Promise<void> {
    const r = this.running.get(c.id);
    if (!r && (await this.runsElsewhere((await this.containers.get(c.id)) ?? c))) throw new EngineError(`container ${c.id.slice(0, 12)} is running in another tab of the lab: stop it there`, 1);
    if (!r) return; // Docker: stopping a stopped container succeeds
    await r.container.stop(timeoutS, signalNumber(signal ?? (c.config.StopSignal as string | undefined)));
    await r.exited;
  }

  kill(c: ContainerRecord, signal = "KILL"): void {
    const r = this.running.get(c.id);
    if (!r) throw new EngineError(`cannot kill container: ${c.id.slice(0, 12)}: container ${c.id} is not running`, 1);
    r.container.kill(signalNumber(signal, 9));
  }

  wait(c: ContainerRecord): Promise<number> {
    const r = this.running.get(c.id);
    return r ? r.exited : Promise.resolve(c.exitCode ?? 0);
  }

  /** `docker top`: the processes of a running container. */
  async processes(c: ContainerRecord): Promise<ContainerProcess[]> {
    const r = this.running.get(c.id);
    if (!r) throw new EngineError(`Container ${c.id} is not running`, 1);
    return r.container.processes();
  }

  /** docker exec: a new process beside the main one, with the container's env, user and workdir. */
  async exec(c: ContainerRecord, argv: string[], opts: { tty: boolean; stdin: boolean; env?: string[]; cwd?: string; user?: string; rows?: number; cols?: number; listener: OutputListener }): Promise<{ exited: Promise<number>; process: RuntimeProcess }> {
    const r = this.running.get(c.id);
    if (!r) throw new EngineError(`container ${c.id} is not running`, 1);
    const fs = await this.containers.fs(c);
    let proc: ResolvedProcess;
    try {
      proc = await resolveProcess(fs, c.config, { tty: opts.tty, stdin: opts.stdin, argv, env: opts.env, cwd: opts.cwd, user: opts.user });
    } catch (e) {
      if (e instanceof SpecError) throw new EngineError(e.message, e.status);
      throw e;
    }
    proc.rows = opts.rows;
    proc.cols = opts.cols;
    try {
      return await r.container.exec(proc, { output: opts.listener });
    } catch (e) {
      if (e instanceof ProcessStartError && e.failure.daemonError) throw new EngineError(e.failure.daemonError, e.failure.status);
      throw e;
    }
  }

  /** The container's output so far (this session's, or what was kept when it last stopped). */
  async logsOf(c: ContainerRecord): Promise<LogEntry[]> {
    const live = this.logs.get(c.id);
    if (live) return [...live];
    const rec = await this.containers.get(c.id);
    return (rec?.logs ?? []).map((e) => ({ fd: e.fd, t: e.t, data: e.data }));
  }

  /** docker logs -f: called with each new entry, then null when the container stops. */
  follow(c: ContainerRecord, fn: (e: LogEntry | null) => void): () => void {
    let set = this.logWatchers.get(c.id);
    if (!set) this.logWatchers.set(c.id, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }

  tty(c: ContainerRecord): boolean {
    return this.running.get(c.id)?.tty ?? c.config.Tty === true;
  }
}
