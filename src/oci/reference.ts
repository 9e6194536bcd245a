/**
 * Image references parsed exactly as Docker does (distribution/reference: ParseNormalizedNamed):
 * "busybox" is docker.io/library/busybox, a first component with "." or ":" or "localhost" is a
 * registry, names must be lowercase, tags are [\w][\w.-]{0,127}, digests algorithm:hex.
 */
import type { Digest } from "./digest.ts";

export const DEFAULT_REGISTRY = "docker.io";
const LEGACY_DEFAULT_REGISTRY = "index.docker.io";
const NAME_TOTAL_LENGTH_MAX = 255;

export class InvalidReferenceError extends Error {
  override name = "InvalidReferenceError";
}

const alnum = "[a-z0-9]+";
const separator = "(?:[._]|__|[-]+)";
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = "\\[(?:[a-fA-F0-9:]+)\\]";
const domain = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;
const tag = "[\\w][\\w.-]{0,127}";
const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}";
const name = `(?:${domain}/)?${pathComponent}(?:/${pathComponent})*`;
const REFERENCE_RE = new RegExp(`^(${name})(?::(${tag}))?(?:@(${digest}))?$`);
const ANCHORED_ID_RE = /^[a-f0-9]{64}$/;
const DOMAIN_RE = new RegExp(`^${domain}$`);

export interface ImageReference {
  /** "docker.io", "ghcr.io", "127.0.0.1:5000". */
  registry: string;
  /** "library/busybox", "lab/busybox". */
  repository: string;
  tag?: string;
  digest?: Digest;
}

/** Docker's familiar form: "busybox", "user/app", "127.0.0.1:5000/lab/busybox". */
export function familiarName(registry: string, repository: string): string {
  if (registry !== DEFAULT_REGISTRY) return `${registry}/${repository}`;
  const rest = repository.startsWith("library/") ? repository.slice(8) : repository;
  return rest.includes("/") ? repository : rest;
}

/** "busybox:latest", "busybox@sha256:…", "busybox:1.36@sha256:…". */
export function familiarString(ref: ImageReference): string {
  return `${familiarName(ref.registry, ref.repository)}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** "docker.io/library/busybox:latest" — the fully qualified string Docker prints after a pull. */
export function qualifiedString(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** The host that actually serves the Distribution API for a registry name. */
export function registryApiHost(registry: string): string {
  return registry === DEFAULT_REGISTRY || registry === LEGACY_DEFAULT_REGISTRY ? "registry-1.docker.io" : registry;
}

function splitDockerDomain(s: string): { domain: string; remainder: string } {
  const i = s.indexOf("/");
  let domainPart: string;
  let remainder: string;
  const first = i >= 0 ? s.slice(0, i) : "";
  if (i === -1 || (!/[.:]/.test(first) && first !== "localhost" && first.toLowerCase() === first)) {
    domainPart = DEFAULT_REGISTRY;
    remainder = s;
  } else {
    domainPart = first;
    remainder = s.slice(i + 1);
  }
  if (domainPart === LEGACY_DEFAULT_REGISTRY) domainPart = DEFAULT_REGISTRY;
  if (domainPart === DEFAULT_REGISTRY && !remainder.includes("/")) remainder = `library/${remainder}`;
  return { domain: domainPart, remainder };
}

/** Parses "<domain>/<path>[:tag][@digest]" (distribution/reference.Parse after normalisation). */
function parseQualified(s: string): ImageReference {
  const m = REFERENCE_RE.exec(s);
  if (!m) {
    if (s === "") throw new InvalidReferenceError("invalid reference format: repository name must have at least one component");
    if (REFERENCE_RE.test(s.toLowerCase())) throw new InvalidReferenceError("invalid reference format: repository name must be lowercase");
    throw new InvalidReferenceError("invalid reference format");
  }
  const fullName = m[1]!;
  if (fullName.length > NAME_TOTAL_LENGTH_MAX) {
    throw new InvalidReferenceError(`invalid reference format: repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  // Callers always pass "<domain>/<path>": the first component is the registry.
  const slash = fullName.indexOf("/");
  const registry = fullName.slice(0, slash);
  if (!DOMAIN_RE.test(registry)) throw new InvalidReferenceError("invalid reference format");
  const ref: ImageReference = { registry, repository: fullName.slice(slash + 1) };
  if (m[2]) ref.tag = m[2];
  if (m[3]) {
    const d = m[3];
    const [algo, hex] = d.split(":") as [string, string];
    if (algo === "sha256" && !/^[a-f0-9]{64}$/.test(hex)) throw new InvalidReferenceError(`invalid checksum digest length`);
    if (algo === "sha512" && !/^[a-f0-9]{128}$/.test(hex)) throw new InvalidReferenceError(`invalid checksum digest length`);
    if (algo !== "sha256" && algo !== "sha512") throw new InvalidReferenceError(`unsupported digest algorithm`);
    ref.digest = d as Digest;
  }
  return ref;
}

/**
 * ParseNormalizedNamed: a reference as a user types it ("busybox", "busybox:1.36",
 * "127.0.0.1:5000/lab/busybox@sha256:…"). The tag is left unset when absent: callers add "latest"
 * when they pull by name, as Docker does (and print "Using default tag: latest").
 */
export function parseReference(s: string): ImageReference {
  if (ANCHORED_ID_RE.test(s)) {
    throw new InvalidReferenceError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const { domain: d, remainder } = splitDockerDomain(s);
  const remoteName = remainder.includes(":") ? remainder.slice(0, remainder.indexOf(":")) : remainder.split("@")[0]!;
  if (remoteName.toLowerCase() !== remoteName) {
    throw new InvalidReferenceError(`invalid reference format: repository name (${remoteName}) must be lowercase`);
  }
  return parseQualified(`${d}/${remainder}`);
}
