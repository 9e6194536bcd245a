/**
 * Running linux/386 containers in v86. Each running container gets its own machine (its own kernel,
 * like a container gets its own namespaces), restored from one saved state in which /init waits for
 * work — the warm start — with the container's union served to it over 9P. The first start ever boots
 * cold and saves that state; the lab keeps it (compressed) for the next page load.
 *
 * Where the machine runs is the factory's business: in-process (Node: tests, benchmarks) or in a Web
 * Worker (the page). The 9P server always runs beside the union it serves, so the union stays the one
 * source of truth for `docker diff` and `commit`.
 */
import { ERRNO, errnoText } from "../../unionfs/errors.ts";
import type { UnionFS } from "../../unionfs/union.ts";
import { SIGNALS } from "../signals.ts";
import type { ResolvedProcess } from "../spec.ts";
import { execFailure, notFoundMessage, ProcessStartError, runcError, type ContainerNetwork, type ContainerProcess, type GuestConnection, type ContainerRuntime, type ProcessHandlers, type RunningContainer, type StartFailure } from "../types.ts";
import { NET, type NetworkAnswer } from "./v86.ts";
import { macForAddress } from "../network.ts";

const HOST_MODE_ADDRESS = "172.17.0.2";
import { StartError, type Guest, type GuestProcess } from "./guest.ts";
import { P9Server } from "./p9.ts";
import { parseProcListing, PROC_LISTING_SCRIPT } from "../procfs.ts";

export interface Vm {
  readonly guest: Guest;
  /** Whether the network relay has answered, waiting up to `timeoutMs` (false: no relay). */
  netReady(timeoutMs: number): Promise<NetworkAnswer>;
  /** A TCP connection from the bridge's gateway to `to` in the guest (a published port). */
  dial(to: { ip: string; mac: string; port: number }): GuestConnection;
  saveState(): Promise<ArrayBuffer>;
  destroy(): Promise<void>;
}

/** Starts a machine whose 9P device `server` answers; from `state` when given (warm). */
export type VmFactory = (server: P9Server, state?: ArrayBuffer) => Promise<Vm>;

/** Where the warm state is kept between starts (and page loads). */
export interface StateCache {
  get(): Promise<ArrayBuffer | undefined>;
  put(state: ArrayBuffer): Promise<void>;
}

export class MemoryStateCache implements StateCache {
  private state?: ArrayBuffer;
  async get() {
    return this.state;
  }
  async put(state: ArrayBuffer) {
    this.state = state;
  }
}

/** Go's strerror text (what runc prints): glibc's, lower-cased. */
const goErrnoText = (n: number) => errnoText(n).replace(/^./, (c) => c.toLowerCase());

export function startFailure(e: StartError, argv0: string, cwd: string): StartFailure {
  switch (e.stage) {
    case "lookup":
      return { status: 127, daemonError: runcError(notFoundMessage(argv0, goErrnoText(e.errno))) };
    case "exec":
      if (e.errno === ERRNO.EACCES) return { status: 126, daemonError: runcError(`exec: "${argv0}": permission denied`) };
      // runc has already started the container when execve fails: the message is the process's output.
      return { status: 1, output: `exec ${e.path}: ${goErrnoText(e.errno)}\n` };
    case "chdir":
      return { status: 128, daemonError: runcError(`error during container init: chdir to cwd ("${cwd}") set in config.json failed: ${goErrnoText(e.errno)}`) };
    case "user":
      return { status: 126, daemonError: runcError(`error during container init: setting user: ${goErrnoText(e.errno)}`) };
    default:
      return { status: 126, daemonError: runcError(`error during container init: ${goErrnoText(e.errno)}`) };
  }
}

export interface X86RuntimeOptions {
  /**
   * Keep one machine restored ahead of need (from the warm state, idle at /init's READY, its 9P
   * server not yet serving anything): a start then only attaches the container's root. Prepared in
   * the background a moment after each start, so it never competes with one. For the page; off in
   * Node, where an idle machine would keep the process alive.
   */
  spareMachine?: boolean;
}

const SPARE_DELAY_MS = 1500;
/** How long a start waits for the network relay before going on without it. */
const RELAY_WAIT_MS = 5000;

export class X86Runtime implements ContainerRuntime {
  /** How the last start went (benchmarks and the UI read it). */
  lastStart?: { warm: boolean; spare?: boolean; bootMs: number; mountMs?: number; netMs?: number; relayReady?: boolean; network?: NetworkAnswer; spawnMs?: number };
  private booting?: Promise<void>;
  private spare?: Promise<{ vm: Vm; server: P9Server; warm: boolean }>;
  private spareTimer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly factory: VmFactory,
    private readonly cache: StateCache,
    private readonly opts: X86RuntimeOptions = {},
  ) {}

  /** Makes `machine` the spare: the next start takes it (forgotten if it fails). */
  private keepAsSpare(machine: Promise<{ vm: Vm; server: P9Server; warm: boolean }>): void {
    machine.catch(() => {
      if (this.spare === machine) this.spare = undefined;
    });
    this.spare = machine;
  }

  /** After a start, once the warm state exists: a spare machine a moment later, off the start's path. */
  private prepareSpareSoon(): void {
    if (!this.opts.spareMachine || this.spare || this.spareTimer) return;
    this.spareTimer = setTimeout(() => {
      this.spareTimer = undefined;
      this.keepAsSpare(this.newMachine());
    }, SPARE_DELAY_MS);
  }

  /** A container is about to start: get its machine ready now rather than when it is asked for. */
  prewarm(): void {
    // Only where a spare machine may idle (the page): a prepared machine nobody takes would keep a
    // Node process alive.
    if (!this.opts.spareMachine || this.spare) return;
    clearTimeout(this.spareTimer);
    this.spareTimer = undefined;
    this.keepAsSpare(this.newMachine());
  }

  /** A machine at /init's READY: the spare, restored from the warm state, or booted cold (and the state saved). */
  async machine(): Promise<{ vm: Vm; server: P9Server; warm: boolean }> {
    const t0 = performance.now();
    const spare = this.spare;
    this.spare = undefined;
    const ready = await spare?.catch(() => undefined);
    if (ready) {
      this.lastStart = { warm: ready.warm, spare: true, bootMs: performance.now() - t0 };
      this.prepareSpareSoon();
      return ready;
    }
    const t1 = performance.now();
    const m = await this.newMachine();
    this.lastStart = { warm: m.warm, bootMs: performance.now() - t1 };
    return m;
  }

  /** A machine at READY: restored from the warm state, or booted cold (and the state saved). */
  private async newMachine(): Promise<{ vm: Vm; server: P9Server; warm: boolean }> {
    await this.booting;
    const server = new P9Server();
    const state = await this.cache.get();
    if (state) {
      const vm = await this.factory(server, state);
      this.prepareSpareSoon();
      return { vm, server, warm: true };
    }
    let done!: () => void;
    this.booting = new Promise((r) => (done = r));
    try {
      const vm = await this.factory(server);
      // Saved before anything is mounted: every container can be attached to a copy of it.
      const saved = await vm.saveState();
      // Kept in memory at once; compressing and storing it for the next page load is not on this
      // start's path.
      const stored = this.cache.put(saved);
      stored.catch((e: Error) => console.warn(`the warm state was not kept: ${e.message}`));
      this.prepareSpareSoon();
      return { vm, server, warm: false };
    } finally {
      done();
    }
  }

  /** Boots (or restores) a machine for a container and starts its main process. */
  async start(id: string, fs: UnionFS, proc: ResolvedProcess, handlers: ProcessHandlers, network?: ContainerNetwork): Promise<RunningX86Container> {
    const { vm, server } = await this.machine();
    server.export(id, fs);
    try {
      let t = performance.now();
      const last = this.lastStart!;
      // The relay's answer is awaited beside the mount, not after it (a cold machine's first connection).
      const answer = network && network.mode !== "none" ? vm.netReady(RELAY_WAIT_MS) : undefined;
      answer?.catch(() => {});
      const mounted = vm.guest.mount("c", id).then((root) => {
        last.mountMs = performance.now() - t;
        return root;
      });
      mounted.catch(() => {});
      let configured: Promise<void> | undefined;
      if (network) {
        // The container starts once its relay has answered, so its first request is not lost.
        if (answer) {
          last.network = await answer;
          last.relayReady = last.network === "relay";
        }
        // "host" reaches the relay like the bridge does; it only has no address of its own to show.
        const link: Parameters<Vm["guest"]["network"]>[1] =
          network.mode === "host" ? { ...network, mtu: NET.mtu, mode: "bridge", ipAddress: HOST_MODE_ADDRESS, prefixLen: NET.prefixLen, gateway: NET.gateway, macAddress: macForAddress(HOST_MODE_ADDRESS) } : { ...network, mtu: NET.mtu };
        // Nothing answers (no relay, and no mirror): like a host without a network, no route out and no
        // name server, so a lookup or a connection fails at once instead of timing out. The mirror
        // answers as the relay does: the same route and name server, fewer names.
        if (link.mode === "bridge" && !last.network) Object.assign(link, { gateway: "", resolvConf: OFFLINE_RESOLV_CONF });
        // Sent behind the mount without waiting for its answer: /init takes a root's requests in order
        // (measured: 38 ms of a 200 ms warm start was this round trip after the mount's).
        configured = vm.guest.network("c", link);
        configured.catch(() => {});
      }
      const root = await mounted;
      if (configured) {
        t = performance.now();
        await configured;
        last.netMs = performance.now() - t;
      }
      t = performance.now();
      const c = new RunningX86Container(vm, server, root, id, network?.mode === "bridge" ? { ip: network.ipAddress, mac: network.macAddress } : undefined);
      await c.startMain(proc, handlers);
      last.spawnMs = performance.now() - t;
      return c;
    } catch (e) {
      await vm.destroy();
      throw e;
    }
  }
}

/** resolv.conf without a relay: no name server (the resolver then asks 127.0.0.1, which refuses at once). */
export const OFFLINE_RESOLV_CONF = "# The lab has no network relay (offline, or a static copy of the lab): no name server.\n";

export class RunningX86Container implements RunningContainer {
  main!: GuestProcess;
  /** Resolves with the main process's exit code once the machine is gone. */
  exited!: Promise<number>;
  private forceExit!: (code: number) => void;
  private readonly forced = new Promise<number>((r) => (this.forceExit = r));

  constructor(
    private readonly vm: Vm,
    readonly server: P9Server,
    private readonly root: string,
    private readonly aname: string,
    private readonly endpoint?: { ip: string; mac: string },
  ) {}

  /** A TCP connection to `port` of the container, from the bridge's gateway (what `-p` forwards to). */
  connect(port: number): GuestConnection {
    if (!this.endpoint) throw new Error("the container is not on the bridge network");
    return this.vm.dial({ ...this.endpoint, port });
  }

  async startMain(proc: ResolvedProcess, handlers: ProcessHandlers): Promise<void> {
    this.main = this.spawn(proc, handlers);
    try {
      await this.main.started;
    } catch (e) {
      if (!(e instanceof StartError)) throw e;
      const f = startFailure(e, proc.argv[0] ?? "", proc.cwd);
      if (f.daemonError) throw new ProcessStartError(f);
      // The container did start; its process printed the error and exited.
      handlers.output(2, new TextEncoder().encode(f.output ?? ""));
      this.exited = this.shutdown().then(() => f.status);
      return;
    }
    this.exited = Promise.race([this.main.exited, this.forced]).then(async (code) => {
      await this.shutdown();
      return code;
    });
  }

  private spawn(proc: ResolvedProcess, handlers: ProcessHandlers): GuestProcess {
    const p = this.vm.guest.spawn({ ...proc, root: this.root, rows: proc.rows ?? 24, cols: proc.cols ?? 80 });
    p.onOutput = (fd, d) => handlers.output(fd, d);
    if (!proc.stdin && !proc.tty) p.closeStdin();
    return p;
  }

  /** `docker exec`: another process in the same machine and root. */
  async exec(proc: ResolvedProcess, handlers: ProcessHandlers): Promise<{ process: GuestProcess; exited: Promise<number> }> {
    const p = this.spawn(proc, handlers);
    try {
      await p.started;
    } catch (e) {
      if (!(e instanceof StartError)) throw e;
      const f = startFailure(e, proc.argv[0] ?? "", proc.cwd);
      if (f.daemonError) throw new ProcessStartError(execFailure(f));
      handlers.output(2, new TextEncoder().encode(f.output ?? ""));
      return { process: p, exited: Promise.resolve(f.status) };
    }
    return { process: p, exited: p.exited };
  }

  /** `docker top`: /proc of the container's machine, read by the machine's own busybox (outside the container's root). */
  async processes(): Promise<ContainerProcess[]> {
    const chunks: Uint8Array[] = [];
    const p = this.vm.guest.spawn({
      argv: ["/bin/busybox", "sh", "-c", PROC_LISTING_SCRIPT], env: ["PATH=/bin"], cwd: "/", uid: 0, gid: 0, groups: [0],
      hostname: "", tty: false, root: "/",
    });
    p.onOutput = (fd, d) => {
      if (fd === 1) chunks.push(d);
    };
    p.closeStdin();
    await p.started;
    await p.exited;
    const now = Date.now();
    return parseProcListing(await new Blob(chunks as BlobPart[]).text(), now);
  }

  private shutdownPromise?: Promise<void>;
  /**
   * The main process ended (or was killed): the union stops being served at once (nothing can write
   * to the container layer after its exit is reported); the machine is torn down in the background,
   * off the path of `docker run` returning.
   */
  shutdown(): Promise<void> {
    if (!this.shutdownPromise) {
      this.server.unexport(this.aname);
      this.shutdownPromise = this.vm.destroy().catch(() => {});
    }
    return Promise.resolve();
  }

  /**
   * `docker stop`: the stop signal, then after `timeoutS` SIGKILL — which here is the end of the
   * machine, taking every process of the container with it (exit code 137).
   */
  async stop(timeoutS = 10, signal: number = SIGNALS.TERM): Promise<number> {
    this.main.kill(signal);
    const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), timeoutS * 1000));
    const first = await Promise.race([this.exited, timeout]);
    if (first !== "timeout") return first;
    this.main.kill(SIGNALS.KILL);
    const second = await Promise.race([this.exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 1000))]);
    if (second !== "timeout") return second;
    this.forceExit(128 + SIGNALS.KILL);
    return this.exited;
  }

  kill(signal: number): void {
    this.main.kill(signal);
  }
}
