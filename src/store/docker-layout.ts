/**
 * The store as Docker would lay it out under /var/lib/docker (overlay2 driver): the image database
 * (config JSON by image ID), the layer database (one directory per chain ID with its diff ID, parent
 * and size), the distribution mappings between compressed blob digests and diff IDs, the overlay2
 * directories the layers unpack into, and each container's read-write layer mount. The lab's
 * IndexedDB records hold the same facts; this view names them the way the seeds and Docker's
 * documentation describe, so a learner can map one onto the other.
 *
 * Docker gives each layer a random cache ID (the overlay2 directory name); the lab derives one from
 * the chain ID so the view is stable across reloads.
 */
import { digestHex, sha256Digest, type Digest } from "../oci/digest.ts";
import type { ContainerRecord, ImageRecord } from "./schema.ts";
import type { ImageStore } from "./images.ts";

export interface LayoutEntry {
  /** Relative to /var/lib/docker; directories end with "/". */
  path: string;
  /** The file's content when it is short (a digest, a size), else a description in parentheses. */
  value?: string;
  /** What the entry belongs to, for filtering and highlighting. */
  image?: Digest;
  chainId?: Digest;
  container?: string;
}

const IMAGE_ROOT = "image/overlay2";

/** Docker's overlay2 cache ID for a layer, stable for a chain ID (Docker's own is random). */
export async function cacheIdOf(chainId: Digest): Promise<string> {
  return digestHex(await sha256Digest(`layerlab cache-id ${chainId}`));
}

/** overlay2's short link name (l/…): 26 upper-case characters. */
function linkOf(cacheId: string): string {
  return BigInt(`0x${cacheId.slice(0, 32)}`).toString(36).toUpperCase().padStart(26, "0").slice(0, 26);
}

export async function dockerStorageLayout(store: ImageStore, containers: ContainerRecord[]): Promise<LayoutEntry[]> {
  const [images, tags, layers, distribution] = await Promise.all([store.listImages().then((all) => all.filter((i) => !i.buildCache)), store.listTags(), store.listLayers(), store.listDistribution()]);
  const out: LayoutEntry[] = [];
  // Every layer's and container's cache ID, once (each layer's is also named in the lower chains above it).
  const cacheIds = new Map<string, string>();
  for (const key of [...layers.flatMap((l) => (l.parent ? [l.chainId, l.parent] : [l.chainId])), ...containers.map((c) => `sha256:${c.id}` as Digest)]) {
    if (!cacheIds.has(key)) cacheIds.set(key, await cacheIdOf(key));
  }
  const cacheId = (key: string) => cacheIds.get(key)!;

  // repositories.json: repository → { "name:tag" | "name@digest": image ID }.
  const repos: Record<string, Record<string, string>> = {};
  for (const t of tags) {
    const repo = t.name.slice(0, t.name.lastIndexOf(":"));
    (repos[repo] ??= {})[t.name] = t.imageId;
  }
  for (const img of images) for (const rd of img.repoDigests) (repos[rd.split("@")[0]!] ??= {})[rd] = img.id;
  out.push({ path: `${IMAGE_ROOT}/repositories.json`, value: JSON.stringify({ Repositories: repos }) });

  for (const img of images) {
    const hex = digestHex(img.id);
    out.push({ path: `${IMAGE_ROOT}/imagedb/content/sha256/${hex}`, value: `(the image config JSON; its sha256 is the image ID; rootfs.diff_ids: ${img.diffIds.length})`, image: img.id });
    if (img.parent) out.push({ path: `${IMAGE_ROOT}/imagedb/metadata/sha256/${hex}/parent`, value: img.parent, image: img.id });
  }

  const byChain = new Map(layers.map((l) => [l.chainId, l]));
  for (const l of layers) {
    const dir = `${IMAGE_ROOT}/layerdb/sha256/${digestHex(l.chainId)}`;
    out.push({ path: `${dir}/cache-id`, value: cacheId(l.chainId), chainId: l.chainId });
    out.push({ path: `${dir}/diff`, value: l.diffId, chainId: l.chainId });
    if (l.parent) out.push({ path: `${dir}/parent`, value: l.parent, chainId: l.chainId });
    out.push({ path: `${dir}/size`, value: String(l.size), chainId: l.chainId });
    out.push({ path: `${dir}/tar-split.json.gz`, value: `(how to rebuild the layer's tar byte for byte: ${l.entryCount} entries)`, chainId: l.chainId });
  }

  for (const c of containers) {
    const img = images.find((i) => i.id === c.imageId);
    const top = img?.chainIds.at(-1);
    const mountId = cacheId(`sha256:${c.id}`);
    const dir = `${IMAGE_ROOT}/layerdb/mounts/${c.id}`;
    out.push({ path: `${dir}/init-id`, value: `${mountId}-init`, container: c.id, image: c.imageId });
    out.push({ path: `${dir}/mount-id`, value: mountId, container: c.id, image: c.imageId });
    if (top) out.push({ path: `${dir}/parent`, value: top, container: c.id, image: c.imageId });
  }

  for (const d of distribution) {
    out.push({ path: `${IMAGE_ROOT}/distribution/diffid-by-digest/sha256/${digestHex(d.digest)}`, value: d.diffId, chainId: chainOfDiff(layers, d.diffId) });
  }
  const byDiff = new Map<Digest, typeof distribution>();
  for (const d of distribution) byDiff.set(d.diffId, [...(byDiff.get(d.diffId) ?? []), d]);
  for (const [diffId, ds] of byDiff) {
    const meta = ds.flatMap((d) => (d.sources.length ? d.sources : [""]).map((s) => ({ Digest: d.digest, SourceRepository: s, HMAC: "" })));
    out.push({ path: `${IMAGE_ROOT}/distribution/v2metadata-by-diffid/sha256/${digestHex(diffId)}`, value: JSON.stringify(meta), chainId: chainOfDiff(layers, diffId) });
  }

  // overlay2/: one directory per layer, named by its cache ID; `lower` lists the layers below.
  for (const l of layers) {
    const dir = `overlay2/${cacheId(l.chainId)}`;
    const lowers: string[] = [];
    for (let p = l.parent; p; p = byChain.get(p)?.parent ?? null) lowers.push(`l/${linkOf(cacheId(p))}`);
    out.push({ path: `${dir}/diff/`, value: `(the layer's ${l.entryCount} files, unpacked)`, chainId: l.chainId });
    out.push({ path: `${dir}/link`, value: linkOf(cacheId(l.chainId)), chainId: l.chainId });
    if (lowers.length) out.push({ path: `${dir}/lower`, value: lowers.join(":"), chainId: l.chainId });
  }
  for (const c of containers) {
    const mountId = cacheId(`sha256:${c.id}`);
    out.push({ path: `overlay2/${mountId}/diff/`, value: "(the container layer: what the container wrote)", container: c.id, image: c.imageId });
    out.push({ path: `overlay2/${mountId}/merged/`, value: "(the union mount the container sees as /)", container: c.id, image: c.imageId });
    out.push({ path: `overlay2/${mountId}/work/`, container: c.id, image: c.imageId });
    out.push({ path: `containers/${c.id}/config.v2.json`, value: `(name /${c.name}, image ${c.imageId}, state ${c.state})`, container: c.id, image: c.imageId });
  }
  // As a directory listing shows them: the sections in Docker's order, then by name.
  return out.sort((a, b) => order(a.path) - order(b.path) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Entries that belong to an image: its config, its layers (by chain ID) and its containers — or,
 * given a container of it, that one container only.
 */
export function layoutOfImage(entries: LayoutEntry[], image: ImageRecord, containerId?: string): LayoutEntry[] {
  const chains = new Set<string>(image.chainIds);
  return entries.filter(
    (e) => (e.image === image.id || (e.chainId && chains.has(e.chainId)) || e.path.endsWith("repositories.json")) && (!containerId || !e.container || e.container === containerId),
  );
}

export interface LayoutLine {
  depth: number;
  /** The file's or directory's name; directories end with "/". */
  name: string;
  value?: string;
  /** The entry this line is the leaf of (directories above it have none). */
  entry?: LayoutEntry;
}

/** The entries as tree lines: each directory once, then its files. */
export function layoutLines(entries: LayoutEntry[]): LayoutLine[] {
  const lines: LayoutLine[] = [];
  const printed = new Set<string>();
  for (const e of entries) {
    const isDir = e.path.endsWith("/");
    const parts = e.path.replace(/\/$/, "").split("/");
    for (let i = 0; i < parts.length; i++) {
      const key = parts.slice(0, i + 1).join("/");
      const leaf = i === parts.length - 1;
      if (printed.has(key)) continue;
      printed.add(key);
      lines.push({ depth: i, name: `${parts[i]}${!leaf || isDir ? "/" : ""}`, ...(leaf ? { value: e.value, entry: e } : {}) });
    }
  }
  return lines;
}

/** The entries as an indented tree, each file with its content after "=". */
export function drawLayout(entries: LayoutEntry[]): string {
  const lines = layoutLines(entries).map((l) => `${"  ".repeat(l.depth)}${l.name}${l.value !== undefined ? `  = ${l.value}` : ""}`);
  return `${lines.join("\n")}\n`;
}

function order(path: string): number {
  return path.startsWith(`${IMAGE_ROOT}/repositories`) ? 0 : path.startsWith(`${IMAGE_ROOT}/imagedb`) ? 1 : path.startsWith(`${IMAGE_ROOT}/layerdb/sha256`) ? 2 : path.startsWith(`${IMAGE_ROOT}/layerdb/mounts`) ? 3 : path.startsWith(`${IMAGE_ROOT}/distribution`) ? 4 : path.startsWith("overlay2/") ? 5 : 6;
}

function chainOfDiff(layers: { chainId: Digest; diffId: Digest }[], diffId: Digest): Digest | undefined {
  return layers.find((l) => l.diffId === diffId)?.chainId;
}
