/**
 * Pulling an image from a registry into the store, the way Docker's puller does it: resolve the tag,
 * pick the platform from an index, fetch the config, then download layers (three at a time), each
 * verified against its digest before it becomes visible, and record chain IDs, diff IDs and the
 * distribution mapping so the same layer is recognised next time ("Already exists").
 *
 * Each layer streams: network → compressed ingest (kept byte-exact for save/push) → inflate →
 * uncompressed ingest (the diff, keyed by diff ID) + tar indexer. Nothing holds a whole layer.
 * An interrupted download keeps what it flushed and resumes with a Range request.
 */
import { chainIds as computeChainIds } from "../oci/chainid.ts";
import { DigestMismatchError, shortId, type Digest } from "../oci/digest.ts";
import { isIndexMediaType, layerCompression } from "../oci/mediatypes.ts";
import { formatPlatform, selectManifest } from "../oci/platform.ts";
import type { Descriptor, ImageConfig, ImageManifest, Platform } from "../oci/types.ts";
import { parseImageConfig, parseManifestOrIndex } from "../oci/validate.ts";
import type { GzipImpl } from "../layer/compression.ts";
import { extractLayer, LocalLayerSink, PullError, type LayerSink, type LayerSinkParams } from "./layer-sink.ts";
import type { RegistryApi, RepositoryRef } from "../registry/types.ts";
import { isStorageFull, storageFull, withLock } from "./db.ts";
import type { ImageStore } from "./images.ts";
import type { ImageRecord } from "./schema.ts";

export type LayerStatus =
  | "Waiting"
  | "Pulling fs layer"
  | "Already exists"
  | "Resuming"
  | "Downloading"
  | "Verifying Checksum"
  | "Download complete"
  | "Extracting"
  | "Pull complete";

export type PullEvent =
  | { kind: "resolved"; tagOrDigest: string; repository: string }
  | { kind: "layer"; id: string; digest: Digest; status: LayerStatus; current?: number; total?: number }
  | { kind: "done"; image: ImageRecord; digest: Digest; upToDate: boolean };

export interface PullTarget extends RepositoryRef {
  tag?: string;
  digest?: Digest;
  /** Fully qualified tag name to record ("docker.io/library/busybox:latest"), if pulled by tag. */
  tagName?: string;
}

export interface PullOptions {
  /** One platform, or preferences best first (see runnablePlatforms). */
  platform: Platform | Platform[];
  onEvent?: (e: PullEvent) => void;
  signal?: AbortSignal;
  gzip?: GzipImpl;
  /** Docker's max-concurrent-downloads default. */
  concurrency?: number;
  /** Where layer bytes are processed; the page passes a Web Worker-backed sink. */
  sinkFactory?: (params: LayerSinkParams) => LayerSink;
}

export { PullError };


/** Runs `fn` over items with at most `limit` in flight, failing fast. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < items.length) {
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
}

export async function pullImage(store: ImageStore, registry: RegistryApi, target: PullTarget, opts: PullOptions): Promise<ImageRecord> {
  return withLock("gc", "shared", () => pullLocked(store, registry, target, opts));
}

async function pullLocked(store: ImageStore, registry: RegistryApi, target: PullTarget, opts: PullOptions): Promise<ImageRecord> {
  const emit = opts.onEvent ?? (() => {});
  const repo: RepositoryRef = { registry: target.registry, repository: target.repository };
  const reference = target.digest ?? target.tag ?? "latest";

  // HEAD first: it tells the digest without counting against Docker Hub's pull quota, and an image
  // we already hold at that digest needs no GET at all.
  let topDigest = target.digest;
  if (!topDigest) {
    const head = await registry.headManifest(repo, reference);
    topDigest = head?.digest;
  }
  const repoDigestOf = (d: Digest) => `${target.registry}/${target.repository}@${d}`;
  if (topDigest) {
    const known = await findByRepoDigest(store, repoDigestOf(topDigest), opts.platform);
    if (known) {
      if (target.tagName) await store.setTag(target.tagName, known.id);
      emit({ kind: "done", image: known, digest: topDigest, upToDate: true });
      return known;
    }
  }

  const top = await registry.getManifest(repo, topDigest ?? reference);
  if (topDigest && top.digest !== topDigest) throw new DigestMismatchError(topDigest, top.digest, `manifest ${reference}`);
  topDigest = top.digest;
  const where = `${target.registry}/${target.repository}:${reference}`;
  const parsed = parseManifestOrIndex(top.bytes, top.mediaType, where);
  const indexDigests: Digest[] = [];
  let manifest: ImageManifest;
  let manifestDigest: Digest;
  let manifestMediaType: string;
  let manifestBytes: Uint8Array;
  if (parsed.kind === "index") {
    const chosen = selectManifest(parsed.index, opts.platform);
    await store.content.put(top.bytes, top.digest, top.mediaType);
    indexDigests.push(top.digest);
    const m = await registry.getManifest(repo, chosen.digest);
    if (m.digest !== chosen.digest) throw new DigestMismatchError(chosen.digest, m.digest, `manifest for ${formatPlatform(chosen.platform)}`);
    const inner = parseManifestOrIndex(m.bytes, m.mediaType, `${where} (${formatPlatform(chosen.platform)})`);
    if (inner.kind !== "manifest") throw new PullError(`${where}: nested index where an image manifest was expected`);
    manifest = inner.manifest;
    manifestDigest = m.digest;
    manifestMediaType = m.mediaType;
    manifestBytes = m.bytes;
  } else {
    manifest = parsed.manifest;
    manifestDigest = top.digest;
    manifestMediaType = top.mediaType;
    manifestBytes = top.bytes;
  }
  if (isIndexMediaType(manifestMediaType)) throw new PullError(`${where}: unexpected index`);
  emit({ kind: "resolved", tagOrDigest: target.digest ?? reference, repository: target.repository });

  // The config: small, verified whole.
  const configBytes = await registry.getBlobBytes(repo, manifest.config.digest);
  const config: ImageConfig = parseImageConfig(configBytes, `config of ${where}`);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== manifest.layers.length) {
    throw new PullError(`${where}: manifest has ${manifest.layers.length} layers but the config lists ${diffIds.length} diff IDs`);
  }
  const chainIds = await computeChainIds(diffIds);

  const layerIds = manifest.layers.map((l) => shortId(l.digest));
  const present = await Promise.all(chainIds.map((c) => store.hasLayer(c)));
  manifest.layers.forEach((l, i) => emit({ kind: "layer", id: layerIds[i]!, digest: l.digest, status: present[i] ? "Already exists" : "Pulling fs layer" }));

  const fetchLayers = eachLimited(manifest.layers, opts.concurrency ?? 3, async (layer, i) => {
    if (present[i]) return;
    const id = layerIds[i]!;
    const progress = (status: LayerStatus, current?: number, total?: number) =>
      emit({ kind: "layer", id, digest: layer.digest, status, current, total });
    await withLock(`layer:${layer.digest}`, "exclusive", () =>
      pullLayer(store, registry, repo, layer, diffIds[i]!, progress, opts),
    );
    await store.recordLayer(diffIds[i]!, i === 0 ? null : chainIds[i - 1]!);
    progress("Pull complete");
  });
  await fetchLayers.catch(async (e) => {
    if (!isStorageFull(e)) throw e;
    // One layer's ingest knows only its own chunk: the pull needs every missing layer, compressed,
    // and their uncompressed copies beside.
    const missing = manifest.layers.reduce((sum, l, i) => sum + (present[i] ? 0 : l.size), 0);
    throw await storageFull(missing, "/var/lib/docker", true);
  });

  // Only now does the image become visible: config and manifest blobs, then the image record and tag.
  await store.content.put(configBytes, manifest.config.digest, manifest.config.mediaType);
  await store.content.put(manifestBytes, manifestDigest, manifestMediaType);
  const stored = await store.recordImage(
    { id: manifest.config.digest, config, manifestDigest, manifestMediaType, layers: manifest.layers, repoDigests: [repoDigestOf(topDigest)], indexDigests },
    target.tagName ? [target.tagName] : [],
  );
  emit({ kind: "done", image: stored, digest: topDigest, upToDate: false });
  return stored;
}

/** An image already held under this repo digest, for the requested platform when it is an index. */
async function findByRepoDigest(store: ImageStore, repoDigest: string, platform: Platform | Platform[]): Promise<ImageRecord | undefined> {
  const images = (await store.listImages()).filter((img) => img.repoDigests.includes(repoDigest));
  const single = images.find((img) => img.indexDigests.length === 0);
  if (single) return single;
  for (const p of Array.isArray(platform) ? platform : [platform]) {
    const img = images.find((i) => i.config.architecture === p.architecture && i.config.os === p.os);
    if (img) return img;
  }
  return undefined;
}

async function pullLayer(
  store: ImageStore,
  registry: RegistryApi,
  repo: RepositoryRef,
  layer: Descriptor,
  diffId: Digest,
  progress: (status: LayerStatus, current?: number, total?: number) => void,
  opts: PullOptions,
): Promise<void> {
  const compression = layerCompression(layer.mediaType);
  if (!compression) throw new PullError(`layer ${layer.digest}: unsupported media type ${layer.mediaType}`);
  const haveCompressed = await store.content.has(layer.digest);
  const haveDiff = await store.hasDiff(diffId);
  const source = `${repo.registry}/${repo.repository}`;
  const recordDistribution = () =>
    store.putDistribution({ digest: layer.digest, diffId, mediaType: layer.mediaType, size: layer.size, sources: [source] });
  if (haveCompressed && haveDiff) {
    // Another tab or an earlier image pulled the same blob while we waited for the layer lock.
    await recordDistribution();
    progress("Download complete");
    return;
  }
  if (haveCompressed) {
    // The blob is here but its diff is not (an earlier extraction failed): re-inflate locally.
    progress("Download complete");
    progress("Extracting", 0, layer.size);
    await extractLayer(store, store.content.stream(layer.digest), compression, diffId, opts.gzip, layer);
    progress("Extracting", layer.size, layer.size);
    await recordDistribution();
    return;
  }

  const params = { layer, diffId, compression, gzip: opts.gzip, haveDiff };
  const sink = opts.sinkFactory ? opts.sinkFactory(params) : new LocalLayerSink(store, params);
  try {
    const resumeAt = await sink.open();
    const response = await registry.getBlobStream(repo, layer.digest, resumeAt);
    const startAt = resumeAt > 0 && response.offset === resumeAt ? resumeAt : 0; // 0: the registry ignored our Range
    if (startAt > 0) progress("Resuming", startAt, layer.size);
    let downloaded = startAt;
    try {
      await sink.begin(startAt);
      const body = response.body.getReader();
      let lastReport = 0;
      for (;;) {
        if (opts.signal?.aborted) throw opts.signal.reason ?? new DOMException("aborted", "AbortError");
        const { done, value } = await body.read();
        if (done) break;
        downloaded += value.length;
        await sink.push(value);
        if (downloaded - lastReport >= 256 * 1024 || downloaded === layer.size) {
          lastReport = downloaded;
          progress("Downloading", downloaded, layer.size);
        }
      }
      if (downloaded < layer.size) throw new PullError(`layer ${shortId(layer.digest)}: connection closed after ${downloaded} of ${layer.size} bytes; pull again to resume`);
    } catch (e) {
      await response.body.cancel().catch(() => {});
      await sink.suspend();
      throw e;
    }
    progress("Verifying Checksum");
    await sink.finish();
  } finally {
    sink.close();
  }
  progress("Download complete");
  progress("Extracting", layer.size, layer.size);
  await recordDistribution();
}
