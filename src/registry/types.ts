/** The contract of the OCI Distribution client (implemented in client.ts). */
import type { Digest } from "../oci/digest.ts";
import type { Descriptor } from "../oci/types.ts";

export interface Credentials {
  username: string;
  password: string;
}

/** Where credentials for a registry host come from (docker login fills it; issue 6 may persist it). */
export interface CredentialSource {
  get(registryHost: string): Credentials | undefined;
}

export interface RegistryClientOptions {
  /**
   * Base URL that requests for a registry host go to, without a trailing slash. In the page this is
   * the same-origin CORS proxy (`${origin}/proxy/${host}`); in Node tests it may be `http://${host}`.
   */
  endpoint(registryHost: string): string;
  credentials?: CredentialSource;
  fetch?: typeof fetch;
}

/** A repository on a registry: host as written in the reference ("docker.io" is the canonical Hub name). */
export interface RepositoryRef {
  registry: string;
  repository: string;
}

export interface FetchedManifest {
  /** Digest of the exact bytes received (computed, never trusted from the header alone). */
  digest: Digest;
  mediaType: string;
  size: number;
  bytes: Uint8Array;
}

export interface BlobResponse {
  /** Bytes from `offset` to the end of the blob. */
  body: ReadableStream<Uint8Array>;
  /** Offset the body starts at: the requested one when the registry honoured Range, else 0. */
  offset: number;
  /** Total blob size when the registry said so. */
  size?: number;
}

export interface RateLimit {
  limit?: string;
  remaining?: string;
  /** When the limit resets, if the registry said (Retry-After or ratelimit-reset). */
  resetAt?: Date;
}

export interface RegistryApi extends ClientUploads {
  ping(registry: string): Promise<void>;
  /** HEAD a manifest by tag or digest; undefined when it does not exist. Does not count against Hub's rate limit. */
  headManifest(repo: RepositoryRef, reference: string): Promise<Descriptor | undefined>;
  getManifest(repo: RepositoryRef, reference: string): Promise<FetchedManifest>;
  getBlobBytes(repo: RepositoryRef, digest: Digest): Promise<Uint8Array>;
  /** Streaming blob GET, resuming at `offset` with a Range request when offset > 0. */
  getBlobStream(repo: RepositoryRef, digest: Digest, offset?: number): Promise<BlobResponse>;
}

/** What a blob upload start answered: mounted from another repository, or an upload to continue. */
export type UploadStart = { kind: "mounted" } | { kind: "exists" } | { kind: "upload"; location: string };

/** The upload half of the Distribution API (docker push). */
export interface ClientUploads {
  blobExists(repo: RepositoryRef, digest: Digest): Promise<boolean>;
  startUpload(repo: RepositoryRef, mount?: { digest: Digest; from: string }): Promise<UploadStart>;
  uploadOffset(repo: RepositoryRef, location: string): Promise<number | undefined>;
  patchUpload(repo: RepositoryRef, location: string, chunk: Uint8Array | Blob, start: number): Promise<string>;
  finishUpload(repo: RepositoryRef, location: string, digest: Digest, body?: Uint8Array | Blob): Promise<void>;
  putManifest(repo: RepositoryRef, reference: string, mediaType: string, bytes: Uint8Array): Promise<Digest>;
}

