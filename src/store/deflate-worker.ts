/**
 * A Web Worker that compresses 1 MiB blocks of a layer being committed into joinable deflate
 * (src/layer/gzip-join.ts): the gzip worker keeps one per core and joins their blocks into one
 * member, so a commit's gzip runs on every core instead of one.
 */
import { compressBlock, platformRawDeflate } from "../layer/gzip-join.ts";
import type { DeflateWorkerApi } from "./gzip-protocol.ts";
import { serveInWorker, transfer } from "./rpc.ts";
import { loadZlibJoin } from "./zlib-wasm.ts";

serveInWorker<DeflateWorkerApi>({
  async block(data) {
    const out = await compressBlock(await loadZlibJoin(), data, platformRawDeflate);
    return transfer(out, out.parts.map((p) => p.buffer as ArrayBuffer));
  },
});
