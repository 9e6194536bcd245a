/**
 * `docker commit`: the container layer becomes a layer (deterministic tar, gzip, digests), the new
 * config is the container's config (with `-c` changes, applied by the caller), the parent's diff IDs plus the new one, and the
 * parent's history plus an entry (created_by = the container's Cmd, as moby writes it). The manifest
 * keeps the parent's media-type family and references the parent's layer blobs (never copies them).
 * An unchanged container gives an empty_layer history entry and no new layer, as Docker does.
 */
import { dockerConfigJSON } from "../oci/config-json.ts";
import { sha256Digest, type Digest } from "../oci/digest.ts";
import { MediaType } from "../oci/mediatypes.ts";
import type { ContainerConfig, Descriptor, HistoryEntry, ImageConfig } from "../oci/types.ts";
import type { ContainerStore } from "./containers.ts";
import type { ContainerRecord, ImageRecord } from "./schema.ts";

/** The diff ID of a tar with nothing but its end-of-archive blocks. */
export const EMPTY_TAR_DIFF_ID: Digest = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

export interface CommitOptions {
  comment?: string;
  author?: string;
  /** The new image's runtime config (the container's, with `docker commit -c` changes); the container's when absent. */
  config?: ContainerConfig;
  /** Fully qualified tag name to point at the new image. */
  tag?: string;
  /** The clock (tests pin it). */
  now?: Date;
  /** The builder's commit: the image config as given (not the container's), this run config as container_config, this history text. */
  build?: { config: ContainerConfig; runConfig: ContainerConfig; createdBy: string };
  /** BuildKit mode: the result is the builder's cache (not listed as an image), and an empty diff is still a layer. */
  buildCache?: boolean;
}

const encoder = new TextEncoder();

export async function commitContainer(containers: ContainerStore, container: ContainerRecord, opts: CommitOptions = {}): Promise<ImageRecord> {
  const { store, snapshots } = containers;
  const found = container.imageId ? await store.getImage(container.imageId) : undefined;
  if (container.imageId && !found) throw new Error(`the container's image ${container.imageId} is no longer in the store`);
  // FROM scratch: no parent; the image is for the lab's own platform.
  const parent: Pick<ImageRecord, "id" | "config" | "diffIds" | "layers" | "manifestMediaType"> = found ?? {
    id: "" as Digest, config: { architecture: "386", os: "linux", rootfs: { type: "layers", diff_ids: [] } }, diffIds: [], layers: [], manifestMediaType: MediaType.dockerManifest,
  };
  const config: ContainerConfig = structuredClone(opts.config ?? container.config);
  const created = (opts.now ?? new Date()).toISOString();
  const docker = parent.manifestMediaType === MediaType.dockerManifest;

  return snapshots.guard(async () => {
    const layer = await snapshots.diff(container.snapshotKey);
    const empty = layer.diffId === EMPTY_TAR_DIFF_ID && !opts.buildCache;
    // Docker's created_by is the container's Path and Args: its entrypoint and command.
    const history: HistoryEntry = { created, created_by: opts.build?.createdBy ?? [...(container.config.Entrypoint ?? []), ...(container.config.Cmd ?? [])].join(" ") };
    if (opts.author) history.author = opts.author;
    if (opts.comment) history.comment = opts.comment;
    if (empty) history.empty_layer = true;
    const diffIds = empty ? parent.diffIds : [...parent.diffIds, layer.diffId];
    // As Docker writes a committed image: the container's whole config (its hostname and the image
    // name it was created from included), again as container_config, and the container's ID.
    const runtimeConfig = (opts.build ? dockerConfigJSON(opts.build.config, { Hostname: "" }) : dockerConfigJSON(config, { Image: container.image, Labels: config.Labels ?? {} })) as ContainerConfig;
    const imageConfig: ImageConfig = {
      architecture: parent.config.architecture,
      ...(opts.author ? { author: opts.author } : {}),
      config: runtimeConfig,
      container: container.id,
      container_config: opts.build ? dockerConfigJSON(opts.build.runConfig, { Hostname: container.id.slice(0, 12) }) : dockerConfigJSON(container.config, { Image: container.image, Labels: container.config.Labels ?? {} }),
      created,
      history: [...(parent.config.history ?? []), history],
      os: parent.config.os,
      ...(parent.config.variant ? { variant: parent.config.variant } : {}),
      rootfs: { type: "layers", diff_ids: diffIds },
    };
    const configBytes = encoder.encode(JSON.stringify(imageConfig));
    const configDigest = await sha256Digest(configBytes);
    const configType = docker ? MediaType.dockerConfig : MediaType.ociConfig;
    const layerType = docker ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip;
    const layers: Descriptor[] = empty ? parent.layers : [...parent.layers, { mediaType: layerType, digest: layer.blob.digest, size: layer.blob.size }];
    const manifest = {
      schemaVersion: 2,
      mediaType: docker ? MediaType.dockerManifest : MediaType.ociManifest,
      config: { mediaType: configType, digest: configDigest, size: configBytes.length },
      layers,
    };
    const manifestBytes = encoder.encode(JSON.stringify(manifest));
    const manifestDigest = await sha256Digest(manifestBytes);
    if (!empty) await store.putDistribution({ digest: layer.blob.digest, diffId: layer.diffId, mediaType: layerType, size: layer.blob.size, sources: [] });
    if (!(await store.content.has(configDigest))) await store.content.put(configBytes, configDigest, configType);
    if (!(await store.content.has(manifestDigest))) await store.content.put(manifestBytes, manifestDigest, manifest.mediaType);
    return store.recordImage({ id: configDigest, config: imageConfig, manifestDigest, manifestMediaType: manifest.mediaType, layers, ...(parent.id ? { parent: parent.id } : {}), ...(opts.buildCache ? { buildCache: true as const } : {}) }, opts.tag ? [opts.tag] : []);
  });
}

/**
 * The image a BuildKit-mode build exports: the layers of its last step (a cache record, or the base
 * image when no step made one) with the config and history the builder wrote — no parent, no
 * container_config, as BuildKit's exporter writes it.
 */
export async function recordBuiltImage(store: ContainerStore["store"], top: ImageRecord | null, config: Record<string, unknown>, history: HistoryEntry[], created: string): Promise<ImageRecord> {
  const base = top ?? { config: { architecture: "386", os: "linux", rootfs: { type: "layers", diff_ids: [] } } as ImageConfig, diffIds: [] as Digest[], layers: [] as Descriptor[], manifestMediaType: MediaType.dockerManifest };
  const docker = base.manifestMediaType === MediaType.dockerManifest;
  // BuildKit's Image struct: the image-spec's fields in their order, then the Docker config.
  const imageConfig = {
    created,
    architecture: base.config.architecture,
    os: base.config.os,
    ...(base.config.variant ? { variant: base.config.variant } : {}),
    config,
    rootfs: { type: "layers", diff_ids: base.diffIds },
    history,
  } as unknown as ImageConfig;
  const configBytes = encoder.encode(JSON.stringify(imageConfig));
  const configDigest = await sha256Digest(configBytes);
  const configType = docker ? MediaType.dockerConfig : MediaType.ociConfig;
  const manifest = { schemaVersion: 2, mediaType: docker ? MediaType.dockerManifest : MediaType.ociManifest, config: { mediaType: configType, digest: configDigest, size: configBytes.length }, layers: base.layers };
  const manifestBytes = encoder.encode(JSON.stringify(manifest));
  const manifestDigest = await sha256Digest(manifestBytes);
  if (!(await store.content.has(configDigest))) await store.content.put(configBytes, configDigest, configType);
  if (!(await store.content.has(manifestDigest))) await store.content.put(manifestBytes, manifestDigest, manifest.mediaType);
  return store.recordImage({ id: configDigest, config: imageConfig, manifestDigest, manifestMediaType: manifest.mediaType, layers: base.layers });
}
