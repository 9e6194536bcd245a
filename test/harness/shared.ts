/**
 * What tests read from the host in place rather than from the tree: files of ../shared (beside the
 * project root; the project must not carry copies of them or of anything built from them) and files
 * Debian packages install (`bash scripts/ci-deps.sh` installs them). Every test that needs one asks here,
 * and one rule decides what a missing one means:
 *
 * - present: its path;
 * - missing under CI=true: an Error naming the path and where it comes from (the test fails);
 * - missing elsewhere: the test is skipped with vitest's skip (reported as skipped, with the reason),
 *   never passed.
 *
 * Call it at the start of a test, or in a `beforeEach` for a whole describe, with the test's context.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestContext } from "vitest";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SHARED_IMAGES = join(PROJECT_ROOT, "..", "shared", "images");

/** The official alpine:3.15 linux/386 root filesystem, as the Alpine project publishes it. */
export const ALPINE_MINIROOTFS = "alpine-minirootfs-3.15.11-x86.tar.gz";

const SHARED_ORIGIN = "../shared/images beside the project root; it is read in place, never copied into the tree";

const warned = new Set<string>();

/** The rule above, for any path; `origin` says where the file comes from, for the message. */
export function requireHostPath(ctx: Pick<TestContext, "skip">, path: string, origin: string): string {
  if (existsSync(path)) return path;
  const message = `missing ${path} (${origin})`;
  if (process.env.CI === "true") throw new Error(message);
  if (!warned.has(path)) console.warn(`skipped: ${message}`);
  warned.add(path);
  return ctx.skip(message);
}

/** A file or directory a Debian package installs (see the rule above). */
export function requireHostFile(ctx: Pick<TestContext, "skip">, path: string, debianPackage: string): string {
  return requireHostPath(ctx, path, `Debian package ${debianPackage}; bash scripts/ci-deps.sh installs it`);
}

/** ../shared/images/NAME (see the rule above). */
export function sharedImage(ctx: Pick<TestContext, "skip">, name: string): string {
  return requireHostPath(ctx, join(SHARED_IMAGES, name), SHARED_ORIGIN);
}

/**
 * ../shared/images/NAME for the fixture builders other tests build on (in a beforeAll, with no test to
 * skip): a missing file is an Error naming it everywhere.
 */
export function requireSharedImage(name: string): string {
  const path = join(SHARED_IMAGES, name);
  if (!existsSync(path)) throw new Error(`missing shared fixture ${path} (${SHARED_ORIGIN})`);
  return path;
}

/** The Alpine 3.15 x86 minirootfs in ../shared/images (see the rule above). */
export const alpineRootfs = (ctx: Pick<TestContext, "skip">): string => sharedImage(ctx, ALPINE_MINIROOTFS);
