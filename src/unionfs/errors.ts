/**
 * Filesystem errors with their Linux errno, so every consumer (the CLI, the 9P server's Rlerror, the
 * WASI bridge) reports the same failure the same way.
 */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  EBADF: 9,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  EFBIG: 27,
  EROFS: 30,
  EMLINK: 31,
  ENAMETOOLONG: 36,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENODATA: 61,
} as const;

export type ErrnoCode = keyof typeof ERRNO;

const TEXT: Record<ErrnoCode, string> = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  EIO: "Input/output error",
  EBADF: "Bad file descriptor",
  EBUSY: "Device or resource busy",
  EEXIST: "File exists",
  EXDEV: "Invalid cross-device link",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EINVAL: "Invalid argument",
  EFBIG: "File too large",
  EROFS: "Read-only file system",
  EMLINK: "Too many links",
  ENAMETOOLONG: "File name too long",
  ENOTEMPTY: "Directory not empty",
  ELOOP: "Too many levels of symbolic links",
  ENODATA: "No data available",
};

export class FsError extends Error {
  override name = "FsError";
  readonly errno: number;
  constructor(readonly code: ErrnoCode, readonly path: string, detail?: string) {
    super(`${path ? `/${path.replace(/^\/+/, "")}: ` : ""}${TEXT[code]}${detail ? ` (${detail})` : ""}`);
    this.errno = ERRNO[code];
  }
}
