/**
 * Filesystem errors with their errno, so every consumer (the CLI, the 9P server's Rlerror, the WASI
 * bridge and fds, the x86 runtime's start errors) reports the same failure the same way. One table:
 * each error's Linux (i386) number, its WASI preview1 number and glibc's text.
 */
const TABLE = {
  EPERM: { linux: 1, wasi: 63, text: "Operation not permitted" },
  ENOENT: { linux: 2, wasi: 44, text: "No such file or directory" },
  EIO: { linux: 5, wasi: 29, text: "Input/output error" },
  ENOEXEC: { linux: 8, wasi: 45, text: "Exec format error" },
  EBADF: { linux: 9, wasi: 8, text: "Bad file descriptor" },
  EACCES: { linux: 13, wasi: 2, text: "Permission denied" },
  EBUSY: { linux: 16, wasi: 10, text: "Device or resource busy" },
  EEXIST: { linux: 17, wasi: 20, text: "File exists" },
  EXDEV: { linux: 18, wasi: 75, text: "Invalid cross-device link" },
  ENOTDIR: { linux: 20, wasi: 54, text: "Not a directory" },
  EISDIR: { linux: 21, wasi: 31, text: "Is a directory" },
  EINVAL: { linux: 22, wasi: 28, text: "Invalid argument" },
  EFBIG: { linux: 27, wasi: 22, text: "File too large" },
  ENOSPC: { linux: 28, wasi: 51, text: "No space left on device" },
  EROFS: { linux: 30, wasi: 69, text: "Read-only file system" },
  EMLINK: { linux: 31, wasi: 34, text: "Too many links" },
  ENAMETOOLONG: { linux: 36, wasi: 37, text: "File name too long" },
  ENOTEMPTY: { linux: 39, wasi: 55, text: "Directory not empty" },
  ELOOP: { linux: 40, wasi: 32, text: "Too many levels of symbolic links" },
  // WASI has no ENODATA: its nearest, ENOSYS.
  ENODATA: { linux: 61, wasi: 52, text: "No data available" },
  EPROTO: { linux: 71, wasi: 65, text: "Protocol error" },
  EOPNOTSUPP: { linux: 95, wasi: 58, text: "Operation not supported" },
} as const satisfies Record<string, { linux: number; wasi: number; text: string }>;

export type ErrnoCode = keyof typeof TABLE;

type Numbers<K extends "linux" | "wasi"> = { readonly [C in ErrnoCode]: (typeof TABLE)[C][K] };
const numbers = <K extends "linux" | "wasi">(k: K) => Object.fromEntries(Object.entries(TABLE).map(([c, e]) => [c, e[k]])) as Numbers<K>;

/** Linux errno numbers by name. */
export const ERRNO = numbers("linux");
/** WASI preview1 errno numbers by name (success is 0). */
export const WASI_ERRNO = numbers("wasi");

const byLinux = new Map<number, ErrnoCode>(Object.entries(TABLE).map(([c, e]) => [e.linux, c as ErrnoCode]));

/** glibc's text for a Linux errno. */
export function errnoText(errno: number): string {
  const c = byLinux.get(errno);
  return c ? TABLE[c].text : `errno ${errno}`;
}

export class FsError extends Error {
  override name = "FsError";
  readonly errno: number;
  constructor(readonly code: ErrnoCode, readonly path: string, detail?: string) {
    super(`${path ? `/${path.replace(/^\/+/, "")}: ` : ""}${TABLE[code].text}${detail ? ` (${detail})` : ""}`);
    this.errno = ERRNO[code];
  }
}
