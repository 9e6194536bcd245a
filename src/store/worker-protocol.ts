/** What layer-worker.ts serves the page (a LayerSink's methods, run in the worker). */
import type { LayerSinkParams } from "./layer-sink.ts";

export interface LayerWorkerApi {
  /** Opens the layer's ingests in database `dbName`; returns the offset a download continues at. */
  open(dbName: string, chunkSize: number, params: LayerSinkParams): number;
  begin(offset: number): void;
  push(chunk: Uint8Array): void;
  finish(): void;
  suspend(): void;
}
