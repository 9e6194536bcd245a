/**
 * The IndexedDB backend of the snapshotter: snapshot records, upper layers (entries, inodes, file
 * bytes in chunks) and committed layers in the image store, so a container's layer survives a reload.
 */
import type { Digest } from "../oci/digest.ts";
import { MediaType } from "../oci/mediatypes.ts";
import { packLayer } from "../layer/pack.ts";
import type { LowerLayer } from "../unionfs/lower.ts";
import { SnapshotError, Snapshotter, type CommittedLayer, type LayerProvider, type SnapshotBackend, type SnapshotInfo } from "../unionfs/snapshotter.ts";
import type { Inode, UpperBatch, UpperEntry, UpperStorage } from "../unionfs/upper.ts";
import type { UnionOptions } from "../unionfs/union.ts";
import { withLock, type LabDatabase } from "./db.ts";
import { workerGzip } from "./gzip-sink.ts";
import type { ImageStore } from "./images.ts";

/**
 * File bytes of an upper layer are kept in chunks of this size: a 9P write (≤ 128 KiB) touches one or
 * two chunks, and reading a 50 MB file for a commit is 200 gets.
 */
export const UPPER_CHUNK = 256 << 10;

const relaxed = { durability: "relaxed" } as const;

/** Key ranges of one snapshot's records: arrays sort after strings and numbers in IndexedDB. */
function allOf(key: string): IDBKeyRange {
  return IDBKeyRange.bound([key], [key, []]);
}

function inodeData(key: string, ino: number): IDBKeyRange {
  return IDBKeyRange.bound([key, ino], [key, ino, []]);
}

export class IdbUpperStorage implements UpperStorage {
  constructor(private readonly db: LabDatabase, private readonly key: string) {}

  async load(): Promise<{ entries: UpperEntry[]; inodes: Inode[] }> {
    const tx = this.db.transaction(["upperEntries", "upperInodes"], "readonly");
    const [entries, inodes] = await Promise.all([tx.objectStore("upperEntries").getAll(allOf(this.key)), tx.objectStore("upperInodes").getAll(allOf(this.key))]);
    await tx.done;
    return { entries, inodes };
  }

  async apply(batch: UpperBatch): Promise<void> {
    const tx = this.db.transaction(["upperEntries", "upperInodes", "upperData"], "readwrite", relaxed);
    const entries = tx.objectStore("upperEntries");
    const inodes = tx.objectStore("upperInodes");
    const ops: Promise<unknown>[] = [];
    for (const p of batch.deleteEntries ?? []) ops.push(entries.delete([this.key, p]));
    for (const e of batch.putEntries ?? []) ops.push(entries.put(e, [this.key, e.path]));
    for (const ino of batch.deleteInodes ?? []) {
      ops.push(inodes.delete([this.key, ino]));
      ops.push(tx.objectStore("upperData").delete(inodeData(this.key, ino)));
    }
    for (const i of batch.putInodes ?? []) ops.push(inodes.put(i, [this.key, i.ino]));
    await Promise.all([...ops, tx.done]);
  }

  async read(ino: number, start: number, end: number): Promise<Uint8Array> {
    const out = new Uint8Array(Math.max(0, end - start));
    if (out.length === 0) return out;
    const first = Math.floor(start / UPPER_CHUNK);
    const last = Math.floor((end - 1) / UPPER_CHUNK);
    const range = IDBKeyRange.bound([this.key, ino, first], [this.key, ino, last]);
    const tx = this.db.transaction("upperData", "readonly");
    const [keys, chunks] = await Promise.all([tx.store.getAllKeys(range), tx.store.getAll(range)]);
    for (let i = 0; i < keys.length; i++) {
      const base = keys[i]![2] * UPPER_CHUNK;
      const c = chunks[i]!;
      const from = Math.max(start - base, 0);
      const to = Math.min(end - base, c.length);
      if (to > from) out.set(c.subarray(from, to), base + from - start);
    }
    return out;
  }

  async extents(ino: number): Promise<Array<[number, number]>> {
    const keys = await this.db.getAllKeys("upperData", IDBKeyRange.bound([this.key, ino, 0], [this.key, ino, Infinity]));
    return keys.map((k) => [k[2] * UPPER_CHUNK, (k[2] + 1) * UPPER_CHUNK]);
  }

  async write(ino: number, offset: number, data: Uint8Array, inode?: Inode): Promise<void> {
    if (data.length === 0 && !inode) return;
    // The bytes and the inode's new size in one transaction: two per 9P write were half its time.
    const tx = this.db.transaction(inode ? ["upperData", "upperInodes"] : ["upperData"], "readwrite", relaxed);
    const store = tx.objectStore("upperData");
    const end = offset + data.length;
    const ops: Promise<unknown>[] = [];
    if (inode) ops.push(tx.objectStore("upperInodes").put(inode, [this.key, inode.ino]));
    for (let idx = Math.floor(offset / UPPER_CHUNK); data.length > 0 && idx * UPPER_CHUNK < end; idx++) {
      const base = idx * UPPER_CHUNK;
      const from = Math.max(offset, base);
      const to = Math.min(end, base + UPPER_CHUNK);
      const slice = data.subarray(from - offset, to - offset);
      if (from === base && to === base + UPPER_CHUNK) {
        ops.push(store.put(slice.slice(), [this.key, ino, idx]));
        continue;
      }
      ops.push(
        store.get([this.key, ino, idx]).then((old) => {
          const len = Math.max(old?.length ?? 0, to - base);
          const chunk = new Uint8Array(len);
          if (old) chunk.set(old);
          chunk.set(slice, from - base);
          return store.put(chunk, [this.key, ino, idx]);
        }),
      );
    }
    await Promise.all([...ops, tx.done]);
  }

  async truncate(ino: number, size: number): Promise<void> {
    const tx = this.db.transaction("upperData", "readwrite", relaxed);
    const keep = Math.ceil(size / UPPER_CHUNK); // chunks [0, keep) may stay
    const ops: Promise<unknown>[] = [tx.store.delete(IDBKeyRange.bound([this.key, ino, keep], [this.key, ino, []]))];
    if (size % UPPER_CHUNK !== 0) {
      const idx = keep - 1;
      ops.push(
        tx.store.get([this.key, ino, idx]).then((old) => {
          const len = size - idx * UPPER_CHUNK;
          if (old && old.length > len) return tx.store.put(old.slice(0, len), [this.key, ino, idx]);
          return undefined;
        }),
      );
    }
    await Promise.all([...ops, tx.done]);
  }

  async destroy(): Promise<void> {
    const tx = this.db.transaction(["upperEntries", "upperInodes", "upperData"], "readwrite");
    await Promise.all([
      tx.objectStore("upperEntries").delete(allOf(this.key)),
      tx.objectStore("upperInodes").delete(allOf(this.key)),
      tx.objectStore("upperData").delete(allOf(this.key)),
      tx.done,
    ]);
  }
}

/** Committed layers live in the image store: diff + index + gzip blob, a layer record by chain ID. */
export class StoreLayerProvider implements LayerProvider {
  constructor(private readonly store: ImageStore, private readonly useWorkers: boolean) {}

  async chain(chainId: Digest | null): Promise<LowerLayer[]> {
    const out: LowerLayer[] = [];
    for (let at = chainId; at; ) {
      const rec = await this.store.getLayer(at);
      if (!rec) throw new SnapshotError(`layer ${at}: not found in the store`);
      const diffId = rec.diffId;
      out.unshift({ diffId, entries: await this.store.layerEntries(diffId), read: (s, e) => this.store.content.read(diffId, s, e) });
      at = rec.parent;
    }
    return out;
  }

  /** Shared with pulls: garbage collection waits until whatever references the new layer is stored. */
  guard<T>(fn: () => Promise<T>): Promise<T> {
    return withLock("gc", "shared", fn);
  }

  /** Call inside guard(). */
  async putLayer(tar: ReadableStream<Uint8Array>, parent: Digest | null): Promise<CommittedLayer> {
    {
      const ref = crypto.randomUUID();
      const diff = await this.store.content.openIngest(`commit-diff:${ref}`);
      // gzip runs in a Web Worker where there are any (it writes the blob ingest itself), beside this
      // thread's reading, hashing and storing of the tar: measured in bench/commit.ts.
      const remote = this.useWorkers;
      const blob = remote ? undefined : await this.store.content.openIngest(`commit-blob:${ref}`, { asBlobs: true });
      let packed;
      /** The diff blob this commit created (not found already stored): undone if the rest fails. */
      let madeDiff: Digest | undefined;
      try {
        const compressor = remote ? await workerGzip(this.store.db.name, this.store.content.chunkSize, `commit-blob:${ref}`) : undefined;
        // The diff's ingest hashes the tar as it stores it: that digest is the diff ID.
        packed = await packLayer(tar, {
          diff: (c) => diff.write(c),
          blob: blob && ((c) => blob.write(c)),
          compressor,
          diffDigest: async () => {
            const stored = await diff.commit(undefined);
            if (stored.owner === diff.owner) madeDiff = stored.digest;
            return stored.digest;
          },
        });
        await blob?.commit(packed.digest, MediaType.ociLayerGzip);
      } catch (e) {
        if (madeDiff) await this.store.content.delete(madeDiff).catch(() => {});
        else await diff.discard().catch(() => {});
        await blob?.discard().catch(() => {});
        if (remote) await this.store.content.abortIngest(`commit-blob:${ref}`).catch(() => {});
        throw e;
      }
      await this.store.putLayerIndex({ diffId: packed.diffId, entries: packed.entries });
      await this.store.putDistribution({ digest: packed.digest, diffId: packed.diffId, mediaType: MediaType.ociLayerGzip, size: packed.compressedSize, sources: [] });
      const chainId = await this.store.recordLayer(packed.diffId, parent);
      return { diffId: packed.diffId, chainId, size: packed.size, blob: { mediaType: MediaType.ociLayerGzip, digest: packed.digest, size: packed.compressedSize } };
    }
  }
}

export class IdbSnapshotBackend implements SnapshotBackend {
  readonly layers: StoreLayerProvider;
  constructor(private readonly store: ImageStore, useWorkers: boolean) {
    this.layers = new StoreLayerProvider(store, useWorkers);
  }
  getInfo(key: string): Promise<SnapshotInfo | undefined> {
    return this.store.db.get("snapshots", key);
  }
  async putInfo(info: SnapshotInfo): Promise<void> {
    await this.store.db.put("snapshots", info);
  }
  async deleteInfo(key: string): Promise<void> {
    await this.store.db.delete("snapshots", key);
  }
  listInfo(): Promise<SnapshotInfo[]> {
    return this.store.db.getAll("snapshots");
  }
  upper(key: string): UpperStorage {
    return new IdbUpperStorage(this.store.db, key);
  }
}

/** `useWorkers`: gzip committed layers in a Web Worker (the default where there are any). */
export function storeSnapshotter(store: ImageStore, opts: UnionOptions & { useWorkers?: boolean } = {}): Snapshotter {
  const { useWorkers = typeof Worker !== "undefined", ...union } = opts;
  return new Snapshotter(new IdbSnapshotBackend(store, useWorkers), union);
}
