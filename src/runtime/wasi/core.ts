/**
 * Inside the worker: runs a WASI module with browser_wasi_shim, its fds being the terminal's stdio and
 * the container's union (through the synchronous bridge), and reports output and the exit code.
 */
import { Fd, WASI, WASIProcExit, wasi } from "@bjorn3/browser_wasi_shim";
import { SyncBridge } from "./bridge.ts";
import type { FromWasiWorker, WasiRunMessage } from "./protocol.ts";
import { UnionDirFd } from "./union-fd.ts";

class Stdin extends Fd {
  constructor(private readonly bridge: SyncBridge) {
    super();
  }
  override fd_fdstat_get() {
    return { ret: 0, fdstat: new wasi.Fdstat(wasi.FILETYPE_CHARACTER_DEVICE, 0) };
  }
  override fd_read(size: number) {
    return { ret: 0, data: this.bridge.call("stdin", [size]).data };
  }
}

class Output extends Fd {
  constructor(private readonly fd: 1 | 2, private readonly post: (m: FromWasiWorker) => void) {
    super();
  }
  override fd_fdstat_get() {
    return { ret: 0, fdstat: new wasi.Fdstat(wasi.FILETYPE_CHARACTER_DEVICE, wasi.FDFLAGS_APPEND) };
  }
  override fd_write(data: Uint8Array) {
    this.post({ kind: "out", fd: this.fd, data: data.slice() });
    return { ret: 0, nwritten: data.length };
  }
}

export async function runWasi(m: WasiRunMessage, post: (msg: FromWasiWorker) => void): Promise<void> {
  const bridge = new SyncBridge(m.sab, (req) => post(req));
  const root = new UnionDirFd(bridge, "", "/");
  const fds: Fd[] = [new Stdin(bridge), new Output(1, post), new Output(2, post), root];
  // debug must be false explicitly: the shim enables its per-call console logging when it is undefined.
  const w = new WASI(m.args, m.env, fds, { debug: false });
  const mem = () => new Uint8Array(w.inst.exports.memory.buffer);
  const str = (ptr: number, len: number) => new TextDecoder().decode(mem().slice(ptr, ptr + len));
  // rename and symlink as single union operations (the shim's versions unlink+relink or refuse).
  w.wasiImport.path_rename = (fd: number, op: number, ol: number, nfd: number, np: number, nl: number) => {
    const a = w.fds[fd];
    const b = w.fds[nfd];
    if (!(a instanceof UnionDirFd) || !(b instanceof UnionDirFd)) return wasi.ERRNO_BADF;
    return a.rename(str(op, ol), b, str(np, nl));
  };
  w.wasiImport.path_symlink = (op: number, ol: number, fd: number, np: number, nl: number) => {
    const d = w.fds[fd];
    if (!(d instanceof UnionDirFd)) return wasi.ERRNO_BADF;
    return d.symlink(str(op, ol), str(np, nl));
  };
  let code: number;
  try {
    const instance = await WebAssembly.instantiate(m.module, { wasi_snapshot_preview1: w.wasiImport });
    code = w.start(instance as unknown as Parameters<WASI["start"]>[0]);
  } catch (e) {
    if (e instanceof WASIProcExit) code = e.code;
    else {
      post({ kind: "trap", message: e instanceof WebAssembly.RuntimeError ? `wasm trap: ${e.message}` : String((e as Error)?.message ?? e) });
      return;
    }
  }
  post({ kind: "exit", code });
}
