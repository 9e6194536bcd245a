/**
 * What the explorer shows, whatever is selected: an image (its lower layers merged, read-only) or a
 * container (the same plus its writable layer). Entries carry their origin — a layer index, or "C"
 * for the container layer — so every view colours them the same way.
 */
import type { Daemon } from "../daemon/daemon.ts";
import type { ImageSummary } from "../daemon/images.ts";
import type { ContainerRecord, ImageRecord } from "../store/schema.ts";
import { containerChanges } from "../unionfs/changes.ts";
import type { LowerView } from "../unionfs/lower.ts";
import type { UnionFS } from "../unionfs/union.ts";

export type Selection = { kind: "image"; id: string } | { kind: "container"; id: string };

export interface ExplorerEntry {
  name: string;
  path: string;
  type: string;
  size: number;
  origin: number | "C";
}

export interface LayerInfo {
  index: number | "C";
  /** How the page names it: L0…, "init" (Docker's init layer under a container's), C. */
  label: string;
  diffId?: string;
  chainId?: string;
  bytes: number;
  createdBy: string;
  added: string[];
  modified: string[];
  removed: string[];
  /** Images (other than this one) that also have this layer (same chain ID). */
  sharedWith: string[];
}

export interface ExplorerSource {
  title: string;
  image: ImageRecord;
  container?: ContainerRecord;
  layers: LayerInfo[];
  list(dir: string): ExplorerEntry[];
  read(path: string): Promise<Uint8Array>;
  /** Container only: write into the container layer (copy-up). */
  write?(path: string, data: Uint8Array): Promise<void>;
}

/** The page's name for the layer a file or change comes from (LayerInfo.label). */
export function layerLabel(source: Pick<ExplorerSource, "layers">, origin: number | "C"): string {
  return source.layers.find((l) => l.index === origin)?.label ?? (origin === "C" ? "C" : `L${origin}`);
}

export const LAYER_COLOURS = ["#5ccfe6", "#bae67e", "#d4bfff", "#f29e74", "#73d0ff", "#ffd580", "#95e6cb", "#f28779"];
export const UPPER_COLOUR = "#ffcc66";
export function colourOf(origin: number | "C"): string {
  return origin === "C" ? UPPER_COLOUR : LAYER_COLOURS[origin % LAYER_COLOURS.length]!;
}

/** An image's first name, or its short ID. */
function nameOf(s: ImageSummary): string {
  const t = s.repoTags[0];
  return t ? `${t.repository}:${t.tag}` : s.image.id.slice(7, 19);
}

async function imageLayers(daemon: Daemon, image: ImageRecord, lower: LowerView): Promise<LayerInfo[]> {
  const history = (image.config.history ?? []).filter((h) => !h.empty_layer);
  const others = (await daemon.images.list()).filter((s) => s.image.id !== image.id);
  return lower.changes.map((c, i) => ({
    index: i,
    label: i >= image.diffIds.length ? "init" : `L${i}`,
    diffId: image.diffIds[i],
    chainId: image.chainIds[i],
    bytes: c.bytes,
    // Above the image's layers, a container has Docker's init layer (src/unionfs/init-layer.ts).
    createdBy: i >= image.diffIds.length ? "init layer: mount points Docker adds to every container (/etc/hosts, /etc/hostname, /etc/resolv.conf, /.dockerenv…)" : (history[i]?.created_by ?? ""),
    added: c.added,
    modified: c.modified,
    removed: c.removed,
    sharedWith: i >= image.diffIds.length ? [] : others.filter((o) => o.image.chainIds.includes(image.chainIds[i]!)).map(nameOf),
  }));
}

function lowerEntries(lower: LowerView, dir: string): ExplorerEntry[] {
  const prefix = dir ? `${dir}/` : "";
  return lower.list(dir).map((name) => {
    const n = lower.get(prefix + name)!;
    return { name, path: prefix + name, type: n.entry.type === "hardlink" ? "file" : n.entry.type, size: n.entry.size, origin: n.layer };
  });
}

export async function explorerSource(daemon: Daemon, sel: Selection): Promise<ExplorerSource | undefined> {
  if (sel.kind === "image") {
    const image = await daemon.store.getImage(sel.id as never);
    if (!image) return undefined;
    const lower = (await daemon.containers.imageFs(image)).lower;
    const tags = await daemon.images.repoTags(image);
    return {
      title: tags[0] ?? image.id.slice(7, 19),
      image,
      layers: await imageLayers(daemon, image, lower),
      list: (dir) => lowerEntries(lower, dir),
      read: async (path) => {
        const n = lower.get(path);
        if (!n) throw new Error(`/${path}: no such file`);
        return lower.read(n, 0, n.entry.size);
      },
    };
  }
  const container = await daemon.containers.maybe(sel.id);
  if (!container) return undefined;
  const image = await daemon.store.getImage(container.imageId);
  if (!image) return undefined;
  const fs: UnionFS = await daemon.containers.fs(container);
  const lower = fs.lower;
  const layers = await imageLayers(daemon, image, lower);
  const changes = containerChanges(fs);
  let bytes = 0;
  for (const { inode } of fs.upperEntries()) if (inode?.type === "file") bytes += inode.size;
  layers.push({
    index: "C",
    label: "C",
    bytes,
    createdBy: `container ${container.name} (writable)`,
    added: changes.filter((c) => c.kind === "A").map((c) => c.path.slice(1)),
    modified: changes.filter((c) => c.kind === "C").map((c) => c.path.slice(1)),
    removed: changes.filter((c) => c.kind === "D").map((c) => c.path.slice(1)),
    sharedWith: [],
  });
  return {
    title: container.name,
    image,
    container,
    layers,
    list: (dir) =>
      fs.readdirSync(dir).map((e) => {
        const path = dir ? `${dir}/${e.name}` : e.name;
        const st = fs.statSync(path)!;
        return { name: e.name, path, type: e.type, size: st.size, origin: st.origin === "upper" ? "C" : st.origin };
      }),
    read: (path) => fs.read(path),
    write: (path, data) => fs.writeFile(path, data),
  };
}
