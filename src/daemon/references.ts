/**
 * The names users type and the names the store keeps, converted through src/oci/reference.ts (Docker's
 * distribution/reference rules): tags are stored fully qualified ("docker.io/library/busybox:latest")
 * and shown in Docker's familiar form ("busybox:latest").
 */
import { familiarName, familiarString, parseReference, qualifiedString, type ImageReference } from "../oci/reference.ts";

/** A stored name ("docker.io/library/busybox:latest", "…/busybox@sha256:…") as Docker shows it. */
export function familiar(qualified: string): string {
  return familiarString(parseReference(qualified));
}

/** A stored tag name split for `docker images`: familiar repository and tag. */
export function repositoryAndTag(qualified: string): { repository: string; tag: string } {
  const ref = parseReference(qualified);
  return { repository: familiarName(ref.registry, ref.repository), tag: ref.tag ?? "latest" };
}

/** The stored tag name of a reference ("latest" when it names no tag). */
export function qualifiedTagName(ref: ImageReference): string {
  return qualifiedString({ registry: ref.registry, repository: ref.repository, tag: ref.tag ?? "latest" });
}

/** "registry/repository", the name a repo digest and a blob's sources are kept under. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** A reference, or undefined when the string is not one (an image ID prefix, say). */
export function tryParseReference(s: string): ImageReference | undefined {
  try {
    return parseReference(s);
  } catch {
    return undefined;
  }
}

const IMAGE_ID_RE = /^(sha256:)?[a-f0-9]{12,64}$/;

/** The stored tag a user named ("busybox" → docker.io/library/busybox:latest); undefined for IDs and digests. */
export function namedTag(s: string): string | undefined {
  const ref = tryParseReference(s);
  return ref && !ref.digest && !IMAGE_ID_RE.test(s) ? qualifiedTagName(ref) : undefined;
}

/** How Docker names an image it could not find: a reference in familiar form with its tag (`nosuch:latest`), else as typed. */
export function notFoundName(s: string): string {
  if (s.startsWith("sha256:")) return s;
  const ref = tryParseReference(s);
  if (!ref) return s;
  return familiarString(ref.digest ? ref : { ...ref, tag: ref.tag ?? "latest" });
}
