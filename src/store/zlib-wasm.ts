/** zlib's join helpers (src/store/zlib.wasm, built by scripts/build-zlib-wasm.ts), loaded once per thread. */
import { ZlibJoin } from "../layer/gzip-join.ts";
import zlibUrl from "./zlib.wasm?url";

let loaded: Promise<ZlibJoin> | undefined;

export function loadZlibJoin(): Promise<ZlibJoin> {
  loaded ??= (async () => {
    const res = await fetch(zlibUrl);
    if (!res.ok) throw new Error(`GET ${zlibUrl}: ${res.status}`);
    return ZlibJoin.load(await res.arrayBuffer());
  })();
  // A failed load (offline before it was cached) is tried again by the next commit.
  loaded.catch(() => (loaded = undefined));
  return loaded;
}
