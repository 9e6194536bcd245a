/**
 * `docker load`: reads an image archive — Docker ≥ 25's OCI layout with manifest.json, a plain OCI
 * layout archive, or the legacy `<id>/layer.tar` + `<id>.json` format — as one stream. Every blob goes
 * through a verified ingest (a `blobs/sha256/<hex>` whose bytes do not match its name is refused,
 * naming it); only the small JSON documents are held in memory. Layers are then extracted from the
 * store to index them and to check each one against the config's diff ID.
 */
import { digestHex, isDigest, sha256Digest, type Digest } from "../oci/digest.ts";
import { isIndexMediaType, layerCompression, MediaType } from "../oci/mediatypes.ts";
import type { Descriptor, ImageManifest } from "../oci/types.ts";
import { parseImageConfig, parseManifestOrIndex } from "../oci/validate.ts";
import { sniffCompression } from "../layer/compression.ts";
import { TarStreamParser, type TarEntry } from "../layer/tar.ts";
import type { Ingest } from "./content.ts";
import { withLock } from "./db.ts";
import type { ImageStore } from "./images.ts";
import { extractLayer } from "./layer-sink.ts";
import type { ImageRecord } from "./schema.ts";

export class LoadError extends Error {
  override name = "LoadError";
}

export interface LoadedImage {
  image: ImageRecord;
  /** Fully qualified tags set by the load. */
  tags: string[];
}

const SMALL_FILE = 4 * 1024 * 1024;
const decoder = new TextDecoder();

interface ArchiveFile {
  path: string;
  digest: Digest;
  size: number;
}

/** Reads the archive: blobs into the store, small documents into memory. */
async function ingestArchive(store: ImageStore, archive: ReadableStream<Uint8Array>, created: Set<Digest>): Promise<{ files: Map<string, ArchiveFile>; docs: Map<string, Uint8Array> }> {
  const files = new Map<string, ArchiveFile>();
  const docs = new Map<string, Uint8Array>();
  let ops: (() => Promise<void>)[] = [];
  let current: { entry: TarEntry; ingest: Ingest; small: Uint8Array[] | undefined; written: number } | undefined;
  const finishCurrent = async () => {
    if (!current) return;
    const { entry, ingest, small } = current;
    current = undefined;
    const path = entry.path.replace(/^\.?\/+/, "");
    const named = /^blobs\/(sha256)\/([a-f0-9]{64})$/.exec(path);
    const existed = named ? await store.content.has(`sha256:${named[2]}` as Digest) : false;
    let info;
    try {
      info = named ? await ingest.commit(`sha256:${named[2]}` as Digest) : await ingest.commitComputed();
    } catch (e) {
      throw new LoadError(`${path}: ${(e as Error).message}`);
    }
    if (!existed && !(await storeHadBefore(info.digest))) created.add(info.digest);
    files.set(path, { path, digest: info.digest, size: info.size });
    if (small) {
      const bytes = new Uint8Array(small.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of small) {
        bytes.set(c, at);
        at += c.length;
      }
      docs.set(path, bytes);
    }
  };
  const before = new Set((await store.content.list()).map((b) => b.digest));
  const storeHadBefore = async (d: Digest) => before.has(d);
  const parser = new TarStreamParser(
    (entry) => {
      ops.push(async () => {
        await finishCurrent();
        if (entry.type !== "file") return;
        const ingest = await store.content.openIngest(`load:${crypto.randomUUID()}`, { total: entry.size });
        current = { entry, ingest, small: entry.size <= SMALL_FILE ? [] : undefined, written: 0 };
        if (entry.size === 0) await finishCurrent();
      });
    },
    (entry, chunk) => {
      const copy = chunk.slice();
      ops.push(async () => {
        if (!current || current.entry !== entry) return;
        await current.ingest.write(copy);
        current.small?.push(copy);
        current.written += copy.length;
        if (current.written === entry.size) await finishCurrent();
      });
    },
  );
  const reader = archive.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.push(value);
    const run = ops;
    ops = [];
    for (const op of run) await op();
  }
  parser.end();
  for (const op of ops) await op();
  await finishCurrent();
  return { files, docs };
}

function json<T>(docs: Map<string, Uint8Array>, path: string): T | undefined {
  const b = docs.get(path);
  if (!b) return undefined;
  try {
    return JSON.parse(decoder.decode(b)) as T;
  } catch (e) {
    throw new LoadError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

interface LegacyManifest {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/** Qualifies "busybox:latest" as docker.io/library/busybox:latest (the store's tag keys). */
export type QualifyTag = (tag: string) => string | undefined;

export async function loadArchive(store: ImageStore, archive: ReadableStream<Uint8Array>, qualify: QualifyTag): Promise<LoadedImage[]> {
  return withLock("gc", "shared", async () => {
    const created = new Set<Digest>();
    try {
      const { files, docs } = await ingestArchive(store, archive, created);
      const legacy = json<LegacyManifest[]>(docs, "manifest.json");
      const index = docs.has("index.json") ? parseManifestOrIndex(docs.get("index.json")!, undefined, "index.json") : undefined;
      const tagsByConfig = new Map<string, string[]>();
      for (const m of legacy ?? []) tagsByConfig.set(m.Config, (m.RepoTags ?? []).map((t) => qualify(t)).filter((t): t is string => !!t));
      const out: LoadedImage[] = [];
      if (index && index.kind === "index") {
        for (const d of index.index.manifests) {
          if (isIndexMediaType(d.mediaType)) continue; // multi-platform archives: the lab loads single-platform images
          const bytes = await store.content.read(d.digest).catch(() => {
            throw new LoadError(`index.json names ${d.digest}, which is not in the archive`);
          });
          const parsed = parseManifestOrIndex(bytes, d.mediaType, `blobs/sha256/${digestHex(d.digest)}`);
          if (parsed.kind !== "manifest") continue;
          const annotated = d.annotations?.["io.containerd.image.name"];
          const fromLegacy = tagsByConfig.get(`blobs/sha256/${digestHex(parsed.manifest.config.digest)}`) ?? [];
          const tags = fromLegacy.length ? fromLegacy : annotated ? [qualify(annotated)].filter((t): t is string => !!t) : [];
          out.push(await recordImage(store, parsed.manifest, d.digest, d.mediaType, tags));
        }
      } else if (legacy) {
        for (const m of legacy) {
          const config = files.get(m.Config);
          if (!config) throw new LoadError(`manifest.json names ${m.Config}, which is not in the archive`);
          const layers: Descriptor[] = m.Layers.map((p) => {
            const f = files.get(p);
            if (!f) throw new LoadError(`manifest.json names layer ${p}, which is not in the archive`);
            return { mediaType: MediaType.ociLayer, digest: f.digest, size: f.size };
          });
          for (const l of layers) {
            const head = await store.content.read(l.digest, 0, 4);
            const c = sniffCompression(head);
            l.mediaType = c === "gzip" ? MediaType.ociLayerGzip : c === "zstd" ? MediaType.ociLayerZstd : MediaType.ociLayer;
          }
          // A legacy archive has no manifest: write the OCI manifest Docker would push for it.
          const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaType.ociManifest, config: { mediaType: MediaType.ociConfig, digest: config.digest, size: config.size }, layers };
          const bytes = new TextEncoder().encode(JSON.stringify(manifest));
          const digest = await sha256Digest(bytes);
          if (!(await store.content.has(digest))) created.add(digest);
          await store.content.put(bytes, digest, MediaType.ociManifest);
          out.push(await recordImage(store, manifest, digest, MediaType.ociManifest, tagsByConfig.get(m.Config) ?? []));
        }
      } else {
        throw new LoadError("not an image archive: neither index.json nor manifest.json found");
      }
      // Archive files no image refers to (a legacy archive's VERSION and v1 json) are not kept.
      const used = new Set<Digest>();
      for (const { image } of out) for (const d of [image.id, image.manifestDigest, ...image.diffIds, ...image.layers.map((l) => l.digest)]) used.add(d);
      for (const d of created) if (!used.has(d)) await store.content.delete(d);
      return out;
    } catch (e) {
      // Nothing half-loaded stays: blobs this load brought in are removed again.
      for (const d of created) if (!(await store.getImage(d))) await store.content.delete(d);
      throw e;
    }
  });
}

async function recordImage(store: ImageStore, manifest: ImageManifest, manifestDigest: Digest, manifestMediaType: string, tags: string[]): Promise<LoadedImage> {
  if (!isDigest(manifest.config.digest) || !(await store.content.has(manifest.config.digest))) {
    throw new LoadError(`config ${manifest.config.digest} is not in the archive`);
  }
  const config = parseImageConfig(await store.content.read(manifest.config.digest), `config ${manifest.config.digest}`);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== manifest.layers.length) throw new LoadError(`manifest has ${manifest.layers.length} layers but the config lists ${diffIds.length} diff IDs`);
  for (let i = 0; i < manifest.layers.length; i++) {
    const layer = manifest.layers[i]!;
    const diffId = diffIds[i]!;
    if (!(await store.content.has(layer.digest))) throw new LoadError(`layer ${layer.digest} is not in the archive`);
    const compression = layerCompression(layer.mediaType) ?? sniffCompression(await store.content.read(layer.digest, 0, 4));
    if (!(await store.hasDiff(diffId))) {
      if (compression === "none" && layer.digest !== diffId) throw new LoadError(`uncompressed layer ${layer.digest} does not match the config's diff ID ${diffId}`);
      await extractLayer(store, store.content.stream(layer.digest), compression, diffId, undefined, layer);
    }
    await store.putDistribution({ digest: layer.digest, diffId, mediaType: layer.mediaType, size: layer.size, sources: [] });
  }
  const image = await store.recordImage({ id: manifest.config.digest, config, manifestDigest, manifestMediaType, layers: manifest.layers }, tags);
  return { image, tags };
}
