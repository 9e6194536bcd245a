/**
 * `docker build [OPTIONS] PATH`, as Docker 20.10's client does it with the classic builder: the
 * context directory is sent as a tar (names sorted as Go's filepath.Walk meets them, owner 0:0,
 * .dockerignore applied with Docker's pattern rules, the Dockerfile and .dockerignore always sent),
 * its size printed first (`Sending build context to Docker daemon  2.048kB`), then the daemon's
 * build output; a failed step's message goes to stderr and its code is the exit status.
 */
import type { Daemon } from "../daemon/daemon.ts";
import { humanSize } from "../daemon/units.ts";
import { TarWriter } from "../layer/tar-writer.ts";
import type { CliIO, HostFileAccess } from "../terminal/types.ts";
import { boolFlag, flag, UsageError } from "./argv.ts";
import type { DockerCommand } from "./command.ts";
import { bytesOf } from "./host-io.ts";

/** One .dockerignore pattern (moby/patternmatcher): a regular expression, and whether it is an exception (`!`). */
interface IgnorePattern {
  re: RegExp;
  exclusion: boolean;
}

/** Reads .dockerignore as Docker does: comments and blank lines skipped, each pattern cleaned. */
export function parseDockerignore(text: string): IgnorePattern[] {
  const out: IgnorePattern[] = [];
  for (let line of text.split("\n")) {
    line = line.replace(/\r$/, "");
    if (line.startsWith("#")) continue;
    line = line.trim();
    if (!line) continue;
    let exclusion = false;
    if (line.startsWith("!")) {
      exclusion = true;
      line = line.slice(1).trim();
    }
    const clean = cleanPattern(line);
    if (!clean) continue;
    out.push({ re: patternRegExp(clean), exclusion });
  }
  return out;
}

function cleanPattern(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") parts.pop();
    else parts.push(seg);
  }
  return parts.join("/");
}

/** patternmatcher's regexp: `**` any directories, `*` and `?` within one name, `[…]` classes, `\\` escapes. */
function patternRegExp(p: string): RegExp {
  let re = "^";
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === "*") {
      if (p[i + 1] === "*") {
        i++;
        if (p[i + 1] === "/") i++;
        if (i + 1 >= p.length) re += ".*";
        else re += "(.*/)?";
        continue;
      }
      re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = p.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        re += `[${p.slice(i + 1, end)}]`;
        i = end;
      }
    } else if (c === "\\" && i + 1 < p.length) re += `\\${p[++i]}`;
    else re += c.replace(/[.+^${}()|]/g, "\\$&");
  }
  return new RegExp(`${re}$`);
}

/** Whether the context path is left out: the last pattern that matches it or one of its parents decides. */
export function ignored(patterns: readonly IgnorePattern[], path: string): boolean {
  let matched = false;
  const parents: string[] = [];
  const segs = path.split("/");
  for (let i = 1; i < segs.length; i++) parents.push(segs.slice(0, i).join("/"));
  for (const p of patterns) {
    if (p.exclusion === matched && (p.re.test(path) || parents.some((d) => p.re.test(d)))) matched = !p.exclusion;
  }
  return matched;
}

/** The context directory as the client sends it: a tar of what .dockerignore lets through. */
async function contextTar(files: HostFileAccess, dir: string, keep: ReadonlySet<string>): Promise<Uint8Array> {
  let patterns: IgnorePattern[] = [];
  try {
    patterns = parseDockerignore(new TextDecoder().decode(await files.readFile(`${dir}/.dockerignore`)));
  } catch {
    // no .dockerignore
  }
  const writer = new TarWriter();
  const done = bytesOf(writer.readable);
  const walk = async (rel: string): Promise<void> => {
    const names = (await files.readdir(rel ? `${dir}/${rel}` : dir)).map((e) => e.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const skip = ignored(patterns, path) && !keep.has(path);
      const st = await files.lstat(`${dir}/${path}`);
      const mtime = Math.floor(st.mtime.getTime() / 1000);
      if (st.type === "directory") {
        if (!skip) await writer.add({ path: `${path}/`, type: "dir", mode: st.mode, uid: 0, gid: 0, mtime });
        // An excluded directory may still hold an exception.
        if (!skip || patterns.some((p) => p.exclusion)) await walk(path);
      } else if (!skip) {
        if (st.type === "symlink") await writer.add({ path, type: "symlink", mode: st.mode, uid: 0, gid: 0, mtime, linkname: await files.readlink(`${dir}/${path}`) });
        else {
          const data = await files.readFile(`${dir}/${path}`);
          await writer.add({ path, type: "file", mode: st.mode, uid: 0, gid: 0, mtime, size: data.length }, data);
        }
      }
    }
  };
  await walk("");
  writer.close();
  return done;
}

const BUILD_FLAGS: DockerCommand["flags"] = [
    { name: "tag", short: "t", value: true, repeat: true },
    { name: "file", short: "f", value: true },
    { name: "build-arg", value: true, repeat: true },
    { name: "no-cache" },
    { name: "quiet", short: "q" },
    { name: "rm" },
    { name: "force-rm" },
    { name: "pull" },
    { name: "network", value: true },
    { name: "target", value: true },
    { name: "label", value: true, repeat: true },
    { name: "platform", value: true },
    { name: "progress", value: true },
];

/** Docker 20.10's CLI: BuildKit when DOCKER_BUILDKIT says so (1/true), the classic builder otherwise. */
function wantsBuildKit(io: CliIO): boolean {
  const v = io.env?.DOCKER_BUILDKIT?.toLowerCase();
  return v === "1" || v === "true";
}

export const build: DockerCommand = {
  name: "build",
  aliases: ["image build", "builder build"],
  usage: "docker build [OPTIONS] PATH | URL | -",
  summary: "Build an image from a Dockerfile",
  flags: BUILD_FLAGS,
  minArgs: 1,
  maxArgs: 1,
  run: (daemon, [path], p, io) => runBuild(daemon, path!, p, io, wantsBuildKit(io)),
};

/** `docker buildx build`: always BuildKit. */
export const buildxBuild: DockerCommand = {
  name: "buildx build",
  aliases: ["buildx b"],
  usage: "docker buildx build [OPTIONS] PATH | URL | -",
  summary: "Start a build",
  flags: BUILD_FLAGS,
  minArgs: 1,
  maxArgs: 1,
  run: (daemon, [path], p, io) => runBuild(daemon, path!, p, io, true),
};

async function runBuild(daemon: Daemon, path: string, p: Parameters<DockerCommand["run"]>[2], io: CliIO, kit: boolean): Promise<number> {
  {
    if (!io.files) throw new UsageError("docker build needs the host's files (run it in the lab's shell)");
    const files = io.files;
    const dir = files.resolve(path!);
    try {
      if ((await files.stat(dir)).type !== "directory") throw new Error();
    } catch {
      io.stderr(`unable to prepare context: path "${path}" not found\n`);
      return 1;
    }
    const dockerfileArg = flag(p, "file");
    const dockerfilePath = dockerfileArg ? files.resolve(dockerfileArg) : `${dir}/Dockerfile`;
    let dockerfile: Uint8Array;
    try {
      dockerfile = await files.readFile(dockerfilePath);
    } catch {
      io.stderr(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${dockerfilePath}: no such file or directory\n`);
      return 1;
    }
    const inContext = dockerfilePath.startsWith(`${dir}/`) ? dockerfilePath.slice(dir.length + 1) : undefined;
    const tar = await contextTar(files, dir, new Set([".dockerignore", ...(inContext ? [inContext] : [])]));
    const progress = flag(p, "progress");
    if (progress !== undefined && !["auto", "plain", "tty"].includes(progress)) {
      io.stderr(`invalid progress mode ${progress}\n`);
      return 1;
    }
    let dockerignoreSize = 2;
    try {
      dockerignoreSize = (await files.readFile(`${dir}/.dockerignore`)).length;
    } catch {
      // None: BuildKit still transfers an empty list.
    }
    if (!boolFlag(p, "quiet") && !kit) io.stdout(`Sending build context to Docker daemon ${humanSize(tar.length).padStart(8)}\r\r\n`); // jsonmessage: %8v
    const buildArgs = new Map<string, string>();
    for (const a of p.flags.get("build-arg") ?? []) {
      const i = a.indexOf("=");
      if (i < 0) {
        const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[a];
        if (env !== undefined) buildArgs.set(a, env);
      } else buildArgs.set(a.slice(0, i), a.slice(i + 1));
    }
    const tags = p.flags.get("tag") ?? [];
    const r = await daemon.build({
      context: tar,
      dockerfile: new TextDecoder().decode(dockerfile),
      tags,
      buildArgs,
      noCache: boolFlag(p, "no-cache"),
      ...(flag(p, "network") !== undefined ? { network: flag(p, "network") } : {}),
      ...(flag(p, "target") !== undefined ? { target: flag(p, "target") } : {}),
      quiet: boolFlag(p, "quiet"),
      out: (s) => io.stdout(s),
      err: (s) => io.stderr(`\x1b[91m${s}\x1b[0m`),
      ...(io.signal ? { signal: io.signal } : {}),
      ...(kit ? { builder: "buildkit" as const, progress: (s: string) => io.stderr(s), dockerignoreSize } : {}),
    });
    if (r.error) {
      // Ctrl-C: the CLI is gone before the daemon answers; the shell reports 130.
      if (io.signal?.aborted) return 130;
      io.stderr(`${r.error}\n`);
      return r.status;
    }
    return 0;
  }
}
