/**
 * just-bash's filesystem interface (IFileSystem) over our HostFiles, plus a synthesized /dev:
 * /dev/null, and the terminal as files — /dev/tty (its stdout) and /dev/.tty-stderr — which is how
 * the host shell streams output to the terminal while a line runs (see tty-rewrite.ts).
 */
import type { FsStat, IFileSystem } from "just-bash/browser";
import { absolutePath, HostFileError, type HostFiles, type HostStat } from "../terminal/host-files.ts";
import { bytesToLatin1, latin1ToBytes } from "./latin1.ts";

type Encoding = "utf8" | "utf-8" | "ascii" | "binary" | "base64" | "hex" | "latin1";
type EncodingOption = Encoding | { encoding?: Encoding | null } | undefined | null;

/** Where the terminal devices write; replaced for each line the shell runs. */
export interface TerminalSink {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const TTY_STDOUT = "/dev/tty";
export const TTY_STDERR = "/dev/.tty-stderr";
const DEVICES = new Map<string, "null" | "stdout" | "stderr">([
  ["/dev/null", "null"],
  [TTY_STDOUT, "stdout"],
  [TTY_STDERR, "stderr"],
]);

function encodingOf(opt: EncodingOption): Encoding | undefined {
  if (!opt) return undefined;
  return typeof opt === "string" ? opt : (opt.encoding ?? undefined);
}


function toBytes(content: string | Uint8Array, enc: Encoding | undefined): Uint8Array {
  if (content instanceof Uint8Array) return content;
  if (enc === "binary" || enc === "latin1") return latin1ToBytes(content);
  if (enc === "base64") return Uint8Array.from(atob(content), (c) => c.charCodeAt(0));
  if (enc === "hex") return Uint8Array.from(content.match(/../g) ?? [], (h) => parseInt(h, 16));
  return new TextEncoder().encode(content);
}

function fromBytes(bytes: Uint8Array, enc: Encoding | undefined): string {
  if (enc === "binary" || enc === "latin1") return bytesToLatin1(bytes);
  if (enc === "base64") return btoa(bytesToLatin1(bytes));
  if (enc === "hex") return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return new TextDecoder().decode(bytes);
}

/**
 * The host commands' internal names (tty-rewrite.ts: `__tty_io__docker`, `__layerlab_help`) are
 * never files: just-bash looks each up in PATH's directories before its own commands, three
 * IndexedDB reads a command line (measured), answered here without asking the store.
 */
const PATH_DIRS = new Set(["/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"]);
function internalCommandPath(p: string): boolean {
  const slash = p.lastIndexOf("/");
  const name = p.slice(slash + 1);
  return (name.startsWith("__tty_") || name.startsWith("__layerlab_")) && PATH_DIRS.has(p.slice(0, slash));
}

function fsStat(s: HostStat): FsStat {
  return { isFile: s.type === "file", isDirectory: s.type === "directory", isSymbolicLink: s.type === "symlink", mode: s.mode, size: s.size, mtime: s.mtime };
}

const DEVICE_STAT: FsStat = { isFile: true, isDirectory: false, isSymbolicLink: false, mode: 0o666, size: 0, mtime: new Date(0) };
const DEV_DIR_STAT: FsStat = { isFile: false, isDirectory: true, isSymbolicLink: false, mode: 0o755, size: 0, mtime: new Date(0) };

export class BashFileSystem implements IFileSystem {
  /** The terminal of the line being run; output written to /dev/tty without one is dropped. */
  sink: TerminalSink | undefined;

  constructor(readonly files: HostFiles) {}

  private device(path: string): "null" | "stdout" | "stderr" | "dir" | undefined {
    const p = absolutePath("/", path);
    return p === "/dev" ? "dir" : DEVICES.get(p);
  }

  private writeDevice(kind: "null" | "stdout" | "stderr", content: string | Uint8Array, enc: Encoding | undefined): void {
    if (kind === "null" || content.length === 0 || !this.sink) return;
    // Byte-shaped output (latin1 strings, Uint8Array) is UTF-8 for the terminal.
    const text = typeof content === "string" && enc !== "binary" && enc !== "latin1" ? content : new TextDecoder().decode(toBytes(content, enc));
    this.sink[kind](text);
  }

  async readFile(path: string, options?: EncodingOption): Promise<string> {
    return fromBytes(await this.readFileBuffer(path), encodingOf(options));
  }

  async readFileBuffer(path: string): Promise<Uint8Array> {
    const dev = this.device(path);
    if (dev === "dir") throw new HostFileError("EISDIR", "read", path);
    if (dev) return new Uint8Array(0);
    return this.files.readFile(path);
  }

  async writeFile(path: string, content: string | Uint8Array, options?: EncodingOption): Promise<void> {
    const dev = this.device(path);
    if (dev === "dir") throw new HostFileError("EISDIR", "open", path);
    if (dev) return this.writeDevice(dev, content, encodingOf(options));
    await this.files.writeFile(path, toBytes(content, encodingOf(options)));
  }

  async appendFile(path: string, content: string | Uint8Array, options?: EncodingOption): Promise<void> {
    const dev = this.device(path);
    if (dev === "dir") throw new HostFileError("EISDIR", "open", path);
    if (dev) return this.writeDevice(dev, content, encodingOf(options));
    await this.files.writeFile(path, toBytes(content, encodingOf(options)), { append: true });
  }

  async exists(path: string): Promise<boolean> {
    if (this.device(path)) return true;
    if (internalCommandPath(absolutePath("/", path))) return false;
    try {
      await this.files.stat(path);
      return true;
    } catch {
      return false;
    }
  }

  async stat(path: string): Promise<FsStat> {
    const dev = this.device(path);
    if (dev) return dev === "dir" ? DEV_DIR_STAT : DEVICE_STAT;
    if (internalCommandPath(absolutePath("/", path))) throw new HostFileError("ENOENT", "stat", path);
    return fsStat(await this.files.stat(path));
  }

  async lstat(path: string): Promise<FsStat> {
    const dev = this.device(path);
    if (dev) return dev === "dir" ? DEV_DIR_STAT : DEVICE_STAT;
    if (internalCommandPath(absolutePath("/", path))) throw new HostFileError("ENOENT", "lstat", path);
    return fsStat(await this.files.lstat(path));
  }

  async mkdir(path: string, options?: { recursive?: boolean }): Promise<void> {
    if (this.device(path)) {
      if (options?.recursive) return;
      throw new HostFileError("EEXIST", "mkdir", path);
    }
    await this.files.mkdir(path, { recursive: options?.recursive ?? false });
  }

  async readdir(path: string): Promise<string[]> {
    return (await this.readdirWithFileTypes(path)).map((e) => e.name);
  }

  async readdirWithFileTypes(path: string): Promise<{ name: string; isFile: boolean; isDirectory: boolean; isSymbolicLink: boolean }[]> {
    if (this.device(path) === "dir") return ["null", "tty"].map((name) => ({ name, isFile: true, isDirectory: false, isSymbolicLink: false }));
    if (this.device(path)) throw new HostFileError("ENOTDIR", "scandir", path);
    const entries = await this.files.readdir(path);
    const list = entries.map((e) => ({ name: e.name, isFile: e.type === "file", isDirectory: e.type === "directory", isSymbolicLink: e.type === "symlink" }));
    if (absolutePath("/", path) === "/" && !entries.some((e) => e.name === "dev")) list.push({ name: "dev", isFile: false, isDirectory: true, isSymbolicLink: false });
    return list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void> {
    if (this.device(path)) throw new HostFileError("EPERM", "rm", path);
    await this.files.rm(path, { recursive: options?.recursive ?? false, force: options?.force ?? false });
  }

  async cp(src: string, dest: string, options?: { recursive?: boolean }): Promise<void> {
    const s = await this.files.lstat(src);
    if (s.type === "directory") {
      if (!options?.recursive) throw new HostFileError("EISDIR", "cp", src);
      const from = absolutePath("/", src);
      const to = absolutePath("/", dest);
      if (to === from || to.startsWith(`${from}/`)) throw new HostFileError("EINVAL", "cp", dest);
      await this.files.mkdir(dest, { recursive: true, mode: s.mode });
      for (const e of await this.files.readdir(src)) await this.cp(`${from}/${e.name}`, `${to}/${e.name}`, options);
    } else if (s.type === "symlink") {
      await this.files.symlink(await this.files.readlink(src), dest);
    } else {
      await this.files.writeFile(dest, await this.files.readFile(src), { mode: s.mode });
    }
  }

  async mv(src: string, dest: string): Promise<void> {
    await this.files.rename(src, dest);
  }

  resolvePath(base: string, path: string): string {
    return absolutePath(base, path);
  }

  /** Globs walk directories with readdir; nothing needs every path at once. */
  getAllPaths(): string[] {
    return [];
  }

  async chmod(path: string, mode: number): Promise<void> {
    await this.files.chmod(path, mode);
  }

  async symlink(target: string, linkPath: string): Promise<void> {
    await this.files.symlink(target, linkPath);
  }

  async link(existingPath: string, newPath: string): Promise<void> {
    await this.files.link(existingPath, newPath);
  }

  async readlink(path: string): Promise<string> {
    return this.files.readlink(path);
  }

  /** Every link in the path resolved, as realpath(3). */
  async realpath(path: string): Promise<string> {
    const parts = absolutePath("/", path).split("/").filter(Boolean);
    let resolved = "/";
    for (let i = 0, hops = 0; i < parts.length; i++) {
      const next = absolutePath(resolved, parts[i]!);
      if (this.device(next)) {
        resolved = next;
        continue;
      }
      const s = await this.files.lstat(next).catch(() => {
        throw new HostFileError("ENOENT", "realpath", path);
      });
      if (s.type !== "symlink") {
        resolved = next;
        continue;
      }
      if (++hops > 40) throw new HostFileError("ELOOP", "realpath", path);
      const target = await this.files.readlink(next);
      parts.splice(0, i + 1, ...absolutePath(resolved, target).split("/").filter(Boolean));
      resolved = "/";
      i = -1;
    }
    return resolved;
  }

  async utimes(path: string, _atime: Date, mtime: Date): Promise<void> {
    if (this.device(path)) return;
    await this.files.utimes(path, mtime);
  }
}
