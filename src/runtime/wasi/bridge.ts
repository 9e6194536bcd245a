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
import { FsError } from "../../unionfs/errors.ts";
import type { UnionFS } from "../../unionfs/union.ts";

export const BRIDGE_BYTES = 4 * 1024 * 1024 + 64 * 1024;
/** Largest read or write one call carries; bigger ones are split by the caller. */
export const MAX_IO = 4 * 1024 * 1024;
const HEADER = 16;

export interface FsRequest {
  kind: "fs";
  op: string;
  args: unknown[];
  data?: Uint8Array;
}

/** Linux errno names (FsError codes) → WASI errno numbers. */
export const WASI_ERRNO: Record<string, number> = {
  EPERM: 63, ENOENT: 44, EIO: 29, EBADF: 8, EBUSY: 10, EEXIST: 20, EXDEV: 75, ENOTDIR: 54, EISDIR: 31, EINVAL: 28,
  EFBIG: 22, EROFS: 69, EMLINK: 34, ENAMETOOLONG: 37, ENOTEMPTY: 55, ELOOP: 32, ENODATA: 52,
};

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The union's side: performs one request and writes the answer into the shared buffer. */
export async function answer(fs: UnionFS, sab: SharedArrayBuffer, req: FsRequest, extra: Record<string, (...a: unknown[]) => Promise<unknown>> = {}): Promise<void> {
  const ctl = new Int32Array(sab, 0, 4);
  const bytes = new Uint8Array(sab, HEADER);
  let errno = 0;
  let json = "null";
  let bin: Uint8Array | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const a = req.args as any[];
    let result: unknown;
    switch (req.op) {
      case "stat": result = await fs.stat(a[0]); break;
      case "readdir": result = await fs.readdir(a[0]); break;
      case "read": bin = await fs.read(a[0], a[1], Math.min(a[2], MAX_IO)); break;
      case "write": result = await fs.write(a[0], a[1], req.data!); break;
      case "create": result = await fs.create(a[0], a[1]); break;
      case "mkdir": result = await fs.mkdir(a[0], a[1]); break;
      case "unlink": await fs.unlink(a[0]); break;
      case "rmdir": await fs.rmdir(a[0]); break;
      case "rename": await fs.rename(a[0], a[1]); break;
      case "symlink": result = await fs.symlink(a[0], a[1]); break;
      case "link": result = await fs.link(a[0], a[1]); break;
      case "truncate": await fs.truncate(a[0], a[1]); break;
      case "utimes": await fs.utimes(a[0], a[1], a[2]); break;
      case "realpath": result = fs.realpath(a[0], a[1]); break;
      default: {
        const f = extra[req.op];
        if (!f) throw new FsError("EINVAL", "", `unknown bridge call ${req.op}`);
        const r = await f(...(req.args as unknown[]));
        if (r instanceof Uint8Array) bin = r;
        else result = r;
      }
    }
    json = JSON.stringify(result ?? null);
  } catch (e) {
    errno = e instanceof FsError ? (WASI_ERRNO[e.code] ?? 29) : 29;
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

  call<T = unknown>(op: string, args: unknown[], data?: Uint8Array): { result: T; data: Uint8Array } {
    Atomics.store(this.ctl, 0, 0);
    this.post({ kind: "fs", op, args, data });
    while (Atomics.load(this.ctl, 0) === 0) Atomics.wait(this.ctl, 0, 0);
    const errno = this.ctl[1]!;
    const jl = this.ctl[2]!;
    const bl = this.ctl[3]!;
    const json = dec.decode(this.bytes.slice(0, jl));
    if (errno) throw new BridgeError(errno, json);
    return { result: JSON.parse(json) as T, data: this.bytes.slice(jl, jl + bl) };
  }

  get buffer(): SharedArrayBuffer {
    return this.sab;
  }
}
