/**
 * The image store: the content store plus Docker-like metadata (imagedb, layerdb, tags, distribution
 * mappings) in one IndexedDB database. Everything the daemon knows about images comes from here.
 */
import type { Digest } from "../oci/digest.ts";
import { digestHex } from "../oci/digest.ts";
import type { TarEntry } from "../layer/tar.ts";
import { dockerDiffSize } from "../layer/size.ts";
import { cleanPath } from "../unionfs/path.ts";
import { chainIdOf } from "../oci/chainid.ts";
import type { Descriptor, ImageConfig } from "../oci/types.ts";
import { ContentStore, DEFAULT_CHUNK_SIZE } from "./content.ts";
import { Settings } from "./settings.ts";
import { openLabDB, withLock, type LabDatabase } from "./db.ts";
import type { DistributionRecord, ImageRecord, LayerIndexRecord, LayerRecord, TagRecord } from "./schema.ts";

export class ImageNotFoundError extends Error {
  override name = "ImageNotFoundError";
  constructor(readonly ref: string) {
    super(`No such image: ${ref}`);
  }
}

export class ConflictError extends Error {
  override name = "ConflictError";
}

export class FileNotFoundError extends Error {
  override name = "FileNotFoundError";
}

export interface RemoveResult {
  untagged: string[];
  deleted: Digest[];
}

export interface GcResult {
  blobs: number;
  bytes: number;
}

/** Change notifications across tabs (and within one), so every view of the store stays current. */
export type StoreEvent = { type: "images" | "containers" | "blobs" };

/** What makes an image record, whoever made the image (pull, load, commit, build). */
export interface NewImage {
  /** The config's digest. */
  id: Digest;
  config: ImageConfig;
  manifestDigest: Digest;
  manifestMediaType: string;
  layers: Descriptor[];
  repoDigests?: string[];
  indexDigests?: Digest[];
  parent?: Digest;
  buildCache?: true;
}

export class ImageStore {
  readonly content: ContentStore;
  readonly settings: Settings;
  private readonly channel: BroadcastChannel | undefined;
  private readonly listeners = new Set<(e: StoreEvent) => void>();

  private constructor(readonly db: LabDatabase, chunkSize: number) {
    this.content = new ContentStore(db, chunkSize);
    this.settings = new Settings(db);
    if (typeof BroadcastChannel !== "undefined") {
      this.channel = new BroadcastChannel(`layerlab-store:${db.name}`);
      this.channel.onmessage = (m: MessageEvent<StoreEvent>) => this.emitLocal(m.data);
    }
  }

  static async open(name?: string, chunkSize = DEFAULT_CHUNK_SIZE): Promise<ImageStore> {
    return new ImageStore(await openLabDB(name), chunkSize);
  }

  close(): void {
    this.channel?.close();
    this.db.close();
  }

  onChange(listener: (e: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(e: StoreEvent): void {
    this.channel?.postMessage(e);
    this.emitLocal(e);
  }

  private forgetCached(): void {
    this.imageCache.clear();
    this.tagCache.clear();
  }

  private emitLocal(e: StoreEvent): void {
    if (e.type === "images") this.forgetCached();
    for (const l of this.listeners) l(e);
  }

  // ── layers ──────────────────────────────────────────────────────────────

  getLayer(chainId: Digest): Promise<LayerRecord | undefined> {
    return this.db.get("layers", chainId);
  }

  async hasLayer(chainId: Digest): Promise<boolean> {
    return (await this.db.count("layers", chainId)) > 0;
  }

  listLayers(): Promise<LayerRecord[]> {
    return this.db.getAll("layers");
  }

  /** Whether the uncompressed tar of a diff ID and its entry index are both present. */
  async hasDiff(diffId: Digest): Promise<boolean> {
    return (await this.content.has(diffId)) && (await this.db.count("layerIndex", diffId)) > 0;
  }

  async putLayerIndex(index: LayerIndexRecord): Promise<void> {
    await this.db.put("layerIndex", index);
  }

  /**
   * Records the layer `diffId` on top of the chain `parent` (null: a bottom layer), once its
   * uncompressed tar and entry index are stored; returns its chain ID. Pull, load, commit and the
   * snapshotter all record layers through here.
   */
  async recordLayer(diffId: Digest, parent: Digest | null): Promise<Digest> {
    const chainId = await chainIdOf(parent, diffId);
    if (await this.hasLayer(chainId)) return chainId;
    const info = await this.content.info(diffId);
    const index = await this.db.get("layerIndex", diffId);
    if (!info || !index) throw new FileNotFoundError(`layer ${diffId} is not stored`);
    await this.db.put("layers", { chainId, diffId, parent, size: dockerDiffSize(index.entries), tarSize: info.size, entryCount: index.entries.length, createdAt: Date.now() });
    return chainId;
  }

  /**
   * Records an image whose config, manifest and layer diffs are stored: its layer chain, the image
   * (size = its layers' uncompressed sizes, as Docker counts) and its tags. Returns the stored record.
   */
  async recordImage(img: NewImage, tags: readonly string[] = []): Promise<ImageRecord> {
    const diffIds = img.config.rootfs.diff_ids;
    const chainIds: Digest[] = [];
    let size = 0;
    for (const diffId of diffIds) {
      const chainId = await this.recordLayer(diffId, chainIds.at(-1) ?? null);
      chainIds.push(chainId);
      size += (await this.getLayer(chainId))!.size;
    }
    await this.putImage({
      id: img.id,
      config: img.config,
      manifestDigest: img.manifestDigest,
      manifestMediaType: img.manifestMediaType,
      layers: img.layers,
      diffIds,
      chainIds,
      size,
      repoDigests: img.repoDigests ?? [],
      indexDigests: img.indexDigests ?? [],
      ...(img.parent ? { parent: img.parent } : {}),
      ...(img.buildCache ? { buildCache: true as const } : {}),
      createdAt: Date.now(),
    });
    for (const t of tags) await this.setTag(t, img.id);
    return (await this.getImage(img.id))!;
  }

  async layerEntries(diffId: Digest): Promise<TarEntry[]> {
    const rec = await this.db.get("layerIndex", diffId);
    if (!rec) throw new FileNotFoundError(`layer ${diffId} has no entry index`);
    return rec.entries;
  }

  /** Reads one regular file of a layer by path, straight from the stored tar. */
  async readLayerFile(diffId: Digest, path: string): Promise<Uint8Array> {
    const clean = cleanPath(path);
    const entry = (await this.layerEntries(diffId)).find((e) => cleanPath(e.path) === clean);
    if (!entry) throw new FileNotFoundError(`${path}: not in layer ${diffId}`);
    if (entry.type !== "file") throw new FileNotFoundError(`${path}: not a regular file (${entry.type})`);
    return this.content.read(diffId, entry.dataOffset, entry.dataOffset + entry.size);
  }

  // ── distribution metadata ───────────────────────────────────────────────

  getDistribution(digest: Digest): Promise<DistributionRecord | undefined> {
    return this.db.get("distribution", digest);
  }

  distributionsOf(diffId: Digest): Promise<DistributionRecord[]> {
    return this.db.getAllFromIndex("distribution", "diffId", diffId);
  }

  async putDistribution(rec: DistributionRecord): Promise<void> {
    const tx = this.db.transaction("distribution", "readwrite");
    const old = await tx.store.get(rec.digest);
    const sources = [...new Set([...(old?.sources ?? []), ...rec.sources])];
    await tx.store.put({ ...rec, sources });
    await tx.done;
  }

  listDistribution(): Promise<DistributionRecord[]> {
    return this.db.getAll("distribution");
  }

  // ── images and tags ─────────────────────────────────────────────────────

  /**
   * Image and tag records as last read, until any change to images or tags (this instance's, or
   * another's: another tab's, a worker's, through the channel) empties the cache. A `docker run` reads
   * the same few a dozen times, and each IndexedDB read is a round trip; each caller gets its own copy.
   */
  private readonly imageCache = new Map<Digest, Promise<ImageRecord | undefined>>();
  private readonly tagCache = new Map<string, Promise<TagRecord | undefined>>();

  private cached<K, V>(cache: Map<K, Promise<V | undefined>>, key: K, read: () => Promise<V | undefined>): Promise<V | undefined> {
    let p = cache.get(key);
    if (!p) {
      p = read();
      cache.set(key, p);
      p.catch(() => cache.delete(key));
    }
    return p.then((v) => (v === undefined ? undefined : structuredClone(v)));
  }

  getImage(id: Digest): Promise<ImageRecord | undefined> {
    return this.cached(this.imageCache, id, () => this.db.get("images", id));
  }

  listImages(): Promise<ImageRecord[]> {
    return this.db.getAll("images");
  }

  listTags(): Promise<TagRecord[]> {
    return this.db.getAll("tags");
  }

  async tagsOf(imageId: Digest): Promise<TagRecord[]> {
    return this.db.getAllFromIndex("tags", "imageId", imageId);
  }

  getTag(name: string): Promise<TagRecord | undefined> {
    return this.cached(this.tagCache, name, () => this.db.get("tags", name));
  }

  /** Stores an image, merging repo digests with an existing record of the same ID. */
  async putImage(image: ImageRecord): Promise<void> {
    const tx = this.db.transaction("images", "readwrite");
    const old = await tx.store.get(image.id);
    if (old) {
      image = {
        ...image,
        repoDigests: [...new Set([...old.repoDigests, ...image.repoDigests])],
        indexDigests: [...new Set([...old.indexDigests, ...image.indexDigests])],
        createdAt: old.createdAt,
      };
    }
    await tx.store.put(image);
    await tx.done;
    this.notify({ type: "images" });
  }

  /** Points a tag at an image; returns the image the tag pointed at before, if another. */
  async setTag(name: string, imageId: Digest): Promise<Digest | undefined> {
    const tx = this.db.transaction(["tags", "images"], "readwrite");
    if (!(await tx.objectStore("images").get(imageId))) throw new ImageNotFoundError(imageId);
    const old = await tx.objectStore("tags").get(name);
    await tx.objectStore("tags").put({ name, imageId, updatedAt: Date.now() });
    await tx.done;
    this.notify({ type: "images" });
    return old && old.imageId !== imageId ? old.imageId : undefined;
  }

  /** Finds an image by full tag name, or by ID / ID prefix ("sha256:abc…", "abc…"). */
  async findImage(nameOrId: string, tagName?: string): Promise<ImageRecord | undefined> {
    if (tagName) {
      const t = await this.getTag(tagName);
      if (t) return this.getImage(t.imageId);
    }
    const hex = nameOrId.startsWith("sha256:") ? nameOrId.slice(7) : nameOrId;
    if (/^[a-f0-9]{4,64}$/.test(hex)) {
      const matches = (await this.db.getAllKeys("images")).filter((id) => digestHex(id).startsWith(hex));
      if (matches.length > 1) throw new ConflictError(`ambiguous image ID prefix ${nameOrId}`);
      if (matches[0]) return this.getImage(matches[0]);
    }
    return undefined;
  }

  async findByRepoDigest(repoDigest: string): Promise<ImageRecord | undefined> {
    for (const img of await this.listImages()) if (img.repoDigests.includes(repoDigest)) return img;
    return undefined;
  }

  /** Removes a tag; deletes the image when it was its last tag (what `docker rmi NAME` does). */
  async untag(name: string): Promise<RemoveResult> {
    const tag = await this.getTag(name);
    if (!tag) throw new ImageNotFoundError(name);
    await this.db.delete("tags", name);
    this.forgetCached(); // at once: the notify comes after the image's removal and its garbage collection
    const result: RemoveResult = { untagged: [name], deleted: [] };
    if ((await this.tagsOf(tag.imageId)).length === 0) {
      const more = await this.deleteImage(tag.imageId);
      result.untagged.push(...more.untagged);
      result.deleted.push(...more.deleted);
    }
    this.notify({ type: "images" });
    return result;
  }

  /**
   * Deletes an image record and its tags, then the layers no other image uses (as Docker deletes
   * chain IDs), then garbage-collects blobs. Returns what Docker prints as Untagged/Deleted.
   */
  async deleteImage(imageId: Digest, opts: { inUse?: (id: Digest) => Promise<boolean> } = {}): Promise<RemoveResult> {
    return withLock("gc", "exclusive", async () => {
      const image = await this.getImage(imageId);
      if (!image) throw new ImageNotFoundError(imageId);
      if (opts.inUse && (await opts.inUse(imageId))) {
        throw new ConflictError(`conflict: unable to delete ${digestHex(imageId).slice(0, 12)} - image is being used by a container`);
      }
      const result: RemoveResult = { untagged: [], deleted: [imageId] };
      for (const t of await this.tagsOf(imageId)) {
        await this.db.delete("tags", t.name);
        result.untagged.push(t.name);
      }
      result.untagged.push(...image.repoDigests);
      await this.db.delete("images", imageId);
      this.forgetCached();
      const used = await this.snapshotChains();
      for (const other of await this.listImages()) for (const c of other.chainIds) used.add(c);
      for (const chainId of [...image.chainIds].reverse()) {
        if (used.has(chainId)) continue;
        if (await this.hasLayer(chainId)) {
          await this.db.delete("layers", chainId);
          result.deleted.push(chainId);
        }
      }
      await this.collectGarbageLocked();
      this.notify({ type: "images" });
      return result;
    });
  }

  /** Chain IDs snapshots stand on or were committed to, with all their ancestors: never collected. */
  private async snapshotChains(): Promise<Set<Digest>> {
    const out = new Set<Digest>();
    const layers = new Map((await this.listLayers()).map((l) => [l.chainId, l]));
    for (const snap of await this.db.getAll("snapshots")) {
      for (let at: Digest | null | undefined = snap.layer?.chainId ?? snap.parent; at && !out.has(at); at = layers.get(at)?.parent) out.add(at);
      for (let at: Digest | null | undefined = snap.parent; at && !out.has(at); at = layers.get(at)?.parent) out.add(at);
    }
    return out;
  }

  /** Frees blobs, indexes and mappings nothing references any more. */
  async collectGarbage(): Promise<GcResult> {
    return withLock("gc", "exclusive", () => this.collectGarbageLocked());
  }

  /** collectGarbage() for a caller that already holds the "gc" lock exclusively (lab fsck's repair). */
  collectGarbageHoldingLock(): Promise<GcResult> {
    return this.collectGarbageLocked();
  }

  private async collectGarbageLocked(): Promise<GcResult> {
    const keep = new Set<Digest>();
    const images = await this.listImages();
    const liveChains = await this.snapshotChains();
    for (const img of images) {
      keep.add(img.id);
      keep.add(img.manifestDigest);
      for (const d of img.indexDigests) keep.add(d);
      for (const c of img.chainIds) liveChains.add(c);
    }
    const liveDiffs = new Set<Digest>();
    for (const layer of await this.listLayers()) {
      if (!liveChains.has(layer.chainId)) {
        await this.db.delete("layers", layer.chainId);
        continue;
      }
      liveDiffs.add(layer.diffId);
      keep.add(layer.diffId);
    }
    for (const dist of await this.listDistribution()) {
      if (liveDiffs.has(dist.diffId)) keep.add(dist.digest);
      else await this.db.delete("distribution", dist.digest);
    }
    for (const key of await this.db.getAllKeys("layerIndex")) {
      if (!liveDiffs.has(key)) await this.db.delete("layerIndex", key);
    }
    const result: GcResult = { blobs: 0, bytes: 0 };
    for (const blob of await this.content.list()) {
      if (keep.has(blob.digest)) continue;
      await this.content.delete(blob.digest);
      result.blobs++;
      result.bytes += blob.size;
    }
    if (result.blobs) this.notify({ type: "blobs" });
    return result;
  }
}
