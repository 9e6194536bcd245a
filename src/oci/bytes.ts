/** Bytes from streams and parts, for every layer that collects a bounded answer (manifests, a port's page). */

/** The parts one after another in one array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** All of `stream`, refused with `tooBig()` (the stream cancelled) once it passes `limit` bytes. */
export async function readAllLimited(stream: ReadableStream<Uint8Array>, limit: number, tooBig: () => Error): Promise<Uint8Array> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel();
      throw tooBig();
    }
    parts.push(value);
  }
  return concatBytes(parts);
}
