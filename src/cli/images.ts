/** The image commands: pull, images, inspect, history, tag, rmi, prune, save, load, push, login, logout — Docker's flags, formats and wording. */
import { shortId } from "../oci/digest.ts";
import { parseReference } from "../oci/reference.ts";
import type { Daemon } from "../daemon/daemon.ts";
import type { PullResult } from "../daemon/images.ts";
import { humanSizeWithPrecision, timeAgo } from "../daemon/units.ts";
import type { ImageRecord } from "../store/schema.ts";
import type { CliIO } from "../terminal/types.ts";
import { boolFlag, flag, FlagError, UsageError, type ParsedArgs } from "./argv.ts";
import { eachArg, type DockerCommand } from "./command.ts";
import { ellipsis, table } from "./format.ts";
import { bytesOf, hostInput } from "./host-io.ts";
import { ProgressDisplay } from "./progress.ts";
import { dockerInspect, dockerRow, goTyped, HISTORY_HEADERS, IMAGE_HEADERS, parseDockerFormat, ROW_TYPES, TemplateError, GoStruct } from "./template.ts";

/** Go's time.Time String() of a moment in whole seconds, in UTC (the lab's clock zone): `2026-01-01 00:00:00 +0000 UTC`. */
export function goTimeString(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  return `${d.toISOString().slice(0, 19).replace("T", " ")} +0000 UTC`;
}

/** Go's time.Unix(s, 0).Format(time.RFC3339) in UTC: `2026-01-01T00:00:00Z`. */
export function goRFC3339(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** Milliseconds of an ISO time (0 when missing or unreadable, as Docker's zero `Created`). */
/** `docker history`'s CREATED: the API gives whole seconds (time.Unix(created, 0)). */
function secondsAgo(iso: string | undefined): string {
  const t = isoMs(iso);
  return t ? timeAgo(new Date(Math.floor(t / 1000) * 1000).toISOString()) : timeAgo(iso);
}

export function isoMs(iso: string | undefined): number {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/**
 * A list command's `--format` as docker/cli's formatter.Context.Write does it: every row executed first
 * (an error prints nothing but `template parsing error: …`, status 1), then the rows, or for `table`
 * the header and rows through the tabwriter.
 */
export function writeListFormat(io: CliIO, format: string, rows: readonly GoStruct[], headers: Readonly<Record<string, string>>): number {
  let out: string;
  try {
    out = parseDockerFormat(format).render(rows, headers);
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    io.stderr(`template parsing error: ${e.message}\n`);
    return 1;
  }
  io.stdout(out);
  return 0;
}

/** Errors a pull reported after its layers began to stream (docker/cli's jsonmessage prints them without "Error response from daemon"). */
const streamed = new WeakSet<Error>();

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
  let streaming = false;
  const result = await daemon.images
    .pull(name, {
      platform: opts.platform,
      signal: io.signal,
      onEvent: (e) => {
        if (e.kind === "resolved") streaming = true;
        if (opts.quiet) return;
        if (!header && (e.kind === "resolved" || e.kind === "done")) {
          io.stdout(`${ref.digest ?? ref.tag ?? "latest"}: Pulling from ${ref.repository}\n`);
          header = true;
        }
        if (e.kind === "layer") display.update({ id: e.id, status: e.status, current: e.current, total: e.total });
      },
    })
    .catch((e: unknown) => {
      // Once layers stream, a failure arrives in the JSON message stream and the CLI prints it bare.
      if (streaming && e instanceof Error) streamed.add(e);
      throw e;
    })
    .finally(() => display.end());
  out(`Digest: ${result.digest}\n`);
  out(result.upToDate ? `Status: Image is up to date for ${result.familiar}\n` : `Status: Downloaded newer image for ${result.familiar}\n`);
  return result;
}

/** `--filter` values as docker/cli's opts.FilterOpt collects them: name → values; Docker's errors for a bad one. */
export function parseFilters(p: ParsedArgs, valid: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of p.flags.get("filter") ?? []) {
    const i = f.indexOf("=");
    if (i <= 0) throw new FlagError(`invalid argument "${f}" for "-f, --filter" flag: bad format of filter (expected name=value)`);
    const name = f.slice(0, i).trim().toLowerCase();
    out.set(name, [...(out.get(name) ?? []), f.slice(i + 1)]);
  }
  for (const name of out.keys()) if (!valid.includes(name)) throw new DaemonFilterError(`Invalid filter '${name}'`);
  return out;
}

/** A filter the daemon refused: describeError prints it after "Error response from daemon: ". */
export class DaemonFilterError extends Error {}

/** The daemon's invalidFilter for a bad value: `Invalid filter 'dangling=[maybe]'`. */
export function invalidFilterValue(name: string, values: readonly string[]): DaemonFilterError {
  return new DaemonFilterError(`Invalid filter '${name}=[${values.join(" ")}]'`);
}

/** filters.Args.MatchKVList: every `label=KEY` / `label=KEY=VALUE` holds for these labels. */
export function labelsMatch(wanted: readonly string[] | undefined, labels: Readonly<Record<string, string>> | null | undefined): boolean {
  if (!wanted) return true;
  return wanted.every((w) => {
    const i = w.indexOf("=");
    const key = i < 0 ? w : w.slice(0, i);
    if (!labels || !Object.prototype.hasOwnProperty.call(labels, key)) return false;
    return i < 0 || labels[key] === w.slice(i + 1);
  });
}

/** Go's path.Match as a RegExp (`*` and `?` stop at `/`, `[...]` classes, `\\` escapes); undefined for a bad pattern. */
export function goPathMatch(pattern: string): RegExp | undefined {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "\\") {
      if (++i >= pattern.length) return undefined;
      re += pattern[i]!.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) return undefined;
      let body = pattern.slice(i + 1, end);
      const neg = body.startsWith("^");
      if (neg) body = body.slice(1);
      re += `[${neg ? "^" : ""}${body.replace(/[\]\\^]/g, "\\$&")}]`;
      i = end;
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  try {
    return new RegExp(`^${re}$`);
  } catch {
    return undefined;
  }
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
    let result: PullResult;
    try {
      result = await showPull(daemon, name!, io, { platform: flag(p, "platform"), quiet: boolFlag(p, "quiet") });
    } catch (e) {
      if (!(e instanceof Error) || !streamed.has(e)) throw e;
      io.stderr(`${e.message}\n`);
      return 1;
    }
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
    { name: "format", value: true },
    { name: "filter", short: "f", value: true, repeat: true },
  ],
  maxArgs: 1,
  async run(daemon, args, p, io) {
    const filter = args[0];
    // The daemon's image list filters (daemon/images/images.go, Docker 20.10).
    const filters = parseFilters(p, ["dangling", "label", "before", "since", "reference"]);
    const dangling = filters.get("dangling");
    let danglingOnly: boolean | undefined;
    if (dangling) {
      if (dangling.every((v) => v.toLowerCase() === "true" || v === "1")) danglingOnly = true;
      else if (dangling.every((v) => v.toLowerCase() === "false" || v === "0")) danglingOnly = false;
      else throw invalidFilterValue("dangling", dangling);
    }
    const created = (img: ImageRecord) => isoMs(img.config.created);
    const bound = async (name: string) => {
      const v = filters.get(name);
      if (!v) return undefined;
      let t: number | undefined;
      for (const ref of v) t = created(await daemon.images.require(ref));
      return t;
    };
    const before = await bound("before");
    const since = await bound("since");
    const refPatterns = filters.get("reference")?.map((pat) => {
      const re = goPathMatch(pat);
      if (!re) throw new DaemonFilterError("syntax error in pattern");
      return re;
    });
    const refMatches = (repository: string, tag: string) => !refPatterns || refPatterns.some((re) => re.test(`${repository}:${tag}`) || re.test(repository));
    const rows: { image: ImageRecord; repo: string; tag: string; repoDigests: string[] }[] = [];
    const summaries = await daemon.images.list();
    // daemon/images/images.go: an untagged image that is another's parent (a build's intermediate
    // image) is listed only with -a.
    const parents = new Set(summaries.flatMap((x) => (x.image.parent ? [x.image.parent] : [])));
    const all = boolFlag(p, "all");
    for (const s of summaries) {
      if (s.repoTags.length === 0 && s.repoDigests.length === 0 && !all && parents.has(s.image.id)) continue;
      if (before !== undefined && !(created(s.image) < before)) continue;
      if (since !== undefined && !(created(s.image) > since)) continue;
      if (!labelsMatch(filters.get("label"), s.image.config.config?.Labels)) continue;
      if (s.repoTags.length === 0) {
        if (!filter && danglingOnly !== false && !refPatterns) rows.push({ image: s.image, repo: "<none>", tag: "<none>", repoDigests: s.repoDigests });
        continue;
      }
      if (danglingOnly) continue;
      for (const { repository, tag } of s.repoTags) {
        if (filter && !(filter === repository || filter === `${repository}:${tag}`)) continue;
        if (!refMatches(repository, tag)) continue;
        rows.push({ image: s.image, repo: repository, tag, repoDigests: s.repoDigests });
      }
    }
    rows.sort((a, b) => Date.parse(b.image.config.created ?? "0") - Date.parse(a.image.config.created ?? "0") || a.repo.localeCompare(b.repo));
    const noTrunc = boolFlag(p, "no-trunc");
    const id = (img: ImageRecord) => (noTrunc ? img.id : shortId(img.id));
    // docker/cli's NewImageFormat: a format of its own wins over -q and --digests; a bare `table` is the default.
    let format = flag(p, "format");
    // formatter.NewImageFormat's `raw`: one "key: value" block per image.
    if (format === "raw") {
      const digestLine = boolFlag(p, "digests") ? "digest: {{.Digest}}\n" : "";
      format = boolFlag(p, "quiet") ? "image_id: {{.ID}}" : `repository: {{ .Repository }}\ntag: {{.Tag}}\n${digestLine}image_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n`;
    }
    if (format !== undefined && format !== "table") {
      // The CLI shows repo digests when asked (--digests) or when the format names {{.Digest}}.
      const withDigests = boolFlag(p, "digests") || format.includes("{{.Digest}}");
      const fmt = format.startsWith("table") && boolFlag(p, "digests") && !format.includes("{{.Digest}}") ? `${format}\t{{.Digest}}` : format;
      const data = rows.map((r) => {
        const rd = withDigests ? r.repoDigests.find((d) => d.startsWith(`${r.repo}@`)) : undefined;
        const size = humanSizeWithPrecision(r.image.size, 3);
        return dockerRow(ROW_TYPES.image, {
          Containers: "N/A",
          CreatedAt: goTimeString(isoMs(r.image.config.created)),
          CreatedSince: timeAgo(r.image.config.created),
          Digest: rd ? rd.slice(rd.indexOf("@") + 1) : "<none>",
          ID: id(r.image),
          Repository: r.repo,
          SharedSize: "N/A",
          Size: size,
          Tag: r.tag,
          UniqueSize: "N/A",
          VirtualSize: size,
        });
      });
      return writeListFormat(io, fmt, data, IMAGE_HEADERS);
    }
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

/** `docker container inspect`'s JSON as Go values (types.ContainerJSON). */
export function typedContainer(raw: Record<string, unknown>): unknown {
  return goTyped(raw, "types.ContainerJSON");
}

/** An inspected object as Docker's inspect formatter takes it, or the error its lookup gave. */
type InspectItem = { typed: unknown; raw: unknown } | { error: string };

/**
 * `--format` output of the inspect commands (cli/command/inspect): each element's text, "\n" alone
 * when nothing was printed, then the errors in argument order on stderr (status 1). The template is
 * parsed first: a parse error is all Docker prints, status 64.
 */
function writeInspect(io: CliIO, format: string, items: readonly InspectItem[]): number {
  let output = "";
  const errors: string[] = [];
  for (const it of items) {
    if ("error" in it) {
      errors.push(it.error);
      continue;
    }
    const r = dockerInspect(format, [it]);
    if (r.errors.length) errors.push(...r.errors);
    else output += r.output;
  }
  io.stdout(output || "\n");
  if (errors.length) io.stderr(`${errors.join("\n")}\n`);
  return errors.length ? 1 : 0;
}

/** Docker parses an inspect `--format` before it looks anything up: a parse error's message and 64, or undefined. */
function inspectParseError(io: CliIO, format: string | undefined): number | undefined {
  if (format === undefined || format === "") return undefined;
  const r = dockerInspect(format, []);
  if (r.status !== 64) return undefined;
  io.stderr(`${r.errors.join("\n")}\n`);
  return 64;
}

/**
 * An inspect command: the format checked first, each argument looked up (`lookup` gives its item or
 * its error), then the `--format` output or the JSON array. `jsonWhenNoneFound`: print `[]` even when
 * every lookup failed (`docker container inspect` does; `docker image inspect` prints only the errors).
 */
export async function runInspect(io: CliIO, format: string | undefined, args: string[], lookup: (arg: string) => Promise<InspectItem>, jsonWhenNoneFound: boolean): Promise<number> {
  const bad = inspectParseError(io, format);
  if (bad !== undefined) return bad;
  const items: InspectItem[] = [];
  for (const a of args) items.push(await lookup(a));
  if (format) return writeInspect(io, format, items);
  const found = items.flatMap((i) => ("error" in i ? [] : [i.raw]));
  if (found.length || jsonWhenNoneFound || items.length === 0) io.stdout(`${JSON.stringify(found, null, 4)}\n`);
  for (const i of items) if ("error" in i) io.stderr(`${i.error}\n`);
  return found.length === items.length ? 0 : 1;
}

/** An image's inspect item, or undefined. */
async function imageItem(daemon: Daemon, a: string): Promise<InspectItem | undefined> {
  const img = await daemon.images.resolve(a);
  if (!img) return undefined;
  const raw = await daemon.images.inspect(img);
  return { typed: goTyped(raw, "types.ImageInspect"), raw };
}

/** A container's inspect item, or undefined. */
async function containerItem(daemon: Daemon, a: string): Promise<InspectItem | undefined> {
  const c = await daemon.containers.find(a);
  if (!c) return undefined;
  const raw = await daemon.containers.inspect(c);
  return { typed: typedContainer(raw), raw };
}

const INSPECT_FLAGS = [{ name: "format", short: "f", value: true }];

const imageInspect: DockerCommand = {
  name: "image inspect",
  usage: "docker image inspect [OPTIONS] IMAGE [IMAGE...]",
  summary: "Display detailed information on one or more images",
  flags: INSPECT_FLAGS,
  minArgs: 1,
  run(daemon, args, p, io) {
    return runInspect(io, flag(p, "format"), args, async (a) => (await imageItem(daemon, a)) ?? { error: `Error: No such image: ${a}` }, true);
  },
};

/** `docker inspect`: any object, a container first (cli/command/system/inspect.go), or only those of `--type`. */
const inspect: DockerCommand = {
  name: "inspect",
  usage: "docker inspect [OPTIONS] NAME|ID [NAME|ID...]",
  summary: "Return low-level information on Docker objects",
  flags: [...INSPECT_FLAGS, { name: "type", value: true }, { name: "size", short: "s" }],
  minArgs: 1,
  run(daemon, args, p, io) {
    const type = flag(p, "type");
    if (type !== undefined && type !== "container" && type !== "image") {
      io.stderr(`"${type}" is not a valid value for --type\n`);
      return Promise.resolve(1);
    }
    return runInspect(io, flag(p, "format"), args, async (a) => {
      const found = (type !== "image" ? await containerItem(daemon, a) : undefined) ?? (type !== "container" ? await imageItem(daemon, a) : undefined);
      if (found) return found;
      return { error: type ? `Error: No such ${type}: ${a}` : `Error: No such object: ${a}` };
    }, true);
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
    { name: "format", value: true },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(daemon, [ref], p, io) {
    const image = await daemon.images.require(ref!);
    const noTrunc = boolFlag(p, "no-trunc");
    const human = flag(p, "human") !== "false";
    const rows = await daemon.images.history(image);
    const id = (i: number) => {
      const d = rows[i]?.id;
      return d ? (noTrunc ? d : shortId(d)) : "<missing>";
    };
    // cli/command/image NewHistoryFormat: a format of its own wins over -q; a bare `table` is the default.
    const format = flag(p, "format");
    if (format !== undefined && format !== "table") {
      const data = rows.map(({ h, size }, i) => {
        const createdBy = (h.created_by ?? "").replace(/\t/g, " ");
        const createdAt = goRFC3339(isoMs(h.created));
        return dockerRow(ROW_TYPES.history, {
          Comment: h.comment ?? "",
          CreatedAt: createdAt,
          CreatedBy: noTrunc ? createdBy : ellipsis(createdBy, 45),
          CreatedSince: human ? secondsAgo(h.created) : createdAt,
          ID: id(i),
          Size: human ? humanSizeWithPrecision(size, 3) : String(size),
        });
      });
      return writeListFormat(io, format, data, HISTORY_HEADERS);
    }
    if (boolFlag(p, "quiet")) {
      io.stdout(rows.map((_, i) => `${id(i)}\n`).join(""));
      return 0;
    }
    const body = rows.map(({ h, size }, i) => {
      const createdBy = (h.created_by ?? "").replace(/\t/g, " ");
      return [
        id(i),
        human ? secondsAgo(h.created) : goRFC3339(isoMs(h.created)),
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
  async run(daemon, args, p, io) {
    // The API client words a 404 itself ("Error: No such image: X", as typed); the daemon's other refusals follow.
    const missing: string[] = [];
    for (const a of args) if (!(await daemon.images.resolve(a))) missing.push(a);
    const status = await eachArg(args.filter((a) => !missing.includes(a)), io, async (a) => {
      const result = await daemon.images.remove(a, { force: boolFlag(p, "force") });
      for (const u of result.untagged) io.stdout(`Untagged: ${u}\n`);
      for (const d of result.deleted) io.stdout(`Deleted: ${d}\n`);
    });
    for (const a of missing) io.stderr(`Error: No such image: ${a}\n`);
    return missing.length ? 1 : status;
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

export const IMAGE_COMMANDS: readonly DockerCommand[] = [pull, images, imageInspect, inspect, history, tag, rmi, imagePrune, save, load, push, login, logout];
