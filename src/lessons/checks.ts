/** Questions lessons ask of the lab's state. */
import type { ImageRecord } from "../store/schema.ts";
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

/** The image and its parents, newest first, as far as the store keeps the chain (a build's steps, a commit). */
export async function lineage(ctx: LessonContext, ref: string): Promise<ImageRecord[]> {
  const out: ImageRecord[] = [];
  let img = await image(ctx, ref);
  while (img && out.length < 200) {
    out.push(img);
    img = img.parent ? await image(ctx, img.parent) : undefined;
  }
  return out;
}

/** What made an image's newest history row (`/bin/sh -c dd …`, `/bin/sh -c #(nop) COPY file:… in / `). */
export function createdBy(img: ImageRecord | undefined): string {
  return img?.config.history?.at(-1)?.created_by ?? "";
}

/** The size of the layer an image's newest history row made (0 for a row that made none). */
export async function topLayerSize(ctx: LessonContext, img: ImageRecord | undefined): Promise<number> {
  if (!img) return 0;
  return (await ctx.daemon.images.history(img))[0]?.size ?? 0;
}

/** Images (tagged or not) made on top of `parentId` by a step whose history row matches `step`. */
export async function childrenOf(ctx: LessonContext, parentId: string | undefined, step: RegExp): Promise<ImageRecord[]> {
  if (!parentId) return [];
  return (await ctx.daemon.images.list()).map((s) => s.image).filter((i) => i.parent === parentId && step.test(createdBy(i)));
}
