/**
 * The registries (and their token realms and blob CDNs) the proxy may reach. The proxy is not an open
 * proxy: anything else is refused, and so is any private address unless its host:port was allowed
 * explicitly (a local test registry).
 */
import { isLoopbackHost } from "./addresses.ts";

/**
 * "registry": may be named in a proxy path. "cdn": only reached by following a registry's redirect.
 * "download": a web server `ADD <url>` may fetch a file from (or be redirected to).
 */
export type AllowKind = "registry" | "cdn" | "download";

export interface AllowEntry {
  /**
   * "registry-1.docker.io", "127.0.0.1:5000", "[::1]:5000", or a pattern where "*" stands for one
   * DNS label or part of one ("*.r2.cloudflarestorage.com", "cdn*.quay.io"). Lower case, and without
   * the scheme's default port, as URL.host spells it.
   */
  host: string;
  scheme: "http" | "https";
  kind: AllowKind;
  /** Given by the user (command line/env/config): may be a private or loopback address. */
  explicit: boolean;
}

const BUILT_IN_REGISTRIES = [
  "registry-1.docker.io", "auth.docker.io", "index.docker.io",
  "ghcr.io",
  "quay.io",
  "registry.k8s.io", "*.pkg.dev", // registry.k8s.io redirects to Artifact Registry mirrors
  "gcr.io", "*.gcr.io",
  "public.ecr.aws",
];

/** Where those registries redirect blob downloads (followed server-side only, never named in a path). */
const BUILT_IN_CDNS = [
  "production.cloudflare.docker.com", "docker-images-prod.*.r2.cloudflarestorage.com",
  "pkg-containers.githubusercontent.com",
  "cdn.quay.io", "cdn*.quay.io", "quayio-production-s3.s3.amazonaws.com", "quayio-production-s3.s3.*.amazonaws.com",
  "prod-registry-k8s-io-*.s3.dualstack.*.amazonaws.com", "prod-registry-k8s-io-*.s3.amazonaws.com",
  "storage.googleapis.com", "*.storage.googleapis.com",
  "*.cloudfront.net", "prod-*-starport-layer-bucket.s3.*.amazonaws.com", "prod-*-starport-layer-bucket.s3.amazonaws.com",
];

/** Where Dockerfiles commonly ADD files from: release downloads, raw files, distribution mirrors. */
const BUILT_IN_DOWNLOADS = [
  "github.com", "codeload.github.com", "objects.githubusercontent.com", "raw.githubusercontent.com",
  "deb.debian.org", "dl-cdn.alpinelinux.org", "registry.npmjs.org",
];

const DEFAULT_PORT = { http: "80", https: "443" } as const;

/** "host:443" for https is the same place as "host": compare hosts the way URL.host spells them. */
function normalizeHost(hostPort: string, scheme: "http" | "https"): string {
  const h = hostPort.toLowerCase();
  return h.endsWith(`:${DEFAULT_PORT[scheme]}`) ? h.slice(0, -DEFAULT_PORT[scheme].length - 1) : h;
}

/**
 * Parses one user-given entry: `HOST[:PORT]`, `http://HOST[:PORT]` or `https://HOST[:PORT]`. Without a
 * scheme, loopback hosts (127.0.0.0/8, localhost, [::1]) get http like Docker's insecure localhost
 * registries, and every other host https.
 */
export function parseAllowEntry(s: string): AllowEntry {
  const m = /^(?:(https?):\/\/)?((?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.*-]+)(?::\d{1,5})?)\/?$/.exec(s.trim());
  if (!m) throw new Error(`invalid registry "${s}": want HOST[:PORT], http://HOST[:PORT] or https://HOST[:PORT]`);
  const hostPort = m[2]!;
  const hostname = hostPort.startsWith("[") ? hostPort.slice(0, hostPort.indexOf("]") + 1) : hostPort.split(":")[0]!;
  const scheme = (m[1]?.toLowerCase() as "http" | "https" | undefined) ?? (isLoopbackHost(hostname) ? "http" : "https");
  return { host: normalizeHost(hostPort, scheme), scheme, kind: "registry", explicit: true };
}

/** Splits LAYERLAB_ALLOW_REGISTRIES-style text: comma- or whitespace-separated entries. */
export function splitAllowList(text: string | undefined): string[] {
  return (text ?? "").split(/[\s,]+/).filter(Boolean);
}

function globToRegExp(glob: string): RegExp {
  // "*" never crosses a dot or a colon: "*.pkg.dev" must not match "evil.com:1/x.pkg.dev" or "a.b.pkg.dev".
  const parts = glob.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join("[a-z0-9-]+")}$`);
}

export class AllowList {
  readonly entries: AllowEntry[];
  private readonly patterns = new Map<AllowEntry, RegExp>();

  /** `extra`: user-given registries, `downloads`: user-given download hosts (see parseAllowEntry); throws on a malformed one. */
  constructor(extra: string[] = [], downloads: string[] = []) {
    this.entries = [
      // User entries first: an explicit "http://…" wins over a built-in https entry for the same host.
      ...extra.filter(Boolean).map(parseAllowEntry),
      ...downloads.filter(Boolean).map((d): AllowEntry => ({ ...parseAllowEntry(d), kind: "download" })),
      ...BUILT_IN_REGISTRIES.map((host): AllowEntry => ({ host, scheme: "https", kind: "registry", explicit: false })),
      ...BUILT_IN_CDNS.map((host): AllowEntry => ({ host, scheme: "https", kind: "cdn", explicit: false })),
      ...BUILT_IN_DOWNLOADS.map((host): AllowEntry => ({ host, scheme: "https", kind: "download", explicit: false })),
    ];
    for (const e of this.entries) if (e.host.includes("*")) this.patterns.set(e, globToRegExp(e.host));
  }

  private matches(e: AllowEntry, hostPort: string): boolean {
    const h = normalizeHost(hostPort, e.scheme);
    const pattern = this.patterns.get(e);
    return pattern ? pattern.test(h) : e.host === h;
  }

  /** The entry for a host[:port] as written in a proxy path. Exact entries win over patterns. */
  find(hostPort: string, kinds: AllowKind[] = ["registry"]): AllowEntry | undefined {
    const candidates = this.entries.filter((e) => kinds.includes(e.kind));
    return candidates.find((e) => !this.patterns.has(e) && this.matches(e, hostPort)) ?? candidates.find((e) => this.patterns.has(e) && this.matches(e, hostPort));
  }

  /** The entry for a URL, whose scheme must be the allowed one (an https registry is never reached over http). */
  findUrl(url: URL, kinds: AllowKind[]): AllowEntry | undefined {
    const candidates = this.entries.filter((e) => kinds.includes(e.kind) && `${e.scheme}:` === url.protocol);
    return candidates.find((e) => !this.patterns.has(e) && this.matches(e, url.host)) ?? candidates.find((e) => this.patterns.has(e) && this.matches(e, url.host));
  }

  /** The user-given entries with their schemes, for the start-up line: "http://127.0.0.1:5000, …" or "none". */
  describeExtra(): string {
    return this.entries.filter((e) => e.explicit).map((e) => `${e.scheme}://${e.host}`).join(", ") || "none";
  }
}
