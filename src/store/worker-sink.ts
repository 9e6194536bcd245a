/**
 * The page's side of layer-worker.ts: a LayerSink whose work happens in a Web Worker. Chunks are
 * transferred (not copied) and up to MAX_IN_FLIGHT of them may be queued, so the network keeps flowing
 * while the worker hashes and inflates; errors come back typed as they were thrown.
 */
import { DigestMismatchError, type Digest } from "../oci/digest.ts";
import { PullError, type LayerSink, type LayerSinkParams } from "./layer-sink.ts";
import type { SinkReply, SinkRequest } from "./worker-protocol.ts";

const MAX_IN_FLIGHT = 8;

function revive(r: SinkReply & { kind: "error" }): Error {
  if (r.name === "DigestMismatchError" && r.expected && r.actual) {
    const e = new DigestMismatchError(r.expected as Digest, r.actual as Digest);
    e.message = r.message;
    return e;
  }
  const e = r.name === "PullError" ? new PullError(r.message) : new Error(r.message);
  e.name = r.name;
  return e;
}

/** A small pool: workers are kept for the next layer instead of being started for each one. */
const idle: Worker[] = [];

function takeWorker(): Worker {
  return idle.pop() ?? new Worker(new URL("./layer-worker.ts", import.meta.url), { type: "module" });
}

export class WorkerLayerSink implements LayerSink {
  private readonly worker = takeWorker();
  private readonly waiting: { resolve: (r: SinkReply) => void }[] = [];
  private pendingAcks: Promise<SinkReply>[] = [];
  private broken = false;

  constructor(private readonly dbName: string, private readonly chunkSize: number, private readonly params: LayerSinkParams) {
    this.worker.onmessage = (m: MessageEvent<SinkReply>) => this.waiting.shift()?.resolve(m.data);
    this.worker.onerror = (e) => {
      this.broken = true;
      const r: SinkReply = { kind: "error", name: "Error", message: `layer worker failed: ${e.message}` };
      for (const w of this.waiting.splice(0)) w.resolve(r);
    };
  }

  private send(req: SinkRequest, transfer: Transferable[] = []): Promise<SinkReply> {
    const p = new Promise<SinkReply>((resolve) => this.waiting.push({ resolve }));
    this.worker.postMessage(req, transfer);
    return p;
  }

  private async call(req: SinkRequest): Promise<SinkReply> {
    await this.drain();
    const r = await this.send(req);
    if (r.kind === "error") throw revive(r);
    return r;
  }

  private async drain(): Promise<void> {
    const acks = this.pendingAcks;
    this.pendingAcks = [];
    for (const a of acks) {
      const r = await a;
      if (r.kind === "error") throw revive(r);
    }
  }

  async open(): Promise<number> {
    const r = await this.call({ op: "open", dbName: this.dbName, chunkSize: this.chunkSize, params: this.params });
    return r.kind === "opened" ? r.resumeAt : 0;
  }

  async begin(offset: number): Promise<void> {
    await this.call({ op: "begin", offset });
  }

  async push(chunk: Uint8Array): Promise<void> {
    // Transfer needs the chunk to own its buffer; fetch's chunks do.
    const own = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : chunk.slice();
    this.pendingAcks.push(this.send({ op: "push", chunk: own }, [own.buffer]));
    if (this.pendingAcks.length >= MAX_IN_FLIGHT) {
      const r = await this.pendingAcks.shift()!;
      if (r.kind === "error") throw revive(r);
    }
  }

  async finish(): Promise<void> {
    await this.call({ op: "finish" });
  }

  async suspend(): Promise<void> {
    // Whatever failed, the flushed chunks must be kept: wait for the queue, ignore its errors.
    await this.drain().catch(() => {});
    await this.send({ op: "suspend" });
  }

  close(): void {
    this.worker.onmessage = null;
    this.worker.onerror = null;
    if (!this.broken && idle.length < 3) idle.push(this.worker);
    else this.worker.terminate();
  }
}
