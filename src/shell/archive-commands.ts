/**
 * `tar` and `gzip`/`gunzip`/`zcat` for the host shell. just-bash's browser build has no tar at all and
 * its gzip needs node:zlib, so these are ours: the lab's own tar reader and writer (src/layer) and
 * fflate's gzip, over HostFiles. `tar` takes c/x/t, z, v, f FILE (`-` for stdin/stdout), C DIR, bundled
 * as tutorials write them (`tar czf a.tgz dir`, `tar -xzvf a.tgz -C out`); x and t recognise gzip by
 * itself, as GNU tar does.
 */
import { gunzipSync, gzipSync } from "fflate";
import type { Command, ExecResult } from "just-bash/browser";
import { type TarEntry, TarStreamParser } from "../layer/tar.ts";
import { TarWriter } from "../layer/tar-writer.ts";
import { absolutePath, type HostFiles, type HostStat } from "../terminal/host-files.ts";
import { bytesToLatin1, latin1ToBytes } from "./latin1.ts";

type Context = Parameters<Command["execute"]>[1];


const stdinOf = (ctx: Context) => latin1ToBytes(ctx.stdin as unknown as string);
const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
const fail = (stderr: string, exitCode = 2): ExecResult => ({ stdout: "", stderr, exitCode });
const reason = (e: unknown) => ((e as { code?: string }).code === "ENOENT" ? "No such file or directory" : ((e as Error).message ?? String(e)));

function modeString(type: string, mode: number): string {
  const t = type === "dir" ? "d" : type === "symlink" ? "l" : type === "hardlink" ? "h" : "-";
  let s = t;
  for (let i = 8; i >= 0; i--) s += mode & (1 << i) ? "rwx"[(8 - i) % 3] : "-";
  return s;
}

function verboseLine(e: { type: string; mode: number; size: number; mtime: number; path: string; linkname?: string }): string {
  const d = new Date(e.mtime * 1000);
  const when = `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)}`;
  const name = e.type === "dir" ? `${e.path}/` : e.path;
  const link = e.type === "symlink" ? ` -> ${e.linkname}` : e.type === "hardlink" ? ` link to ${e.linkname}` : "";
  return `${modeString(e.type, e.mode)} root/root ${String(e.size).padStart(8)} ${when} ${name}${link}\n`;
}

interface TarOptions {
  op?: "c" | "x" | "t";
  gzip: boolean;
  verbose: boolean;
  file?: string;
  dir?: string;
  paths: string[];
}

/** GNU tar's argument forms: a bundled first word without a dash, -xzf, --file=, -C DIR. */
function parseTar(args: string[]): TarOptions | string {
  const o: TarOptions = { gzip: false, verbose: false, paths: [] };
  const words = [...args];
  if (words[0] && !words[0].startsWith("-") && /^[cxtzvfC]+$/.test(words[0])) words[0] = `-${words[0]}`;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const value = () => {
      const v = words[++i];
      if (v === undefined) throw new Error(`option requires an argument -- '${w}'`);
      return v;
    };
    if (w === "--") {
      o.paths.push(...words.slice(i + 1));
      break;
    }
    if (w.startsWith("--")) {
      const [name, inline] = w.slice(2).split(/=(.*)/s);
      const arg = () => inline ?? value();
      if (name === "create") o.op = "c";
      else if (name === "extract" || name === "get") o.op = "x";
      else if (name === "list") o.op = "t";
      else if (name === "gzip" || name === "gunzip" || name === "ungzip") o.gzip = true;
      else if (name === "verbose") o.verbose = true;
      else if (name === "file") o.file = arg();
      else if (name === "directory") o.dir = arg();
      else return `tar: unrecognized option '${w}'\n`;
      continue;
    }
    if (!w.startsWith("-") || w === "-") {
      o.paths.push(w);
      continue;
    }
    const letters = w.slice(1);
    for (let j = 0; j < letters.length; j++) {
      const c = letters[j]!;
      if (c === "c" || c === "x" || c === "t") o.op = c;
      else if (c === "z") o.gzip = true;
      else if (c === "v") o.verbose = true;
      else if (c === "f" || c === "C") {
        const rest = letters.slice(j + 1);
        const v = rest || value();
        if (c === "f") o.file = v;
        else o.dir = v;
        break;
      } else return `tar: invalid option -- '${c}'\n`;
    }
  }
  return o;
}

export function tarCommand(files: HostFiles): Command {
  return {
    name: "tar",
    async execute(args, ctx) {
      let o: TarOptions | string;
      try {
        o = parseTar(args);
      } catch (e) {
        return fail(`tar: ${(e as Error).message}\n`);
      }
      if (typeof o === "string") return fail(o);
      if (!o.op) return fail("tar: You must specify one of the '-ctx' options\n");
      const base = absolutePath(ctx.cwd, o.dir ?? ".");
      const toStdout = o.file === undefined || o.file === "-";
      try {
        if (o.op === "c") return await create(files, ctx, o, base, toStdout);
        const archive = toStdout ? stdinOf(ctx) : await files.readFile(absolutePath(ctx.cwd, o.file!));
        return await readArchive(files, o, base, isGzip(archive) ? gunzipSync(archive) : archive);
      } catch (e) {
        return fail(`tar: ${reason(e)}\n`);
      }
    },
  };
}

async function create(files: HostFiles, ctx: Context, o: TarOptions, base: string, toStdout: boolean): Promise<ExecResult> {
  if (o.paths.length === 0) return fail("tar: Cowardly refusing to create an empty archive\n");
  const writer = new TarWriter();
  const collected = new Response(writer.readable).arrayBuffer();
  let listing = "";
  let stderr = "";
  let exitCode = 0;
  const archivePath = toStdout ? undefined : absolutePath(ctx.cwd, o.file!);
  const add = (name: string, abs: string, s: HostStat) =>
    addTree(files, writer, name, abs, s, (entry, at, st) => {
      if (at === archivePath) return false; // `tar czf a.tgz .` does not pack itself
      if (o.verbose) listing += `${entry}${st.type === "directory" ? "/" : ""}\n`;
      return true;
    });
  for (const p of o.paths) {
    let name = p.replace(/\/+$/, "") || "/";
    if (name.startsWith("/")) {
      stderr ||= "tar: Removing leading `/' from member names\n";
      name = name.replace(/^\/+/, "") || ".";
    }
    const abs = absolutePath(base, p);
    try {
      await add(name, abs, await files.lstat(abs));
    } catch (e) {
      stderr += `tar: ${p}: Cannot stat: ${reason(e)}\n`;
      exitCode = 2;
    }
  }
  writer.close();
  let archive = new Uint8Array(await collected);
  if (o.gzip) archive = gzipSync(archive);
  if (exitCode) stderr += "tar: Exiting with failure status due to previous errors\n";
  if (toStdout) return { stdout: bytesToLatin1(archive), stderr: stderr + listing, exitCode, stdoutKind: "bytes" };
  await files.writeFile(archivePath!, archive);
  return { stdout: listing, stderr, exitCode };
}

async function readArchive(files: HostFiles, o: TarOptions, base: string, archive: Uint8Array): Promise<ExecResult> {
  const entries: { entry: TarEntry; chunks: Uint8Array[] }[] = [];
  const parser = new TarStreamParser(
    (entry) => void entries.push({ entry, chunks: [] }),
    (_entry, chunk) => void entries.at(-1)!.chunks.push(chunk.slice()),
  );
  parser.push(archive);
  const wanted = o.paths.map((p) => p.replace(/\/+$/, ""));
  const selected = entries.filter(({ entry }) => wanted.length === 0 || wanted.some((w) => entry.path === w || entry.path.startsWith(`${w}/`)));
  let stdout = "";
  for (const { entry, chunks } of selected) {
    if (o.op === "t") {
      stdout += o.verbose ? verboseLine(entry) : `${entry.path}${entry.type === "dir" ? "/" : ""}\n`;
      continue;
    }
    if (o.verbose) stdout += `${entry.path}${entry.type === "dir" ? "/" : ""}\n`;
    const dest = absolutePath(base, entry.path.replace(/^\/+/, ""));
    const parent = dest.slice(0, dest.lastIndexOf("/")) || "/";
    await files.mkdir(parent, { recursive: true });
    if (entry.type === "dir") {
      await files.mkdir(dest, { recursive: true });
      continue;
    }
    await files.rm(dest, { force: true });
    if (entry.type === "symlink") await files.symlink(entry.linkname ?? "", dest);
    else if (entry.type === "hardlink") await files.link(absolutePath(base, entry.linkname ?? ""), dest);
    else if (entry.type === "file") {
      let size = 0;
      for (const c of chunks) size += c.length;
      const data = new Uint8Array(size);
      let at = 0;
      for (const c of chunks) {
        data.set(c, at);
        at += c.length;
      }
      await files.writeFile(dest, data, { mode: entry.mode & 0o7777 });
      await files.utimes(dest, new Date(entry.mtime * 1000));
    }
  }
  const missing = wanted.filter((w) => !entries.some(({ entry }) => entry.path === w || entry.path.startsWith(`${w}/`)));
  const stderr = missing.map((m) => `tar: ${m}: Not found in archive\n`).join("");
  return { stdout, stderr: missing.length ? `${stderr}tar: Exiting with failure status due to previous errors\n` : "", exitCode: missing.length ? 2 : 0 };
}

/** gzip [-d] [-c] [-k] [-f] [-1…-9] [FILE…]; gunzip = gzip -d; zcat = gzip -dc. */
export function gzipCommand(files: HostFiles, name: "gzip" | "gunzip" | "zcat"): Command {
  return {
    name,
    async execute(args, ctx) {
      let decompress = name !== "gzip";
      let toStdout = name === "zcat";
      let keep = false;
      let level: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 = 6;
      const paths: string[] = [];
      for (const a of args) {
        if (a === "-" || !a.startsWith("-")) paths.push(a);
        else if (a === "--stdout" || a === "--to-stdout") toStdout = true;
        else if (a === "--decompress") decompress = true;
        else if (a === "--keep") keep = true;
        else if (a === "--force") continue;
        else if (!a.startsWith("--")) {
          for (const c of a.slice(1)) {
            if (c === "d") decompress = true;
            else if (c === "c") toStdout = true;
            else if (c === "k") keep = true;
            else if (c === "f" || c === "n" || c === "q") continue;
            else if (/[1-9]/.test(c)) level = Number(c) as typeof level;
            else return fail(`${name}: invalid option -- '${c}'\n`, 1);
          }
        } else return fail(`${name}: unrecognized option '${a}'\n`, 1);
      }
      const convert = (data: Uint8Array) => (decompress ? gunzipSync(data) : gzipSync(data, { level }));
      try {
        if (paths.length === 0 || (paths.length === 1 && paths[0] === "-")) return { stdout: bytesToLatin1(convert(stdinOf(ctx))), stderr: "", exitCode: 0, stdoutKind: "bytes" };
        let stdout = "";
        let stderr = "";
        let exitCode = 0;
        for (const p of paths) {
          const abs = absolutePath(ctx.cwd, p);
          try {
            if (decompress && !toStdout && !/\.(gz|tgz)$/.test(p)) throw new Error("unknown suffix -- ignored");
            const out = convert(await files.readFile(abs));
            if (toStdout) stdout += bytesToLatin1(out);
            else {
              const target = decompress ? abs.replace(/\.tgz$/, ".tar").replace(/\.gz$/, "") : `${abs}.gz`;
              await files.writeFile(target, out);
              if (!keep) await files.rm(abs);
            }
          } catch (e) {
            stderr += `${name}: ${p}: ${e instanceof Error && !("code" in e) ? e.message : reason(e)}\n`;
            exitCode = 1;
          }
        }
        return { stdout, stderr, exitCode, ...(toStdout ? { stdoutKind: "bytes" as const } : {}) };
      } catch (e) {
        return fail(`${name}: ${(e as Error).message}\n`, 1);
      }
    },
  };
}

/**
 * Writes `abs` (and, for a directory, everything below it) into `writer` as `name`; `visit` may skip
 * an entry (false) before it is written.
 */
async function addTree(files: HostFiles, writer: TarWriter, name: string, abs: string, s: HostStat, visit?: (name: string, abs: string, s: HostStat) => boolean): Promise<void> {
  if (visit && !visit(name, abs, s)) return;
  const mtime = Math.floor(s.mtime.getTime() / 1000);
  if (s.type === "directory") {
    await writer.add({ path: `${name}/`, type: "dir", mode: s.mode, mtime });
    for (const e of await files.readdir(abs)) {
      const child = `${abs}/${e.name}`.replace(/^\/\//, "/");
      await addTree(files, writer, name === "." ? e.name : `${name}/${e.name}`, child, await files.lstat(child), visit);
    }
  } else if (s.type === "symlink") {
    await writer.add({ path: name, type: "symlink", mode: s.mode, mtime, linkname: await files.readlink(abs) });
  } else {
    const data = await files.readFile(abs);
    await writer.add({ path: name, type: "file", mode: s.mode, mtime, size: data.length }, data);
  }
}

/** A host directory as a tar stream, its entries under `name/` (a folder's download). */
export function tarOfHostDir(files: HostFiles, dir: string, name: string): ReadableStream<Uint8Array> {
  const writer = new TarWriter();
  void (async () => {
    await addTree(files, writer, name, dir, await files.lstat(dir));
    writer.close();
  })().catch((e) => writer.error(e));
  return writer.readable;
}
