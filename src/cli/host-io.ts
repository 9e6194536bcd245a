/** How commands reach the host's files: what they read (a file, stdin, or a file picker) and write. */
import { DaemonError } from "../daemon/errors.ts";
import type { CliIO } from "../terminal/types.ts";
import { UsageError } from "./argv.ts";

/** The whole of a stream (the host's files take whole buffers). */
export async function bytesOf(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

/**
 * What a command reads: the host's FILE when there is one, else what was piped or redirected into it,
 * else a file the user chooses (a browser file picker; a file dropped on the page).
 */
export async function hostInput(io: CliIO, file: string | undefined, accept: string | undefined, none: string): Promise<ReadableStream<Uint8Array>> {
  if (file && io.files) {
    const exists = await io.files.stat(file).then(() => true, (e: { code?: string }) => (e.code === "ENOENT" ? false : Promise.reject(e)));
    if (exists) return new Blob([(await io.files.readFile(file)) as BlobPart]).stream() as ReadableStream<Uint8Array>;
  }
  if (!file && io.stdin) return new Blob([io.stdin as BlobPart]).stream() as ReadableStream<Uint8Array>;
  if (!io.upload) throw new UsageError(file ? `open ${file}: no such file or directory` : none);
  const chosen = await io.upload(accept);
  if (!chosen) throw new DaemonError("no file chosen");
  return chosen.data;
}

