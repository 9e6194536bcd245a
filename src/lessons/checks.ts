/** Questions lessons ask of the lab's state. */
import type { LessonContext } from "./types.ts";

export async function image(ctx: LessonContext, ref: string) {
  return ctx.daemon.images.resolve(ref);
}

export async function imageLayers(ctx: LessonContext, ref: string): Promise<number | undefined> {
  return (await image(ctx, ref))?.diffIds.length;
}

export async function container(ctx: LessonContext, name: string) {
  return ctx.daemon.containers.maybe(name);
}

export function ran(ctx: LessonContext, pattern: RegExp): boolean {
  return ctx.history.some((l) => pattern.test(l));
}

/** A line matching `later` was run after the last line matching `first`. */
export function ranAfter(ctx: LessonContext, first: RegExp, later: RegExp): boolean {
  const i = ctx.history.findLastIndex((l) => first.test(l));
  return i >= 0 && ctx.history.slice(i + 1).some((l) => later.test(l));
}

/** The container's layer changed `path`, and the image's copy did not. */
export async function changedInContainerOnly(ctx: LessonContext, name: string, path: string): Promise<boolean> {
  const c = await container(ctx, name);
  if (!c) return false;
  const fs = await ctx.daemon.containers.fs(c);
  const inUpper = fs.upperEntries().some((e) => e.entry.path === path && !e.entry.whiteout);
  if (!inUpper) return false;
  const node = fs.lower.get(path);
  if (!node) return true;
  const [a, b] = await Promise.all([fs.read(path), fs.lower.read(node, 0, node.entry.size)]);
  return a.length !== b.length || a.some((x, i) => x !== b[i]);
}

export async function exited(ctx: LessonContext, name: string, code = 0): Promise<boolean> {
  const c = await container(ctx, name);
  return c?.state === "exited" && c.exitCode === code;
}

export async function logsOf(ctx: LessonContext, name: string): Promise<string> {
  const c = await container(ctx, name);
  if (!c) return "";
  return (await ctx.daemon.engine.logsOf(c)).map((e) => new TextDecoder().decode(e.data)).join("");
}
