/**
 * Files of ../shared (beside the project root) that tests read in place: the project must not carry
 * copies of them or of anything built from them. Every test that needs one asks here.
 * A missing file: under CI=true an Error naming its path (the test fails); elsewhere undefined, so the
 * test can skip.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SHARED_IMAGES = join(PROJECT_ROOT, "..", "shared", "images");

/** The official alpine:3.15 linux/386 root filesystem, as the Alpine project publishes it. */
export const ALPINE_MINIROOTFS = "alpine-minirootfs-3.15.11-x86.tar.gz";

const warned = new Set<string>();

/** The path of ../shared/images/NAME if it is there (see above for a missing one). */
export function sharedImage(name: string): string | undefined {
  const path = join(SHARED_IMAGES, name);
  if (existsSync(path)) return path;
  if (process.env.CI === "true") throw new Error(`missing shared fixture ${path} (../shared/images beside the project root; it is read in place, never copied into the tree)`);
  if (!warned.has(path)) console.warn(`skipped: shared fixture ${path} is missing`);
  warned.add(path);
  return undefined;
}

/** Like sharedImage, but a missing file is an Error naming it everywhere (for fixtures other tests build on). */
export function requireSharedImage(name: string): string {
  const path = sharedImage(name);
  if (!path) throw new Error(`missing shared fixture ${join(SHARED_IMAGES, name)} (../shared/images beside the project root)`);
  return path;
}

/** The Alpine 3.15 x86 minirootfs in ../shared/images, or undefined outside CI when it is missing. */
export const alpineRootfs = (): string | undefined => sharedImage(ALPINE_MINIROOTFS);
