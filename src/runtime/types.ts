/**
 * The contract between the engine and the runtimes that run containers (the x86 emulator, WASI):
 * what a runtime starts, what a running container and a running process offer, how a start fails and
 * the words Docker uses when it does.
 */
import type { UnionFS } from "../unionfs/union.ts";
import type { ResolvedProcess } from "./spec.ts";

/** Output of a process: stdout (fd 1) or stderr (fd 2); with a tty everything is fd 1. */
export type OutputListener = (fd: 1 | 2, data: Uint8Array) => void;

/** A running process, as clients drive it: stdin, signals and the terminal's size. */
export interface RuntimeProcess {
  write(data: Uint8Array | string): void;
  closeStdin(): void;
  kill(signal: number): void;
  resize(rows: number, cols: number): void;
}

export interface ProcessHandlers {
  output: OutputListener;
}

/** A container whose main process runs. */
/** A TCP connection into a running container (a published port), from the lab's side of the bridge. */
export interface GuestConnection {
  /** Resolves once the container accepted; rejects (ECONNREFUSED: nothing listens). */
  readonly opened: Promise<void>;
  /** Resolves when both sides are done, or the connection failed. */
  readonly closed: Promise<void>;
  /** The container's bytes, in order. */
  onData: (data: Uint8Array) => void;
  /** The container sent FIN, or reset the connection (`error`). */
  onEnd: (error?: Error) => void;
  write(data: Uint8Array): void;
  /** No more data from this side. */
  end(): void;
  /** Aborts (RST). */
  close(): void;
}

export interface RunningContainer {
  readonly main: RuntimeProcess;
  /** Resolves with the main process's exit code (128+signal when killed). */
  readonly exited: Promise<number>;
  /** `docker stop`: `signal`, then after `timeoutS` the end of the container. */
  stop(timeoutS?: number, signal?: number): Promise<number>;
  kill(signal: number): void;
  /** `docker top`: the container's processes now, as its kernel reports them. */
  processes(): Promise<ContainerProcess[]>;
  /** `docker exec`: another process in the container's root. */
  exec(proc: ResolvedProcess, handlers: ProcessHandlers): Promise<{ process: RuntimeProcess; exited: Promise<number> }>;
  /** A TCP connection to the container's `port` from the bridge's gateway (runtimes without a network have none). */
  connect?(port: number): GuestConnection;
}

/** One process of a running container, as `ps` reads it from /proc. */
export interface ContainerProcess {
  pid: number;
  ppid: number;
  /** Effective user id. */
  uid: number;
  /** The controlling terminal as ps names it (`pts/0`), or `?`. */
  tty: string;
  /** When it started (ms since the epoch, on the page's clock). */
  startedAt: number;
  /** CPU time used so far, user and system (seconds). */
  cpuSeconds: number;
  /** Its command name (`comm`, at most 15 characters). */
  comm: string;
  /** Its argv; empty when the kernel keeps none (ps then shows `[comm]`). */
  argv: string[];
  /** ps's STAT: the state letter (R, S, D, Z, T…) and its flags (`s` session leader, `+` foreground, `l` threads, `<`/`N` nice). */
  stat: string;
  nice: number;
  /** Virtual and resident memory (KiB). */
  vszKiB: number;
  rssKiB: number;
}

/**
 * A container's network as the daemon set it up (Docker's endpoint on a network): what the runtime
 * configures in the guest and the three files Docker bind-mounts into every container.
 */
export interface ContainerNetwork {
  /** "none": only `lo`. "host" and "bridge" both reach the lab's relay. */
  mode: "bridge" | "host" | "none";
  /** Empty for "none" and "host". */
  ipAddress: string;
  prefixLen: number;
  gateway: string;
  macAddress: string;
  /** Contents of /etc/hosts, /etc/hostname and /etc/resolv.conf. */
  hosts: string;
  hostname: string;
  resolvConf: string;
}

export interface ContainerRuntime {
  start(id: string, fs: UnionFS, proc: ResolvedProcess, handlers: ProcessHandlers, network?: ContainerNetwork): Promise<RunningContainer>;
  /** A start is coming: get ready now (a machine booting while the container is being created). */
  prewarm?(): void;
}

/**
 * A process that could not start, as Docker reports it: either the daemon refuses (`daemonError`, the
 * container stays "Created") or the container starts and its process prints `output` and exits.
 */
export interface StartFailure {
  /** The exit code Docker records (and `docker run` returns). */
  status: number;
  daemonError?: string;
  output?: string;
}

export class ProcessStartError extends Error {
  override name = "ProcessStartError";
  constructor(readonly failure: StartFailure) {
    super(failure.daemonError ?? failure.output ?? "could not start");
  }
}

/** A daemon-side failure, with Docker's message and the status the client exits with (125 by default). */
export class EngineError extends Error {
  override name = "EngineError";
  constructor(message: string, readonly status = 125) {
    super(message);
  }
}

// Docker's wording of start errors: containerd's shim wraps the runtime's message.
const SHIM = "failed to create task for container: failed to create shim task: ";

/** containerd's message for a task its shim could not create (`docker run`, `docker start`). */
export function shimError(message: string): string {
  return `${SHIM}${message}: unknown`;
}

/** runc's message (inside containerd's) for a container process that could not start. */
export function runcError(message: string): string {
  return shimError(`OCI runtime create failed: runc create failed: unable to start container process: ${message}`);
}

/** What runc says when argv[0] cannot be found: `reason` is the stat error of a path. */
export function notFoundMessage(argv0: string, reason = "no such file or directory"): string {
  return argv0.includes("/") ? `exec: "${argv0}": stat ${argv0}: ${reason}` : `exec: "${argv0}": executable file not found in $PATH`;
}

/** `docker exec` reports the same failure without containerd's task prefix. */
export function execFailure(f: StartFailure): StartFailure {
  return f.daemonError ? { ...f, daemonError: f.daemonError.replace(SHIM, "") } : f;
}
