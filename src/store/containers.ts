/**
 * Containers as Docker keeps them before (and between) runs: a record (ID, name, image, config,
 * state) and a writable snapshot keyed by the container ID on top of the image's top chain ID.
 */
import type { Digest } from "../oci/digest.ts";
import type { ContainerConfig, PortMap } from "../oci/types.ts";
import type { Snapshotter } from "../unionfs/snapshotter.ts";
import { INIT_LAYER_LABEL } from "../unionfs/init-layer.ts";
import { isWasiPlatform } from "../oci/platform.ts";
import type { UnionFS } from "../unionfs/union.ts";
import type { ImageStore } from "./images.ts";
import type { ContainerRecord, ImageRecord } from "./schema.ts";

export class ContainerError extends Error {
  override name = "ContainerError";
}

export class NoSuchContainerError extends ContainerError {
  constructor(readonly ref: string) {
    super(`No such container: ${ref}`);
  }
}

const ADJECTIVES = ["admiring", "bold", "brave", "clever", "dreamy", "eager", "elegant", "festive", "focused", "gifted", "happy", "jolly", "keen", "kind", "lucid", "modest", "nifty", "peaceful", "quirky", "serene", "sharp", "stoic", "tender", "vibrant", "wizardly", "zealous"];
const NAMES = ["babbage", "curie", "dijkstra", "einstein", "feynman", "germain", "hopper", "hypatia", "kalam", "knuth", "lamarr", "lovelace", "mclean", "meitner", "noether", "pascal", "ritchie", "shannon", "tesla", "thompson", "torvalds", "turing", "wu", "yalow"];

function randomName(): string {
  const pick = <T>(a: T[]) => a[Math.floor(Math.random() * a.length)]!;
  return `${pick(ADJECTIVES)}_${pick(NAMES)}`;
}

/** `bytes` random bytes as lowercase hex: container, network and build IDs. */
export function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (x) => x.toString(16).padStart(2, "0")).join("");
}

const randomId = () => randomHex(32);

/** HostConfig.NetworkMode values the daemon knows (`default` is the bridge). */
export const NETWORK_MODES: readonly string[] = ["default", "bridge", "host", "none"];

export interface CreateOptions {
  image: ImageRecord;
  /** What the user typed for the image. */
  imageRef: string;
  name?: string;
  /** Replaces the image's Cmd when given (non-empty). */
  cmd?: string[];
  /** Replaces the image's Entrypoint (and resets its Cmd, as Docker does). */
  entrypoint?: string;
  env?: string[];
  workingDir?: string;
  user?: string;
  /** -t: a pseudo-terminal for the process. */
  tty?: boolean;
  /** -i: keep stdin open. */
  openStdin?: boolean;
  /** `docker run -d`: nothing attached. */
  detach?: boolean;
  /** --network: `default` (the bridge) when not given, `bridge`, `host` or `none`. */
  networkMode?: string;
  /** -h, --hostname: the container's host name instead of its short ID. */
  hostname?: string;
  /** --add-host NAME:IP (or NAME:host-gateway), checked by the daemon's caller. */
  extraHosts?: string[];
  /** Ports `-p` and `--expose` add to the image's exposed ones (`80/tcp`). */
  exposedPorts?: string[];
  /** `-p`: HostConfig.PortBindings. */
  portBindings?: PortMap;
  /** `-P`: every exposed port published on a port the daemon picks. */
  publishAll?: boolean;
}

/** The image's config with `docker create` flags applied, as the daemon merges them. */
export function containerConfig(image: ImageRecord, o: Omit<CreateOptions, "image" | "imageRef" | "name">, id: string): ContainerConfig {
  const base: ContainerConfig = structuredClone(image.config.config ?? {});
  const c: ContainerConfig = { ...base, Hostname: o.hostname || id.slice(0, 12) };
  if (o.entrypoint !== undefined) {
    c.Entrypoint = o.entrypoint === "" ? null : [o.entrypoint];
    c.Cmd = o.cmd && o.cmd.length ? o.cmd : null;
  } else if (o.cmd && o.cmd.length) c.Cmd = o.cmd;
  if (o.env?.length) {
    const env = new Map((c.Env ?? []).map((kv) => [kv.split("=")[0]!, kv]));
    for (const kv of o.env) env.set(kv.split("=")[0]!, kv);
    c.Env = [...env.values()];
  }
  if (o.exposedPorts?.length) {
    // Sorted, as Go writes a map.
    const keys = new Set([...Object.keys(c.ExposedPorts ?? {}), ...o.exposedPorts]);
    c.ExposedPorts = Object.fromEntries([...keys].sort().map((k) => [k, {}]));
  }
  if (o.workingDir !== undefined) c.WorkingDir = o.workingDir;
  if (o.user !== undefined) c.User = o.user;
  // The client attaches stdout and stderr (and stdin with -i) unless it detaches (cli/command/container).
  const attached = o.detach !== true;
  c.AttachStdin = attached && o.openStdin === true;
  c.AttachStdout = attached;
  c.AttachStderr = attached;
  c.Tty = o.tty === true;
  c.OpenStdin = o.openStdin === true;
  c.StdinOnce = attached && o.openStdin === true;
  return c;
}

export class ContainerStore {
  constructor(readonly store: ImageStore, readonly snapshots: Snapshotter) {}

  list(): Promise<ContainerRecord[]> {
    return this.store.db.getAll("containers");
  }

  get(id: string): Promise<ContainerRecord | undefined> {
    return this.store.db.get("containers", id);
  }

  /** By full ID, by name (with or without a leading "/"), then by unique ID prefix — as Docker looks up. */
  async find(ref: string): Promise<ContainerRecord | undefined> {
    const byId = await this.get(ref);
    if (byId) return byId;
    const byName = await this.store.db.getFromIndex("containers", "name", ref.replace(/^\//, ""));
    if (byName) return byName;
    if (!/^[a-f0-9]+$/.test(ref)) return undefined;
    const matches = (await this.store.db.getAllKeys("containers")).filter((id) => id.startsWith(ref));
    if (matches.length > 1) throw new ContainerError(`multiple IDs found with provided prefix: ${ref}`);
    return matches[0] ? this.get(matches[0]) : undefined;
  }

  async require(ref: string): Promise<ContainerRecord> {
    const c = await this.find(ref);
    if (!c) throw new NoSuchContainerError(ref);
    return c;
  }

  async create(o: CreateOptions): Promise<ContainerRecord> {
    const id = randomId();
    let name = o.name;
    if (name !== undefined) {
      name = name.replace(/^\//, "");
      if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) throw new ContainerError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
      const taken = await this.store.db.getFromIndex("containers", "name", name);
      if (taken) {
        throw new ContainerError(`Conflict. The container name "/${name}" is already in use by container "${taken.id}". You have to remove (or rename) that container to be able to reuse that name.`);
      }
    } else {
      do name = randomName();
      while (await this.store.db.getFromIndex("containers", "name", name));
    }
    const networkMode = o.networkMode ?? "default";
    if (!NETWORK_MODES.includes(networkMode)) throw new ContainerError(`network ${networkMode} not found`);
    const config = containerConfig(o.image, o, id);
    if (!config.Cmd?.length && !config.Entrypoint?.length) throw new ContainerError("no command specified");
    const parent = o.image.chainIds.at(-1) ?? null;
    // Docker's init layer holds Linux's mount points (and the network's files): a WASI sandbox has neither.
    const labels: Record<string, string> = { "layerlab.container": id };
    if (!isWasiPlatform(o.image.config)) labels[INIT_LAYER_LABEL] = "docker";
    await this.snapshots.prepare(id, parent, labels);
    const rec: ContainerRecord = { id, name, image: o.imageRef, imageId: o.image.id, snapshotKey: id, config, state: "created", createdAt: Date.now(), networkMode };
    if (o.extraHosts?.length) rec.extraHosts = [...o.extraHosts];
    if (o.portBindings && Object.keys(o.portBindings).length) rec.portBindings = structuredClone(o.portBindings);
    if (o.publishAll) rec.publishAll = true;
    await this.store.db.put("containers", rec);
    this.store.notify({ type: "containers" });
    return rec;
  }

  /** A builder's intermediate container: `config` as given, on `image`'s layers (none: scratch). */
  async createForBuild(image: ImageRecord | null, config: ContainerConfig, networkMode = "default"): Promise<ContainerRecord> {
    const id = randomId();
    let name: string;
    do name = randomName();
    while (await this.store.db.getFromIndex("containers", "name", name));
    await this.snapshots.prepare(id, image?.chainIds.at(-1) ?? null, { "layerlab.container": id, [INIT_LAYER_LABEL]: "docker" });
    const rec: ContainerRecord = { id, name, image: image?.id ?? "", imageId: image?.id ?? ("" as Digest), snapshotKey: id, config: structuredClone(config), state: "created", createdAt: Date.now(), networkMode };
    await this.store.db.put("containers", rec);
    this.store.notify({ type: "containers" });
    return rec;
  }

  async update(rec: ContainerRecord): Promise<void> {
    await this.store.db.put("containers", rec);
    this.store.notify({ type: "containers" });
  }

  fs(c: ContainerRecord): Promise<UnionFS> {
    return this.snapshots.mount(c.snapshotKey);
  }

  async remove(c: ContainerRecord, force = false): Promise<void> {
    if (c.state === "running" && !force) {
      throw new ContainerError(`cannot remove container "/${c.name}": container is running: stop the container before removing or force remove`);
    }
    const snapshot = await this.snapshots.stat(c.snapshotKey);
    if (snapshot) await this.snapshots.remove(c.snapshotKey, snapshot);
    await this.store.db.delete("containers", c.id);
    this.store.notify({ type: "containers" });
  }

  /** Containers (any state) created from an image: such an image cannot be removed without -f. */
  async usingImage(imageId: Digest): Promise<ContainerRecord[]> {
    return this.store.db.getAllFromIndex("containers", "imageId", imageId);
  }
}
