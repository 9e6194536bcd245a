/** Container commands: create, ps, rm, diff, cp, commit, container inspect — Docker's wording and formats. */
import { digestHex, shortId } from "../oci/digest.ts";
import { commitContainer } from "../store/commit.ts";
import type { ContainerRecord } from "../store/schema.ts";
import { containerChanges } from "../unionfs/changes.ts";
import { FsError } from "../unionfs/errors.ts";
import { cleanPath, type UnionFS } from "../unionfs/union.ts";
import { TarStreamParser } from "../layer/tar.ts";
import { TarWriter } from "../layer/tar-writer.ts";
import { boolFlag, flag, UsageError } from "./argv.ts";
import { DaemonError, type DockerCommand } from "./docker.ts";
import { ellipsis, humanSizeWithPrecision, table, timeAgo, humanDuration } from "./format.ts";
import { namedTag, resolveImage } from "./images.ts";
import type { Lab } from "./lab.ts";
import type { CliIO } from "./types.ts";
import type { parseArgs } from "./argv.ts";

type ParsedArgs = ReturnType<typeof parseArgs>;

export function commandLine(c: ContainerRecord): string {
  return [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])].join(" ");
}

export function statusText(c: ContainerRecord, now = Date.now()): string {
  if (c.state === "created") return "Created";
  if (c.state === "running") return `Up ${humanDuration(now - (c.startedAt ?? now))}`;
  return `Exited (${c.exitCode ?? 0}) ${humanDuration(now - (c.finishedAt ?? now))} ago`;
}

/** `docker create`'s work, shared with `docker run`. */
export async function createContainer(lab: Lab, imageRef: string, cmd: string[], p: ParsedArgs, io: CliIO): Promise<ContainerRecord> {
  const image = await resolveImage(lab.store, imageRef);
  if (!image) {
    io.stderr(`Unable to find image '${imageRef}' locally\n`);
    throw new DaemonError(`No such image: ${imageRef} (pull it first: docker pull ${imageRef})`);
  }
  const env = (p.flags.get("env") ?? []).map((kv) => (kv.includes("=") ? kv : `${kv}=${(globalThis as { process?: { env: Record<string, string> } }).process?.env[kv] ?? ""}`));
  return lab.containers.create({
    image,
    imageRef,
    name: flag(p, "name"),
    cmd,
    entrypoint: flag(p, "entrypoint"),
    env,
    workingDir: flag(p, "workdir"),
    user: flag(p, "user"),
    tty: boolFlag(p, "tty"),
    openStdin: boolFlag(p, "interactive"),
  });
}

export const CREATE_FLAGS = [
  { name: "name", value: true },
  { name: "env", short: "e", value: true, repeat: true },
  { name: "workdir", short: "w", value: true },
  { name: "entrypoint", value: true },
  { name: "user", short: "u", value: true },
  { name: "interactive", short: "i" },
  { name: "tty", short: "t" },
  { name: "platform", value: true },
];

const create: DockerCommand = {
  name: "create",
  aliases: ["container create"],
  usage: "docker create [OPTIONS] IMAGE [COMMAND] [ARG...]",
  summary: "Create a new container",
  flags: CREATE_FLAGS,
  minArgs: 1,
  stopAtFirstArg: true,
  async run(lab, [imageRef, ...cmd], p, io) {
    const c = await createContainer(lab, imageRef!, cmd, p, io);    io.stdout(`${c.id}\n`);
    return 0;
  },
};

const ps: DockerCommand = {
  name: "ps",
  aliases: ["container ls", "container list", "container ps"],
  usage: "docker ps [OPTIONS]",
  summary: "List containers",
  flags: [{ name: "all", short: "a" }, { name: "quiet", short: "q" }, { name: "no-trunc" }, { name: "size", short: "s" }, { name: "latest", short: "l" }],
  maxArgs: 0,
  async run(lab, _args, p, io) {
    let list = (await lab.containers.list()).sort((a, b) => b.createdAt - a.createdAt);
    if (!boolFlag(p, "all") && !boolFlag(p, "latest")) list = list.filter((c) => c.state === "running");
    if (boolFlag(p, "latest")) list = list.slice(0, 1);
    const trunc = !boolFlag(p, "no-trunc");
    if (boolFlag(p, "quiet")) {
      io.stdout(list.map((c) => `${trunc ? c.id.slice(0, 12) : c.id}\n`).join(""));
      return 0;
    }
    const withSize = boolFlag(p, "size");
    const header = ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES", ...(withSize ? ["SIZE"] : [])];
    const rows: string[][] = [];
    for (const c of list) {
      const cmd = commandLine(c);
      const row = [trunc ? c.id.slice(0, 12) : c.id, c.image, JSON.stringify(trunc ? ellipsis(cmd, 20) : cmd), timeAgo(new Date(c.createdAt).toISOString()), statusText(c), "", c.name];
      if (withSize) {
        const fs = await lab.containers.fs(c);
        let bytes = 0;
        for (const { inode } of fs.upperEntries()) if (inode?.type === "file") bytes += inode.size;
        const image = await lab.store.getImage(c.imageId);
        row.push(`${humanSizeWithPrecision(bytes, 3)} (virtual ${humanSizeWithPrecision(bytes + (image?.size ?? 0), 3)})`);
      }
      rows.push(row);
    }
    io.stdout(table([header, ...rows]));
    return 0;
  },
};

const rm: DockerCommand = {
  name: "rm",
  aliases: ["container rm", "container remove"],
  usage: "docker rm [OPTIONS] CONTAINER [CONTAINER...]",
  summary: "Remove one or more containers",
  flags: [{ name: "force", short: "f" }, { name: "volumes", short: "v" }],
  minArgs: 1,
  async run(lab, args, p, io) {
    let status = 0;
    for (const a of args) {
      try {
        const c = await lab.containers.require(a);
        if (lab.engine.isRunning(c.id)) {
          if (!boolFlag(p, "force")) throw new DaemonError(`cannot remove container "/${c.name}": container is running: stop the container before removing or force remove`);
          // -f: killed first (SIGKILL), as the daemon does, so nothing writes to the layer being removed.
          lab.engine.kill(c, "KILL");
          await lab.engine.wait(c);
        }
        await lab.containers.remove((await lab.containers.get(c.id)) ?? c, boolFlag(p, "force"));
        io.stdout(`${a}\n`);
      } catch (e) {
        io.stderr(`Error response from daemon: ${(e as Error).message}\n`);
        status = 1;
      }
    }
    return status;
  },
};

const diff: DockerCommand = {
  name: "diff",
  aliases: ["container diff"],
  usage: "docker diff CONTAINER",
  summary: "Inspect changes to files or directories on a container's filesystem",
  flags: [],
  minArgs: 1,
  maxArgs: 1,
  async run(lab, [ref], _p, io) {
    const c = await lab.containers.require(ref!);
    const fs = await lab.containers.fs(c);
    io.stdout(containerChanges(fs).map((ch) => `${ch.kind} ${ch.path}\n`).join(""));
    return 0;
  },
};

const commit: DockerCommand = {
  name: "commit",
  aliases: ["container commit"],
  usage: "docker commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
  summary: "Create a new image from a container's changes",
  flags: [
    { name: "message", short: "m", value: true },
    { name: "author", short: "a", value: true },
    { name: "change", short: "c", value: true, repeat: true },
    { name: "pause", short: "p" },
  ],
  minArgs: 1,
  maxArgs: 2,
  async run(lab, [ref, repoTag], p, io) {
    const c = await lab.containers.require(ref!);
    let tag: string | undefined;
    if (repoTag) {
      tag = namedTag(repoTag);
      if (!tag) throw new DaemonError(`invalid reference format: ${repoTag}`);
    }
    let image;
    try {
      image = await commitContainer(lab.containers, c, { comment: flag(p, "message"), author: flag(p, "author"), changes: p.flags.get("change") ?? [], tag });
    } catch (e) {
      if ((e as Error).name === "InstructionError") throw new DaemonError(`dockerfile parse error on line 1: ${(e as Error).message}`);
      throw e;
    }
    io.stdout(`${image.id}\n`);
    return 0;
  },
};

/** `CONTAINER:PATH` → [container ref, path]; a plain path → undefined. */
function splitCpArg(arg: string): { container: string; path: string } | undefined {
  if (arg.startsWith("/") || arg.startsWith(".")) return undefined;
  const i = arg.indexOf(":");
  if (i <= 0) return undefined;
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
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
async function extractInto(fs: UnionFS, dir: string, data: ReadableStream<Uint8Array>): Promise<number> {
  const tar = await bytesOf(data);
  const entries: import("../layer/tar.ts").TarEntry[] = [];
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

function cpError(e: unknown, container: string, path: string): never {
  if (e instanceof FsError && e.code === "ENOENT") throw new DaemonError(`Could not find the file ${path} in container ${container}`);
  throw e;
}

const cp: DockerCommand = {
  name: "cp",
  aliases: ["container cp"],
  usage: "docker cp CONTAINER:SRC_PATH DEST_PATH|-\n\tdocker cp SRC_PATH|- CONTAINER:DEST_PATH",
  summary: "Copy files between a container and your computer (a download, or a file picker)",
  flags: [{ name: "archive", short: "a" }, { name: "follow-link", short: "L" }, { name: "quiet", short: "q" }],
  minArgs: 2,
  maxArgs: 2,
  async run(lab, [src, dest], p, io) {
    const from = splitCpArg(src!);
    const to = splitCpArg(dest!);
    if (from && to) throw new UsageError("copying between containers is not supported");
    if (!from && !to) throw new UsageError("must specify at least one container source");
    const quiet = boolFlag(p, "quiet");
    if (from) {
      if (!io.download) throw new UsageError("this terminal cannot hand out files");
      const c = await lab.containers.require(from.container);
      const fs = await lab.containers.fs(c);
      let path = "";
      try {
        path = fs.realpath(from.path, boolFlag(p, "follow-link"));
        const st = await fs.stat(path);
        const base = path.split("/").pop() || "root";
        const destName = dest === "-" || dest === "." || dest!.endsWith("/") ? base : dest!.split("/").pop()!;
        if (dest === "-" || st.type === "dir") {
          await io.download(`${destName}.tar`, tarOfTree(fs, path, base));
        } else {
          await io.download(destName, fs.stream(path));
        }
        if (!quiet && dest !== "-") io.stderr(`Successfully copied ${humanSizeWithPrecision(st.type === "file" ? st.size : 0, 3)} to ${dest}\n`);
      } catch (e) {
        cpError(e, from.container, from.path);
      }
      return 0;
    }
    if (!io.upload) throw new UsageError("this terminal cannot take files");
    const c = await lab.containers.require(to!.container);
    const fs = await lab.containers.fs(c);
    const file = await io.upload(src === "-" ? ".tar,application/x-tar" : undefined);
    if (!file) throw new DaemonError("no file chosen");
    let target = cleanPath(to!.path);
    const st = await fs.tryStat(target);
    if (src === "-") {
      if (!st || st.type !== "dir") throw new DaemonError(`Could not find the file ${to!.path} in container ${to!.container}`);
      const n = await extractInto(fs, target, file.data);
      if (!quiet) io.stderr(`Successfully copied ${humanSizeWithPrecision(n, 3)} to ${dest}\n`);
      return 0;
    }
    if (st?.type === "dir") target = cleanPath(`${target}/${src!.split("/").pop() || file.name}`);
    else if (!st && to!.path.endsWith("/")) throw new DaemonError(`Could not find the file ${to!.path} in container ${to!.container}`);
    const data = await bytesOf(file.data);
    await fs.writeFile(target, data);
    if (!quiet) io.stderr(`Successfully copied ${humanSizeWithPrecision(data.length, 3)} to ${to!.container}:/${target}\n`);
    return 0;
  },
};

/** What `docker container inspect` shows of a container that has no process of its own. */
export async function inspectContainer(lab: Lab, c: ContainerRecord): Promise<Record<string, unknown>> {
  const iso = (t?: number) => (t ? new Date(t).toISOString() : "0001-01-01T00:00:00Z");
  const [path, ...args] = [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])];
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
    Name: `/${c.name}`,
    Driver: "layerlab",
    Platform: "linux",
    GraphDriver: { Name: "layerlab", Data: { Snapshot: c.snapshotKey, Parent: (await lab.containers.snapshots.stat(c.snapshotKey))?.parent ?? null } },
    Config: { ...c.config, Image: c.image },
  };
}

const containerInspect: DockerCommand = {
  name: "container inspect",
  usage: "docker container inspect [OPTIONS] CONTAINER [CONTAINER...]",
  summary: "Display detailed information on one or more containers",
  flags: [{ name: "format", short: "f", value: true }],
  minArgs: 1,
  async run(lab, args, _p, io) {
    const out: unknown[] = [];
    let status = 0;
    for (const a of args) {
      const c = await lab.containers.find(a);
      if (!c) {
        io.stderr(`Error: No such container: ${a}\n`);
        status = 1;
        continue;
      }
      out.push(await inspectContainer(lab, c));
    }
    io.stdout(`${JSON.stringify(out, null, 4)}\n`);
    return status;
  },
};

export const containerCommands: DockerCommand[] = [create, ps, rm, diff, commit, cp, containerInspect];

export { digestHex, shortId };
