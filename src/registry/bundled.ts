/**
 * The demo images shipped with the lab (public/demos/, an OCI image layout) served as a read-only
 * registry named `layerlab.demo`, so `docker pull layerlab.demo/debian:bookworm` goes through the very
 * same pull code (verified ingests, layer workers) as a real registry, with no network: the files
 * are the page's own, cached by the service worker for offline use (the small images at its install,
 * a large layer such as debian's when it is first pulled).
 */
import { sha256Digest, type Digest } from "../oci/digest.ts";
import type { Descriptor } from "../oci/types.ts";
import { BlobUnknownError, DeniedError, ManifestUnknownError } from "./errors.ts";
import type { BlobResponse, FetchedManifest, RegistryApi, RepositoryRef, UploadStart } from "./types.ts";

export const DEMO_REGISTRY = "layerlab.demo";

interface LayoutIndex {
  manifests: (Descriptor & { annotations?: Record<string, string> })[];
}

export class BundledRegistry implements RegistryApi {
  private index?: Promise<LayoutIndex>;
  constructor(private readonly base: string, private readonly fetchFn: typeof fetch = (...a) => fetch(...a)) {}

  private layout(): Promise<LayoutIndex> {
    this.index ??= this.fetchFn(`${this.base}index.json`).then(async (r) => {
      if (!r.ok) throw new Error(`the bundled demo images are missing (${this.base}index.json: HTTP ${r.status})`);
      return (await r.json()) as LayoutIndex;
    });
    this.index.catch(() => (this.index = undefined));
    return this.index;
  }

  /** Every bundled image as `name:tag`. */
  async list(): Promise<string[]> {
    return (await this.layout()).manifests.map((m) => m.annotations?.["org.opencontainers.image.ref.name"] ?? "").filter(Boolean);
  }

  private async find(repo: RepositoryRef, reference: string): Promise<Descriptor | undefined> {
    const index = await this.layout();
    if (reference.startsWith("sha256:")) return index.manifests.find((m) => m.digest === reference) ?? (await this.blobDescriptor(reference as Digest));
    return index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === `${repo.repository}:${reference}`);
  }

  private async blobDescriptor(digest: Digest): Promise<Descriptor | undefined> {
    const r = await this.fetchFn(this.blobUrl(digest), { method: "HEAD" });
    if (!r.ok) return undefined;
    return { mediaType: "application/vnd.oci.image.manifest.v1+json", digest, size: Number(r.headers.get("content-length") ?? 0) };
  }

  private blobUrl(digest: Digest): string {
    return `${this.base}blobs/sha256/${digest.slice("sha256:".length)}`;
  }

  async ping(): Promise<void> {
    await this.layout();
  }

  async headManifest(repo: RepositoryRef, reference: string): Promise<Descriptor | undefined> {
    const d = await this.find(repo, reference);
    return d && { mediaType: d.mediaType, digest: d.digest, size: d.size };
  }

  async getManifest(repo: RepositoryRef, reference: string): Promise<FetchedManifest> {
    const d = await this.find(repo, reference);
    if (!d) {
      const names = (await this.list()).join(", ");
      throw new ManifestUnknownError(`manifest for ${DEMO_REGISTRY}/${repo.repository}:${reference} not found: the bundled demo images are ${names}`, 404, "MANIFEST_UNKNOWN", repo.registry, repo.repository);
    }
    const bytes = await this.getBlobBytes(repo, d.digest);
    const digest = await sha256Digest(bytes);
    let mediaType = d.mediaType;
    try {
      mediaType = (JSON.parse(new TextDecoder().decode(bytes)) as { mediaType?: string }).mediaType ?? mediaType;
    } catch {
      /* the pull's parser reports it */
    }
    return { digest, mediaType, size: bytes.length, bytes };
  }

  /** A blob's GET; a failed fetch (offline, and the blob never kept) says so in the lab's words. */
  private async fetchBlob(repo: RepositoryRef, digest: Digest, init?: RequestInit): Promise<Response> {
    try {
      return await this.fetchFn(this.blobUrl(digest), init);
    } catch (e) {
      throw new BlobUnknownError(
        `blob ${digest} of ${DEMO_REGISTRY}/${repo.repository} could not be fetched (${(e as Error).message}): offline, the lab has only the demo blobs it kept, and it keeps a large layer such as debian's once it has been pulled online`,
        0,
        "BLOB_UNKNOWN",
        repo.registry,
        repo.repository,
      );
    }
  }

  async getBlobBytes(repo: RepositoryRef, digest: Digest): Promise<Uint8Array> {
    const r = await this.fetchBlob(repo, digest);
    if (!r.ok) throw new BlobUnknownError(`blob ${digest} is not among the bundled demo images`, 404, "BLOB_UNKNOWN", repo.registry, repo.repository);
    return new Uint8Array(await r.arrayBuffer());
  }

  async getBlobStream(repo: RepositoryRef, digest: Digest, offset = 0): Promise<BlobResponse> {
    const r = await this.fetchBlob(repo, digest, offset > 0 ? { headers: { Range: `bytes=${offset}-` } } : {});
    if (!r.ok || !r.body) throw new BlobUnknownError(`blob ${digest} is not among the bundled demo images`, 404, "BLOB_UNKNOWN", repo.registry, repo.repository);
    const partial = r.status === 206;
    const length = Number(r.headers.get("content-length") ?? NaN);
    return { body: r.body, offset: partial ? offset : 0, size: Number.isFinite(length) ? length + (partial ? offset : 0) : undefined };
  }

  private readOnly(repo: RepositoryRef): never {
    throw new DeniedError(`${DEMO_REGISTRY} holds the lab's bundled demo images and is read-only: tag the image for another registry to push it`, 403, "DENIED", repo.registry, repo.repository);
  }
  async blobExists(): Promise<boolean> {
    return false;
  }
  async startUpload(repo: RepositoryRef): Promise<UploadStart> {
    this.readOnly(repo);
  }
  async uploadOffset(): Promise<number | undefined> {
    return undefined;
  }
  async patchUpload(repo: RepositoryRef): Promise<string> {
    this.readOnly(repo);
  }
  async finishUpload(repo: RepositoryRef): Promise<void> {
    this.readOnly(repo);
  }
  async putManifest(repo: RepositoryRef): Promise<Digest> {
    this.readOnly(repo);
  }
}

/** Sends `layerlab.demo` to the bundled images and every other registry to `other`. */
export function withBundledRegistry(bundled: BundledRegistry, other: RegistryApi & { resetAuth?(): void }): RegistryApi & { resetAuth?(): void } {
  const pick = (repo: { registry: string } | string) => ((typeof repo === "string" ? repo : repo.registry) === DEMO_REGISTRY ? bundled : other);
  return {
    ping: (registry) => pick(registry).ping(registry),
    headManifest: (repo, ref) => pick(repo).headManifest(repo, ref),
    getManifest: (repo, ref) => pick(repo).getManifest(repo, ref),
    getBlobBytes: (repo, d) => pick(repo).getBlobBytes(repo, d),
    getBlobStream: (repo, d, o) => pick(repo).getBlobStream(repo, d, o),
    blobExists: (repo, d) => pick(repo).blobExists(repo, d),
    startUpload: (repo, mount) => pick(repo).startUpload(repo, mount),
    uploadOffset: (repo, loc) => pick(repo).uploadOffset(repo, loc),
    patchUpload: (repo, loc, chunk, start) => pick(repo).patchUpload(repo, loc, chunk, start),
    finishUpload: (repo, loc, d, body) => pick(repo).finishUpload(repo, loc, d, body),
    putManifest: (repo, ref, mt, bytes) => pick(repo).putManifest(repo, ref, mt, bytes),
    resetAuth: () => other.resetAuth?.(),
  };
}
