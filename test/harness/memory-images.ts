/** Images from the fixtures' OCI layout, loaded into a memory snapshotter (Node tests of runtimes). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { Digest } from "../../src/oci/digest.ts";
import type { ImageConfig } from "../../src/oci/types.ts";
import { MemorySnapshotBackend, Snapshotter } from "../../src/unionfs/snapshotter.ts";

export interface MemoryImage {
  chainId: Digest;
  config: ImageConfig;
}

const blob = (layout: string, digest: string) => readFileSync(join(layout, "blobs", "sha256", digest.replace("sha256:", "")));

export async function loadLayoutImage(backend: MemorySnapshotBackend, layout: string, tag: string): Promise<MemoryImage> {
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const desc = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag);
  if (!desc) throw new Error(`no ${tag} in ${layout}`);
  const manifest = JSON.parse(blob(layout, desc.digest).toString()) as { config: { digest: string }; layers: { digest: string; mediaType: string }[] };
  const config = JSON.parse(blob(layout, manifest.config.digest).toString()) as ImageConfig;
  let parent: Digest | null = null;
  for (const l of manifest.layers) {
    const raw = blob(layout, l.digest);
    const tar = l.mediaType.endsWith("gzip") ? gunzipSync(raw) : raw;
    parent = (await backend.layers.addTar(new Uint8Array(tar), parent)).chainId;
  }
  return { chainId: parent!, config };
}

export function memorySnapshotter(): { backend: MemorySnapshotBackend; snapshotter: Snapshotter } {
  const backend = new MemorySnapshotBackend();
  return { backend, snapshotter: new Snapshotter(backend) };
}
