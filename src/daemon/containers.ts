/**
 * The daemon's container service, as moby's daemon/ splits it beside images: create (the image's config
 * with the create flags), list with Docker's status and sizes, inspect, remove (killing first with -f),
 * diff, commit, copying in and out as tar, the read-only union of an image, and start-up recovery.
 * Running processes are the engine's (src/runtime/engine.ts).
 */
import { applyConfigInstruction, InstructionError } from "../build/instructions.ts";
import type { Digest } from "../oci/digest.ts";
import { isStorageFull, storageFull } from "../store/db.ts";
import type { ImageStore } from "../store/images.ts";
import { commitContainer } from "../store/commit.ts";
import { ContainerError, type ContainerStore, type CreateOptions } from "../store/containers.ts";
import type { ContainerRecord, ImageRecord } from "../store/schema.ts";
import type { ContainerEngine } from "../runtime/engine.ts";
import { sortedPortMap, type PortMap } from "../runtime/ports.ts";
import { TarStreamParser, type TarEntry } from "../layer/tar.ts";
import { endOfArchive, TarWriter } from "../layer/tar-writer.ts";
import { containerChanges, type Change } from "../unionfs/changes.ts";
import { FsError } from "../unionfs/errors.ts";
import type { LowerView } from "../unionfs/lower.ts";
import { cleanPath } from "../unionfs/path.ts";
import { UnionFS } from "../unionfs/union.ts";
import { MemoryUpperStorage } from "../unionfs/upper.ts";
import { dockerConfigJSON } from "../oci/config-json.ts";
import { dockerDiffSize } from "../layer/size.ts";
import { DaemonError } from "./errors.ts";
import type { NetworkService } from "./networks.ts";
import type { ImageService } from "./images.ts";
import { namedTag } from "./references.ts";
import { topOf, type ContainerTop } from "./top.ts";
import { humanDuration } from "./units.ts";

/** `docker create`'s flags, as the store takes them (`-e KEY` alone is resolved by the client from its environment). */
export type CreateFlags = Omit<CreateOptions, "image" | "imageRef">;

/** What `docker cp CONTAINER:PATH` hands out: a file's bytes, or a tar of a directory (or of anything, for `-`). */
export interface CopiedOut {
  /** The base name of what was copied ("root" for /). */
  name: string;
  type: "file" | "dir" | "other";
  /** Bytes of a regular file (0 otherwise). */
  size: number;
  /** The bytes as they are (regular files only). */
  file(): ReadableStream<Uint8Array>;
  /** A tar with the entry and everything below it, named `name`. */
  tar(): ReadableStream<Uint8Array>;
}

export class ContainerService {
  constructor(
    readonly records: ContainerStore,
    private readonly store: ImageStore,
    private readonly images: ImageService,
    private readonly engine: ContainerEngine,
    private readonly networks: NetworkService,
  ) {}

  /** By full ID, name, or unique ID prefix (undefined when none). */
  find(ref: string): Promise<ContainerRecord | undefined> {
    return this.records.find(ref);
  }

  /** find(), or Docker's "No such container". */
  require(ref: string): Promise<ContainerRecord> {
    return this.records.require(ref);
  }

  /** A container, or undefined when `ref` names none or several (the argument may then name an image). */
  async maybe(ref: string): Promise<ContainerRecord | undefined> {
    try {
      return await this.records.find(ref);
    } catch (e) {
      if (e instanceof ContainerError) return undefined;
      throw e;
    }
  }

  /** `docker create`: the image must be here (clients pull first, as the Docker CLI does). */
  async create(imageRef: string, flags: CreateFlags): Promise<ContainerRecord> {
    const image = await this.images.resolve(imageRef);
    if (!image) throw new DaemonError(`No such image: ${imageRef} (pull it first: docker pull ${imageRef})`);
    return this.records.create({ image, imageRef, ...flags });
  }

  /** `docker ps`: newest first; running ones only unless `all`; `latest`: the newest of all. */
  async list(opts: { all?: boolean; latest?: boolean } = {}): Promise<ContainerRecord[]> {
    let list = (await this.records.list()).sort((a, b) => b.createdAt - a.createdAt);
    if (!opts.all && !opts.latest) list = list.filter((c) => c.state === "running");
    return opts.latest ? list.slice(0, 1) : list;
  }

  /** Docker's STATUS column: "Created", "Up 3 seconds", "Exited (0) 2 minutes ago". */
  status(c: ContainerRecord, now = Date.now()): string {
    if (c.state === "created") return "Created";
    if (c.state === "running") return `Up ${humanDuration(now - (c.startedAt ?? now))}`;
    return `Exited (${c.exitCode ?? 0}) ${humanDuration(now - (c.finishedAt ?? now))} ago`;
  }

  /** `docker ps -s`: the container layer's size as Docker counts a layer (src/layer/size.ts), and with the image's (virtual). */
  async size(c: ContainerRecord): Promise<{ rw: number; virtual: number }> {
    const fs = await this.fs(c);
    const inodes = new Map(fs.upperEntries().flatMap(({ inode }) => (inode ? [[inode.ino, inode] as const] : [])));
    const rw = dockerDiffSize([...inodes.values()]);
    const image = await this.store.getImage(c.imageId);
    return { rw, virtual: rw + (image?.size ?? 0) };
  }

  /** What `docker container inspect` shows: types.ContainerJSON's fields in Docker's order, with the lab's values. */
  async inspect(c: ContainerRecord): Promise<Record<string, unknown>> {
    const iso = (t?: number) => (t ? new Date(t).toISOString() : "0001-01-01T00:00:00Z");
    const [path, ...args] = [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])];
    const networkMode = c.networkMode ?? "default";
    return {
      Id: c.id,
      Created: iso(c.createdAt),
      Path: path ?? "",
      Args: args,
      State: {
        Status: c.state,
        Running: c.state === "running",
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: 0,
        ExitCode: c.exitCode ?? 0,
        Error: "",
        StartedAt: iso(c.startedAt),
        FinishedAt: iso(c.finishedAt),
      },
      Image: c.imageId,
      // Docker writes the three files (here bound into the guest, src/runtime/network.ts) at the first start.
      ResolvConfPath: c.startedAt ? `/var/lib/docker/containers/${c.id}/resolv.conf` : "",
      HostnamePath: c.startedAt ? `/var/lib/docker/containers/${c.id}/hostname` : "",
      HostsPath: c.startedAt ? `/var/lib/docker/containers/${c.id}/hosts` : "",
      LogPath: "",
      Name: `/${c.name}`,
      RestartCount: 0,
      Driver: "layerlab",
      Platform: "linux",
      MountLabel: "",
      ProcessLabel: "",
      AppArmorProfile: "",
      ExecIDs: null,
      HostConfig: { ...hostConfig(networkMode), PortBindings: sortedPortMap(c.portBindings ?? {}), PublishAllPorts: c.publishAll === true, ExtraHosts: c.extraHosts?.length ? c.extraHosts : null },
      GraphDriver: { Data: { Snapshot: c.snapshotKey, Parent: (await this.records.snapshots.stat(c.snapshotKey))?.parent ?? null }, Name: "layerlab" },
      Mounts: [],
      Config: dockerConfigJSON(c.config, { Image: c.image, Labels: c.config.Labels ?? {} }),
      NetworkSettings: await this.networks.settingsOf(c),
    };
  }

  /** NetworkSettings.Ports: a running container's published (and exposed) ports, `{}` when it does not run. */
  publishedPorts(c: ContainerRecord): PortMap {
    return sortedPortMap(this.engine.ports(c.id));
  }

  /** `docker top`: the container's processes as ps prints them for `psArgs` (Docker's default `-ef`). */
  async top(ref: string, psArgs?: string): Promise<ContainerTop> {
    const c = await this.require(ref);
    if (!this.engine.isRunning(c.id)) throw new DaemonError(`Container ${c.id} is not running`);
    return topOf(await this.engine.processes(c), psArgs || undefined);
  }

  /** `docker rm [-f]`: a running container is refused, or with force killed (SIGKILL) first so nothing writes to the layer being removed. */
  async remove(ref: string, opts: { force?: boolean } = {}): Promise<void> {
    const c = await this.require(ref);
    if (await this.engine.runsElsewhere(c)) {
      throw new DaemonError(`cannot remove container "/${c.name}": container is running in another tab of the lab: stop it there${opts.force ? "" : ", or force remove it there"}`);
    }
    if (this.engine.isRunning(c.id)) {
      if (!opts.force) throw new DaemonError(`cannot remove container "/${c.name}": container is running: stop the container before removing or force remove`);
      this.engine.kill(c, "KILL");
      await this.engine.wait(c);
    }
    await this.records.remove((await this.records.get(c.id)) ?? c, opts.force);
  }

  /** The container's union (its writable layer on the image's). */
  fs(c: ContainerRecord): Promise<UnionFS> {
    return this.records.fs(c);
  }

  /** An image's layers merged (the snapshotter's view, shared with every container of the image). */
  imageLayers(image: ImageRecord): Promise<LowerView> {
    return this.records.snapshots.lowerView(image.chainIds.at(-1) ?? null);
  }

  /** The image's read-only union: nothing is recorded, so no snapshot keeps its layers from being collected. */
  async imageFs(image: ImageRecord): Promise<UnionFS> {
    return UnionFS.open(await this.imageLayers(image), new MemoryUpperStorage(), { readonly: true });
  }

  /** `docker diff`. */
  async diff(ref: string): Promise<Change[]> {
    return containerChanges(await this.fs(await this.require(ref)));
  }

  /** `docker commit`: `-c` changes are Dockerfile instructions; `repoTag` the new image's name. */
  async commit(ref: string, opts: { message?: string; author?: string; changes?: string[]; repoTag?: string } = {}): Promise<ImageRecord> {
    const c = await this.require(ref);
    // Its layer is being written by another tab's machine: a commit here could take half a write.
    if (await this.engine.runsElsewhere(c)) throw new DaemonError(`Cannot commit container ${c.id.slice(0, 12)}: it is running in another tab of the lab: commit it there, or stop it first`);
    let tag: string | undefined;
    if (opts.repoTag) {
      tag = namedTag(opts.repoTag);
      if (!tag) throw new DaemonError(`invalid reference format: ${opts.repoTag}`);
    }
    let config = c.config;
    try {
      for (const change of opts.changes ?? []) config = applyConfigInstruction(config, change);
    } catch (e) {
      if (e instanceof InstructionError) throw new DaemonError(`dockerfile parse error on line 1: ${e.message}`);
      throw e;
    }
    return commitContainer(this.records, c, { comment: opts.message, author: opts.author, config, tag }).catch(async (e: unknown) => {
      if (!isStorageFull(e)) throw e;
      // The refused write knew only its own chunk: the layer's tar alone is the container's size, and its gzip comes beside it.
      const rw = await this.size(c).then((x) => x.rw).catch(() => 0);
      throw rw ? await storageFull(rw, "/var/lib/docker", true) : e;
    });
  }

  /** `docker cp CONTAINER:PATH …`: what is at PATH (symlinks followed at the end only with `followLink`). */
  async copyOut(ref: string, path: string, opts: { followLink?: boolean } = {}): Promise<CopiedOut> {
    const c = await this.require(ref);
    const fs = await this.fs(c);
    try {
      const at = fs.realpath(path, opts.followLink === true);
      const st = await fs.stat(at);
      const name = at.split("/").pop() || "root";
      return {
        name,
        type: st.type === "file" ? "file" : st.type === "dir" ? "dir" : "other",
        size: st.type === "file" ? st.size : 0,
        file: () => fs.stream(at),
        tar: () => tarOfTree(fs, at, name),
      };
    } catch (e) {
      throw notFound(e, ref, path);
    }
  }

  /**
   * `docker cp SRC CONTAINER:PATH`: a file into PATH (into the directory PATH when it is one, named
   * `name`); with `archive`, a tar extracted into the directory PATH. Returns the bytes copied and where.
   */
  async copyIn(ref: string, path: string, data: ReadableStream<Uint8Array>, opts: { name: string; archive?: boolean }): Promise<{ bytes: number; target: string }> {
    const c = await this.require(ref);
    const fs = await this.fs(c);
    let target = cleanPath(path);
    const st = await fs.tryStat(target);
    if (opts.archive) {
      if (!st || st.type !== "dir") throw new DaemonError(`Could not find the file ${path} in container ${ref}`);
      return { bytes: await extractInto(fs, target, data), target };
    }
    if (st?.type === "dir") target = cleanPath(`${target}/${opts.name}`);
    else if (!st && path.endsWith("/")) throw new DaemonError(`Could not find the file ${path} in container ${ref}`);
    const bytes = await bytesOf(data);
    await fs.writeFile(target, bytes);
    return { bytes: bytes.length, target };
  }

  /**
   * Containers recorded as running whose tab is gone (nobody holds their lock) lost their machine with
   * it: exited, as after a daemon restart. One another open tab runs is left running.
   */
  async recover(): Promise<void> {
    for (const c of await this.records.list()) {
      if (c.state !== "running" || (await this.engine.runsElsewhere(c))) continue;
      c.state = "exited";
      c.exitCode = 255;
      c.finishedAt = Date.now();
      await this.records.update(c);
    }
  }

  /** Containers (any state) created from an image. */
  usingImage(imageId: Digest): Promise<ContainerRecord[]> {
    return this.records.usingImage(imageId);
  }

  /**
   * `docker rename`: as moby's daemon/rename.go — the same name is refused, the new one must be a valid
   * container name and free (a running container may be renamed).
   */
  async rename(ref: string, newName: string): Promise<ContainerRecord> {
    if (!ref || !newName) throw new DaemonError("Neither old nor new names may be empty");
    const c = await this.require(ref);
    const name = newName.replace(/^\//, "");
    if (name === c.name) throw new DaemonError("Renaming a container with the same name as its current name");
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) throw new DaemonError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const taken = await this.records.store.db.getFromIndex("containers", "name", name);
    if (taken) {
      throw new DaemonError(`Conflict. The container name "/${name}" is already in use by container "${taken.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    const rec = { ...((await this.records.get(c.id)) ?? c), name };
    await this.records.update(rec);
    return rec;
  }

  /**
   * `docker export`: the container's whole union filesystem as one flat tar, as Docker's export writes
   * it — paths relative to / ("bin/", "bin/sh"), no entry for / itself, no whiteouts (the union hides
   * what the container deleted). Each top-level entry is a tarOfTree() whose end-of-archive blocks are
   * dropped, one end-of-archive closes the whole.
   */
  async export(ref: string): Promise<ReadableStream<Uint8Array>> {
    const c = await this.require(ref);
    const fs = await this.fs(c);
    const names = (await fs.readdir("")).map((e) => e.name).sort();
    const END = endOfArchive().length;
    let i = 0;
    let current: ReadableStreamDefaultReader<Uint8Array> | undefined;
    let held = new Uint8Array(0);
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        for (;;) {
          if (!current) {
            if (i >= names.length) {
              controller.enqueue(endOfArchive());
              controller.close();
              return;
            }
            const name = names[i++]!;
            current = tarOfTree(fs, name, name).getReader();
            held = new Uint8Array(0);
          }
          const { done, value } = await current.read();
          if (done) {
            current = undefined; // `held` is this tree's end-of-archive: dropped
            continue;
          }
          const all = new Uint8Array(held.length + value.length);
          all.set(held);
          all.set(value, held.length);
          const cut = Math.max(0, all.length - END);
          held = all.slice(cut);
          if (cut > 0) {
            controller.enqueue(all.subarray(0, cut));
            return;
          }
        }
      },
      async cancel(reason) {
        await current?.cancel(reason);
      },
    });
  }
}

function notFound(e: unknown, container: string, path: string): unknown {
  if (e instanceof FsError && e.code === "ENOENT") return new DaemonError(`Could not find the file ${path} in container ${container}`);
  return e;
}

/** A directory of the union as a tar stream (what `docker cp CONTAINER:DIR -` writes). */
function tarOfTree(fs: UnionFS, root: string, base: string): ReadableStream<Uint8Array> {
  const w = new TarWriter();
  (async () => {
    const add = async (path: string, name: string) => {
      const st = await fs.stat(path);
      const common = { path: name, mode: st.mode, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtime) };
      if (st.type === "dir") {
        await w.add({ ...common, type: "dir" });
        for (const e of await fs.readdir(path)) await add(path ? `${path}/${e.name}` : e.name, `${name}/${e.name}`);
      } else if (st.type === "file") await w.add({ ...common, type: "file", size: st.size }, fs.stream(path));
      else if (st.type === "symlink") await w.add({ ...common, type: "symlink", linkname: st.linkname ?? "" });
      else await w.add({ ...common, type: st.type, devmajor: st.devmajor ?? 0, devminor: st.devminor ?? 0 });
    };
    await add(root, base);
    w.close();
  })().catch((e) => w.error(e));
  return w.readable;
}

async function bytesOf(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

/** Extracts a tar stream into a directory of the union (`docker cp - CONTAINER:DIR`). */
/** Unpacks a tar into `dir` of a union (`docker cp -`, ADD of an archive): owners, modes, links, devices, times kept. */
export async function extractInto(fs: UnionFS, dir: string, data: ReadableStream<Uint8Array>): Promise<number> {
  const tar = await bytesOf(data);
  const entries: TarEntry[] = [];
  const parser = new TarStreamParser((e) => entries.push(e));
  parser.push(tar);
  parser.end();
  let bytes = 0;
  for (const e of entries) {
    const path = cleanPath(`${dir}/${e.path}`);
    if (!path) continue;
    const existing = await fs.tryStat(path);
    if (e.type === "dir") {
      if (!existing) await fs.mkdirAll(path, { mode: e.mode, uid: e.uid, gid: e.gid });
      continue;
    }
    if (existing && existing.type !== "dir") await fs.unlink(path);
    const opts = { mode: e.mode, uid: e.uid, gid: e.gid };
    if (e.type === "file") {
      await fs.writeFile(path, tar.subarray(e.dataOffset, e.dataOffset + e.size), opts);
      bytes += e.size;
    } else if (e.type === "symlink") await fs.symlink(e.linkname ?? "", path, opts);
    else if (e.type === "hardlink") await fs.link(cleanPath(`${dir}/${e.linkname ?? ""}`), path);
    else await fs.mknod(path, e.type, { ...opts, devmajor: e.devmajor, devminor: e.devminor });
    await fs.utimes(path, e.mtime, e.mtime).catch(() => {});
  }
  return bytes;
}

/** A container's HostConfig as Docker 20.10 fills it for `docker create` without host flags. */
function hostConfig(networkMode: string): Record<string, unknown> {
  return {
    Binds: null, ContainerIDFile: "", LogConfig: { Type: "json-file", Config: {} }, NetworkMode: networkMode, PortBindings: {},
    RestartPolicy: { Name: "no", MaximumRetryCount: 0 }, AutoRemove: false, VolumeDriver: "", VolumesFrom: null, ConsoleSize: [0, 0],
    CapAdd: null, CapDrop: null, CgroupnsMode: "host", Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null, GroupAdd: null,
    IpcMode: "private", Cgroup: "", Links: null, OomScoreAdj: 0, PidMode: "", Privileged: false, PublishAllPorts: false,
    ReadonlyRootfs: false, SecurityOpt: null, UTSMode: "", UsernsMode: "", ShmSize: 67108864, Runtime: "runc", Isolation: "",
    CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: "", BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [], BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [], CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0, CpusetCpus: "", CpusetMems: "", Devices: [], DeviceCgroupRules: null, DeviceRequests: null,
    MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: null, OomKillDisable: false, PidsLimit: null, Ulimits: [], CpuCount: 0,
    CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0,
    MaskedPaths: ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"],
    ReadonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
  };
}
