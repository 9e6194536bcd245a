/**
 * What `ADD` unpacks (moby pkg/archive IsArchivePath + DecompressStream): a tar, plain or compressed
 * with gzip, bzip2 or xz, told by its first bytes (Docker 20.10 does not unpack zstd); anything else —
 * a compressed file that is not a tar included — is copied as it is. The tar is streamed out, never held whole: only its first
 * block is looked at before the rest follows. xz and bzip2 decoders load when an archive needs them.
 */
import { decompressStream } from "./compression.ts";

export type ArchiveCompression = "none" | "gzip" | "bzip2" | "xz";

/** archive.DetectCompression. */
export function detectCompression(head: Uint8Array): ArchiveCompression {
  const is = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (is(0x42, 0x5a, 0x68)) return "bzip2";
  if (is(0x1f, 0x8b, 0x08)) return "gzip";
  if (is(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return "xz";
  return "none";
}

async function decompressed(data: Uint8Array, kind: ArchiveCompression): Promise<ReadableStream<Uint8Array>> {
  const raw = new Blob([data as BlobPart]).stream() as ReadableStream<Uint8Array>;
  switch (kind) {
    case "none":
      return raw;
    case "gzip":
      return raw.pipeThrough(decompressStream(kind));
    case "xz": {
      const { XzReadableStream } = await import("xz-decompress");
      return new XzReadableStream(raw) as ReadableStream<Uint8Array>;
    }
    case "bzip2": {
      // bz2 decodes a whole buffer: the archive is already in memory as a context file.
      // A UMD script: on a page it sets window.bz2 rather than exporting (elsewhere module.exports).
      const bz2 = (await import("bz2")) as Partial<typeof import("bz2")> & { default?: Partial<typeof import("bz2")> };
      const decompress = bz2.decompress ?? bz2.default?.decompress ?? (globalThis as { bz2?: typeof import("bz2") }).bz2?.decompress;
      if (!decompress) throw new Error("bzip2 decoder did not load");
      const out = decompress(data);
      return new Blob([out as BlobPart]).stream() as ReadableStream<Uint8Array>;
    }
  }
}

/** The tar inside `data`, as a stream, or undefined when `data` is not a (compressed) tar. */
export async function tarStreamOf(data: Uint8Array): Promise<ReadableStream<Uint8Array> | undefined> {
  const kind = detectCompression(data);
  let stream: ReadableStream<Uint8Array>;
  try {
    stream = await decompressed(data, kind);
  } catch {
    return undefined;
  }
  const reader = stream.getReader();
  const head: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < 512) {
      const { done, value } = await reader.read();
      if (done) break;
      head.push(value);
      size += value.length;
    }
  } catch {
    // Not what its first bytes said: a plain file.
    await reader.cancel().catch(() => {});
    return undefined;
  }
  const first = new Uint8Array(Math.min(size, 512));
  let at = 0;
  for (const c of head) {
    if (at >= first.length) break;
    first.set(c.subarray(0, first.length - at), at);
    at += Math.min(c.length, first.length - at);
  }
  if (!isTarHeader(first)) {
    await reader.cancel().catch(() => {});
    return undefined;
  }
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of head) controller.enqueue(c);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/** A tar header block: ustar magic, or a v7 header whose checksum adds up. */
function isTarHeader(b: Uint8Array): boolean {
  if (b.length < 512) return false;
  const magic = new TextDecoder().decode(b.subarray(257, 262));
  if (magic === "ustar") return true;
  const stored = parseInt(new TextDecoder().decode(b.subarray(148, 156)).replace(/\0.*$/, "").trim(), 8);
  if (!Number.isFinite(stored)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : b[i]!;
  return sum === stored;
}
