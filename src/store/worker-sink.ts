/**
 * The page's side of layer-worker.ts: a LayerSink whose work happens in a Web Worker. Chunks are
 * transferred (not copied) and up to MAX_IN_FLIGHT of them may be queued, so the network keeps flowing
 * while the worker hashes and inflates; errors come back typed as they were thrown.
 */
import { DigestMismatchError, type Digest } from "../oci/digest.ts";
import { PullError, type LayerSink, type LayerSinkParams } from "./layer-sink.ts";
import { connectWorker, Pipeline, reviveError, type Rpc, type WireError } from "./rpc.ts";
import type { LayerWorkerApi } from "./worker-protocol.ts";

const MAX_IN_FLIGHT = 8;

function revive(w: WireError): Error {
  const f = w.fields ?? {};
  if (w.name === "DigestMismatchError" && typeof f.expected === "string" && typeof f.actual === "string") {
    const e = new DigestMismatchError(f.expected as Digest, f.actual as Digest);
    e.message = w.message;
    return e;
  }
  if (w.name === "PullError") return new PullError(w.message);
  return reviveError(w);
}

interface LayerWorker {
  worker: Worker;
  rpc: Rpc<LayerWorkerApi>;
  broken: boolean;
}

/** A small pool: workers are kept for the next layer instead of being started for each one. */
const idle: LayerWorker[] = [];

function takeWorker(): LayerWorker {
  const pooled = idle.pop();
  if (pooled) return pooled;
  const worker = new Worker(new URL("./layer-worker.ts", import.meta.url), { type: "module" });
  const w: LayerWorker = { worker, rpc: connectWorker<LayerWorkerApi>(worker, "layer worker", {}, { revive }), broken: false };
  worker.addEventListener("error", () => (w.broken = true));
  return w;
}

export class WorkerLayerSink implements LayerSink {
  private readonly w = takeWorker();
  private readonly acks = new Pipeline(MAX_IN_FLIGHT);

  constructor(private readonly dbName: string, private readonly chunkSize: number, private readonly params: LayerSinkParams) {}

  async open(): Promise<number> {
    await this.acks.drain();
    return this.w.rpc.call("open", [this.dbName, this.chunkSize, this.params]);
  }

  async begin(offset: number): Promise<void> {
    await this.acks.drain();
    await this.w.rpc.call("begin", [offset]);
  }

  async push(chunk: Uint8Array): Promise<void> {
    // Transfer needs the chunk to own its buffer; fetch's chunks do.
    const own = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : chunk.slice();
    await this.acks.add(this.w.rpc.call("push", [own], [own.buffer]));
  }

  async finish(): Promise<void> {
    await this.acks.drain();
    await this.w.rpc.call("finish", []);
  }

  async suspend(): Promise<void> {
    // Whatever failed, the flushed chunks must be kept: wait for the queue, ignore its errors.
    await this.acks.drain().catch(() => {});
    await this.w.rpc.call("suspend", []).catch(() => {});
  }

  close(): void {
    if (!this.w.broken && idle.length < 3) idle.push(this.w);
    else this.w.worker.terminate();
  }
}
