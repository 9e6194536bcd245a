/**
 * The IndexedDB schema of the image store. Modelled on containerd's content store (blobs keyed only by
 * digest, written through ingests that become visible only once verified) and Docker's imagedb/layerdb
 * (images keyed by config digest, layers keyed by chain ID, distribution mappings diffID ↔ digest).
 */
import type { DBSchema } from "idb";
import type { Digest } from "../oci/digest.ts";
import type { Descriptor, ImageConfig } from "../oci/types.ts";
import type { TarEntry } from "../layer/tar.ts";
import type { SnapshotInfo } from "../unionfs/snapshotter.ts";
import type { Inode, UpperEntry } from "../unionfs/upper.ts";

export const DB_NAME = "layerlab";
export const DB_VERSION = 4;

/** A verified blob. Its bytes live in `chunks` under `owner` (the ingest that wrote them). */
export interface BlobRecord {
  digest: Digest;
  size: number;
  mediaType?: string;
  owner: string;
  chunkSize: number;
  chunks: number;
  createdAt: number;
}

/** An ingest in progress: chunks written so far and the hash state, so an interrupted write resumes. */
export interface IngestRecord {
  ref: string;
  owner: string;
  expected?: Digest;
  total?: number;
  offset: number;
  chunkSize: number;
  chunks: number;
  hashState: Uint8Array;
  startedAt: number;
  updatedAt: number;
}

export interface LayerRecord {
  chainId: Digest;
  diffId: Digest;
  parent: Digest | null;
  /** Docker's size of the layer: the bytes of the files it adds or changes (src/layer/size.ts). */
  size: number;
  /** The uncompressed tar's length. */
  tarSize: number;
  entryCount: number;
  createdAt: number;
}

/** Where each entry of a layer's tar sits, so a file is read by path without reading the layer. */
export interface LayerIndexRecord {
  diffId: Digest;
  entries: TarEntry[];
}

/** Docker's distribution metadata: which compressed blob a diff ID was pulled as, and from where. */
export interface DistributionRecord {
  digest: Digest;
  diffId: Digest;
  mediaType: string;
  size: number;
  /** "registry/repository" names the blob is known to exist in (for cross-repo mounts at push). */
  sources: string[];
}

export interface ImageRecord {
  /** The config digest: Docker's image ID. */
  id: Digest;
  config: ImageConfig;
  manifestDigest: Digest;
  manifestMediaType: string;
  layers: Descriptor[];
  diffIds: Digest[];
  chainIds: Digest[];
  /** Sum of uncompressed layer sizes, as Docker reports image size. */
  size: number;
  /** "docker.io/library/busybox@sha256:…" — the digest the name resolved to (index or manifest). */
  repoDigests: string[];
  /** Index/manifest-list digests this image was selected from; kept so save/push can reproduce them. */
  indexDigests: Digest[];
  parent?: Digest;
  /** A BuildKit-mode step's result: the builder's cache, not an image (`docker images -a` does not list it). */
  buildCache?: true;
  createdAt: number;
}

export interface TagRecord {
  /** Fully qualified: "docker.io/library/busybox:latest". */
  name: string;
  imageId: Digest;
  updatedAt: number;
}

/** A container without a process of its own yet: an image, a name, a config and a writable snapshot. */
export interface ContainerRecord {
  /** 64 hex characters, as Docker's. */
  id: string;
  name: string;
  /** The image as the user named it ("busybox", "sha256:…"). */
  image: string;
  imageId: Digest;
  /** The snapshot holding the container layer (its key is the container ID). */
  snapshotKey: string;
  /** The container's own config: the image's, with the create flags applied. */
  config: import("../oci/types.ts").ContainerConfig;
  state: "created" | "running" | "exited";
  exitCode?: number;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** HostConfig.NetworkMode (`default` or `none`). */
  networkMode?: string;
  /** HostConfig.ExtraHosts (`--add-host NAME:IP`, as given). */
  extraHosts?: string[];
  /** HostConfig.PortBindings (`-p`), as the client parsed them. */
  portBindings?: import("../oci/types.ts").PortMap;
  /** HostConfig.PublishAllPorts (`-P`). */
  publishAll?: boolean;
  /** The main process's output as it was when it last stopped (docker logs). */
  logs?: { fd: 1 | 2; t: number; data: Uint8Array }[];
}

/** A chunked blob upload in progress, so an interrupted push resumes where the registry has it. */
export interface UploadRecord {
  /** "registry/repository@digest" */
  key: string;
  /** The latest Location the registry gave (its upload state changes with every PATCH). */
  location: string;
  /** Bytes the registry acknowledged. */
  offset: number;
  updatedAt: number;
}

/** Small key-value settings (remembered logins: only when the user asked for it). */
export interface SettingRecord {
  key: string;
  value: unknown;
}

export interface LabDB extends DBSchema {
  blobs: { key: Digest; value: BlobRecord };
  /** A Blob for blobs only ever sent whole (compressed layers: push, save), bytes for the rest. */
  chunks: { key: [string, number]; value: Uint8Array | Blob };
  ingests: { key: string; value: IngestRecord };
  layers: { key: Digest; value: LayerRecord; indexes: { diffId: Digest } };
  layerIndex: { key: Digest; value: LayerIndexRecord };
  distribution: { key: Digest; value: DistributionRecord; indexes: { diffId: Digest } };
  images: { key: Digest; value: ImageRecord };
  tags: { key: string; value: TagRecord; indexes: { imageId: Digest } };
  snapshots: { key: string; value: SnapshotInfo };
  /** [snapshot key, path] → entry of an upper layer. */
  upperEntries: { key: [string, string]; value: UpperEntry };
  /** [snapshot key, ino] → inode of an upper layer. */
  upperInodes: { key: [string, number]; value: Inode };
  /** [snapshot key, ino, chunk index] → up to UPPER_CHUNK bytes of a file. */
  upperData: { key: [string, number, number]; value: Uint8Array };
  containers: { key: string; value: ContainerRecord; indexes: { name: string; imageId: Digest } };
  uploads: { key: string; value: UploadRecord };
  settings: { key: string; value: SettingRecord };
}

export type StoreName = "blobs" | "chunks" | "ingests" | "layers" | "layerIndex" | "distribution" | "images" | "tags" | "snapshots" | "upperEntries" | "upperInodes" | "upperData" | "containers" | "uploads" | "settings";
