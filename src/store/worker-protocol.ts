/** Messages between the page and layer-worker.ts. */
import type { LayerSinkParams } from "./layer-sink.ts";

export type SinkRequest =
  | { op: "open"; dbName: string; chunkSize: number; params: LayerSinkParams }
  | { op: "begin"; offset: number }
  | { op: "push"; chunk: Uint8Array }
  | { op: "finish" }
  | { op: "suspend" };

export type SinkReply =
  | { kind: "opened"; resumeAt: number }
  | { kind: "ok" }
  | { kind: "ack" }
  | { kind: "error"; name: string; message: string; expected?: string; actual?: string };
