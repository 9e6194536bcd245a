/**
 * Whiteouts, in exactly one place. In a layer tar, `.wh.<name>` hides `<name>` of the layers below, and
 * `.wh..wh..opq` inside a directory hides everything the layers below have in it (applied before its
 * siblings whatever the tar order). Both are accepted on read; the writer emits explicit ones.
 */

export const WHITEOUT_PREFIX = ".wh.";
export const OPAQUE_MARKER = ".wh..wh..opq";

export type EntryMeaning =
  | { kind: "entry"; path: string }
  | { kind: "whiteout"; path: string; hides: string }
  | { kind: "opaque"; path: string; dir: string };

function split(path: string): { dir: string; base: string } {
  const clean = path.replace(/^\.?\/+/, "").replace(/\/+$/, "");
  const i = clean.lastIndexOf("/");
  return i < 0 ? { dir: "", base: clean } : { dir: clean.slice(0, i), base: clean.slice(i + 1) };
}

/** What a tar entry means for the union: a file/dir, a whiteout of a lower path, or an opaque marker. */
export function classifyEntry(path: string): EntryMeaning {
  const { dir, base } = split(path);
  const join = (name: string) => (dir ? `${dir}/${name}` : name);
  if (base === OPAQUE_MARKER) return { kind: "opaque", path: join(base), dir };
  if (base.startsWith(WHITEOUT_PREFIX)) {
    const hidden = base.slice(WHITEOUT_PREFIX.length);
    if (!hidden || hidden === "." || hidden === "..") throw new Error(`invalid whiteout ${path}`);
    return { kind: "whiteout", path: join(base), hides: join(hidden) };
  }
  return { kind: "entry", path: join(base) };
}

/** The whiteout entry that deletes `path` from the layers below. */
export function whiteoutFor(path: string): string {
  const { dir, base } = split(path);
  return dir ? `${dir}/${WHITEOUT_PREFIX}${base}` : `${WHITEOUT_PREFIX}${base}`;
}

/** The marker that makes `dir` opaque (its lower contents hidden). */
export function opaqueMarkerFor(dir: string): string {
  const d = dir.replace(/^\.?\/+/, "").replace(/\/+$/, "");
  return d ? `${d}/${OPAQUE_MARKER}` : OPAQUE_MARKER;
}
