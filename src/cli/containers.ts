/** Container commands: create, ps, rm, diff, commit, cp, container inspect — Docker's wording and formats. */
import type { Daemon } from "../daemon/daemon.ts";
import type { CreateFlags } from "../daemon/containers.ts";
import { humanSizeWithPrecision, timeAgo } from "../daemon/units.ts";
import type { ContainerRecord, ImageRecord } from "../store/schema.ts";
import { boolFlag, flag, FlagError, UsageError, type FlagSpec, type ParsedArgs } from "./argv.ts";
import { eachArg, type DockerCommand } from "./command.ts";
import { ellipsis, table } from "./format.ts";
import { bytesOf, hostInput } from "./host-io.ts";
import { DaemonFilterError, goTimeString, invalidFilterValue, labelsMatch, parseFilters, runInspect, typedContainer, writeListFormat } from "./images.ts";
import { extraHostError } from "../runtime/network.ts";
import { apiPortsOf } from "../runtime/ports.ts";
import { displayablePorts, parsePortRange, parsePorts, splitProtoPort } from "./publish.ts";
import { CONTAINER_HEADERS, dockerRow, goQuote, parseDockerTemplate, ROW_TYPES, tabwrite, TemplateError } from "./template.ts";

/** `docker ps`'s COMMAND (daemon/list.go): the path, then the arguments, one with a space in single quotes. */
function commandLine(c: ContainerRecord): string {
  const [path = "", ...args] = [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])];
  return args.length ? `${path} ${args.map((a) => (a.includes(" ") ? `'${a}'` : a)).join(" ")}` : path;
}

/**
 * `docker create`'s flags as the daemon takes them (`-e KEY` from the client's environment), checked
 * as the Docker CLI checks them — before anything is pulled.
 */
export function createFlags(cmd: string[], p: ParsedArgs): CreateFlags {
  const extraHosts = p.flags.get("add-host") ?? [];
  for (const h of extraHosts) {
    const bad = extraHostError(h);
    if (bad) throw new FlagError(`invalid argument "${h}" for "--add-host" flag: ${bad}`);
  }
  const hostname = flag(p, "hostname");
  if (hostname !== undefined && !/^.{1,63}$/.test(hostname)) throw new UsageError(`invalid hostname format: ${hostname}`);
  const ports = parsePorts(p.flags.get("publish") ?? [], p.flags.get("expose") ?? []);
  const env = (p.flags.get("env") ?? []).map((kv) => (kv.includes("=") ? kv : `${kv}=${(globalThis as { process?: { env: Record<string, string> } }).process?.env[kv] ?? ""}`));
  return {
    name: flag(p, "name"),
    cmd,
    entrypoint: flag(p, "entrypoint"),
    env,
    workingDir: flag(p, "workdir"),
    user: flag(p, "user"),
    tty: boolFlag(p, "tty"),
    openStdin: boolFlag(p, "interactive"),
    networkMode: flag(p, "network") ?? flag(p, "net"),
    detach: boolFlag(p, "detach"),
    ...(hostname ? { hostname } : {}),
    ...(extraHosts.length ? { extraHosts } : {}),
    exposedPorts: ports.exposed,
    portBindings: ports.bindings,
    publishAll: boolFlag(p, "publish-all"),
  };
}

/** The daemon's warning for `-p` with `--network host` (its create answer's Warnings, printed by the CLI). */
export function publishWarning(p: ParsedArgs): string | undefined {
  const mode = flag(p, "network") ?? flag(p, "net");
  return mode === "host" && (p.flags.get("publish")?.length || boolFlag(p, "publish-all")) ? "WARNING: Published ports are discarded when using host network mode\n" : undefined;
}

export const CREATE_FLAGS: FlagSpec[] = [
  { name: "name", value: true },
  { name: "env", short: "e", value: true, repeat: true },
  { name: "workdir", short: "w", value: true },
  { name: "entrypoint", value: true },
  { name: "user", short: "u", value: true },
  { name: "interactive", short: "i" },
  { name: "tty", short: "t" },
  { name: "platform", value: true },
  { name: "network", value: true },
  { name: "net", value: true },
  { name: "hostname", short: "h", value: true },
  { name: "add-host", value: true, repeat: true },
  { name: "publish", short: "p", value: true, repeat: true },
  { name: "publish-all", short: "P" },
  { name: "expose", value: true, repeat: true },
];

const create: DockerCommand = {
  name: "create",
  aliases: ["container create"],
  usage: "docker create [OPTIONS] IMAGE [COMMAND] [ARG...]",
  summary: "Create a new container",
  flags: CREATE_FLAGS,
  minArgs: 1,
  stopAtFirstArg: true,
  async run(daemon, [imageRef, ...cmd], p, io) {
    const flags = createFlags(cmd, p);
    if (!(await daemon.images.resolve(imageRef!))) io.stderr(`Unable to find image '${imageRef}' locally\n`);
    const c = await daemon.containers.create(imageRef!, flags);
    const warning = publishWarning(p);
    if (warning) io.stderr(warning);
    io.stdout(`${c.id}\n`);
    return 0;
  },
};

const CONTAINER_STATES = ["created", "restarting", "running", "removing", "paused", "exited", "dead"];

/**
 * `docker ps --filter` as the daemon applies it (daemon/list.go, Docker 20.10): values of one filter
 * are alternatives, every filter must hold; name and id are regular expressions (unanchored, as
 * filters.Args.Match), ancestor an image and its descendants, label every KEY[=VALUE].
 */
async function containerFilter(daemon: Daemon, p: ParsedArgs): Promise<(c: ContainerRecord) => boolean> {
  const filters = parseFilters(p, ["ancestor", "before", "expose", "exited", "health", "id", "isolation", "is-task", "label", "name", "network", "publish", "since", "status", "volume"]);
  const status = filters.get("status");
  if (status && !status.every((s) => CONTAINER_STATES.includes(s))) throw invalidFilterValue("status", status);
  const exited = filters.get("exited")?.map((v) => {
    if (!/^-?\d+$/.test(v)) throw new DaemonFilterError(`strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
    return Number(v);
  });
  const regexps = (name: string) =>
    filters.get(name)?.map((v) => {
      try {
        return new RegExp(v);
      } catch {
        throw new DaemonFilterError(`error parsing regexp: ${v}`);
      }
    });
  const names = regexps("name");
  const ids = regexps("id");
  const ancestorIds = new Set<string>();
  for (const a of filters.get("ancestor") ?? []) {
    const img = await daemon.images.resolve(a);
    if (img) ancestorIds.add(img.id);
  }
  // Each container's image and its parents, for ancestor=.
  const lineage = new Map<string, string[]>();
  if (filters.has("ancestor")) {
    for (const c of await daemon.containers.list({ all: true })) {
      const chain: string[] = [];
      for (let id: string | undefined = c.imageId; id && !chain.includes(id); id = (await daemon.store.getImage(id as ImageRecord["id"]))?.parent) chain.push(id);
      lineage.set(c.id, chain);
    }
  }
  // publish= a host port, expose= a container port, of a running container's NetworkSettings.Ports (moby's portOp).
  const portFilter = (key: string) => {
    const values = filters.get(key);
    if (!values) return undefined;
    const set = new Set<string>();
    for (const v of values) {
      if (v.includes(":")) throw new DaemonFilterError(`filter for '${key}' should not contain ':': ${v}`);
      const [proto, port] = splitProtoPort(v);
      const range = parsePortRange(port);
      if (typeof range === "string") throw new DaemonFilterError(`error while looking up for ${key} ${v}: ${range}`);
      for (let i = range[0]; i <= range[1]; i++) set.add(`${i}/${proto}`);
    }
    return set;
  };
  const publish = portFilter("publish");
  const expose = portFilter("expose");
  const portsOf = (c: ContainerRecord) => apiPortsOf(daemon.containers.publishedPorts(c));
  const unsupported = [...filters.keys()].filter((k) => !["ancestor", "exited", "expose", "id", "label", "name", "publish", "status"].includes(k));
  if (unsupported.length) throw new UsageError(`the lab does not support the '${unsupported[0]}' filter`);
  return (c) =>
    (!status || status.includes(c.state)) &&
    (!exited || (c.state === "exited" && exited.includes(c.exitCode ?? 0))) &&
    (!names || names.some((re) => re.test(`/${c.name}`))) &&
    (!ids || ids.some((re) => re.test(c.id))) &&
    (!filters.has("ancestor") || (lineage.get(c.id) ?? [c.imageId]).some((id) => ancestorIds.has(id))) &&
    (!publish || portsOf(c).some((p) => p.PublicPort > 0 && publish.has(`${p.PublicPort}/${p.Type}`))) &&
    (!expose || portsOf(c).some((p) => expose.has(`${p.PrivatePort}/${p.Type}`))) &&
    labelsMatch(filters.get("label"), c.config.Labels);
}

const ps: DockerCommand = {
  name: "ps",
  aliases: ["container ls", "container list", "container ps"],
  usage: "docker ps [OPTIONS]",
  summary: "List containers",
  flags: [
    { name: "all", short: "a" },
    { name: "quiet", short: "q" },
    { name: "no-trunc" },
    { name: "size", short: "s" },
    { name: "latest", short: "l" },
    { name: "format", value: true },
    { name: "filter", short: "f", value: true, repeat: true },
  ],
  maxArgs: 0,
  async run(daemon, _args, p, io) {
    const matches = await containerFilter(daemon, p);
    let format = flag(p, "format");
    const quiet = boolFlag(p, "quiet");
    // formatter.NewContainerFormat's `raw`: one "key: value" block per container.
    if (format === "raw") {
      format = "container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n";
      if (boolFlag(p, "size")) format += "size: {{.Size}}\n";
    }
    if (format && quiet) {
      // docker/cli 20.10 runPs: -q wins.
      io.stderr("WARNING: Ignoring custom format, because both --format and --quiet are set.\n");
      format = undefined;
    }
    // buildContainerListOptions: the format is parsed and run on an empty row before anything is listed
    // (and naming .Size asks for sizes).
    let sizeFromFormat = false;
    if (format) {
      let stage = "parse";
      try {
        const t = parseDockerTemplate(format);
        stage = "execute";
        t.execute(containerRow({ ID: "", Image: "", Command: goQuote(""), CreatedAt: goTimeString(0), RunningFor: "N/A", State: "", Status: "", Size: "0B", Names: "", Labels: "" }));
      } catch (e) {
        if (!(e instanceof TemplateError)) throw e;
        io.stderr(`failed to ${stage} template: ${e.message}\n`);
        return 1;
      }
      sizeFromFormat = /\.Size\b/.test(format);
    }
    // A status filter implies --all (daemon/list.go), as does -l.
    const all = boolFlag(p, "all") || (p.flags.get("filter") ?? []).some((f) => f.startsWith("status="));
    const list = (await daemon.containers.list({ all, latest: boolFlag(p, "latest") })).filter(matches);
    const trunc = !boolFlag(p, "no-trunc");
    if (format && format !== "table") {
      const rows = [];
      for (const c of list) {
        const cmd = commandLine(c);
        let size = "0B";
        if (boolFlag(p, "size") || sizeFromFormat) {
          const s = await daemon.containers.size(c);
          size = s.virtual > 0 ? `${humanSizeWithPrecision(s.rw, 3)} (virtual ${humanSizeWithPrecision(s.virtual, 3)})` : humanSizeWithPrecision(s.rw, 3);
        }
        const labels = Object.entries(c.config.Labels ?? {}).map(([k, v]) => `${k}=${v}`).sort().join(",");
        rows.push(containerRow({
          ID: trunc ? c.id.slice(0, 12) : c.id,
          Image: c.image,
          Command: goQuote(trunc ? ellipsis(cmd, 20) : cmd),
          CreatedAt: goTimeString(c.createdAt),
          RunningFor: timeAgo(new Date(c.createdAt).toISOString()),
          State: c.state,
          Status: daemon.containers.status(c),
          Size: size,
          Names: c.name,
          Labels: labels,
          Ports: displayablePorts(apiPortsOf(daemon.containers.publishedPorts(c))),
        }));
      }
      return writeListFormat(io, format, rows, CONTAINER_HEADERS);
    }
    if (quiet) {
      io.stdout(list.map((c) => `${trunc ? c.id.slice(0, 12) : c.id}\n`).join(""));
      return 0;
    }
    const withSize = boolFlag(p, "size");
    const header = ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES", ...(withSize ? ["SIZE"] : [])];
    const rows: string[][] = [];
    for (const c of list) {
      const cmd = commandLine(c);
      const row = [trunc ? c.id.slice(0, 12) : c.id, c.image, JSON.stringify(trunc ? ellipsis(cmd, 20) : cmd), timeAgo(new Date(c.createdAt).toISOString()), daemon.containers.status(c), displayablePorts(apiPortsOf(daemon.containers.publishedPorts(c))), c.name];
      if (withSize) {
        const size = await daemon.containers.size(c);
        row.push(`${humanSizeWithPrecision(size.rw, 3)} (virtual ${humanSizeWithPrecision(size.virtual, 3)})`);
      }
      rows.push(row);
    }
    io.stdout(table([header, ...rows]));
    return 0;
  },
};

/** A row of `docker ps --format` (formatter.ContainerContext): the fields the lab has; no mounts, networks or volumes. */
function containerRow(f: { ID: string; Image: string; Command: string; CreatedAt: string; RunningFor: string; State: string; Status: string; Size: string; Names: string; Labels: string; Ports?: string }) {
  return dockerRow(ROW_TYPES.container, { Ports: "", ...f, Mounts: "", Networks: "", LocalVolumes: "0" });
}

const rm: DockerCommand = {
  name: "rm",
  aliases: ["container rm", "container remove"],
  usage: "docker rm [OPTIONS] CONTAINER [CONTAINER...]",
  summary: "Remove one or more containers",
  flags: [{ name: "force", short: "f" }, { name: "volumes", short: "v" }],
  minArgs: 1,
  run(daemon, args, p, io) {
    return eachArg(args, io, async (a) => {
      await daemon.containers.remove(a, { force: boolFlag(p, "force") });
      io.stdout(`${a}\n`);
    });
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
  async run(daemon, [ref], _p, io) {
    io.stdout((await daemon.containers.diff(ref!)).map((ch) => `${ch.kind} ${ch.path}\n`).join(""));
    return 0;
  },
};

const top: DockerCommand = {
  name: "top",
  aliases: ["container top"],
  usage: "docker top CONTAINER [ps OPTIONS]",
  summary: "Display the running processes of a container",
  flags: [],
  minArgs: 1,
  stopAtFirstArg: true,
  async run(daemon, [ref, ...psArgs], _p, io) {
    const { Titles, Processes } = await daemon.containers.top(ref!, psArgs.join(" "));
    // cli/command/container/top.go: a tabwriter of minimum width 20, padding 3.
    io.stdout(`${tabwrite([Titles, ...Processes].map((r) => `${r.join("\t")}\n`).join(""), 20, 3)}`);
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
  async run(daemon, [ref, repoTag], p, io) {
    const image = await daemon.containers.commit(ref!, { message: flag(p, "message"), author: flag(p, "author"), changes: p.flags.get("change") ?? [], repoTag });
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

const cp: DockerCommand = {
  name: "cp",
  aliases: ["container cp"],
  usage: "docker cp CONTAINER:SRC_PATH DEST_PATH|-\n\tdocker cp SRC_PATH|- CONTAINER:DEST_PATH",
  summary: "Copy files between a container and your computer (a download, or a file picker)",
  flags: [{ name: "archive", short: "a" }, { name: "follow-link", short: "L" }, { name: "quiet", short: "q" }],
  minArgs: 2,
  maxArgs: 2,
  async run(daemon, [src, dest], p, io) {
    const from = splitCpArg(src!);
    const to = splitCpArg(dest!);
    if (from && to) throw new UsageError("copying between containers is not supported");
    if (!from && !to) throw new UsageError("must specify at least one container source");
    const quiet = boolFlag(p, "quiet");
    if (from) {
      const out = await daemon.containers.copyOut(from.container, from.path, { followLink: boolFlag(p, "follow-link") });
      if (dest === "-" && io.pipe && io.writeRaw) io.writeRaw(await bytesOf(out.tar()));
      else if (io.files && dest !== "-" && out.type === "file") {
        // Into the host: DEST, or DEST/NAME when DEST is a directory.
        const isDir = await io.files.stat(dest!).then((s) => s.type === "directory", () => dest!.endsWith("/"));
        await io.files.writeFile(isDir ? `${dest!.replace(/\/+$/, "")}/${out.name}` : dest!, await bytesOf(out.file()));
      } else {
        // No host (or a directory, which the host's files cannot take yet): a download.
        if (!io.download) throw new UsageError("this terminal cannot hand out files");
        const destName = dest === "-" || dest === "." || dest!.endsWith("/") ? out.name : dest!.split("/").pop()!;
        if (dest === "-" || out.type === "dir") await io.download(`${destName}.tar`, out.tar());
        else await io.download(destName, out.file());
      }
      if (!quiet && dest !== "-") io.stderr(`Successfully copied ${humanSizeWithPrecision(out.size, 3)} to ${dest}\n`);
      return 0;
    }
    await daemon.containers.require(to!.container);
    const archive = src === "-";
    const data = await hostInput(io, archive ? undefined : src, archive ? ".tar,application/x-tar" : undefined, "this terminal cannot take files");
    const done = await daemon.containers.copyIn(to!.container, to!.path, data, { name: src!.split("/").pop() || "file", archive });
    if (!quiet) io.stderr(`Successfully copied ${humanSizeWithPrecision(done.bytes, 3)} to ${archive ? dest : `${to!.container}:/${done.target}`}\n`);
    return 0;
  },
};

const containerInspect: DockerCommand = {
  name: "container inspect",
  usage: "docker container inspect [OPTIONS] CONTAINER [CONTAINER...]",
  summary: "Display detailed information on one or more containers",
  flags: [{ name: "format", short: "f", value: true }, { name: "size", short: "s" }],
  minArgs: 1,
  run(daemon, args, p, io) {
    return runInspect(io, flag(p, "format"), args, async (a) => {
      const c = await daemon.containers.find(a);
      if (!c) return { error: `Error: No such container: ${a}` };
      const raw = await daemon.containers.inspect(c);
      return { typed: typedContainer(raw), raw };
    }, true);
  },
};

export const CONTAINER_COMMANDS: readonly DockerCommand[] = [create, ps, rm, diff, top, commit, cp, containerInspect];
