/**
 * Inside the worker: runs a WASI module with browser_wasi_shim, its fds being the terminal's stdio and
 * the container's union (through the synchronous bridge), and reports output and the exit code.
 */
import { Fd, WASI, WASIProcExit, wasi } from "@bjorn3/browser_wasi_shim";
import { WASI_ERRNO } from "../../unionfs/errors.ts";
import { SyncBridge } from "./bridge.ts";
import type { Rpc } from "../../store/rpc.ts";
import type { WasiPageApi, WasiRun } from "./protocol.ts";
import { UnionDirFd } from "./union-fd.ts";

/** The owner of the union, as the worker reaches it. */
type Page = Pick<Rpc<WasiPageApi>, "notify">;

class Stdin extends Fd {
  constructor(private readonly bridge: SyncBridge) {
    super();
  }
  override fd_fdstat_get() {
    return { ret: 0, fdstat: new wasi.Fdstat(wasi.FILETYPE_CHARACTER_DEVICE, 0) };
  }
  override fd_read(size: number) {
    return { ret: 0, data: this.bridge.call("stdin", size) };
  }
}

class Output extends Fd {
  constructor(private readonly fd: 1 | 2, private readonly page: Page) {
    super();
  }
  override fd_fdstat_get() {
    return { ret: 0, fdstat: new wasi.Fdstat(wasi.FILETYPE_CHARACTER_DEVICE, wasi.FDFLAGS_APPEND) };
  }
  override fd_write(data: Uint8Array) {
    const copy = data.slice();
    this.page.notify("out", [this.fd, copy], [copy.buffer]);
    return { ret: 0, nwritten: data.length };
  }
}

export async function runWasi(m: WasiRun, page: Page): Promise<void> {
  const bridge = new SyncBridge(m.sab, (req) => page.notify("fs", [req]));
  const root = new UnionDirFd(bridge, "", "/");
  const fds: Fd[] = [new Stdin(bridge), new Output(1, page), new Output(2, page), root];
  // debug must be false explicitly: the shim enables its per-call console logging when it is undefined.
  const w = new WASI(m.args, m.env, fds, { debug: false });
  const mem = () => new Uint8Array(w.inst.exports.memory.buffer);
  const str = (ptr: number, len: number) => new TextDecoder().decode(mem().slice(ptr, ptr + len));
  // rename and symlink as single union operations (the shim's versions unlink+relink or refuse).
  w.wasiImport.path_rename = (fd: number, op: number, ol: number, nfd: number, np: number, nl: number) => {
    const a = w.fds[fd];
    const b = w.fds[nfd];
    if (!(a instanceof UnionDirFd) || !(b instanceof UnionDirFd)) return WASI_ERRNO.EBADF;
    return a.rename(str(op, ol), b, str(np, nl));
  };
  w.wasiImport.path_symlink = (op: number, ol: number, fd: number, np: number, nl: number) => {
    const d = w.fds[fd];
    if (!(d instanceof UnionDirFd)) return WASI_ERRNO.EBADF;
    return d.symlink(str(op, ol), str(np, nl));
  };
  let code: number;
  try {
    const instance = await WebAssembly.instantiate(m.module, { wasi_snapshot_preview1: w.wasiImport });
    code = w.start(instance as unknown as Parameters<WASI["start"]>[0]);
  } catch (e) {
    if (e instanceof WASIProcExit) code = e.code;
    else {
      page.notify("trap", [e instanceof WebAssembly.RuntimeError ? `wasm trap: ${e.message}` : String((e as Error)?.message ?? e)]);
      return;
    }
  }
  page.notify("exit", [code]);
}
