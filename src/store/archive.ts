/**
 * `docker save`: an image archive in Docker ≥ 25's format — an OCI image layout (oci-layout,
 * index.json, blobs/sha256/…) plus the legacy manifest.json and repositories — written as a stream.
 * The blobs are the ones pulled, byte for byte, so manifest digests stay those of the registry.
 */
import { digestHex, type Digest } from "../oci/digest.ts";
import { MediaType } from "../oci/mediatypes.ts";
import { TarWriter } from "../layer/tar-writer.ts";
import type { ImageStore } from "./images.ts";
import type { ImageRecord } from "./schema.ts";

export interface SaveItem {
  image: ImageRecord;
  /** Familiar tags to record ("busybox:latest"); empty for an image saved by ID. */
  repoTags: string[];
  /** Fully qualified names for the OCI index annotations ("docker.io/library/busybox:latest"). */
  qualifiedTags: string[];
}

/** Fixed times make the same save produce the same archive. */
const MTIME = 0;

export function saveArchive(store: ImageStore, items: SaveItem[]): ReadableStream<Uint8Array> {
  const tar = new TarWriter({ fixedMtime: MTIME });
  const text = (s: string) => new TextEncoder().encode(s);
  void (async () => {
    try {
      const blobs = new Set<Digest>();
      const indexEntries: unknown[] = [];
      const legacy: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
      const repositories: Record<string, Record<string, string>> = {};
      for (const { image, repoTags, qualifiedTags } of items) {
        const manifestInfo = await store.content.info(image.manifestDigest);
        if (!manifestInfo) throw new Error(`the manifest of ${image.id} is missing from the store`);
        blobs.add(image.manifestDigest);
        blobs.add(image.id);
        for (const l of image.layers) blobs.add(l.digest);
        const base = { mediaType: image.manifestMediaType, digest: image.manifestDigest, size: manifestInfo.size };
        if (qualifiedTags.length === 0) indexEntries.push(base);
        for (const q of qualifiedTags) {
          indexEntries.push({ ...base, annotations: { "io.containerd.image.name": q, "org.opencontainers.image.ref.name": q.slice(q.lastIndexOf(":") + 1) } });
        }
        legacy.push({ Config: `blobs/sha256/${digestHex(image.id)}`, RepoTags: repoTags, Layers: image.layers.map((l) => `blobs/sha256/${digestHex(l.digest)}`) });
        for (const t of repoTags) {
          const at = t.lastIndexOf(":");
          (repositories[t.slice(0, at)] ??= {})[t.slice(at + 1)] = digestHex(image.layers.at(-1)?.digest ?? image.id);
        }
      }
      await tar.add({ path: "blobs", type: "dir", mode: 0o755 });
      await tar.add({ path: "blobs/sha256", type: "dir", mode: 0o755 });
      for (const d of [...blobs].sort()) {
        const info = await store.content.info(d);
        if (!info) throw new Error(`blob ${d} is missing from the store`);
        await tar.add({ path: `blobs/sha256/${digestHex(d)}`, type: "file", mode: 0o444, size: info.size }, store.content.stream(d));
      }
      const index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: indexEntries };
      const files: [string, string][] = [
        ["index.json", JSON.stringify(index)],
        ["manifest.json", JSON.stringify(legacy)],
        ["oci-layout", JSON.stringify({ imageLayoutVersion: "1.0.0" })],
      ];
      if (Object.keys(repositories).length) files.push(["repositories", JSON.stringify(repositories)]);
      for (const [path, body] of files) {
        const bytes = text(body);
        await tar.add({ path, type: "file", mode: 0o644, size: bytes.length }, bytes);
      }
      tar.close();
    } catch (e) {
      tar.error(e);
    }
  })();
  return tar.readable;
}
