/**
 * Paths of the union: relative to the root, no leading or trailing slash, no "." or ".." parts, no
 * empty parts; "" is the root. `cleanPath` turns anything a caller passes ("/etc/", "./etc//passwd",
 * "a/../b") into that form; the other helpers expect clean paths and do no cleaning themselves.
 */

/** Paths that need cleaning: a "." or ".." part, an empty part ("//"), a leading or trailing slash. */
const UNCLEAN = /(^|\/)\.\.?(\/|$)|\/\/|^\/|\/$/;

/** "./etc//passwd/" → "etc/passwd"; "/", "." and "" → "" (the root); ".." cannot climb above the root. */
export function cleanPath(path: string): string {
  if (!UNCLEAN.test(path)) return path; // already clean: the common case, no allocation
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (!part || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}

/** `path` taken relative to the clean directory `dir` (an absolute `path` starts at the root), cleaned. */
export function resolvePath(dir: string, path: string): string {
  return cleanPath(path.startsWith("/") || !dir ? path : `${dir}/${path}`);
}

/** The directory holding a clean path ("" for a top-level entry and for the root itself). */
export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** The last part of a clean path ("" for the root). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The clean path of `name` (one part, no slash) in the clean directory `dir`. */
export function joinPath(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

/** The parts of a clean path ([] for the root). */
export function segments(path: string): string[] {
  return path ? path.split("/") : [];
}

/** Whether clean `path` is strictly below clean directory `dir` (everything but the root is below the root). */
export function isUnder(path: string, dir: string): boolean {
  return dir ? path.length > dir.length + 1 && path.startsWith(dir) && path.charCodeAt(dir.length) === 47 /* "/" */ : path !== "";
}
