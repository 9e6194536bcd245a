/**
 * Docker's init layer (moby daemon/initlayer): a read-only layer between a container's image and its
 * writable layer holding the mount points the daemon needs whatever the image — empty /etc/hosts,
 * /etc/hostname, /etc/resolv.conf (the runtime binds the real ones over them), /.dockerenv,
 * /dev/console, /etc/mtab → /proc/mounts, and /proc, /sys, /dev/pts, /dev/shm where the image lacks
 * them. Being below the container layer, none of it shows in `docker diff` or reaches a commit.
 * Like Docker, the files are always the init layer's own (an image's /etc/hosts is hidden by it);
 * directories are only added where missing.
 */
import type { TarEntry } from "../layer/tar.ts";
import type { LowerLayer, LowerView } from "./lower.ts";
import { parentOf } from "./path.ts";

/** The snapshot label that gives a container's union an init layer. */
export const INIT_LAYER_LABEL = "layerlab.init";

const INIT_PATHS: [path: string, kind: "dir" | "file" | { symlink: string }][] = [
  ["dev/pts", "dir"],
  ["dev/shm", "dir"],
  ["proc", "dir"],
  ["sys", "dir"],
  [".dockerenv", "file"],
  ["etc/resolv.conf", "file"],
  ["etc/hosts", "file"],
  ["etc/hostname", "file"],
  ["dev/console", "file"],
  ["etc/mtab", { symlink: "/proc/mounts" }],
];

/** The files the runtime bind-mounts over the init layer's empty ones (paths without the leading "/"). */
export const BIND_MOUNTED_FILES = ["etc/hosts", "etc/hostname", "etc/resolv.conf"] as const;

/** The init layer for a container on `image` (what moby's Setup would create over that image). */
export function initLayer(image: LowerView, mtime = Math.floor(Date.now() / 1000)): LowerLayer {
  const entries: TarEntry[] = [];
  const made = new Set<string>();
  const base = { uid: 0, gid: 0, size: 0, mtime, headerOffset: 0, dataOffset: 0 };
  const ensureDir = (dir: string) => {
    if (!dir || made.has(dir)) return;
    const node = image.get(dir);
    if (node?.entry.type === "dir") return;
    ensureDir(parentOf(dir));
    made.add(dir);
    entries.push({ ...base, path: `${dir}/`, type: "dir", mode: 0o755 });
  };
  for (const [path, kind] of INIT_PATHS) {
    if (kind === "dir") {
      ensureDir(path);
      continue;
    }
    ensureDir(parentOf(path));
    if (kind === "file") entries.push({ ...base, path, type: "file", mode: 0o755 });
    else entries.push({ ...base, path, type: "symlink", mode: 0o777, linkname: kind.symlink });
  }
  return { diffId: "init", entries, read: async () => new Uint8Array(0) };
}
