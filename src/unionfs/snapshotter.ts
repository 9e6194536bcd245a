/**
 * Snapshots shaped like containerd's snapshotter: `prepare(key, parent)` gives a writable union on top
 * of a parent (a committed layer chain, by chain ID or committed-snapshot name), `view` a read-only
 * one, `commit(name, key)` turns an active snapshot into a layer (and consumes it), `remove` drops a
 * snapshot. `diff(key)` is containerd's diff service: the upper layer as a layer, the snapshot kept —
 * what `docker commit` of a container needs.
 *
 * One implementation over a backend: where snapshot records, upper layers and committed layers are
 * kept. Two backends exist — memory (below) and IndexedDB (../store/snapshots.ts) — and one test suite
 * (test/shared/snapshotter-suite.ts) runs against both.
 */
import type { Digest } from "../oci/digest.ts";
import type { Descriptor } from "../oci/types.ts";
import { MediaType } from "../oci/mediatypes.ts";
import { chainIds } from "../oci/chainid.ts";
import { packLayer } from "../layer/pack.ts";
import { TarStreamParser, type TarEntry } from "../layer/tar.ts";
import { upperLayerTar } from "./export.ts";
import { initLayer, INIT_LAYER_LABEL } from "./init-layer.ts";
import { LowerView, type LowerLayer } from "./lower.ts";
import { MemoryUpperStorage, type UpperStorage } from "./upper.ts";
import { UnionFS, type UnionOptions } from "./union.ts";

export type SnapshotKind = "active" | "view" | "committed";

export interface CommittedLayer {
  diffId: Digest;
  chainId: Digest;
  /** Uncompressed size. */
  size: number;
  /** The gzip-compressed blob. */
  blob: Descriptor;
}

export interface SnapshotInfo {
  key: string;
  kind: SnapshotKind;
  /** Chain ID of the lower layers; null for an empty parent (FROM scratch). */
  parent: Digest | null;
  /** Committed snapshots: the layer made from the upper. */
  layer?: CommittedLayer;
  labels: Record<string, string>;
  createdAt: number;
}

export class SnapshotError extends Error {
  override name = "SnapshotError";
}

/** Where committed layers come from and go to. */
export interface LayerProvider {
  /** The layers of a chain, bottom first. */
  chain(chainId: Digest | null): Promise<LowerLayer[]>;
  /** Stores a layer tar on top of `parent` (inside guard() when there is one). */
  putLayer(tar: ReadableStream<Uint8Array>, parent: Digest | null): Promise<CommittedLayer>;
  /** Keeps new layers from being garbage-collected until what references them is stored. */
  guard?<T>(fn: () => Promise<T>): Promise<T>;
}

export interface SnapshotBackend {
  layers: LayerProvider;
  getInfo(key: string): Promise<SnapshotInfo | undefined>;
  putInfo(info: SnapshotInfo): Promise<void>;
  deleteInfo(key: string): Promise<void>;
  listInfo(): Promise<SnapshotInfo[]>;
  upper(key: string): UpperStorage;
}

export class Snapshotter {
  private readonly mounted = new Map<string, Promise<UnionFS>>();
  private readonly lowers = new Map<string, Promise<LowerView>>();

  constructor(readonly backend: SnapshotBackend, private readonly unionOptions: UnionOptions = {}) {}

  private async resolveParent(parent: string | null): Promise<Digest | null> {
    if (parent === null) return null;
    const committed = await this.backend.getInfo(parent);
    if (committed) {
      if (committed.kind !== "committed") throw new SnapshotError(`parent snapshot ${parent} is not committed`);
      return committed.layer!.chainId;
    }
    await this.backend.layers.chain(parent as Digest); // throws when the chain is unknown
    return parent as Digest;
  }

  /**
   * The merged lower layers of a chain, built once and shared by every snapshot on it; with `init`,
   * topped by Docker's init layer (./init-layer.ts) — a container's lower half.
   */
  lowerView(chainId: Digest | null, init = false): Promise<LowerView> {
    const k = `${chainId ?? ""}${init ? "+init" : ""}`;
    let v = this.lowers.get(k);
    if (!v) {
      v = init
        ? this.lowerView(chainId).then((image) => new LowerView([...image.layers, initLayer(image)]))
        : this.backend.layers.chain(chainId).then((layers) => new LowerView(layers));
      this.lowers.set(k, v);
      v.catch(() => this.lowers.delete(k));
    }
    return v;
  }

  async prepare(key: string, parent: string | null, labels: Record<string, string> = {}): Promise<UnionFS> {
    return this.create(key, parent, "active", labels);
  }

  async view(key: string, parent: string | null, labels: Record<string, string> = {}): Promise<UnionFS> {
    return this.create(key, parent, "view", labels);
  }

  private async create(key: string, parent: string | null, kind: SnapshotKind, labels: Record<string, string>): Promise<UnionFS> {
    if (await this.backend.getInfo(key)) throw new SnapshotError(`snapshot ${key}: already exists`);
    const chain = await this.resolveParent(parent);
    const info: SnapshotInfo = { key, kind, parent: chain, labels, createdAt: Date.now() };
    await this.backend.putInfo(info);
    return this.mount(key, info);
  }

  /** The union of an active or view snapshot (the same instance for every caller in this context); `known`: its info, just read or written. */
  mount(key: string, known?: SnapshotInfo): Promise<UnionFS> {
    let m = this.mounted.get(key);
    if (!m) {
      m = (async () => {
        const info = known ?? (await this.backend.getInfo(key));
        if (!info) throw new SnapshotError(`snapshot ${key}: not found`);
        if (info.kind === "committed") throw new SnapshotError(`snapshot ${key}: committed snapshots cannot be mounted; prepare one on top of it`);
        const lower = await this.lowerView(info.parent, info.labels[INIT_LAYER_LABEL] !== undefined);
        const storage = info.kind === "view" ? new MemoryUpperStorage() : this.backend.upper(key);
        return UnionFS.open(lower, storage, { ...this.unionOptions, readonly: info.kind === "view" });
      })();
      this.mounted.set(key, m);
      m.catch(() => this.mounted.delete(key));
    }
    return m;
  }

  stat(key: string): Promise<SnapshotInfo | undefined> {
    return this.backend.getInfo(key);
  }

  list(): Promise<SnapshotInfo[]> {
    return this.backend.listInfo();
  }

  /** Runs `fn` where a layer made by diff() cannot be collected before `fn` stores what uses it. */
  guard<T>(fn: () => Promise<T>): Promise<T> {
    return this.backend.layers.guard ? this.backend.layers.guard(fn) : fn();
  }

  /** The active snapshot's upper layer stored as a layer on its parent; the snapshot stays. Call inside guard(). */
  async diff(key: string): Promise<CommittedLayer> {
    const info = await this.backend.getInfo(key);
    if (!info || info.kind !== "active") throw new SnapshotError(`snapshot ${key}: not an active snapshot`);
    const fs = await this.mount(key);
    return this.backend.layers.putLayer(upperLayerTar(fs), info.parent);
  }

  /** containerd's Commit: the active snapshot becomes the committed snapshot `name` (and is gone). */
  async commit(name: string, key: string, labels: Record<string, string> = {}): Promise<SnapshotInfo> {
    if (await this.backend.getInfo(name)) throw new SnapshotError(`snapshot ${name}: already exists`);
    const info = await this.backend.getInfo(key);
    if (!info || info.kind !== "active") throw new SnapshotError(`snapshot ${key}: not an active snapshot`);
    const committed = await this.guard(async () => {
      const layer = await this.diff(key);
      const c: SnapshotInfo = { key: name, kind: "committed", parent: info.parent, layer, labels: { ...info.labels, ...labels }, createdAt: Date.now() };
      await this.backend.putInfo(c);
      return c;
    });
    await this.remove(key);
    return committed;
  }

  /** `known`: the snapshot's info as the caller just read it. */
  async remove(key: string, known?: SnapshotInfo): Promise<void> {
    const info = known ?? (await this.backend.getInfo(key));
    if (!info) throw new SnapshotError(`snapshot ${key}: not found`);
    if (info.kind === "committed") {
      for (const other of await this.backend.listInfo()) {
        if (other.key !== key && other.parent === info.layer?.chainId && other.kind !== "committed") {
          throw new SnapshotError(`snapshot ${key}: still the parent of ${other.key}`);
        }
      }
    }
    this.mounted.delete(key);
    if (info.kind === "active") await this.backend.upper(key).destroy();
    await this.backend.deleteInfo(key);
  }
}

// ── memory backend ────────────────────────────────────────────────────────

interface MemoryLayer {
  diffId: Digest;
  chainId: Digest;
  parent: Digest | null;
  tar: Uint8Array;
  entries: TarEntry[];
  blob: Descriptor;
}

/** Committed layers held in memory: tests, and builds that never touch the store. */
export class MemoryLayerProvider implements LayerProvider {
  readonly layers = new Map<Digest, MemoryLayer>();
  readonly blobs = new Map<Digest, Uint8Array>();

  async chain(chainId: Digest | null): Promise<LowerLayer[]> {
    const out: LowerLayer[] = [];
    for (let at = chainId; at; ) {
      const l = this.layers.get(at);
      if (!l) throw new SnapshotError(`layer ${at}: not found`);
      out.unshift({ diffId: l.diffId, entries: l.entries, read: async (s, e) => l.tar.slice(s, e) });
      at = l.parent;
    }
    return out;
  }

  async putLayer(tar: ReadableStream<Uint8Array>, parent: Digest | null): Promise<CommittedLayer> {
    const diff: Uint8Array[] = [];
    const blob: Uint8Array[] = [];
    const packed = await packLayer(tar, { diff: async (c) => void diff.push(c), blob: async (c) => void blob.push(c) });
    const join = (parts: Uint8Array[], n: number) => {
      const out = new Uint8Array(n);
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    };
    const chainId = parent ? (await chainIds([parent, packed.diffId]))[1]! : packed.diffId;
    const desc: Descriptor = { mediaType: MediaType.ociLayerGzip, digest: packed.digest, size: packed.compressedSize };
    this.layers.set(chainId, { diffId: packed.diffId, chainId, parent, tar: join(diff, packed.size), entries: packed.entries, blob: desc });
    this.blobs.set(packed.digest, join(blob, packed.compressedSize));
    return { diffId: packed.diffId, chainId, size: packed.size, blob: desc };
  }

  /** Adds a layer from tar bytes (test fixtures). */
  async addTar(tar: Uint8Array, parent: Digest | null): Promise<CommittedLayer> {
    return this.putLayer(new Blob([tar as BlobPart]).stream() as ReadableStream<Uint8Array>, parent);
  }
}

/** Entries of a tar held in memory. */
export function tarEntries(tar: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  const p = new TarStreamParser((e) => entries.push(e));
  p.push(tar);
  p.end();
  return entries;
}

export class MemorySnapshotBackend implements SnapshotBackend {
  readonly layers = new MemoryLayerProvider();
  private readonly infos = new Map<string, SnapshotInfo>();
  private readonly uppers = new Map<string, MemoryUpperStorage>();

  async getInfo(key: string): Promise<SnapshotInfo | undefined> {
    const i = this.infos.get(key);
    return i && structuredClone(i);
  }
  async putInfo(info: SnapshotInfo): Promise<void> {
    this.infos.set(info.key, structuredClone(info));
  }
  async deleteInfo(key: string): Promise<void> {
    this.infos.delete(key);
    this.uppers.delete(key);
  }
  async listInfo(): Promise<SnapshotInfo[]> {
    return [...this.infos.values()].map((i) => structuredClone(i));
  }
  upper(key: string): UpperStorage {
    let u = this.uppers.get(key);
    if (!u) this.uppers.set(key, (u = new MemoryUpperStorage()));
    return u;
  }
}
