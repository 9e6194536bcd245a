/**
 * The daemon's image service, as moby's daemon/images splits it: look an image up the way Docker's
 * GetImage does, list, inspect and history views, tag, remove and prune (with Docker's conflict rules,
 * the containers consulted), pull, push (and the repo digests it records), save and load, and the
 * registry's on-disk layout of a pushed image.
 */
import { applyConfigInstruction, InstructionError } from "../build/instructions.ts";
import { decompressStream, sniffCompression } from "../layer/compression.ts";
import { digestHex, sha256Digest, shortId, type Digest } from "../oci/digest.ts";
import { MediaType } from "../oci/mediatypes.ts";
import { parsePlatform } from "../oci/platform.ts";
import { parseReference, type ImageReference } from "../oci/reference.ts";
import type { ContainerConfig, HistoryEntry, ImageConfig, ImageIndex, ImageManifest, Platform } from "../oci/types.ts";
import type { RegistryApi } from "../registry/types.ts";
import { saveArchive, type SaveItem } from "../store/archive.ts";
import type { ContainerStore } from "../store/containers.ts";
import { drawLayout } from "../store/docker-layout.ts";
import type { ImageStore, RemoveResult } from "../store/images.ts";
import type { LayerSink, LayerSinkParams } from "../store/layer-sink.ts";
import { loadArchive } from "../store/load.ts";
import { pullImage, type PullEvent } from "../store/pull.ts";
import { pushImage, type PushEvent } from "../store/push.ts";
import type { ImageRecord } from "../store/schema.ts";
import { efficiency, type EfficiencyReport } from "../unionfs/efficiency.ts";
import { DaemonError } from "./errors.ts";
import { dockerConfigJSON } from "../oci/config-json.ts";
import { familiar, namedTag, notFoundName, qualifiedTagName, repositoryAndTag, repositoryName, tryParseReference } from "./references.ts";

export type { PullEvent, PushEvent };

/** One row group of `docker images`: an image and the names it goes by (familiar form). */
export interface ImageSummary {
  image: ImageRecord;
  repoTags: { repository: string; tag: string }[];
  /** "busybox@sha256:…" */
  repoDigests: string[];
}

export interface HistoryRow {
  h: HistoryEntry;
  /** Bytes of the layer the entry made (0 if none). */
  size: number;
  /** Index of that layer, bottom first. */
  layer?: number;
  /** The image ID Docker shows in the row, or undefined for `<missing>`. */
  id?: Digest;
}

export interface PullResult {
  image: ImageRecord;
  /** The digest the name resolved to (an index's or a manifest's). */
  digest: Digest;
  upToDate: boolean;
  /** Docker's familiar form of what was pulled ("busybox:latest", "busybox@sha256:…"). */
  familiar: string;
  /** What `docker pull` prints last: the fully qualified reference. */
  qualified: string;
}

export interface PushedTag {
  tag: string;
  digest: Digest;
  size: number;
}

/** Push progress: the per-layer lines, notes, and the daemon's status lines ("The push refers to …"). */
export type PushStreamEvent = PushEvent | { kind: "status"; text: string };

export interface ImageDeleteResult {
  /** Familiar names, as Docker prints them after "Untagged:". */
  untagged: string[];
  deleted: Digest[];
}

function toDeleteResult(r: RemoveResult): ImageDeleteResult {
  return { untagged: r.untagged.map(familiar), deleted: r.deleted };
}

export interface ImageServiceOptions {
  /** What a pull without --platform takes from a multi-platform image, best first. */
  pullPlatforms: Platform[];
  /** Where layer bytes are processed (Web Workers in the page); undefined: on this thread. */
  layerSink?: (p: LayerSinkParams) => LayerSink;
}

export class ImageService {
  /** PATCH chunk size for pushes (tests make it small to exercise chunked uploads on small images). */
  pushChunkSize: number | undefined;

  constructor(
    private readonly store: ImageStore,
    private readonly containers: ContainerStore,
    private readonly registry: RegistryApi,
    private readonly opts: ImageServiceOptions,
  ) {}

  /** Looks an image up the way the Docker daemon's GetImage does: full ID, reference, then ID prefix. */
  async resolve(s: string): Promise<ImageRecord | undefined> {
    if (/^(sha256:)?[a-f0-9]{64}$/.test(s)) {
      const img = await this.store.findImage(s);
      if (img) return img;
    }
    const ref = tryParseReference(s);
    if (ref) {
      if (ref.digest) {
        const img = await this.store.findByRepoDigest(`${repositoryName(ref)}@${ref.digest}`);
        if (img) return img;
      } else {
        const tag = await this.store.getTag(qualifiedTagName(ref));
        if (tag) return this.store.getImage(tag.imageId);
      }
    }
    if (/^(sha256:)?[a-f0-9]{1,64}$/.test(s)) return this.store.findImage(s);
    return undefined;
  }

  /** resolve(), or Docker's "No such image". */
  async require(s: string): Promise<ImageRecord> {
    const img = await this.resolve(s);
    if (!img) throw new DaemonError(`No such image: ${notFoundName(s)}`);
    return img;
  }

  /** The familiar names of an image's tags, sorted. */
  async repoTags(image: ImageRecord): Promise<string[]> {
    return (await this.store.tagsOf(image.id)).map((t) => familiar(t.name)).sort();
  }

  async list(): Promise<ImageSummary[]> {
    const tags = await this.store.listTags();
    return (await this.store.listImages()).filter((image) => !image.buildCache).map((image) => ({
      image,
      repoTags: tags.filter((t) => t.imageId === image.id).map((t) => repositoryAndTag(t.name)),
      repoDigests: image.repoDigests.map(familiar),
    }));
  }

  /** The image as `docker image inspect` shows it (the daemon's types.ImageInspect). */
  async inspect(image: ImageRecord): Promise<Record<string, unknown>> {
    const tags = await this.store.tagsOf(image.id);
    const c = image.config;
    const cc = c.config ?? {};
    const config = dockerConfigJSON(cc);
    return {
      Id: image.id,
      RepoTags: tags.map((t) => familiar(t.name)).sort(),
      RepoDigests: image.repoDigests.map(familiar),
      Parent: image.parent ?? "",
      Comment: (c.comment as string | undefined) ?? c.history?.at(-1)?.comment ?? "",
      Created: c.created ?? "0001-01-01T00:00:00Z",
      Container: typeof c.container === "string" ? c.container : "",
      ContainerConfig: dockerConfigJSON((c.container_config ?? {}) as ContainerConfig),
      DockerVersion: (c.docker_version as string | undefined) ?? "",
      Author: c.author ?? "",
      Config: config,
      Architecture: c.architecture,
      ...(c.variant ? { Variant: c.variant } : {}),
      Os: c.os,
      ...(c["os.version"] ? { OsVersion: c["os.version"] } : {}),
      Size: image.size,
      VirtualSize: image.size,
      GraphDriver: { Data: null, Name: "layerlab" },
      RootFS: { Type: "layers", Layers: image.diffIds },
      Metadata: { LastTagTime: tags.length ? new Date(Math.max(...tags.map((t) => t.updatedAt))).toISOString() : "0001-01-01T00:00:00Z" },
    };
  }

  /** An image's history, newest first, each entry with the size of the layer it made (0 if none). */
  async history(image: ImageRecord): Promise<HistoryRow[]> {
    const entries: HistoryEntry[] = image.config.history ?? image.diffIds.map(() => ({}));
    // Sizes come from the layers, in order, for the entries that made one.
    const sizes = await Promise.all(image.chainIds.map(async (c) => (await this.store.getLayer(c))?.size ?? 0));
    let layer = 0;
    const rows: HistoryRow[] = entries.map((h) => (h.empty_layer ? { h, size: 0 } : { h, size: sizes[layer] ?? 0, layer: layer++ })).reverse();
    // daemon/images/image_history.go: the rows, newest first, take the IDs of the image and then of
    // its parents, one each, as far as the parent chain is stored (the rest are <missing>).
    let img: ImageRecord | undefined = image;
    for (const row of rows) {
      if (!img) break;
      row.id = img.id;
      img = img.parent ? await this.store.getImage(img.parent) : undefined;
    }
    return rows;
  }

  async tag(source: string, target: string): Promise<void> {
    const image = await this.require(source);
    const ref = parseReference(target);
    if (ref.digest) throw new DaemonError(`refusing to create a tag with a digest reference`);
    await this.store.setTag(qualifiedTagName(ref), image.id);
  }

  /** `docker rmi`: by name, untags (and deletes the image with its last tag); by ID, deletes. Docker's conflicts. */
  async remove(ref: string, opts: { force?: boolean } = {}): Promise<ImageDeleteResult> {
    const image = await this.require(ref);
    const tags = await this.store.tagsOf(image.id);
    const named = namedTag(ref);
    const byName = named ? tags.find((t) => t.name === named) : undefined;
    const users = await this.containers.usingImage(image.id);
    const running = users.find((c) => c.state === "running");
    if (running && (!byName || tags.length === 1)) {
      throw new DaemonError(`conflict: unable to delete ${shortId(image.id)} (cannot be forced) - image is being used by running container ${running.id.slice(0, 12)}`);
    }
    if (users[0] && !opts.force) {
      if (byName && tags.length === 1) {
        throw new DaemonError(`conflict: unable to remove repository reference "${ref}" (must force) - container ${users[0].id.slice(0, 12)} is using its referenced image ${shortId(image.id)}`);
      }
      if (!byName) throw new DaemonError(`conflict: unable to delete ${shortId(image.id)} (must be forced) - image is being used by stopped container ${users[0].id.slice(0, 12)}`);
    }
    if (byName) return toDeleteResult(await this.store.untag(byName.name));
    if (tags.length > 1 && !opts.force) {
      throw new DaemonError(`conflict: unable to delete ${shortId(image.id)} (must be forced) - image is referenced in multiple repositories`);
    }
    return toDeleteResult(await this.store.deleteImage(image.id));
  }

  /**
   * `docker image prune`: dangling (untagged) images, or with `all` every image no container uses —
   * images that containers (in any state) were created from are kept, as the daemon keeps them.
   */
  async prune(opts: { all?: boolean } = {}): Promise<{ results: ImageDeleteResult[]; reclaimed: number }> {
    const stored = async () => (await this.store.content.list()).reduce((s, b) => s + b.size, 0);
    const before = await stored();
    const inUse = new Set((await this.containers.list()).map((c) => c.imageId));
    const results: ImageDeleteResult[] = [];
    for (const image of await this.store.listImages()) {
      if (inUse.has(image.id) || image.buildCache) continue;
      if ((await this.store.tagsOf(image.id)).length > 0 && !opts.all) continue;
      results.push(toDeleteResult(await this.store.deleteImage(image.id)));
    }
    await this.store.collectGarbage();
    return { results, reclaimed: before - (await stored()) };
  }

  /** `docker pull`: by tag ("latest" when none is named) or by digest, for `platform` or the lab's preferences. */
  async pull(name: string, opts: { platform?: string; signal?: AbortSignal; onEvent?: (e: PullEvent) => void } = {}): Promise<PullResult> {
    const ref = parseReference(name);
    const tag = ref.digest ? undefined : (ref.tag ?? "latest");
    const tagName = tag ? qualifiedTagName({ ...ref, tag }) : undefined;
    const before = tagName ? await this.store.getTag(tagName) : undefined;
    let digest: Digest | undefined;
    let upToDate = false;
    const image = await pullImage(this.store, this.registry, { registry: ref.registry, repository: ref.repository, tag, digest: ref.digest, tagName }, {
      platform: opts.platform ? parsePlatform(opts.platform) : this.opts.pullPlatforms,
      signal: opts.signal,
      sinkFactory: this.opts.layerSink,
      onEvent: (e) => {
        opts.onEvent?.(e);
        if (e.kind === "done") {
          digest = e.digest;
          upToDate = e.upToDate && before?.imageId === e.image.id;
        }
      },
    });
    const byDigest = ref.digest ? `${repositoryName(ref)}@${ref.digest}` : undefined;
    return { image, digest: digest!, upToDate, familiar: familiar(byDigest ?? tagName!), qualified: byDigest ?? tagName! };
  }

  /**
   * `docker push NAME[:TAG]` (or every tag of the repository): blobs, then the manifest, with the
   * daemon's status lines; each pushed image records its new repo digest.
   */
  async push(name: string, opts: { allTags?: boolean; signal?: AbortSignal; onEvent?: (e: PushStreamEvent) => void } = {}): Promise<PushedTag[]> {
    const ref = parseReference(name);
    if (ref.digest) throw new DaemonError("cannot push a digest reference");
    const repo = repositoryName(ref);
    let tags: string[];
    if (opts.allTags) {
      tags = (await this.store.listTags()).map((t) => parseReference(t.name)).filter((r) => repositoryName(r) === repo).map((r) => r.tag!);
      if (tags.length === 0) throw new DaemonError(`An image does not exist locally with the tag: ${name}`);
    } else tags = [ref.tag ?? "latest"];
    opts.onEvent?.({ kind: "status", text: `The push refers to repository [${repo}]` });
    const pushed: PushedTag[] = [];
    for (const tag of tags) {
      const tagRec = await this.store.getTag(qualifiedTagName({ ...ref, tag }));
      const image = tagRec && (await this.store.getImage(tagRec.imageId));
      if (!image) throw new DaemonError(`An image does not exist locally with the tag: ${name}`);
      const result = await pushImage(this.store, this.registry, { registry: ref.registry, repository: ref.repository, tag }, image, {
        signal: opts.signal,
        chunkSize: this.pushChunkSize,
        onEvent: opts.onEvent,
      });
      const repoDigest = `${repo}@${result.digest}`;
      if (!image.repoDigests.includes(repoDigest)) await this.store.putImage({ ...image, repoDigests: [...image.repoDigests, repoDigest] });
      opts.onEvent?.({ kind: "status", text: `${tag}: digest: ${result.digest} size: ${result.size}` });
      pushed.push({ tag, digest: result.digest, size: result.size });
    }
    return pushed;
  }

  /** dive's efficiency score, wasted bytes and duplicated paths. */
  async efficiency(image: ImageRecord): Promise<EfficiencyReport> {
    return efficiency(await Promise.all(image.diffIds.map((d) => this.store.layerEntries(d))));
  }

  /** `docker save`: by name, that tag; by ID, every tag of the image (as Docker does). */
  async save(refs: string[]): Promise<ReadableStream<Uint8Array>> {
    const items: SaveItem[] = [];
    for (const r of refs) {
      const image = await this.require(r);
      const tagged = namedTag(r);
      const qualified = tagged ? [tagged] : (await this.store.tagsOf(image.id)).map((t) => t.name);
      items.push({ image, qualifiedTags: qualified, repoTags: qualified.map(familiar) });
    }
    return saveArchive(this.store, items);
  }

  /** `docker load`: the images of a `docker save` archive (Docker's or an OCI layout), with their familiar tags. */
  async load(archive: ReadableStream<Uint8Array>): Promise<{ image: ImageRecord; tags: string[] }[]> {
    const loaded = await loadArchive(this.store, archive, (t) => {
      const ref = tryParseReference(t);
      return ref && !ref.digest ? qualifiedTagName(ref) : undefined;
    });
    return loaded.map((l) => ({ image: l.image, tags: l.tags.map(familiar) }));
  }

  /**
   * The files the Distribution registry (filesystem driver) keeps after a push of NAME[:TAG], drawn as a
   * tree: blob data by digest; per repository, layer links, manifest revision links and, per tag, the
   * current link and the tag's index of every digest it pointed to. Says so when it was not pushed yet.
   */
  async registryLayout(name: string): Promise<string> {
    const ref = parseReference(name);
    const tag = ref.tag ?? "latest";
    const tagRec = await this.store.getTag(qualifiedTagName({ ...ref, tag }));
    const image = tagRec && (await this.store.getImage(tagRec.imageId));
    if (!image) throw new DaemonError(`No such image: ${name}`);
    const paths = await this.registryFiles(image, ref, tag);
    const pushed = image.repoDigests.some((r) => r.startsWith(`${repositoryName(ref)}@`));
    return `${pushed ? "" : `# not pushed to ${repositoryName(ref)} yet: this is what a push would create\n`}${drawLayout(paths.map((path) => ({ path })))}`;
  }

  private async registryFiles(image: ImageRecord, ref: ImageReference, tag: string): Promise<string[]> {
    const files = new Set<string>();
    const blob = (d: Digest) => files.add(`docker/registry/v2/blobs/sha256/${digestHex(d).slice(0, 2)}/${digestHex(d)}/data`);
    const repo = `docker/registry/v2/repositories/${ref.repository}`;
    const layer = (d: Digest) => files.add(`${repo}/_layers/sha256/${digestHex(d)}/link`);
    const revision = (d: Digest) => files.add(`${repo}/_manifests/revisions/sha256/${digestHex(d)}/link`);
    for (const l of image.layers) {
      blob(l.digest);
      layer(l.digest);
    }
    blob(image.id);
    layer(image.id);
    blob(image.manifestDigest);
    revision(image.manifestDigest);
    let top = image.manifestDigest;
    for (const indexDigest of image.indexDigests) {
      if (!image.repoDigests.some((r) => r.endsWith(`@${indexDigest}`))) continue;
      const index = JSON.parse(await this.store.content.readText(indexDigest)) as ImageIndex;
      blob(indexDigest);
      revision(indexDigest);
      for (const m of index.manifests) {
        blob(m.digest);
        revision(m.digest);
      }
      top = indexDigest;
    }
    files.add(`${repo}/_manifests/tags/${tag}/current/link`);
    files.add(`${repo}/_manifests/tags/${tag}/index/sha256/${digestHex(top)}/link`);
    return [...files].sort();
  }

  /**
   * `docker import`: a one-layer image from a rootfs tarball (gzip'd, zstd'd or plain), as moby's
   * ImportImage makes it: the tar is the layer (its diff ID the sha256 of the uncompressed tar; stored
   * as diff + entry index + gzip blob, like any layer), the config from `-c` changes on an empty one,
   * the platform `--platform` or linux/386, and `comment` and the one history entry's comment
   * "Imported from -" (the Docker CLI always names its source "-", a file or stdin) unless `-m`.
   */
  async import(source: ReadableStream<Uint8Array>, opts: { repoTag?: string; message?: string; changes?: string[]; platform?: string; now?: Date } = {}): Promise<ImageRecord> {
    let tag: string | undefined;
    if (opts.repoTag) {
      const ref = tryParseReference(opts.repoTag);
      if (ref?.digest) throw new DaemonError("cannot import digest reference");
      tag = namedTag(opts.repoTag);
      if (!tag) throw new DaemonError(`invalid reference format: ${opts.repoTag}`);
    }
    let platform: Platform = { os: "linux", architecture: "386" };
    if (opts.platform) {
      try {
        platform = parsePlatform(opts.platform);
      } catch (e) {
        throw new DaemonError((e as Error).message);
      }
    }
    let config: ContainerConfig = {};
    try {
      for (const change of opts.changes ?? []) config = applyConfigInstruction(config, change);
    } catch (e) {
      if (e instanceof InstructionError) throw new DaemonError(`dockerfile parse error on line 1: ${e.message}`);
      throw e;
    }
    // Sniff the compression from the first bytes, then inflate the whole stream with them put back.
    const reader = source.getReader();
    const chunks: Uint8Array[] = [];
    let have = 0;
    while (have < 4) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      have += value.length;
    }
    const head = new Uint8Array(have);
    chunks.reduce((at, c) => (head.set(c, at), at + c.length), 0);
    const compression = sniffCompression(head);
    const raw = new ReadableStream<Uint8Array>({
      start(controller) {
        if (head.length) controller.enqueue(head);
      },
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
    const tar = compression === "none" ? raw : raw.pipeThrough(decompressStream(compression));
    const message = opts.message || "Imported from -";
    const created = (opts.now ?? new Date()).toISOString();
    const encoder = new TextEncoder();
    const { snapshots } = this.containers;
    return snapshots.guard(async () => {
      const layer = await snapshots.backend.layers.putLayer(tar, null);
      const imageConfig: ImageConfig = {
        architecture: platform.architecture,
        comment: message,
        config,
        created,
        history: [{ created, comment: message }],
        os: platform.os,
        ...(platform.variant ? { variant: platform.variant } : {}),
        rootfs: { type: "layers", diff_ids: [layer.diffId] },
      };
      const configBytes = encoder.encode(JSON.stringify(imageConfig));
      const configDigest = await sha256Digest(configBytes);
      const manifest: ImageManifest = {
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: MediaType.ociConfig, digest: configDigest, size: configBytes.length },
        layers: [layer.blob],
      };
      const manifestBytes = encoder.encode(JSON.stringify(manifest));
      const manifestDigest = await sha256Digest(manifestBytes);
      if (!(await this.store.content.has(configDigest))) await this.store.content.put(configBytes, configDigest, MediaType.ociConfig);
      if (!(await this.store.content.has(manifestDigest))) await this.store.content.put(manifestBytes, manifestDigest, MediaType.ociManifest);
      return this.store.recordImage({ id: configDigest, config: imageConfig, manifestDigest, manifestMediaType: MediaType.ociManifest, layers: manifest.layers }, tag ? [tag] : []);
    });
  }
}
