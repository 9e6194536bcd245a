/**
 * `lab fsck`: the whole store checked as one — every blob's chunks there and its bytes hashing to its
 * digest, every layer's chain ID, diff and parent, every image's config, manifest and layers, tags
 * pointing at images, snapshots and containers standing on what exists, and nothing left over (chunks
 * no blob or ingest owns, ingests idle for an hour, upper data of no snapshot). A learner who closes
 * the tab mid-write must never be left with a store that half-works: with `repair`, whatever cannot be
 * completed is removed — and with it what depended on it — and everything whole is kept.
 *
 * Runs under the store's exclusive "gc" lock, so no pull, load or commit of any tab writes meanwhile.
 */
import { chainIdOf } from "../oci/chainid.ts";
import { createSha256, type Digest } from "../oci/digest.ts";
import { withLock } from "./db.ts";
import type { ImageStore } from "./images.ts";
import type { BlobRecord, ContainerRecord, ImageRecord } from "./schema.ts";

/** An ingest nobody has written to for this long is abandoned (containerd's default for stale ingests is similar). */
export const STALE_INGEST_MS = 60 * 60 * 1000;

export type FsckObject = "blob" | "chunks" | "ingest" | "layer" | "image" | "tag" | "snapshot" | "container" | "upper";

export interface FsckProblem {
  object: FsckObject;
  /** The object's key: a digest, a tag, a snapshot key, an owner. */
  id: string;
  /** What is wrong, in a sentence. */
  problem: string;
}

export interface FsckReport {
  checked: { blobs: number; bytes: number; layers: number; images: number; tags: number; snapshots: number; containers: number; ingests: number };
  problems: FsckProblem[];
  /** With `repair`: what was removed (the problems' objects, and what stood on them). */
  removed: FsckProblem[];
}

export interface FsckOptions {
  repair?: boolean;
  /** Re-hash every blob (the default); false checks only that the chunks are there and their sizes add up. */
  verifyDigests?: boolean;
  /** Containers running in this tab: their snapshots are being written, never removed. */
  running?: ReadonlySet<string>;
  now?: number;
}

async function blobProblem(store: ImageStore, b: BlobRecord, verify: boolean): Promise<string | undefined> {
  const expected = b.size === 0 ? 0 : Math.ceil(b.size / b.chunkSize);
  if (b.chunks !== expected) return `records ${b.chunks} chunks for ${b.size} bytes (${expected} expected)`;
  const db = store.db;
  const hasher = verify ? await createSha256() : undefined;
  let bytes = 0;
  // One chunk at a time: a layer is never held whole.
  for (let i = 0; i < expected; i++) {
    const chunk = await db.get("chunks", [b.owner, i]);
    if (!chunk) return `chunk ${i + 1} of ${expected} is missing`;
    const want = i < expected - 1 ? b.chunkSize : b.size - b.chunkSize * (expected - 1);
    const length = chunk instanceof Blob ? chunk.size : chunk.length;
    if (length !== want) return `chunk ${i + 1} of ${expected} holds ${length} bytes, not ${want}`;
    if (hasher) hasher.update(chunk instanceof Blob ? new Uint8Array(await chunk.arrayBuffer()) : chunk);
    bytes += length;
  }
  if (hasher) {
    const actual = hasher.digest();
    if (actual !== b.digest) return `its bytes hash to ${actual}`;
  }
  return bytes === b.size ? undefined : `holds ${bytes} bytes, not ${b.size}`;
}

export async function checkStore(store: ImageStore, opts: FsckOptions = {}): Promise<FsckReport> {
  return withLock("gc", "exclusive", () => checkLocked(store, opts));
}

async function checkLocked(store: ImageStore, opts: FsckOptions): Promise<FsckReport> {
  const db = store.db;
  const now = opts.now ?? Date.now();
  const problems: FsckProblem[] = [];
  const report = (object: FsckObject, id: string, problem: string) => problems.push({ object, id, problem });

  // Blobs, and the chunks nobody owns.
  const blobs = await store.content.list();
  const goodBlobs = new Set<Digest>();
  let bytes = 0;
  for (const b of blobs) {
    bytes += b.size;
    const bad = await blobProblem(store, b, opts.verifyDigests !== false);
    if (bad) report("blob", b.digest, bad);
    else goodBlobs.add(b.digest);
  }
  const ingests = await db.getAll("ingests");
  const owners = new Set([...blobs.map((b) => b.owner), ...ingests.map((i) => i.owner)]);
  const orphanChunks = new Map<string, number>();
  for (const [owner] of (await db.getAllKeys("chunks")) as [string, number][]) if (!owners.has(owner)) orphanChunks.set(owner, (orphanChunks.get(owner) ?? 0) + 1);
  for (const [owner, n] of orphanChunks) report("chunks", owner, `${n} chunk${n === 1 ? "" : "s"} that no blob or ingest owns`);
  for (const i of ingests) if (now - i.updatedAt > STALE_INGEST_MS) report("ingest", i.ref, `abandoned: nothing written for ${Math.round((now - i.updatedAt) / 60000)} minutes`);

  // Layers: diff stored and whole, index there, chain ID right, parent there. Children of a bad layer are bad too.
  const layers = await store.listLayers();
  const layerById = new Map(layers.map((l) => [l.chainId, l]));
  const indexed = new Set((await db.getAllKeys("layerIndex")) as Digest[]);
  const layerBad = new Map<Digest, string>();
  const layerProblem = async (chainId: Digest, seen: Set<Digest> = new Set()): Promise<string | undefined> => {
    if (layerBad.has(chainId)) return layerBad.get(chainId) || undefined;
    const l = layerById.get(chainId);
    let bad: string | undefined;
    if (!l) bad = "is not stored";
    else if (seen.has(chainId)) bad = "is its own ancestor";
    else if (!goodBlobs.has(l.diffId)) bad = `its diff ${l.diffId} is ${blobs.some((b) => b.digest === l.diffId) ? "damaged" : "not stored"}`;
    else if (!indexed.has(l.diffId)) bad = `its diff ${l.diffId} has no entry index`;
    else if ((await chainIdOf(l.parent, l.diffId)) !== chainId) bad = "its chain ID is not that of its parent and diff";
    else if (l.parent) {
      seen.add(chainId);
      const parentBad = await layerProblem(l.parent, seen);
      if (parentBad) bad = `its parent ${l.parent} ${parentBad}`;
    }
    layerBad.set(chainId, bad ?? "");
    return bad;
  };
  for (const l of layers) {
    const bad = await layerProblem(l.chainId);
    if (bad) report("layer", l.chainId, bad);
  }

  // Images: config and manifest blobs, layers with the config's diff IDs.
  const images = await store.listImages();
  const goodImages = new Set<Digest>();
  const imageProblem = async (img: ImageRecord): Promise<string | undefined> => {
    if (!goodBlobs.has(img.id)) return `its config ${img.id} is ${blobs.some((b) => b.digest === img.id) ? "damaged" : "not stored"}`;
    if (!goodBlobs.has(img.manifestDigest)) return `its manifest ${img.manifestDigest} is ${blobs.some((b) => b.digest === img.manifestDigest) ? "damaged" : "not stored"}`;
    const diffIds = img.config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== img.chainIds.length) return `its config names ${diffIds.length} layers, its record ${img.chainIds.length}`;
    for (let i = 0; i < img.chainIds.length; i++) {
      const bad = await layerProblem(img.chainIds[i]!);
      if (bad) return `layer ${i} (${img.chainIds[i]}) ${bad}`;
      if (layerById.get(img.chainIds[i]!)!.diffId !== diffIds[i]) return `layer ${i}'s diff is not the config's ${diffIds[i]}`;
    }
    return undefined;
  };
  for (const img of images) {
    const bad = await imageProblem(img);
    if (bad) report("image", img.id, bad);
    else goodImages.add(img.id);
  }
  const tags = await store.listTags();
  for (const t of tags) if (!images.some((i) => i.id === t.imageId)) report("tag", t.name, `points at ${t.imageId}, which is not stored`);

  // Snapshots stand on layers; containers on snapshots; upper data belongs to a snapshot.
  const snapshots = await db.getAll("snapshots");
  const snapshotKeys = new Set(snapshots.map((s) => s.key));
  const badSnapshots = new Set<string>();
  for (const s of snapshots) {
    const parentBad = s.parent ? await layerProblem(s.parent) : undefined;
    const layerBadText = s.layer ? await layerProblem(s.layer.chainId) : undefined;
    if (parentBad) report("snapshot", s.key, `its parent layer ${s.parent} ${parentBad}`);
    else if (layerBadText) report("snapshot", s.key, `its committed layer ${s.layer!.chainId} ${layerBadText}`);
    else continue;
    badSnapshots.add(s.key);
  }
  const containers = await db.getAll("containers");
  for (const c of containers) {
    if (!snapshotKeys.has(c.snapshotKey)) report("container", c.id, `its layer (snapshot ${c.snapshotKey}) is not stored`);
    else if (badSnapshots.has(c.snapshotKey)) report("container", c.id, `its layer (snapshot ${c.snapshotKey}) stands on a layer that is not whole`);
  }
  const upperKeys = new Set<string>();
  for (const name of ["upperEntries", "upperInodes", "upperData"] as const) for (const key of (await db.getAllKeys(name)) as unknown as [string][]) upperKeys.add(key[0]);
  for (const k of upperKeys) if (!snapshotKeys.has(k)) report("upper", k, "container-layer data of a snapshot that is not stored");

  const result: FsckReport = {
    checked: { blobs: blobs.length, bytes, layers: layers.length, images: images.length, tags: tags.length, snapshots: snapshots.length, containers: containers.length, ingests: ingests.length },
    problems,
    removed: [],
  };
  if (opts.repair && problems.length) {
    // What a running container stands on is not touched, whatever is wrong with it: its layers and their blobs.
    const running = opts.running ?? new Set<string>();
    const kept = new Set<string>();
    for (const c of containers) {
      if (!running.has(c.id)) continue;
      kept.add(c.snapshotKey);
      const snap = snapshots.find((x) => x.key === c.snapshotKey);
      for (let at = snap?.parent ?? null, n = 0; at && n < 1000; at = layerById.get(at)?.parent ?? null, n++) {
        kept.add(at);
        const l = layerById.get(at);
        if (l) kept.add(l.diffId);
      }
    }
    result.removed = await repair(store, problems.filter((p) => !kept.has(p.id)), containers, running);
  }
  return result;
}

/** Removes each problem's object and what stood on it; a running container's layer is left to its container. */
async function repair(store: ImageStore, problems: FsckProblem[], containers: ContainerRecord[], running: ReadonlySet<string>): Promise<FsckProblem[]> {
  const db = store.db;
  const removed: FsckProblem[] = [];
  const gone = (p: FsckProblem) => removed.push(p);
  for (const p of problems) {
    switch (p.object) {
      case "blob":
        await store.content.delete(p.id as Digest);
        gone(p);
        break;
      case "chunks":
        await store.content.deleteChunks(p.id);
        gone(p);
        break;
      case "ingest":
        await store.content.abortIngest(p.id);
        gone(p);
        break;
      case "layer":
        await db.delete("layers", p.id as Digest);
        gone(p);
        break;
      case "image":
        for (const t of await store.tagsOf(p.id as Digest)) {
          await db.delete("tags", t.name);
          gone({ object: "tag", id: t.name, problem: `named the removed image ${p.id}` });
        }
        await db.delete("images", p.id as Digest);
        gone(p);
        break;
      case "tag":
        await db.delete("tags", p.id);
        gone(p);
        break;
      case "container": {
        if (running.has(p.id)) break;
        await db.delete("containers", p.id);
        gone(p);
        break;
      }
      case "snapshot": {
        const users = containers.filter((c) => c.snapshotKey === p.id);
        if (users.some((c) => running.has(c.id))) break;
        for (const c of users) if (!problems.some((q) => q.object === "container" && q.id === c.id)) {
          await db.delete("containers", c.id);
          gone({ object: "container", id: c.id, problem: `stood on the removed snapshot ${p.id}` });
        }
        await db.delete("snapshots", p.id);
        await deleteUpper(store, p.id);
        gone(p);
        break;
      }
      case "upper":
        await deleteUpper(store, p.id);
        gone(p);
        break;
    }
  }
  // What only the removed objects referenced (their blobs, indexes, mappings) is garbage now.
  await store.collectGarbageHoldingLock();
  store.notify({ type: "images" });
  store.notify({ type: "containers" });
  return removed;
}

async function deleteUpper(store: ImageStore, key: string): Promise<void> {
  const all = IDBKeyRange.bound([key], [key, []]);
  const tx = store.db.transaction(["upperEntries", "upperInodes", "upperData"], "readwrite");
  await Promise.all([tx.objectStore("upperEntries").delete(all), tx.objectStore("upperInodes").delete(all), tx.objectStore("upperData").delete(all), tx.done]);
}
