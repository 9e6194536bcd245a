/**
 * A layer's size as Docker counts it (`docker images` SIZE, `docker history` SIZE, the layerdb's `size`
 * file): the bytes of what the layer adds or changes as its graph driver stores it — every regular
 * file's length and every symlink's target length (lstat sizes), a hard-linked file once, directories,
 * devices and whiteouts nothing (overlay2's directory.Size over the diff directory). Not the tar's
 * length, which adds headers and padding.
 */
import type { TarEntry } from "./tar.ts";

const enc = new TextEncoder();

export function dockerDiffSize(entries: readonly Pick<TarEntry, "type" | "size" | "linkname">[]): number {
  let size = 0;
  for (const e of entries) {
    if (e.type === "file") size += e.size;
    else if (e.type === "symlink") size += enc.encode(e.linkname ?? "").length;
  }
  return size;
}
