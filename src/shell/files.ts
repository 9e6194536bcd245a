/** `MemoryFiles`: the host's files in memory (tests; the page keeps its home directory in IndexedDB). */
import { absolutePath, HostFileError, type HostDirEntry, type HostFiles, type HostStat } from "../terminal/host-files.ts";
import { concatBytes } from "../oci/bytes.ts";

function parentPath(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function baseOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

type Node =
  | { type: "file"; mode: number; mtime: Date; data: Uint8Array }
  | { type: "directory"; mode: number; mtime: Date; children: Map<string, Node> }
  | { type: "symlink"; mode: number; mtime: Date; target: string };

const MAX_LINKS = 40;

/** Files in memory: a tree of nodes (hard links share a node). */
export class MemoryFiles implements HostFiles {
  private readonly root: Node = { type: "directory", mode: 0o755, mtime: new Date(), children: new Map() };

  /** Walks to `path`; `follow` resolves a link in the last component too. */
  private lookup(path: string, syscall: string, follow: boolean, depth = 0): { node: Node; path: string } {
    const parts = absolutePath("/", path).split("/").filter(Boolean);
    let node: Node = this.root;
    let at = "";
    for (let i = 0; i < parts.length; i++) {
      if (node.type !== "directory") throw new HostFileError("ENOTDIR", syscall, path);
      const next = node.children.get(parts[i]!);
      if (!next) throw new HostFileError("ENOENT", syscall, path);
      const last = i === parts.length - 1;
      if (next.type === "symlink" && (!last || follow)) {
        if (depth >= MAX_LINKS) throw new HostFileError("ELOOP", syscall, path);
        const target = absolutePath(at || "/", next.target);
        const rest = parts.slice(i + 1).join("/");
        return this.lookup(rest ? `${target}/${rest}` : target, syscall, follow, depth + 1);
      }
      node = next;
      at = `${at}/${parts[i]}`;
    }
    return { node, path: at || "/" };
  }

  /** The directory that holds `path` (links in it resolved) and the entry's name. */
  private parentDir(path: string, syscall: string): { dir: Extract<Node, { type: "directory" }>; name: string } {
    const abs = absolutePath("/", path);
    if (abs === "/") throw new HostFileError("EINVAL", syscall, path);
    const { node } = this.lookup(parentPath(abs), syscall, true);
    if (node.type !== "directory") throw new HostFileError("ENOTDIR", syscall, path);
    return { dir: node, name: baseOf(abs) };
  }

  private statOf(node: Node): HostStat {
    const size = node.type === "file" ? node.data.length : node.type === "symlink" ? node.target.length : 0;
    return { type: node.type, mode: node.mode, size, mtime: node.mtime };
  }

  async stat(path: string): Promise<HostStat> {
    return this.statOf(this.lookup(path, "stat", true).node);
  }

  async lstat(path: string): Promise<HostStat> {
    return this.statOf(this.lookup(path, "lstat", false).node);
  }

  async readFile(path: string): Promise<Uint8Array> {
    const { node } = this.lookup(path, "open", true);
    if (node.type === "directory") throw new HostFileError("EISDIR", "read", path);
    if (node.type !== "file") throw new HostFileError("EINVAL", "read", path);
    return node.data.slice();
  }

  async writeFile(path: string, data: Uint8Array, opts: { append?: boolean; mode?: number } = {}): Promise<void> {
    let existing: Node | undefined;
    try {
      existing = this.lookup(path, "open", true).node;
    } catch (e) {
      if (!(e instanceof HostFileError) || e.code !== "ENOENT") throw e;
    }
    if (existing) {
      if (existing.type === "directory") throw new HostFileError("EISDIR", "open", path);
      if (existing.type !== "file") throw new HostFileError("EINVAL", "open", path);
      existing.data = opts.append ? concatBytes([existing.data, data]) : data.slice();
      existing.mtime = new Date();
      return;
    }
    // A dangling link: create its target, as open(O_CREAT) does.
    let target = path;
    try {
      const l = this.lookup(path, "open", false).node;
      if (l.type === "symlink") target = absolutePath(parentPath(absolutePath("/", path)), l.target);
    } catch {
      // no entry at all
    }
    const { dir, name } = this.parentDir(target, "open");
    dir.children.set(name, { type: "file", mode: opts.mode ?? 0o644, mtime: new Date(), data: data.slice() });
    dir.mtime = new Date();
  }

  async readdir(path: string): Promise<HostDirEntry[]> {
    const { node } = this.lookup(path, "scandir", true);
    if (node.type !== "directory") throw new HostFileError("ENOTDIR", "scandir", path);
    return [...node.children].map(([name, n]) => ({ name, type: n.type })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async mkdir(path: string, opts: { recursive?: boolean; mode?: number } = {}): Promise<void> {
    const abs = absolutePath("/", path);
    if (opts.recursive) {
      let at = "";
      for (const part of abs.split("/").filter(Boolean)) {
        at = `${at}/${part}`;
        let node: Node | undefined;
        try {
          node = this.lookup(at, "mkdir", true).node;
        } catch (e) {
          if (!(e instanceof HostFileError) || e.code !== "ENOENT") throw e;
        }
        if (node && node.type !== "directory") throw new HostFileError("ENOTDIR", "mkdir", path);
        if (!node) this.parentDir(at, "mkdir").dir.children.set(part, { type: "directory", mode: opts.mode ?? 0o755, mtime: new Date(), children: new Map() });
      }
      return;
    }
    const { dir, name } = this.parentDir(abs, "mkdir");
    if (dir.children.has(name)) throw new HostFileError("EEXIST", "mkdir", path);
    dir.children.set(name, { type: "directory", mode: opts.mode ?? 0o755, mtime: new Date(), children: new Map() });
    dir.mtime = new Date();
  }

  async rm(path: string, opts: { recursive?: boolean; force?: boolean } = {}): Promise<void> {
    let parent: ReturnType<MemoryFiles["parentDir"]>;
    try {
      parent = this.parentDir(path, "rm");
    } catch (e) {
      if (opts.force && e instanceof HostFileError && e.code === "ENOENT") return;
      throw e;
    }
    const node = parent.dir.children.get(parent.name);
    if (!node) {
      if (opts.force) return;
      throw new HostFileError("ENOENT", "rm", path);
    }
    if (node.type === "directory" && node.children.size > 0 && !opts.recursive) throw new HostFileError("ENOTEMPTY", "rm", path);
    parent.dir.children.delete(parent.name);
    parent.dir.mtime = new Date();
  }

  async rename(from: string, to: string): Promise<void> {
    const src = this.parentDir(from, "rename");
    const node = src.dir.children.get(src.name);
    if (!node) throw new HostFileError("ENOENT", "rename", from);
    const absFrom = absolutePath("/", from);
    const absTo = absolutePath("/", to);
    if (absTo === absFrom) return;
    if (absTo.startsWith(`${absFrom}/`)) throw new HostFileError("EINVAL", "rename", to);
    const dst = this.parentDir(to, "rename");
    const there = dst.dir.children.get(dst.name);
    if (there?.type === "directory" && (node.type !== "directory" || there.children.size > 0)) throw new HostFileError(node.type === "directory" ? "ENOTEMPTY" : "EISDIR", "rename", to);
    if (there && there.type !== "directory" && node.type === "directory") throw new HostFileError("ENOTDIR", "rename", to);
    src.dir.children.delete(src.name);
    dst.dir.children.set(dst.name, node);
    src.dir.mtime = dst.dir.mtime = new Date();
  }

  async symlink(target: string, path: string): Promise<void> {
    const { dir, name } = this.parentDir(path, "symlink");
    if (dir.children.has(name)) throw new HostFileError("EEXIST", "symlink", path);
    dir.children.set(name, { type: "symlink", mode: 0o777, mtime: new Date(), target });
  }

  async readlink(path: string): Promise<string> {
    const { node } = this.lookup(path, "readlink", false);
    if (node.type !== "symlink") throw new HostFileError("EINVAL", "readlink", path);
    return node.target;
  }

  async link(existing: string, path: string): Promise<void> {
    const { node } = this.lookup(existing, "link", false);
    if (node.type === "directory") throw new HostFileError("EPERM", "link", existing);
    const { dir, name } = this.parentDir(path, "link");
    if (dir.children.has(name)) throw new HostFileError("EEXIST", "link", path);
    dir.children.set(name, node);
  }

  async chmod(path: string, mode: number): Promise<void> {
    this.lookup(path, "chmod", true).node.mode = mode & 0o7777;
  }

  async utimes(path: string, mtime: Date): Promise<void> {
    this.lookup(path, "utime", true).node.mtime = mtime;
  }
}
