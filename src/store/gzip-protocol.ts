/** Messages between the page and gzip-worker.ts. */
import type { Digest } from "../oci/digest.ts";

export type GzipRequest =
  | { op: "open"; dbName: string; chunkSize: number; ref: string }
  | { op: "push"; chunk: Uint8Array }
  | { op: "finish" }
  | { op: "abort" };

export type GzipReply = { kind: "ok" } | { kind: "done"; digest: Digest; size: number } | { kind: "error"; name: string; message: string };
