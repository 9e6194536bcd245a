/**
 * The host side of the line protocol spoken by the guest's /init (scripts/initramfs/layerlab-init.c):
 * mount a union by aname, start processes (with a pty or with pipes), feed stdin, forward signals and
 * terminal sizes, and collect output and exit codes. It only needs a way to send bytes to the guest's
 * serial port and to be fed the bytes the guest writes, so it runs unchanged in Node, in a worker, or
 * against a recorded transcript.
 */
import type { ResolvedProcess } from "../spec.ts";
import type { OutputListener, RuntimeProcess } from "../types.ts";

/** A process to start: the resolved process (stdin is the runtime's business), in the root mounted at `root` (from mount()). */
export type ProcessSpec = Omit<ResolvedProcess, "stdin"> & { root: string };

/** Why a process could not start: the stage the guest reached and the errno it got there. */
export class StartError extends Error {
  /** `path` is the name looked up (stage "lookup") or the file executed (stage "exec"). */
  constructor(readonly stage: "setup" | "chroot" | "chdir" | "user" | "lookup" | "exec", readonly errno: number, readonly path: string) {
    super(`${stage} failed for ${path}: errno ${errno}`);
  }
}

const STAGES = ["setup", "chroot", "chdir", "user", "lookup", "exec"] as const;

/** A process in the guest: what clients drive (RuntimeProcess), and what the runtime waits for. */
export interface GuestProcess extends RuntimeProcess {
  readonly id: number;
  /** Bytes the process wrote to stdout (fd 1) or stderr (fd 2); with a tty everything is fd 1. */
  onOutput: OutputListener;
  /** Resolves with the exit code (128+signal when killed) once all output has arrived. */
  readonly exited: Promise<number>;
  /** Resolves when the process is running; rejects with StartError when it could not start. */
  readonly started: Promise<void>;
}

const enc = new TextEncoder();

function b64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function unb64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

interface Pending {
  proc: GuestProcessImpl;
}

class GuestProcessImpl implements GuestProcess {
  onOutput: OutputListener = () => {};
  readonly exited: Promise<number>;
  readonly started: Promise<void>;
  resolveExit!: (code: number) => void;
  resolveStart!: () => void;
  rejectStart!: (e: Error) => void;
  /** Output that arrived before anyone listened. */
  early: [1 | 2, Uint8Array][] | undefined = [];
  constructor(readonly id: number, private readonly guest: Guest) {
    this.exited = new Promise((r) => (this.resolveExit = r));
    this.started = new Promise((res, rej) => {
      this.resolveStart = res;
      this.rejectStart = rej;
    });
    this.started.catch(() => {});
  }
  write(data: Uint8Array | string): void {
    const bytes = typeof data === "string" ? enc.encode(data) : data;
    // Stay well under the guest's line buffer; the serial port carries ~1 byte per emulated cycle batch.
    for (let i = 0; i < bytes.length; i += 3072) this.guest.send(`@I ${this.id} ${b64(bytes.subarray(i, i + 3072))}`);
  }
  closeStdin(): void {
    this.guest.send(`@C ${this.id}`);
  }
  kill(signal: number): void {
    this.guest.send(`@K ${this.id} ${signal}`);
  }
  resize(rows: number, cols: number): void {
    this.guest.send(`@W ${this.id} ${rows} ${cols}`);
  }
}

export class Guest {
  private line = "";
  private nextId = 1;
  private readonly procs = new Map<number, Pending>();
  private readonly mounts = new Map<string, { resolve: () => void; reject: (e: Error) => void }[]>();
  private readyWaiters: (() => void)[] = [];
  /** Lines the guest printed that are not frames (kernel messages): kept for error reports. */
  readonly console: string[] = [];
  ready = false;

  constructor(private readonly writeSerial: (text: string) => void) {}

  send(frame: string): void {
    this.writeSerial(`${frame}\n`);
  }

  /** Feed one byte the guest wrote to its serial port. */
  byte(b: number): void {
    if (b === 10) {
      const l = this.line;
      this.line = "";
      this.onLine(l.endsWith("\r") ? l.slice(0, -1) : l);
    } else this.line += String.fromCharCode(b);
  }

  /** Resolves when /init says it waits for work. */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((r) => this.readyWaiters.push(r));
  }

  /** Forgets everything in flight: used after restoring a saved machine, which is at READY again. */
  resetTo(ready: boolean): void {
    this.line = "";
    this.ready = ready;
    this.procs.clear();
    this.mounts.clear();
  }

  mount(name: string, aname: string): Promise<string> {
    return new Promise<void>((resolve, reject) => {
      const list = this.mounts.get(name) ?? [];
      list.push({ resolve, reject });
      this.mounts.set(name, list);
      this.send(`@M ${name} ${aname}`);
    }).then(() => `/c/${name}`);
  }

  /** Sets up the machine's network and binds /etc/hosts, /etc/hostname, /etc/resolv.conf into the root mounted as `name`. */
  network(name: string, n: { mode: string; ipAddress: string; prefixLen: number; gateway: string; macAddress: string; mtu: number; hosts: string; hostname: string; resolvConf: string }): Promise<void> {
    const fields = [n.mode, n.ipAddress || "0.0.0.0", String(n.prefixLen), n.gateway || "0.0.0.0", n.macAddress, String(n.mtu), n.hosts, n.hostname, n.resolvConf];
    return new Promise<void>((resolve, reject) => {
      const list = this.mounts.get(name) ?? [];
      list.push({ resolve, reject });
      this.mounts.set(name, list);
      this.send(`@N ${name} ${b64(enc.encode(fields.join("\0") + "\0"))}`);
    });
  }

  unmount(name: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const list = this.mounts.get(name) ?? [];
      list.push({ resolve, reject });
      this.mounts.set(name, list);
      this.send(`@U ${name}`);
    });
  }

  spawn(spec: ProcessSpec): GuestProcess {
    const id = this.nextId++;
    const proc = new GuestProcessImpl(id, this);
    this.procs.set(id, { proc });
    const fields = [spec.root, spec.cwd, String(spec.uid), String(spec.gid), spec.groups.join(","), spec.hostname, String(spec.env.length), ...spec.env, ...spec.argv];
    const payload = enc.encode(fields.join("\0") + "\0");
    this.send(`@R ${id} ${spec.tty ? 1 : 0} ${spec.rows ?? 24} ${spec.cols ?? 80} ${b64(payload)}`);
    const origOn = proc;
    // Deliver output buffered before the caller attached its handler.
    queueMicrotask(() => {
      const early = origOn.early;
      origOn.early = undefined;
      for (const [fd, d] of early ?? []) origOn.onOutput(fd, d);
    });
    return proc;
  }

  private onLine(l: string): void {
    if (!l.startsWith("@")) {
      if (l.trim()) this.console.push(l);
      if (this.console.length > 200) this.console.shift();
      return;
    }
    const parts = l.split(" ");
    const kind = parts[0];
    switch (kind) {
      case "@READY":
        this.ready = true;
        for (const r of this.readyWaiters.splice(0)) r();
        return;
      case "@OK":
      case "@ERR": {
        const name = parts[1] ?? "";
        const w = this.mounts.get(name)?.shift();
        if (!w) return;
        if (kind === "@OK") w.resolve();
        else w.reject(new Error(`guest ${parts.slice(3).join(" ")} of ${name} failed: errno ${parts[2]}`));
        return;
      }
      case "@S": {
        this.procs.get(Number(parts[1]))?.proc.resolveStart();
        return;
      }
      case "@E": {
        const p = this.procs.get(Number(parts[1]));
        if (!p) return;
        this.procs.delete(p.proc.id);
        const stage = STAGES[Number(parts[2])] ?? "setup";
        p.proc.rejectStart(new StartError(stage, Number(parts[3]), new TextDecoder().decode(unb64(parts[4] ?? ""))));
        p.proc.resolveExit(-1); // the caller maps the StartError to Docker's message and status
        return;
      }
      case "@O": {
        const p = this.procs.get(Number(parts[1]));
        if (!p) return;
        const fd = parts[2] === "2" ? 2 : 1;
        const data = unb64(parts[3] ?? "");
        if (p.proc.early) p.proc.early.push([fd, data]);
        else p.proc.onOutput(fd, data);
        return;
      }
      case "@X": {
        const p = this.procs.get(Number(parts[1]));
        if (!p) return;
        this.procs.delete(p.proc.id);
        p.proc.resolveStart();
        const code = Number(parts[2]);
        // Output frames precede the exit frame on the wire; deliver buffered output first.
        queueMicrotask(() => p.proc.resolveExit(code));
        return;
      }
    }
  }
}
