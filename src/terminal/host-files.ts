/**
 * The host's files, as the host shell, the page's workspace and the docker commands see them: one
 * interface of ours, so the shell language library stays swappable. Implementations: MemoryFiles
 * (src/shell/files.ts) and IdbHostFiles (src/shell/idb-files.ts, the page's home directory).
 *
 * Paths given to a `HostFiles` are absolute ("/home/lab/Dockerfile"); callers resolve relative paths
 * against their working directory first (`absolutePath`). Symbolic links are followed everywhere but
 * in `lstat`, `readlink`, `rm` and `rename` (of the link itself), as POSIX does.
 */
import { cleanPath } from "../unionfs/path.ts";

export type HostFileType = "file" | "directory" | "symlink";

export interface HostStat {
  type: HostFileType;
  /** Permission bits (0o755), without the file type. */
  mode: number;
  /** Bytes of a file, the target's length for a link, 0 for a directory. */
  size: number;
  mtime: Date;
}

export interface HostDirEntry {
  name: string;
  type: HostFileType;
}

/** A failed file operation, with its errno name (ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, EINVAL, ENOSPC, …). */
export class HostFileError extends Error {
  override name = "HostFileError";
  constructor(
    readonly code: string,
    readonly syscall: string,
    readonly path: string,
  ) {
    // Node's wording: the shell library recognises errors by it ("ENOENT: no such file or directory, open '/x'").
    super(`${code}: ${DESCRIPTIONS[code] ?? "error"}, ${syscall} '${path}'`);
  }
}

const DESCRIPTIONS: Record<string, string> = {
  ENOENT: "no such file or directory",
  EEXIST: "file already exists",
  ENOTDIR: "not a directory",
  EISDIR: "illegal operation on a directory",
  ENOTEMPTY: "directory not empty",
  EINVAL: "invalid argument",
  ELOOP: "too many symbolic links encountered",
  ENOSPC: "no space left on device",
  EPERM: "operation not permitted",
};

export interface HostFiles {
  /** Follows symbolic links. */
  stat(path: string): Promise<HostStat>;
  lstat(path: string): Promise<HostStat>;
  readFile(path: string): Promise<Uint8Array>;
  /** Creates or replaces a file (or appends to it); the parent directory must exist. */
  writeFile(path: string, data: Uint8Array, opts?: { append?: boolean; mode?: number }): Promise<void>;
  readdir(path: string): Promise<HostDirEntry[]>;
  mkdir(path: string, opts?: { recursive?: boolean; mode?: number }): Promise<void>;
  rm(path: string, opts?: { recursive?: boolean; force?: boolean }): Promise<void>;
  /** Moves a file or a directory (replacing a file or an empty directory at `to`). */
  rename(from: string, to: string): Promise<void>;
  symlink(target: string, path: string): Promise<void>;
  readlink(path: string): Promise<string>;
  /** A hard link; implementations without them may copy. */
  link(existing: string, path: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  utimes(path: string, mtime: Date): Promise<void>;
  /** Calls `listener` when another instance (another tab) changed the files; returns its removal. */
  onChange?(listener: () => void): () => void;
}

/** "/a/./b/../c/" → "/a/c"; relative paths are taken from `cwd`. */
export function absolutePath(cwd: string, path: string): string {
  return `/${cleanPath(path.startsWith("/") ? path : `${cwd}/${path}`)}`;
}

/** A host: its files, home directory and the working directory its shell is in now. */
export interface Host {
  readonly files: HostFiles;
  readonly home: string;
  readonly cwd: string;
}
