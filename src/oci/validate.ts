/**
 * Runtime validation of registry documents. A malformed document is rejected with a ManifestError
 * naming where it came from, the field path and what is wrong; the parsed object is for reading only
 * (the exact bytes are what gets stored and digested).
 */
import { isDigest } from "./digest.ts";
import { isIndexMediaType, isManifestMediaType, isSchema1MediaType, MediaType } from "./mediatypes.ts";
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest } from "./types.ts";

export class ManifestError extends Error {
  override name = "ManifestError";
  constructor(message: string, readonly where?: string, readonly field?: string) {
    super(`${where ? `${where}: ` : ""}${field ? `${field}: ` : ""}${message}`);
  }
}

export const SCHEMA1_MESSAGE =
  "unsupported manifest format: this image uses the deprecated Docker schema 1 format, which the lab (like Docker since v28) does not pull; rebuild or re-push it with schema 2 or OCI media types";

type Json = Record<string, unknown>;

function parseJson(bytes: Uint8Array | string, what: string, where?: string): Json {
  const text = typeof bytes === "string" ? bytes : new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(`${what} is not valid JSON (${(e as Error).message})`, where);
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new ManifestError(`${what} must be a JSON object`, where);
  return v as Json;
}

class Checker {
  constructor(private readonly where: string | undefined, private readonly what: string) {}

  fail(field: string, message: string): never {
    throw new ManifestError(message, this.where, `${this.what}.${field}`.replace(/^\./, ""));
  }

  string(o: Json, key: string, path: string, optional = false): string | undefined {
    const v = o[key];
    if (v === undefined && optional) return undefined;
    if (typeof v !== "string") this.fail(path, v === undefined ? "missing" : `must be a string, got ${JSON.stringify(v)}`);
    return v as string;
  }

  descriptor(v: unknown, path: string): Descriptor {
    if (!v || typeof v !== "object" || Array.isArray(v)) this.fail(path, "must be a descriptor object");
    const d = v as Json;
    this.string(d, "mediaType", `${path}.mediaType`);
    const digest = d.digest;
    if (!isDigest(digest)) this.fail(`${path}.digest`, `invalid digest ${JSON.stringify(digest)}`);
    const size = d.size;
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) this.fail(`${path}.size`, `must be a non-negative integer, got ${JSON.stringify(size)}`);
    if (d.urls !== undefined && (!Array.isArray(d.urls) || d.urls.some((u) => typeof u !== "string"))) this.fail(`${path}.urls`, "must be an array of strings");
    if (d.annotations !== undefined) this.stringMap(d.annotations, `${path}.annotations`);
    if (d.platform !== undefined) {
      const p = d.platform as Json;
      if (!p || typeof p !== "object") this.fail(`${path}.platform`, "must be an object");
      this.string(p, "architecture", `${path}.platform.architecture`);
      this.string(p, "os", `${path}.platform.os`);
    }
    return d as unknown as Descriptor;
  }

  stringMap(v: unknown, path: string): void {
    if (!v || typeof v !== "object" || Array.isArray(v) || Object.values(v).some((x) => typeof x !== "string")) {
      this.fail(path, "must be a map of strings");
    }
  }

  schemaVersion(o: Json): void {
    if (o.schemaVersion === 1) throw new ManifestError(SCHEMA1_MESSAGE, this.where);
    if (o.schemaVersion !== 2) this.fail("schemaVersion", `must be 2, got ${JSON.stringify(o.schemaVersion)}`);
  }
}

export function parseManifest(bytes: Uint8Array | string, where?: string): ImageManifest {
  const o = parseJson(bytes, "manifest", where);
  const c: Checker = new Checker(where, "manifest");
  c.schemaVersion(o);
  const mt = c.string(o, "mediaType", "mediaType", true);
  if (mt !== undefined && !isManifestMediaType(mt)) c.fail("mediaType", `${mt} is not an image manifest media type`);
  c.descriptor(o.config, "config");
  if (!Array.isArray(o.layers)) c.fail("layers", "must be an array");
  (o.layers as unknown[]).forEach((l, i) => c.descriptor(l, `layers[${i}]`));
  if (o.subject !== undefined) c.descriptor(o.subject, "subject");
  if (o.annotations !== undefined) c.stringMap(o.annotations, "annotations");
  return o as unknown as ImageManifest;
}

export function parseIndex(bytes: Uint8Array | string, where?: string): ImageIndex {
  const o = parseJson(bytes, "index", where);
  const c: Checker = new Checker(where, "index");
  c.schemaVersion(o);
  const mt = c.string(o, "mediaType", "mediaType", true);
  if (mt !== undefined && !isIndexMediaType(mt)) c.fail("mediaType", `${mt} is not an index media type`);
  if (!Array.isArray(o.manifests)) c.fail("manifests", "must be an array");
  (o.manifests as unknown[]).forEach((m, i) => c.descriptor(m, `manifests[${i}]`));
  if (o.annotations !== undefined) c.stringMap(o.annotations, "annotations");
  return o as unknown as ImageIndex;
}

export function parseImageConfig(bytes: Uint8Array | string, where?: string): ImageConfig {
  const o = parseJson(bytes, "config", where);
  const c: Checker = new Checker(where, "config");
  c.string(o, "architecture", "architecture");
  c.string(o, "os", "os");
  c.string(o, "created", "created", true);
  const rootfs = o.rootfs as Json | undefined;
  if (!rootfs || typeof rootfs !== "object") c.fail("rootfs", "missing");
  if (rootfs.type !== "layers") c.fail("rootfs.type", `must be "layers", got ${JSON.stringify(rootfs.type)}`);
  if (!Array.isArray(rootfs.diff_ids)) c.fail("rootfs.diff_ids", "must be an array");
  (rootfs.diff_ids as unknown[]).forEach((d, i) => {
    if (!isDigest(d)) c.fail(`rootfs.diff_ids[${i}]`, `invalid digest ${JSON.stringify(d)}`);
  });
  if (o.history !== undefined) {
    if (!Array.isArray(o.history)) c.fail("history", "must be an array");
    (o.history as unknown[]).forEach((h, i) => {
      if (!h || typeof h !== "object") c.fail(`history[${i}]`, "must be an object");
      const e = h as Json;
      for (const k of ["created", "created_by", "author", "comment"]) {
        if (e[k] !== undefined && typeof e[k] !== "string") c.fail(`history[${i}].${k}`, "must be a string");
      }
      if (e.empty_layer !== undefined && typeof e.empty_layer !== "boolean") c.fail(`history[${i}].empty_layer`, "must be a boolean");
    });
  }
  const cfg = o.config as Json | undefined;
  if (cfg !== undefined && cfg !== null) {
    if (typeof cfg !== "object") c.fail("config", "must be an object");
    for (const k of ["Env", "Entrypoint", "Cmd"]) {
      const v = cfg[k];
      if (v !== undefined && v !== null && (!Array.isArray(v) || v.some((x) => typeof x !== "string"))) c.fail(`config.${k}`, "must be an array of strings");
    }
  }
  return o as unknown as ImageConfig;
}

export type ManifestOrIndex = { kind: "manifest"; manifest: ImageManifest } | { kind: "index"; index: ImageIndex };

/**
 * Classifies a fetched document by its Content-Type, falling back to its own mediaType field and
 * shape (OCI allows both to be absent). Schema 1 is refused with a message that says so.
 */
export function parseManifestOrIndex(bytes: Uint8Array | string, contentType?: string, where?: string): ManifestOrIndex {
  const ct = contentType?.split(";")[0]?.trim();
  if (ct && isSchema1MediaType(ct) && ct !== "application/json") throw new ManifestError(SCHEMA1_MESSAGE, where);
  const o = parseJson(bytes, "manifest", where);
  if (o.schemaVersion === 1) throw new ManifestError(SCHEMA1_MESSAGE, where);
  const declared = typeof o.mediaType === "string" ? o.mediaType : undefined;
  const kind = isIndexMediaType(ct) || isIndexMediaType(declared) || (!declared && !ct?.includes("manifest.v") && Array.isArray(o.manifests) && !o.config)
    ? "index"
    : "manifest";
  if (ct && declared && ct !== declared && (isIndexMediaType(ct) || isManifestMediaType(ct))) {
    throw new ManifestError(`Content-Type ${ct} disagrees with the document's mediaType ${declared}`, where, "mediaType");
  }
  if (ct && !isIndexMediaType(ct) && !isManifestMediaType(ct) && ct !== "application/json" && ct !== "application/octet-stream") {
    throw new ManifestError(`unsupported manifest media type ${ct}`, where);
  }
  return kind === "index" ? { kind, index: parseIndex(bytes, where) } : { kind, manifest: parseManifest(bytes, where) };
}

export { MediaType };
