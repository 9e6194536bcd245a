/** The image commands: pull, images, inspect, history, tag, rmi, prune, save, load, push, login, logout — Docker's flags, formats and wording. */
import { shortId } from "../oci/digest.ts";
import { parseReference } from "../oci/reference.ts";
import type { Daemon } from "../daemon/daemon.ts";
import type { PullResult } from "../daemon/images.ts";
import { humanSizeWithPrecision, timeAgo } from "../daemon/units.ts";
import type { ImageRecord } from "../store/schema.ts";
import type { CliIO } from "../terminal/types.ts";
import { boolFlag, flag, UsageError } from "./argv.ts";
import { eachArg, type DockerCommand } from "./command.ts";
import { ellipsis, table } from "./format.ts";
import { bytesOf, hostInput } from "./host-io.ts";
import { ProgressDisplay } from "./progress.ts";

/**
 * Pulls as `docker pull` shows it: the tag line, a progress line per layer, the digest and status.
 * `docker run`'s implicit pull shows the same, minus the reference `docker pull` prints last.
 */
export async function showPull(daemon: Daemon, name: string, io: CliIO, opts: { platform?: string; quiet?: boolean } = {}): Promise<PullResult> {
  const ref = parseReference(name);
  const out = (s: string) => {
    if (!opts.quiet) io.stdout(s);
  };
  if (!ref.tag && !ref.digest) out("Using default tag: latest\n");
  const display = new ProgressDisplay(io, `Pulling ${name}`);
  let header = false;
  const result = await daemon.images
    .pull(name, {
      platform: opts.platform,
      signal: io.signal,
      onEvent: (e) => {
        if (opts.quiet) return;
        if (!header && (e.kind === "resolved" || e.kind === "done")) {
          io.stdout(`${ref.digest ?? ref.tag ?? "latest"}: Pulling from ${ref.repository}\n`);
          header = true;
        }
        if (e.kind === "layer") display.update({ id: e.id, status: e.status, current: e.current, total: e.total });
      },
    })
    .finally(() => display.end());
  out(`Digest: ${result.digest}\n`);
  out(result.upToDate ? `Status: Image is up to date for ${result.familiar}\n` : `Status: Downloaded newer image for ${result.familiar}\n`);
  return result;
}

const pull: DockerCommand = {
  name: "pull",
  aliases: ["image pull"],
  usage: "docker pull [OPTIONS] NAME[:TAG|@DIGEST]",
  summary: "Download an image from a registry",
  flags: [
    { name: "platform", value: true },
    { name: "quiet", short: "q" },
    { name: "all-tags", short: "a" },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(daemon, [name], p, io) {
    if (boolFlag(p, "all-tags")) throw new UsageError("--all-tags is not supported by the lab");
    const result = await showPull(daemon, name!, io, { platform: flag(p, "platform"), quiet: boolFlag(p, "quiet") });
    io.stdout(`${result.qualified}\n`);
    return 0;
  },
};

const images: DockerCommand = {
  name: "images",
  aliases: ["image ls", "image list"],
  usage: "docker images [OPTIONS] [REPOSITORY[:TAG]]",
  summary: "List images",
  flags: [
    { name: "all", short: "a" },
    { name: "quiet", short: "q" },
    { name: "no-trunc" },
    { name: "digests" },
  ],
  maxArgs: 1,
  async run(daemon, args, p, io) {
    const filter = args[0];
    const rows: { image: ImageRecord; repo: string; tag: string; repoDigests: string[] }[] = [];
    for (const s of await daemon.images.list()) {
      if (s.repoTags.length === 0) {
        if (!filter) rows.push({ image: s.image, repo: "<none>", tag: "<none>", repoDigests: s.repoDigests });
        continue;
      }
      for (const { repository, tag } of s.repoTags) {
        if (filter && !(filter === repository || filter === `${repository}:${tag}`)) continue;
        rows.push({ image: s.image, repo: repository, tag, repoDigests: s.repoDigests });
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
        const rd = r.repoDigests.find((d) => d.startsWith(`${r.repo}@`));
        cells.splice(2, 0, rd ? rd.slice(rd.indexOf("@") + 1) : "<none>");
      }
      return cells;
    });
    io.stdout(table([header, ...body]));
    return 0;
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

const imageInspect: DockerCommand = {
  name: "image inspect",
  aliases: ["inspect"],
  usage: "docker image inspect [OPTIONS] IMAGE [IMAGE...]",
  summary: "Display detailed information on one or more images",
  flags: [{ name: "format", short: "f", value: true }],
  minArgs: 1,
  async run(daemon, args, p, io) {
    const out: unknown[] = [];
    let missing = false;
    for (const a of args) {
      const img = await daemon.images.resolve(a);
      if (img) {
        out.push(await daemon.images.inspect(img));
        continue;
      }
      // `docker inspect` also answers for containers.
      const c = await daemon.containers.maybe(a);
      if (c) {
        out.push(await daemon.containers.inspect(c));
        continue;
      }
      io.stderr(`Error: No such image: ${a}\n`);
      missing = true;
    }
    const format = flag(p, "format");
    if (format) {
      for (const o of out) io.stdout(`${renderFormat(format, o)}\n`);
    } else if (out.length || !missing) io.stdout(`${JSON.stringify(out, null, 4)}\n`);
    return missing ? 1 : 0;
  },
};

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
  async run(daemon, [ref], p, io) {
    const image = await daemon.images.require(ref!);
    const noTrunc = boolFlag(p, "no-trunc");
    const human = flag(p, "human") !== "false";
    const rows = await daemon.images.history(image);
    const id = (i: number) => (i === 0 ? (noTrunc ? image.id : shortId(image.id)) : "<missing>");
    if (boolFlag(p, "quiet")) {
      io.stdout(rows.map((_, i) => `${id(i)}\n`).join(""));
      return 0;
    }
    const body = rows.map(({ h, size }, i) => {
      const createdBy = (h.created_by ?? "").replace(/\t/g, " ");
      return [
        id(i),
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
  async run(daemon, [source, target]) {
    await daemon.images.tag(source!, target!);
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
  run(daemon, args, p, io) {
    return eachArg(args, io, async (a) => {
      const result = await daemon.images.remove(a, { force: boolFlag(p, "force") });
      for (const u of result.untagged) io.stdout(`Untagged: ${u}\n`);
      for (const d of result.deleted) io.stdout(`Deleted: ${d}\n`);
    });
  },
};

const imagePrune: DockerCommand = {
  name: "image prune",
  usage: "docker image prune [OPTIONS]",
  summary: "Remove unused images",
  flags: [{ name: "all", short: "a" }, { name: "force", short: "f" }, { name: "filter", value: true, repeat: true }],
  maxArgs: 0,
  async run(daemon, _args, p, io) {
    const { results, reclaimed } = await daemon.images.prune({ all: boolFlag(p, "all") });
    const lines = results.flatMap((r) => [...r.untagged.map((u) => `untagged: ${u}`), ...r.deleted.map((d) => `deleted: ${d}`)]);
    if (lines.length) io.stdout(`Deleted Images:\n${lines.map((d) => `${d}\n`).join("")}\n`);
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
  async run(daemon, args, p, io) {
    const output = flag(p, "output");
    if (!output && !(io.pipe && io.writeRaw)) throw new UsageError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    // Into the host's file (or a download where there is no host), or to the pipe or file stdout is.
    if (output && io.files) await io.files.writeFile(output, await bytesOf(await daemon.images.save(args)));
    else if (output) {
      if (!io.download) throw new UsageError("this terminal cannot hand out files");
      await io.download(output.split("/").pop() || "images.tar", await daemon.images.save(args));
    } else io.writeRaw!(await bytesOf(await daemon.images.save(args)));
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
  async run(daemon, _args, p, io) {
    const archive = await hostInput(io, flag(p, "input"), ".tar,application/x-tar", "requested load from stdin, but stdin is empty");
    for (const l of await daemon.images.load(archive)) {
      if (l.tags.length === 0) io.stdout(`Loaded image ID: ${l.image.id}\n`);
      for (const t of l.tags) io.stdout(`Loaded image: ${t}\n`);
    }
    return 0;
  },
};

const push: DockerCommand = {
  name: "push",
  aliases: ["image push"],
  usage: "docker push [OPTIONS] NAME[:TAG]",
  summary: "Upload an image to a registry",
  flags: [{ name: "quiet", short: "q" }, { name: "all-tags", short: "a" }],
  minArgs: 1,
  maxArgs: 1,
  async run(daemon, [name], p, io) {
    const ref = parseReference(name!);
    const quiet = boolFlag(p, "quiet");
    const allTags = boolFlag(p, "all-tags");
    if (!quiet && !allTags && !ref.tag && !ref.digest) io.stdout("Using default tag: latest\n");
    const label = `Pushing ${ref.registry}/${ref.repository}${allTags ? "" : `:${ref.tag ?? "latest"}`}`;
    let display: ProgressDisplay | undefined;
    try {
      const pushed = await daemon.images.push(name!, {
        allTags,
        signal: io.signal,
        onEvent: (e) => {
          if (quiet) return;
          if (e.kind === "layer") (display ??= new ProgressDisplay(io, label)).update({ id: e.id, status: e.status, current: e.current, total: e.total });
          else if (e.kind === "note") io.stderr(`${e.text}\n`);
          else {
            display?.end();
            display = undefined;
            io.stdout(`${e.text}\n`);
          }
        },
      });
      if (quiet) for (const t of pushed) io.stdout(`${ref.registry}/${ref.repository}:${t.tag}\n`);
    } finally {
      display?.end();
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
  async run(daemon, args, p, io) {
    const username = flag(p, "username");
    const password = flag(p, "password");
    if (!username || password === undefined) throw new UsageError("the lab's terminal cannot prompt: use docker login -u USER -p PASSWORD [SERVER]");
    io.stderr("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
    const remember = boolFlag(p, "remember");
    const server = await daemon.login(args[0], username, password, remember);
    if (remember) io.stderr(`Your password is remembered on this device: stored unencrypted in this browser's IndexedDB until docker logout ${server}.\n`);
    else io.stderr("Your password is kept in this tab's memory only (docker login --remember keeps it on this device).\n");
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
  async run(daemon, args, _p, io) {
    const { server, was } = await daemon.logout(args[0]);
    io.stdout(was ? `Removing login credentials for ${server}\n` : `Not logged in to ${server}\n`);
    return 0;
  },
};

export const IMAGE_COMMANDS: readonly DockerCommand[] = [pull, images, imageInspect, history, tag, rmi, imagePrune, save, load, push, login, logout];
