/** The docker-compatible commands. Output follows the Docker CLI's formats and wording. */
import { digestHex, shortId, type Digest } from "../oci/digest.ts";
import { formatPlatform, parsePlatform } from "../oci/platform.ts";
import { parseReference } from "../oci/reference.ts";
import type { ImageRecord } from "../store/schema.ts";
import type { HistoryEntry } from "../oci/types.ts";
import { pullImage, type PullEvent } from "../store/pull.ts";
import { saveArchive, type SaveItem } from "../store/archive.ts";
import { loadArchive } from "../store/load.ts";
import { flag, boolFlag, parseArgs, UsageError, type FlagSpec } from "./argv.ts";
import { ellipsis, humanSizeWithPrecision, table, timeAgo } from "./format.ts";
import { familiarDigestRef, familiarTag, namedTag, qualifiedTagName, resolveImage, splitTagName, tryParseReference } from "./images.ts";
import type { Lab } from "./lab.ts";
import { ProgressDisplay } from "./progress.ts";
import type { CliIO } from "./types.ts";

/** An error Docker reports as coming from the daemon ("Error response from daemon: …"). */
export class DaemonError extends Error {
  override name = "DaemonError";
}

export interface DockerCommand {
  name: string;
  aliases?: string[];
  usage: string;
  summary: string;
  flags: FlagSpec[];
  /** Exact argument count bounds, as cobra validates them. */
  minArgs?: number;
  maxArgs?: number;
  /** Flags end at the first argument (`docker create IMAGE CMD -x`: -x belongs to CMD). */
  stopAtFirstArg?: boolean;
  run(lab: Lab, args: string[], p: ReturnType<typeof parseArgs>, io: CliIO): Promise<number>;
}

function requireImage(img: ImageRecord | undefined, ref: string): ImageRecord {
  if (!img) throw new DaemonError(`No such image: ${ref}`);
  return img;
}

function repoTagsOf(tags: string[]): string[] {
  return tags.map(familiarTag).sort();
}

const pull: DockerCommand = {
  name: "pull",
  usage: "docker pull [OPTIONS] NAME[:TAG|@DIGEST]",
  summary: "Download an image from a registry",
  flags: [
    { name: "platform", value: true },
    { name: "quiet", short: "q" },
    { name: "all-tags", short: "a" },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(lab, [name], p, io) {
    const ref = parseReference(name!);
    const quiet = boolFlag(p, "quiet");
    const platformFlag = flag(p, "platform");
    const platform = platformFlag ? parsePlatform(platformFlag) : lab.pullPlatforms;
    if (boolFlag(p, "all-tags")) throw new UsageError("--all-tags is not supported by the lab");
    const out = (s: string) => {
      if (!quiet) io.stdout(s);
    };
    if (!ref.tag && !ref.digest) out("Using default tag: latest\n");
    const tag = ref.digest ? undefined : (ref.tag ?? "latest");
    const display = new ProgressDisplay(io, `Pulling ${name}`);
    let header = false;
    const onEvent = (e: PullEvent) => {
      if (quiet) return;
      if (e.kind === "resolved" || (e.kind === "done" && !header)) {
        if (!header) io.stdout(`${ref.digest ?? tag}: Pulling from ${ref.repository}\n`);
        header = true;
      }
      if (e.kind === "layer") display.update({ id: e.id, status: e.status, current: e.current, total: e.total });
    };
    const tagName = tag ? qualifiedTagName({ ...ref, tag }) : undefined;
    const before = tagName ? await lab.store.getTag(tagName) : undefined;
    let digest: Digest | undefined;
    let upToDate = false;
    await pullImage(lab.store, lab.registry, { registry: ref.registry, repository: ref.repository, tag, digest: ref.digest, tagName }, {
      platform,
      signal: io.signal,
      sinkFactory: lab.layerSinkFactory(),
      onEvent: (e) => {
        onEvent(e);
        if (e.kind === "done") {
          digest = e.digest;
          upToDate = e.upToDate && before?.imageId === e.image.id;
        }
      },
    }).finally(() => display.end());
    const familiar = ref.digest ? familiarDigestRef(`${ref.registry}/${ref.repository}@${ref.digest}`) : familiarTag(tagName!);
    out(`Digest: ${digest}\n`);
    out(upToDate ? `Status: Image is up to date for ${familiar}\n` : `Status: Downloaded newer image for ${familiar}\n`);
    io.stdout(`${ref.digest ? `${ref.registry}/${ref.repository}@${ref.digest}` : tagName}\n`);
    return 0;
  },
};

interface ImageRow {
  image: ImageRecord;
  repo: string;
  tag: string;
}

const images: DockerCommand = {
  name: "images",
  usage: "docker images [OPTIONS] [REPOSITORY[:TAG]]",
  summary: "List images",
  flags: [
    { name: "all", short: "a" },
    { name: "quiet", short: "q" },
    { name: "no-trunc" },
    { name: "digests" },
  ],
  maxArgs: 1,
  async run(lab, args, p, io) {
    const all = await lab.store.listImages();
    const tags = await lab.store.listTags();
    const rows: ImageRow[] = [];
    const filter = args[0];
    for (const image of all) {
      const its = tags.filter((t) => t.imageId === image.id);
      if (its.length === 0) {
        if (!filter) rows.push({ image, repo: "<none>", tag: "<none>" });
        continue;
      }
      for (const t of its) {
        const { name, tag } = splitTagName(familiarTag(t.name));
        if (filter && !(filter === name || filter === `${name}:${tag}`)) continue;
        rows.push({ image, repo: name, tag });
      }
    }
    rows.sort((a, b) => Date.parse(b.image.config.created ?? "0") - Date.parse(a.image.config.created ?? "0") || a.repo.localeCompare(b.repo));
    const noTrunc = boolFlag(p, "no-trunc");
    const id = (img: ImageRecord) => (noTrunc ? img.id : shortId(img.id));
    if (boolFlag(p, "quiet")) {
      io.stdout([...new Set(rows.map((r) => id(r.image)))].map((l) => `${l}\n`).join(""));
      return 0;
    }
    const digests = boolFlag(p, "digests");
    const header = digests ? ["REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"] : ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"];
    const body = rows.map((r) => {
      const cells = [r.repo, r.tag, id(r.image), timeAgo(r.image.config.created), humanSizeWithPrecision(r.image.size, 3)];
      if (digests) {
        const rd = r.image.repoDigests.map(familiarDigestRef).find((d) => d.startsWith(`${r.repo}@`));
        cells.splice(2, 0, rd ? rd.slice(rd.indexOf("@") + 1) : "<none>");
      }
      return cells;
    });
    io.stdout(table([header, ...body]));
    return 0;
  },
};

/** The image as `docker image inspect` shows it (the daemon's types.ImageInspect). */
export async function inspectImage(lab: Lab, image: ImageRecord): Promise<Record<string, unknown>> {
  const tags = await lab.store.tagsOf(image.id);
  const c = image.config;
  const cc = c.config ?? {};
  const config = {
    Hostname: "",
    Domainname: "",
    User: cc.User ?? "",
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ...(cc.ExposedPorts ? { ExposedPorts: cc.ExposedPorts } : {}),
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: cc.Env ?? null,
    Cmd: cc.Cmd ?? null,
    ...(cc.ArgsEscaped ? { ArgsEscaped: true } : {}),
    Image: "",
    Volumes: cc.Volumes ?? null,
    WorkingDir: cc.WorkingDir ?? "",
    Entrypoint: cc.Entrypoint ?? null,
    OnBuild: null,
    Labels: cc.Labels ?? null,
    ...(cc.StopSignal ? { StopSignal: cc.StopSignal } : {}),
  };
  return {
    Id: image.id,
    RepoTags: repoTagsOf(tags.map((t) => t.name)),
    RepoDigests: image.repoDigests.map(familiarDigestRef),
    Parent: image.parent ?? "",
    Comment: (c.comment as string | undefined) ?? c.history?.at(-1)?.comment ?? "",
    Created: c.created ?? "0001-01-01T00:00:00Z",
    DockerVersion: (c.docker_version as string | undefined) ?? "",
    Author: c.author ?? "",
    Config: config,
    Architecture: c.architecture,
    ...(c.variant ? { Variant: c.variant } : {}),
    Os: c.os,
    ...(c["os.version"] ? { OsVersion: c["os.version"] } : {}),
    Size: image.size,
    GraphDriver: { Data: null, Name: "layerlab" },
    RootFS: { Type: "layers", Layers: image.diffIds },
    Metadata: { LastTagTime: tags.length ? new Date(Math.max(...tags.map((t) => t.updatedAt))).toISOString() : "0001-01-01T00:00:00Z" },
  };
}

const imageInspect: DockerCommand = {
  name: "image inspect",
  aliases: ["inspect"],
  usage: "docker image inspect [OPTIONS] IMAGE [IMAGE...]",
  summary: "Display detailed information on one or more images",
  flags: [{ name: "format", short: "f", value: true }],
  minArgs: 1,
  async run(lab, args, p, io) {
    const out: unknown[] = [];
    let missing = false;
    for (const a of args) {
      const img = await resolveImage(lab.store, a);
      if (!img) {
        // `docker inspect` also answers for containers.
        const c = await lab.containers.find(a).catch(() => undefined);
        if (c) {
          const { inspectContainer } = await import("./containers.ts");
          out.push(await inspectContainer(lab, c));
          continue;
        }
        io.stderr(`Error: No such image: ${a}\n`);
        missing = true;
        continue;
      }
      out.push(await inspectImage(lab, img));
    }
    const format = flag(p, "format");
    if (format) {
      for (const o of out) io.stdout(`${renderFormat(format, o)}\n`);
    } else if (out.length || !missing) io.stdout(`${JSON.stringify(out, null, 4)}\n`);
    return missing ? 1 : 0;
  },
};

/** A small subset of Go templates: `{{.Field.Sub}}` and `{{json .Field}}`. */
function renderFormat(format: string, data: unknown): string {
  return format.replace(/\{\{\s*(json\s+)?\.([\w.]*)\s*\}\}/g, (_m, json: string | undefined, path: string) => {
    let v: unknown = data;
    for (const part of path.split(".").filter(Boolean)) v = (v as Record<string, unknown> | undefined)?.[part];
    if (json) return JSON.stringify(v);
    if (Array.isArray(v)) return `[${v.join(" ")}]`;
    if (v && typeof v === "object") return `map[${Object.entries(v).map(([k, x]) => `${k}:${String(x)}`).join(" ")}]`;
    return v === undefined || v === null ? "<no value>" : String(v);
  });
}

/** An image's history, newest first, each entry with the size of the layer it made (0 if none). */
export async function imageHistory(lab: Lab, image: ImageRecord): Promise<{ h: HistoryEntry; size: number; layer?: number }[]> {
  const entries: HistoryEntry[] = image.config.history ?? image.diffIds.map(() => ({}));
  // Sizes come from the layers, in order, for the entries that made one.
  const sizes = await Promise.all(image.chainIds.map(async (c) => (await lab.store.getLayer(c))?.size ?? 0));
  let layer = 0;
  return entries
    .map((h) => (h.empty_layer ? { h, size: 0 } : { h, size: sizes[layer] ?? 0, layer: layer++ }))
    .reverse();
}

const history: DockerCommand = {
  name: "history",
  aliases: ["image history"],
  usage: "docker history [OPTIONS] IMAGE",
  summary: "Show the history of an image",
  flags: [
    { name: "no-trunc" },
    { name: "quiet", short: "q" },
    { name: "human", short: "H", value: true },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(lab, [ref], p, io) {
    const image = requireImage(await resolveImage(lab.store, ref!), ref!);
    const noTrunc = boolFlag(p, "no-trunc");
    const human = flag(p, "human") !== "false";
    const rows = await imageHistory(lab, image);
    if (boolFlag(p, "quiet")) {
      io.stdout(rows.map((_, i) => `${i === 0 ? (noTrunc ? image.id : shortId(image.id)) : "<missing>"}\n`).join(""));
      return 0;
    }
    const body = rows.map(({ h, size }, i) => {
      const createdBy = (h.created_by ?? "").replace(/\t/g, " ");
      return [
        i === 0 ? (noTrunc ? image.id : shortId(image.id)) : "<missing>",
        human ? timeAgo(h.created) : (h.created ?? ""),
        noTrunc ? createdBy : ellipsis(createdBy.replace(/\n/g, " "), 45),
        human ? humanSizeWithPrecision(size, 3) : String(size),
        noTrunc ? (h.comment ?? "") : ellipsis(h.comment ?? "", 45),
      ];
    });
    io.stdout(table([["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"], ...body]));
    return 0;
  },
};

const tag: DockerCommand = {
  name: "tag",
  aliases: ["image tag"],
  usage: "docker tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
  summary: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
  flags: [],
  minArgs: 2,
  maxArgs: 2,
  async run(lab, [source, target], _p, _io) {
    const image = requireImage(await resolveImage(lab.store, source!), source!);
    const ref = parseReference(target!);
    if (ref.digest) throw new DaemonError(`refusing to create a tag with a digest reference`);
    await lab.store.setTag(qualifiedTagName(ref), image.id);
    return 0;
  },
};

const rmi: DockerCommand = {
  name: "rmi",
  aliases: ["image rm", "image remove"],
  usage: "docker rmi [OPTIONS] IMAGE [IMAGE...]",
  summary: "Remove one or more images",
  flags: [{ name: "force", short: "f" }, { name: "no-prune" }],
  minArgs: 1,
  async run(lab, args, p, io) {
    let status = 0;
    const force = boolFlag(p, "force");
    for (const a of args) {
      try {
        const image = await resolveImage(lab.store, a);
        if (!image) throw new DaemonError(`No such image: ${a}`);
        const tags = await lab.store.tagsOf(image.id);
        const named = namedTag(a);
        const byName = named ? tags.find((t) => t.name === named) : undefined;
        const users = await lab.containers.usingImage(image.id);
        const running = users.find((c) => c.state === "running");
        if (running && (!byName || tags.length === 1)) {
          throw new DaemonError(`conflict: unable to delete ${shortId(image.id)} (cannot be forced) - image is being used by running container ${running.id.slice(0, 12)}`);
        }
        if (users[0] && !force) {
          if (byName && tags.length === 1) {
            throw new DaemonError(`conflict: unable to remove repository reference "${a}" (must force) - container ${users[0].id.slice(0, 12)} is using its referenced image ${shortId(image.id)}`);
          }
          if (!byName) throw new DaemonError(`conflict: unable to delete ${shortId(image.id)} (must be forced) - image is being used by stopped container ${users[0].id.slice(0, 12)}`);
        }
        const result = byName
          ? await lab.store.untag(byName.name)
          : await (async () => {
              if (tags.length > 1 && !force) {
                throw new DaemonError(`conflict: unable to delete ${shortId(image.id)} (must be forced) - image is referenced in multiple repositories`);
              }
              return lab.store.deleteImage(image.id);
            })();
        for (const u of result.untagged) io.stdout(`Untagged: ${u.includes("@") ? familiarDigestRef(u) : familiarTag(u)}\n`);
        for (const d of result.deleted) io.stdout(`Deleted: ${d}\n`);
      } catch (e) {
        io.stderr(`Error response from daemon: ${(e as Error).message}\n`);
        status = 1;
      }
    }
    return status;
  },
};

const imagePrune: DockerCommand = {
  name: "image prune",
  usage: "docker image prune [OPTIONS]",
  summary: "Remove unused images",
  flags: [{ name: "all", short: "a" }, { name: "force", short: "f" }, { name: "filter", value: true, repeat: true }],
  maxArgs: 0,
  async run(lab, _args, p, io) {
    const all = boolFlag(p, "all");
    const deleted: string[] = [];
    let reclaimed = 0;
    const before = (await lab.store.content.list()).reduce((s, b) => s + b.size, 0);
    for (const image of await lab.store.listImages()) {
      const tags = await lab.store.tagsOf(image.id);
      if (tags.length > 0 && !all) continue;
      const r = await lab.store.deleteImage(image.id);
      for (const u of r.untagged) deleted.push(`untagged: ${u.includes("@") ? familiarDigestRef(u) : familiarTag(u)}`);
      for (const d of r.deleted) deleted.push(`deleted: ${d}`);
    }
    await lab.store.collectGarbage();
    reclaimed = before - (await lab.store.content.list()).reduce((s, b) => s + b.size, 0);
    if (deleted.length) io.stdout(`Deleted Images:\n${deleted.map((d) => `${d}\n`).join("")}\n`);
    io.stdout(`Total reclaimed space: ${humanSizeWithPrecision(reclaimed, 3)}\n`);
    return 0;
  },
};

const save: DockerCommand = {
  name: "save",
  aliases: ["image save"],
  usage: "docker save [OPTIONS] IMAGE [IMAGE...]",
  summary: "Save one or more images to a tar archive (Docker's format: OCI layout plus manifest.json)",
  flags: [{ name: "output", short: "o", value: true }],
  minArgs: 1,
  async run(lab, args, p, io) {
    const output = flag(p, "output");
    if (!output) throw new UsageError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    if (!io.download) throw new UsageError("this terminal cannot hand out files");
    const items: SaveItem[] = [];
    for (const a of args) {
      const image = requireImage(await resolveImage(lab.store, a), a);
      const tagged = namedTag(a);
      // By name: that tag; by ID: every tag of the image (as Docker does).
      const qualified = tagged ? [tagged] : (await lab.store.tagsOf(image.id)).map((t) => t.name);
      items.push({ image, qualifiedTags: qualified, repoTags: qualified.map(familiarTag) });
    }
    await io.download(output.split("/").pop() || "images.tar", saveArchive(lab.store, items));
    return 0;
  },
};

const load: DockerCommand = {
  name: "load",
  aliases: ["image load"],
  usage: "docker load [OPTIONS]",
  summary: "Load an image from a tar archive (opens a file picker; -i names the file you expect)",
  flags: [{ name: "input", short: "i", value: true }, { name: "quiet", short: "q" }],
  maxArgs: 0,
  async run(lab, _args, p, io) {
    if (!io.upload) throw new UsageError("requested load from stdin, but stdin is empty");
    const file = await io.upload(".tar,application/x-tar");
    if (!file) throw new DaemonError("no file chosen");
    const loaded = await loadArchive(lab.store, file.data, (t) => {
      const ref = tryParseReference(t);
      return ref && !ref.digest ? qualifiedTagName(ref) : undefined;
    });
    for (const l of loaded) {
      if (l.tags.length === 0) io.stdout(`Loaded image ID: ${l.image.id}\n`);
      for (const t of l.tags) io.stdout(`Loaded image: ${familiarTag(t)}\n`);
    }
    return 0;
  },
};

/** Credentials are held in memory for the session (--remember: also on this device); they go only to that registry and its token realm. */
const login: DockerCommand = {
  name: "login",
  usage: "docker login [OPTIONS] [SERVER]",
  summary: "Log in to a registry",
  flags: [
    { name: "username", short: "u", value: true },
    { name: "password", short: "p", value: true },
    { name: "remember" },
  ],
  maxArgs: 1,
  async run(lab, args, p, io) {
    const server = normalizeServer(args[0]);
    const username = flag(p, "username");
    const password = flag(p, "password");
    if (!username || password === undefined) throw new UsageError("the lab's terminal cannot prompt: use docker login -u USER -p PASSWORD [SERVER]");
    io.stderr("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
    const remember = boolFlag(p, "remember");
    const previous = lab.credentials.get(server);
    const wasRemembered = lab.credentials.isRemembered(server);
    await lab.credentials.set(server, { username, password }, false);
    lab.registry.resetAuth?.();
    try {
      await lab.registry.ping(server);
    } catch (e) {
      if (previous) await lab.credentials.set(server, previous, wasRemembered);
      else await lab.credentials.delete(server);
      lab.registry.resetAuth?.();
      throw e;
    }
    if (remember) {
      await lab.credentials.set(server, { username, password }, true);
      io.stderr(`Your password is remembered on this device: stored unencrypted in this browser's IndexedDB until docker logout ${server}.\n`);
    } else {
      io.stderr("Your password is kept in this tab's memory only (docker login --remember keeps it on this device).\n");
    }
    io.stdout("Login Succeeded\n");
    return 0;
  },
};

const logout: DockerCommand = {
  name: "logout",
  usage: "docker logout [SERVER]",
  summary: "Log out from a registry",
  flags: [],
  maxArgs: 1,
  async run(lab, args, _p, io) {
    const server = normalizeServer(args[0]);
    if (!(await lab.credentials.delete(server))) io.stdout(`Not logged in to ${server}\n`);
    else io.stdout(`Removing login credentials for ${server}\n`);
    lab.registry.resetAuth?.();
    return 0;
  },
};

/** "https://index.docker.io/v1/", "docker.io", none → "docker.io"; other servers keep host[:port]. */
function normalizeServer(s: string | undefined): string {
  if (!s) return "docker.io";
  const host = s.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  return host === "index.docker.io" || host === "registry-1.docker.io" ? "docker.io" : host;
}

export const dockerCommands: DockerCommand[] = [pull, images, imageInspect, history, tag, rmi, imagePrune, save, load, login, logout];

/** Registers more commands (containers.ts adds its own without a circular import). */
export function registerCommands(more: DockerCommand[]): void {
  for (const c of more) if (!dockerCommands.includes(c)) dockerCommands.push(c);
}

export { digestHex, formatPlatform };
