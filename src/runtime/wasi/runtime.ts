/**
 * Running wasi/wasm images: no emulator, the module runs in a worker with browser_wasi_shim and its
 * root is the container's union, served by the owner of the union through a synchronous bridge. The
 * module is read from the container's root (Entrypoint/Cmd[0], looked up in PATH), compiled and its
 * imports checked here, so a bad module is refused before anything starts, with a message saying why.
 */
import { Rpc } from "../../store/rpc.ts";
import type { UnionFS } from "../../unionfs/union.ts";
import type { ResolvedProcess } from "../spec.ts";
import { SIGNALS } from "../signals.ts";
import { notFoundMessage, ProcessStartError, shimError, type ContainerProcess, type ContainerRuntime, type ProcessHandlers, type RunningContainer, type RuntimeProcess } from "../types.ts";
import { answer, BRIDGE_BYTES } from "./bridge.ts";
import type { WasiPageApi, WasiWorkerApi, WorkerLike } from "./protocol.ts";

export type WasiWorkerFactory = () => WorkerLike;

/** The WASI preview1 functions the lab provides (what browser_wasi_shim implements). */
const PREVIEW1 = new Set([
  "args_get", "args_sizes_get", "environ_get", "environ_sizes_get", "clock_res_get", "clock_time_get", "fd_advise", "fd_allocate",
  "fd_close", "fd_datasync", "fd_fdstat_get", "fd_fdstat_set_flags", "fd_fdstat_set_rights", "fd_filestat_get", "fd_filestat_set_size",
  "fd_filestat_set_times", "fd_pread", "fd_prestat_get", "fd_prestat_dir_name", "fd_pwrite", "fd_read", "fd_readdir", "fd_renumber",
  "fd_seek", "fd_sync", "fd_tell", "fd_write", "path_create_directory", "path_filestat_get", "path_filestat_set_times", "path_link",
  "path_open", "path_readlink", "path_remove_directory", "path_rename", "path_symlink", "path_unlink_file", "poll_oneoff", "proc_exit",
  "proc_raise", "sched_yield", "random_get", "sock_accept", "sock_recv", "sock_send", "sock_shutdown",
]);

async function findModule(fs: UnionFS, argv0: string, env: string[]): Promise<string> {
  const notFound = () => new ProcessStartError({ status: 127, daemonError: shimError(notFoundMessage(argv0)) });
  const candidates = argv0.includes("/") ? [argv0] : (env.find((e) => e.startsWith("PATH="))?.slice(5) ?? "/usr/local/bin:/usr/bin:/bin").split(":").map((d) => `${d}/${argv0}`);
  for (const c of candidates) {
    try {
      const real = fs.realpath(c);
      const st = await fs.tryStat(real);
      if (st?.type === "file") return real;
    } catch {
      /* next */
    }
  }
  throw notFound();
}

/** Compiles the module and checks that it needs nothing the lab lacks. */
export async function loadModule(bytes: Uint8Array, path: string): Promise<WebAssembly.Module> {
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes as BufferSource);
  } catch (e) {
    throw new ProcessStartError({ status: 126, daemonError: shimError(`/${path} is not a valid WebAssembly module: ${(e as Error).message}`) });
  }
  const unknown = WebAssembly.Module.imports(module).filter((i) => !(i.module === "wasi_snapshot_preview1" && i.kind === "function" && PREVIEW1.has(i.name)));
  if (unknown.length) {
    const names = unknown.slice(0, 5).map((i) => `${i.module}::${i.name}`).join(", ");
    throw new ProcessStartError({ status: 126, daemonError: shimError(`/${path} imports what the lab's WASI runtime does not provide (${names}${unknown.length > 5 ? `, and ${unknown.length - 5} more` : ""}); only wasi_snapshot_preview1 is available`) });
  }
  return module;
}

export class WasiRuntime implements ContainerRuntime {
  lastStartMs?: number;
  /** A worker started ahead of need: loading one costs more than running a small module. */
  private spare?: WorkerLike;
  constructor(private readonly workers: WasiWorkerFactory) {}

  private takeWorker(): WorkerLike {
    const w = this.spare ?? this.workers();
    w.keepAlive?.(true);
    this.spare = this.workers();
    this.spare.keepAlive?.(false);
    return w;
  }

  /** Starts the spare worker now (the page does it when a wasi image is pulled or selected). */
  prewarm(): void {
    if (this.spare) return;
    this.spare = this.workers();
    this.spare.keepAlive?.(false);
  }

  async start(_id: string, fs: UnionFS, proc: ResolvedProcess, handlers: ProcessHandlers): Promise<RunningWasiContainer> {
    const t0 = performance.now();
    const path = await findModule(fs, proc.argv[0]!, proc.env);
    const module = await loadModule(await fs.read(path), path);
    const c = new RunningWasiContainer(this.takeWorker(), fs, module, proc, handlers);
    this.lastStartMs = performance.now() - t0;
    return c;
  }
}

/** WASI instances have no kernel pid: the lab numbers them as a host would. */
let nextWasiPid = 1000;

export class RunningWasiContainer implements RunningContainer {
  readonly main: RuntimeProcess;
  readonly exited: Promise<number>;
  private finish!: (code: number) => void;
  private stdin: Uint8Array[] = [];
  private stdinClosed: boolean;
  private stdinWaiter?: () => void;
  private readonly startedAt = Date.now();
  private readonly pid = nextWasiPid++;
  private readonly argv: string[];

  constructor(worker: WorkerLike, fs: UnionFS, module: WebAssembly.Module, proc: ResolvedProcess, handlers: ProcessHandlers) {
    this.exited = new Promise((r) => (this.finish = r));
    this.stdinClosed = !proc.stdin;
    this.argv = proc.argv;
    const sab = new SharedArrayBuffer(BRIDGE_BYTES);
    let done = false;
    const end = (code: number) => {
      if (done) return;
      done = true;
      worker.terminate();
      this.finish(code);
    };
    const stdin = async (size: number) => {
      while (!this.stdin.length && !this.stdinClosed) await new Promise<void>((r) => (this.stdinWaiter = r));
      const chunk = this.stdin.shift();
      if (!chunk) return new Uint8Array(0);
      const n = Math.min(chunk.length, size);
      if (n < chunk.length) this.stdin.unshift(chunk.subarray(n));
      return chunk.subarray(0, n);
    };
    // Requests come one at a time (the worker blocks on each), so answering in order is enough.
    const rpc = new Rpc<WasiWorkerApi, WasiPageApi>(worker.post, {
      fs: (req) => answer(fs, sab, req, stdin),
      out: (fd, data) => handlers.output(fd, data),
      exit: (code) => end(code),
      trap: (message) => {
        handlers.output(2, new TextEncoder().encode(`Error: failed to run main module /${proc.argv[0]?.replace(/^\//, "")}: ${message}\n`));
        end(134);
      },
    });
    worker.onMessage((m) => rpc.receive(m));
    worker.onError((message) => {
      handlers.output(2, new TextEncoder().encode(`Error: ${message}\n`));
      end(134);
    });
    const wakeStdin = () => {
      const w = this.stdinWaiter;
      this.stdinWaiter = undefined;
      w?.();
    };
    this.main = {
      write: (data) => {
        this.stdin.push(typeof data === "string" ? new TextEncoder().encode(data) : data);
        wakeStdin();
      },
      closeStdin: () => {
        this.stdinClosed = true;
        wakeStdin();
      },
      // WASI has no signals: INT, TERM and KILL end the instance (as the containerd wasm shims do).
      kill: (signal) => end(128 + signal),
      resize: () => {},
    };
    rpc.notify("run", [{ module, args: proc.argv, env: [...proc.env, `PWD=${proc.cwd}`], sab }]);
  }

  async stop(_timeoutS = 10, signal: number = SIGNALS.TERM): Promise<number> {
    this.main.kill(signal);
    return this.exited;
  }

  kill(signal: number): void {
    this.main.kill(signal === 0 ? SIGNALS.KILL : signal);
  }

  /** `docker top`: the module is the container's one process. */
  async processes(): Promise<ContainerProcess[]> {
    return [{ pid: this.pid, ppid: 0, uid: 0, tty: "?", startedAt: this.startedAt, cpuSeconds: (Date.now() - this.startedAt) / 1000, comm: this.argv[0]?.split("/").pop()?.slice(0, 15) ?? "", argv: this.argv, stat: "Ss", nice: 0, vszKiB: 0, rssKiB: 0 }];
  }

  async exec(): Promise<never> {
    throw new ProcessStartError({ status: 126, daemonError: "exec is not supported for wasi/wasm containers: a module runs as one process" });
  }
}
