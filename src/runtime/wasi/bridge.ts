/**
 * Synchronous filesystem calls from a worker running a WASI module to the union filesystem on the
 * page (or Node's main thread). WASI imports are synchronous and the union's storage is not, so the
 * worker posts a request and blocks in Atomics.wait on a SharedArrayBuffer until the owner of the
 * union has answered into it. The union stays where it is — one object, the one `docker diff` reads —
 * and every write is in the container layer before the module's call returns.
 *
 * Layout of the shared buffer: Int32 [0] state (0 waiting, 1 answered), [1] errno (0 = ok),
 * [2] JSON length, [3] binary length; then JSON bytes, then binary bytes.
 */
import { FsError, WASI_ERRNO } from "../../unionfs/errors.ts";
import type { CreateOptions, DirEntry, Stat, UnionFS } from "../../unionfs/union.ts";

export const BRIDGE_BYTES = 4 * 1024 * 1024 + 64 * 1024;
/** Largest read or write one call carries; bigger ones are split by the caller. */
export const MAX_IO = 4 * 1024 * 1024;
const HEADER = 16;

/** The calls a module's fds make: the union's operations, and the container's stdin. */
export interface BridgeOps {
  stat(path: string): Stat;
  readdir(path: string): DirEntry[];
  read(path: string, offset: number, length: number): Uint8Array;
  write(path: string, offset: number, data: Uint8Array): number;
  create(path: string, opts: CreateOptions): Stat;
  mkdir(path: string, opts: CreateOptions): Stat;
  unlink(path: string): void;
  rmdir(path: string): void;
  rename(from: string, to: string): void;
  symlink(target: string, path: string): Stat;
  link(existing: string, path: string): Stat;
  truncate(path: string, size: number): void;
  utimes(path: string, atime: number, mtime: number): void;
  realpath(path: string, followLast: boolean): string;
  /** Up to `size` bytes of the container's stdin; none at its end. */
  stdin(size: number): Uint8Array;
}

export type BridgeOp = keyof BridgeOps;

/** One call, as the worker posts it. */
export type FsRequest = { [K in BridgeOp]: { op: K; args: Parameters<BridgeOps[K]> } }[BridgeOp];

/** Calls whose result is bytes (carried after the JSON, not in it). */
const BINARY: ReadonlySet<BridgeOp> = new Set<BridgeOp>(["read", "stdin"]);

const enc = new TextEncoder();
const dec = new TextDecoder();

function perform(fs: UnionFS, req: FsRequest, stdin: (size: number) => Promise<Uint8Array>): unknown {
  switch (req.op) {
    case "stat": return fs.stat(...req.args);
    case "readdir": return fs.readdir(...req.args);
    case "read": {
      const [path, offset, length] = req.args;
      return fs.read(path, offset, Math.min(length, MAX_IO));
    }
    case "write": return fs.write(...req.args);
    case "create": return fs.create(...req.args);
    case "mkdir": return fs.mkdir(...req.args);
    case "unlink": return fs.unlink(...req.args);
    case "rmdir": return fs.rmdir(...req.args);
    case "rename": return fs.rename(...req.args);
    case "symlink": return fs.symlink(...req.args);
    case "link": return fs.link(...req.args);
    case "truncate": return fs.truncate(...req.args);
    case "utimes": return fs.utimes(...req.args);
    case "realpath": return fs.realpath(...req.args);
    case "stdin": return stdin(...req.args);
  }
}

/** The union's side: performs one request and writes the answer into the shared buffer. */
export async function answer(fs: UnionFS, sab: SharedArrayBuffer, req: FsRequest, stdin: (size: number) => Promise<Uint8Array>): Promise<void> {
  const ctl = new Int32Array(sab, 0, 4);
  const bytes = new Uint8Array(sab, HEADER);
  let errno = 0;
  let json = "null";
  let bin: Uint8Array | undefined;
  try {
    const result = await perform(fs, req, stdin);
    if (result instanceof Uint8Array) bin = result;
    else json = JSON.stringify(result ?? null);
  } catch (e) {
    errno = e instanceof FsError ? WASI_ERRNO[e.code] : WASI_ERRNO.EIO;
    if (!(e instanceof FsError)) json = JSON.stringify(String((e as Error)?.message ?? e));
  }
  const j = enc.encode(json);
  bytes.set(j, 0);
  if (bin) bytes.set(bin, j.length);
  ctl[1] = errno;
  ctl[2] = j.length;
  ctl[3] = bin?.length ?? 0;
  Atomics.store(ctl, 0, 1);
  Atomics.notify(ctl, 0);
}

export class BridgeError extends Error {
  constructor(readonly errno: number, message = `errno ${errno}`) {
    super(message);
  }
}

/** The worker's side: blocking calls. */
export class SyncBridge {
  private readonly ctl: Int32Array;
  private readonly bytes: Uint8Array;
  constructor(private readonly sab: SharedArrayBuffer, private readonly post: (req: FsRequest) => void) {
    this.ctl = new Int32Array(sab, 0, 4);
    this.bytes = new Uint8Array(sab, HEADER);
  }

  /** Performs `op` on the union and returns its result; throws BridgeError with the WASI errno. */
  call<K extends BridgeOp>(op: K, ...args: Parameters<BridgeOps[K]>): ReturnType<BridgeOps[K]> {
    Atomics.store(this.ctl, 0, 0);
    this.post({ op, args } as FsRequest);
    while (Atomics.load(this.ctl, 0) === 0) Atomics.wait(this.ctl, 0, 0);
    const errno = this.ctl[1]!;
    const jl = this.ctl[2]!;
    const bl = this.ctl[3]!;
    const json = dec.decode(this.bytes.slice(0, jl));
    if (errno) throw new BridgeError(errno, json);
    return (BINARY.has(op) ? this.bytes.slice(jl, jl + bl) : JSON.parse(json)) as ReturnType<BridgeOps[K]>;
  }

  get buffer(): SharedArrayBuffer {
    return this.sab;
  }
}
