/**
 * Content digests. SHA-256 is computed incrementally with hash-wasm: WebCrypto's digest() takes only a
 * whole buffer, and layers must be hashed as they stream. hash-wasm was chosen over @noble/hashes by
 * measurement (bench/hash.ts): it is several times faster on layer-sized input in Chromium and Node.
 */
import { createSHA256 } from "hash-wasm";

export type Digest = `sha256:${string}` | `sha512:${string}`;

const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** A digest mismatch: the bytes received are not the bytes asked for. */
export class DigestMismatchError extends Error {
  override name = "DigestMismatchError";
  constructor(readonly expected: Digest, readonly actual: Digest, what = "content") {
    super(`digest mismatch for ${what}: expected ${expected}, got ${actual}`);
  }
}

export function isDigest(s: unknown): s is Digest {
  return typeof s === "string" && DIGEST_RE.test(s);
}

/** The hex part of a digest, e.g. for Docker's 12-character short IDs. */
export function digestHex(d: Digest): string {
  return d.slice(d.indexOf(":") + 1);
}

export function shortId(d: Digest): string {
  return digestHex(d).slice(0, 12);
}

export interface IncrementalSha256 {
  update(chunk: Uint8Array): void;
  /** Finishes the hash; the hasher can be reused after init(). */
  digest(): Digest;
  init(): void;
  /** Bytes hashed since the last init(). */
  readonly length: number;
  /** Serialises the running state (a few hundred bytes) so an interrupted ingest can resume hashing. */
  save(): Uint8Array;
  load(state: Uint8Array, length: number): void;
}

export async function createSha256(): Promise<IncrementalSha256> {
  const h = await createSHA256();
  let length = 0;
  return {
    update(chunk) {
      h.update(chunk);
      length += chunk.byteLength;
    },
    digest() {
      return `sha256:${h.digest("hex")}`;
    },
    init() {
      h.init();
      length = 0;
    },
    get length() {
      return length;
    },
    save() {
      return h.save();
    },
    load(state, len) {
      h.load(state);
      length = len;
    },
  };
}

export async function sha256Digest(data: Uint8Array | string): Promise<Digest> {
  const h = await createSha256();
  h.update(typeof data === "string" ? new TextEncoder().encode(data) : data);
  return h.digest();
}
