/** Resolving what a user types (a name, a name:tag, name@digest, an ID or ID prefix) to a stored image. */
import { parseReference, familiarName, type ImageReference } from "../oci/reference.ts";
import type { ImageRecord } from "../store/schema.ts";
import type { ImageStore } from "../store/images.ts";

/** "docker.io/library/busybox:latest" → "busybox:latest"; other registries stay qualified. */
export function familiarTag(fullName: string): string {
  const at = fullName.lastIndexOf(":");
  const slash = fullName.lastIndexOf("/");
  if (at > slash) {
    const name = fullName.slice(0, at);
    const first = name.indexOf("/");
    return `${familiarName(name.slice(0, first), name.slice(first + 1))}:${fullName.slice(at + 1)}`;
  }
  return fullName;
}

/** "docker.io/library/busybox@sha256:…" → "busybox@sha256:…". */
export function familiarDigestRef(repoDigest: string): string {
  const at = repoDigest.indexOf("@");
  const name = repoDigest.slice(0, at);
  const first = name.indexOf("/");
  return `${familiarName(name.slice(0, first), name.slice(first + 1))}${repoDigest.slice(at)}`;
}

/** Splits a fully-qualified tag name into repository and tag. */
export function splitTagName(fullName: string): { name: string; tag: string } {
  const at = fullName.lastIndexOf(":");
  return { name: fullName.slice(0, at), tag: fullName.slice(at + 1) };
}

export function qualifiedTagName(ref: { registry: string; repository: string; tag?: string }): string {
  return `${ref.registry}/${ref.repository}:${ref.tag ?? "latest"}`;
}

/** A reference, or undefined when the string is not one (an image ID prefix, say). */
export function tryParseReference(s: string): ImageReference | undefined {
  try {
    return parseReference(s);
  } catch {
    return undefined;
  }
}

/** The tag a user named ("busybox" → docker.io/library/busybox:latest), or undefined for IDs and digests. */
export function namedTag(s: string): string | undefined {
  const ref = tryParseReference(s);
  return ref && !ref.digest && !/^(sha256:)?[a-f0-9]{12,64}$/.test(s) ? qualifiedTagName(ref) : undefined;
}

/** Looks an image up the way the Docker daemon's GetImage does: full ID, reference, then ID prefix. */
export async function resolveImage(store: ImageStore, s: string): Promise<ImageRecord | undefined> {
  if (/^(sha256:)?[a-f0-9]{64}$/.test(s)) {
    const img = await store.findImage(s);
    if (img) return img;
  }
  const ref = tryParseReference(s);
  if (ref) {
    if (ref.digest) {
      const img = await store.findByRepoDigest(`${ref.registry}/${ref.repository}@${ref.digest}`);
      if (img) return img;
    } else {
      const tag = await store.getTag(qualifiedTagName(ref));
      if (tag) return store.getImage(tag.imageId);
    }
  }
  if (/^(sha256:)?[a-f0-9]{1,64}$/.test(s)) return store.findImage(s);
  return undefined;
}
