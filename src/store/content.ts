/**
 * The content store: bytes keyed only by digest. Writes go through an ingest; the blob record that
 * makes content visible is written only after the digest verifies, so a failed or hostile download
 * leaves nothing behind but an ingest that is either resumed or aborted.
 *
 * Bytes are kept as fixed-size chunks ([owner, index] → Uint8Array) rather than one Blob per layer:
 * chunks are written as they stream in (never a whole layer in memory), an interrupted write keeps
 * every chunk it flushed, and a byte range — one file in a layer's tar — costs one or two chunk reads.
 */
import { createSha256, DigestMismatchError, type Digest, type IncrementalSha256 } from "../oci/digest.ts";
import { isQuotaError, storageFull, type LabDatabase } from "./db.ts";
import type { BlobRecord, IngestRecord } from "./schema.ts";

/**
 * Measured with `npm run bench -- pull` (47 MB image, 5 layers, Chromium): 1 MiB chunks 1.84–2.01 s,
 * 4 MiB chunks 1.54–1.59 s. Reading one small file then costs one 4 MiB chunk read, a few ms.
 */
export const DEFAULT_CHUNK_SIZE = 4 << 20;

const relaxed = { durability: "relaxed" } as const;

function newOwnerId(): string {
  return crypto.randomUUID();
}

export class BlobNotFoundError extends Error {
  override name = "BlobNotFoundError";
  constructor(readonly digest: string) {
    super(`blob ${digest} not found in the store`);
  }
}

/**
 * Verified blobs never change, so their records and recently read chunks are kept in memory: a
 * running container reads its binaries and libraries as many small ranges (9P reads of a page or a
 * few), each of which would otherwise fetch a whole 4 MiB chunk from IndexedDB. Measured: `docker
 * run --rm busybox echo hi` in the page spent ~400 ms in those reads before this cache.
 */
const CACHED_CHUNKS = 12;

/** A stored chunk's bytes (chunks are kept as bytes, or as a Blob when the ingest was opened `asBlobs`). */
async function chunkBytes(c: Uint8Array | Blob): Promise<Uint8Array> {
  return c instanceof Blob ? new Uint8Array(await c.arrayBuffer()) : c;
}

export class ContentStore {
  private readonly infoCache = new Map<Digest, BlobRecord>();
  private readonly chunkCache = new Map<string, Uint8Array>();

  constructor(private readonly db: LabDatabase, readonly chunkSize = DEFAULT_CHUNK_SIZE) {}

  info(digest: Digest): Promise<BlobRecord | undefined> {
    return this.db.get("blobs", digest);
  }

  private async cachedInfo(digest: Digest): Promise<BlobRecord | undefined> {
    const hit = this.infoCache.get(digest);
    if (hit) return hit;
    const info = await this.info(digest);
    if (info) this.infoCache.set(digest, info);
    return info;
  }

  /** Chunks [first, last] of a blob, from memory when recently read. */
  private async chunksOf(info: BlobRecord, first: number, last: number): Promise<Uint8Array[]> {
    const keys: string[] = [];
    for (let i = first; i <= last; i++) keys.push(`${info.owner}:${i}`);
    const cached = keys.map((k) => this.chunkCache.get(k));
    if (cached.every((c) => c !== undefined)) {
      for (const k of keys) {
        const c = this.chunkCache.get(k)!;
        this.chunkCache.delete(k);
        this.chunkCache.set(k, c); // most recently used last
      }
      return cached as Uint8Array[];
    }
    const chunks = await Promise.all((await this.db.getAll("chunks", IDBKeyRange.bound([info.owner, first], [info.owner, last]))).map(chunkBytes));
    if (chunks.length <= CACHED_CHUNKS / 2) {
      chunks.forEach((c, i) => this.chunkCache.set(keys[i]!, c));
      while (this.chunkCache.size > CACHED_CHUNKS) this.chunkCache.delete(this.chunkCache.keys().next().value!);
    }
    return chunks;
  }

  async has(digest: Digest): Promise<boolean> {
    return (await this.db.count("blobs", digest)) > 0;
  }

  async list(): Promise<BlobRecord[]> {
    return this.db.getAll("blobs");
  }

  /** Reads [start, end) of a blob; the whole blob by default. */
  async read(digest: Digest, start = 0, end?: number): Promise<Uint8Array> {
    const info = await this.cachedInfo(digest);
    if (!info) throw new BlobNotFoundError(digest);
    const stop = Math.min(end ?? info.size, info.size);
    if (start >= stop) return new Uint8Array(0);
    const first = Math.floor(start / info.chunkSize);
    const last = Math.floor((stop - 1) / info.chunkSize);
    const chunks = await this.chunksOf(info, first, last);
    const out = new Uint8Array(stop - start);
    let at = 0;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      const base = (first + i) * info.chunkSize;
      const from = Math.max(start - base, 0);
      const to = Math.min(stop - base, c.length);
      out.set(c.subarray(from, to), at);
      at += to - from;
    }
    if (at !== out.length) throw new Error(`blob ${digest} is missing chunks (read ${at} of ${out.length} bytes)`);
    return out;
  }

  /** [start, end) of a blob as a Blob made of the stored chunks (no copy into one array: uploads). */
  async readBlob(digest: Digest, start = 0, end?: number): Promise<Blob> {
    const info = await this.info(digest);
    if (!info) throw new BlobNotFoundError(digest);
    const stop = Math.min(end ?? info.size, info.size);
    if (start >= stop) return new Blob([]);
    const first = Math.floor(start / info.chunkSize);
    const last = Math.floor((stop - 1) / info.chunkSize);
    const chunks = await this.db.getAll("chunks", IDBKeyRange.bound([info.owner, first], [info.owner, last]));
    if (chunks.length !== last - first + 1) throw new Error(`blob ${digest} is missing chunks`);
    const parts = chunks.map((c, i) => {
      const base = (first + i) * info.chunkSize;
      const from = Math.max(start - base, 0);
      // A Blob chunk is a reference to the browser's copy on disk: sliced, never read into memory here.
      if (c instanceof Blob) return c.slice(from, Math.min(stop - base, c.size));
      return c.subarray(from, Math.min(stop - base, c.length)) as BlobPart;
    });
    return new Blob(parts);
  }

  async readText(digest: Digest): Promise<string> {
    return new TextDecoder().decode(await this.read(digest));
  }

  /** Streams a blob chunk by chunk (a few chunks per transaction, so memory stays at a few MiB). */
  stream(digest: Digest, start = 0): ReadableStream<Uint8Array> {
    let info: BlobRecord | undefined;
    let next = 0;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (!info) {
          info = await this.info(digest);
          if (!info) throw new BlobNotFoundError(digest);
          next = Math.floor(start / info.chunkSize);
        }
        if (next >= info.chunks) return controller.close();
        const raw = await this.db.get("chunks", [info.owner, next]);
        if (!raw) throw new Error(`blob ${digest} is missing chunk ${next}`);
        const c = await chunkBytes(raw);
        const base = next * info.chunkSize;
        controller.enqueue(start > base ? c.subarray(start - base) : c);
        next++;
      },
    }, { highWaterMark: 2 });
  }

  /** Writes a small blob whole (manifests, configs), verifying it first: a mismatch stores nothing. */
  async put(bytes: Uint8Array, expected: Digest, mediaType?: string): Promise<BlobRecord> {
    const existing = await this.info(expected);
    if (existing) return existing;
    const ingest = await this.openIngest(`put:${expected}:${newOwnerId()}`, { expected, total: bytes.length });
    await ingest.write(bytes);
    return ingest.commit(expected, mediaType);
  }

  /**
   * Opens (or resumes) the ingest named `ref`. A resumed ingest continues at `offset`; a caller that
   * cannot continue from there (e.g. the registry ignored a Range request) calls restart().
   */
  async openIngest(ref: string, opts: { expected?: Digest; total?: number; asBlobs?: boolean } = {}): Promise<Ingest> {
    const hasher = await createSha256();
    const record = await this.db.get("ingests", ref);
    const asBlobs = opts.asBlobs === true && typeof Blob !== "undefined";
    if (record && (!opts.expected || record.expected === opts.expected)) {
      hasher.load(record.hashState, record.offset);
      return new Ingest(this.db, record, hasher, asBlobs);
    }
    if (record) await this.deleteChunks(record.owner);
    const fresh: IngestRecord = {
      ref,
      owner: newOwnerId(),
      expected: opts.expected,
      total: opts.total,
      offset: 0,
      chunkSize: this.chunkSize,
      chunks: 0,
      hashState: hasher.save(),
      startedAt: Date.now(),
      updatedAt: Date.now(),
    };
    await this.db.put("ingests", fresh);
    return new Ingest(this.db, fresh, hasher, asBlobs);
  }

  async ingests(): Promise<IngestRecord[]> {
    return this.db.getAll("ingests");
  }

  async abortIngest(ref: string): Promise<void> {
    const record = await this.db.get("ingests", ref);
    if (!record) return;
    await this.db.delete("ingests", ref);
    await this.deleteChunks(record.owner);
  }

  async delete(digest: Digest): Promise<void> {
    this.infoCache.delete(digest);
    const info = await this.info(digest);
    if (!info) return;
    await this.db.delete("blobs", digest);
    await this.deleteChunks(info.owner);
  }

  async deleteChunks(owner: string): Promise<void> {
    await this.db.delete("chunks", IDBKeyRange.bound([owner, 0], [owner, Infinity]));
  }
}

/** One write in progress. Not safe for concurrent writers: the store serialises ingests of a ref with a Web Lock. */
export class Ingest {
  private buffer: Uint8Array;
  private fill = 0;
  private closed = false;
  /** The chunk transaction still in flight: the next chunk fills while it commits (one at most). */
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: LabDatabase,
    private record: IngestRecord,
    private readonly hasher: IncrementalSha256,
    /** Store chunks as Blobs: a blob only ever sent whole (a compressed layer) is then uploaded from the browser's copy without being read. */
    private readonly asBlobs = false,
  ) {
    this.buffer = new Uint8Array(record.chunkSize);
  }

  get ref(): string {
    return this.record.ref;
  }

  /** Key prefix of this ingest's chunks (a blob it commits keeps it, unless another writer's was there first). */
  get owner(): string {
    return this.record.owner;
  }

  /** Bytes already durably stored (where a resumed download continues). */
  get offset(): number {
    return this.record.offset;
  }

  /** Bytes accepted so far, flushed or not. */
  get written(): number {
    return this.record.offset + this.fill;
  }

  /** The stored prefix, for callers that must re-process it (e.g. re-inflate after a resume). */
  storedPrefix(): ReadableStream<Uint8Array> {
    const { owner, chunks } = this.record;
    let next = 0;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (next >= chunks) return controller.close();
        const c = await this.db.get("chunks", [owner, next++]);
        if (!c) throw new Error(`ingest ${this.ref} lost chunk ${next - 1}`);
        controller.enqueue(await chunkBytes(c));
      },
    });
  }

  /** Throws away everything written and starts again at offset 0. */
  async restart(): Promise<void> {
    await this.settle();
    const owner = this.record.owner;
    this.hasher.init();
    this.fill = 0;
    this.record = { ...this.record, owner: crypto.randomUUID(), offset: 0, chunks: 0, hashState: this.hasher.save(), updatedAt: Date.now() };
    await this.db.put("ingests", this.record, undefined);
    await this.db.delete("chunks", IDBKeyRange.bound([owner, 0], [owner, Infinity]));
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.closed) throw new Error(`ingest ${this.ref} is closed`);
    if (this.record.total !== undefined && this.written + data.length > this.record.total) {
      throw new Error(`ingest ${this.ref}: more data than the declared size ${this.record.total}`);
    }
    let i = 0;
    while (i < data.length) {
      const take = Math.min(this.buffer.length - this.fill, data.length - i);
      const part = data.subarray(i, i + take);
      // Hash per buffered part, so the state saved at a flush covers exactly the flushed bytes.
      this.hasher.update(part);
      this.buffer.set(part, this.fill);
      this.fill += take;
      i += take;
      if (this.fill === this.buffer.length) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (this.fill === 0) return;
    const chunk = this.fill === this.buffer.length ? this.buffer : this.buffer.slice(0, this.fill);
    const index = this.record.chunks;
    this.record = {
      ...this.record,
      offset: this.record.offset + this.fill,
      chunks: index + 1,
      hashState: this.hasher.save(),
      updatedAt: Date.now(),
    };
    await this.settle();
    const tx = this.db.transaction(["chunks", "ingests"], "readwrite", relaxed);
    // A refused put fails the transaction: tx.done carries the error (to settle), not these requests.
    // A Blob copies the bytes as it is made, so the buffer can take the next ones at once.
    tx.objectStore("chunks").put(this.asBlobs ? new Blob([chunk as BlobPart]) : chunk, [this.record.owner, index]).catch(() => {});
    tx.objectStore("ingests").put(this.record).catch(() => {});
    this.inFlight = tx.done;
    this.inFlight.catch(() => {}); // awaited (and its error reported) by the next settle
    // The buffer was handed to IndexedDB (cloned at put): a fresh one takes the next bytes.
    if (chunk === this.buffer && !this.asBlobs) this.buffer = new Uint8Array(this.record.chunkSize);
    this.fill = 0;
  }

  /**
   * Waits until every flushed chunk is durable in IndexedDB. The browser out of room: nothing of this
   * write is kept (the store is as before it began) and the error says what it needed.
   */
  private async settle(): Promise<void> {
    try {
      await this.inFlight;
    } catch (e) {
      if (!isQuotaError(e)) throw e;
      this.inFlight = Promise.resolve();
      const needed = Math.max(this.record.chunkSize, (this.record.total ?? 0) - this.record.offset + this.record.chunkSize);
      await this.discard();
      throw await storageFull(needed);
    }
  }

  /**
   * Verifies the digest and makes the blob visible. On a mismatch everything written is deleted and
   * DigestMismatchError names expected and actual digests.
   */
  async commit(expectedDigest: Digest | undefined, mediaType?: string): Promise<BlobRecord> {
    await this.flush();
    await this.settle();
    this.closed = true;
    const actual = this.hasher.digest();
    const expected = expectedDigest ?? actual;
    if (actual !== expected) {
      await this.discard();
      throw new DigestMismatchError(expected, actual, this.ref);
    }
    if (this.record.total !== undefined && this.record.offset !== this.record.total) {
      await this.discard();
      throw new Error(`size mismatch for ${expected}: expected ${this.record.total} bytes, got ${this.record.offset}`);
    }
    const blob: BlobRecord = {
      digest: expected,
      size: this.record.offset,
      mediaType,
      owner: this.record.owner,
      chunkSize: this.record.chunkSize,
      chunks: this.record.chunks,
      createdAt: Date.now(),
    };
    let existing: BlobRecord | undefined;
    try {
      const tx = this.db.transaction(["blobs", "ingests"], "readwrite");
      existing = await tx.objectStore("blobs").get(expected);
      if (!existing) await tx.objectStore("blobs").put(blob);
      await tx.objectStore("ingests").delete(this.record.ref);
      await tx.done;
    } catch (e) {
      if (!isQuotaError(e)) throw e;
      await this.discard();
      throw await storageFull(1024);
    }
    if (existing) {
      // Another writer got there first (same content): ours is redundant.
      await this.db.delete("chunks", IDBKeyRange.bound([this.record.owner, 0], [this.record.owner, Infinity]));
      return existing;
    }
    return blob;
  }

  /** Commits under the digest of what was written (content whose digest nobody announced). */
  commitComputed(mediaType?: string): Promise<BlobRecord> {
    return this.commit(undefined, mediaType);
  }

  /** Keeps what was flushed for a later resume (used when a download is interrupted). */
  async suspend(): Promise<void> {
    // Partial buffered bytes are dropped: the hash state stored with the last flush excludes them.
    await this.settle().catch(() => {});
    this.fill = 0;
    this.closed = true;
  }

  /** Deletes the ingest and all of its chunks. */
  async discard(): Promise<void> {
    this.closed = true;
    await this.settle().catch(() => {});
    await this.db.delete("ingests", this.record.ref);
    await this.db.delete("chunks", IDBKeyRange.bound([this.record.owner, 0], [this.record.owner, Infinity]));
  }
}
