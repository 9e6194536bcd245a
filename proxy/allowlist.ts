/**
 * The registries (and their token realms and blob CDNs) the proxy may reach. The proxy is not an open
 * proxy: anything else is refused, and so is any private address unless its host:port was allowed
 * explicitly (a local test registry).
 */
import { isLoopbackHost } from "./addresses.ts";

export type AllowKind = "registry" | "cdn";

export interface AllowEntry {
  /** "registry-1.docker.io", "127.0.0.1:5000", or a pattern with "*" ("*.r2.cloudflarestorage.com"). */
  host: string;
  scheme: "http" | "https";
  kind: AllowKind;
  /** Given explicitly (command line/env): may be a private address. */
  explicit: boolean;
}

const BUILT_IN_REGISTRIES = [
  "registry-1.docker.io", "auth.docker.io", "index.docker.io",
  "ghcr.io", "quay.io", "registry.k8s.io", "gcr.io", "*.gcr.io", "*.pkg.dev", "public.ecr.aws",
];

/** Where those registries redirect blob downloads (followed server-side only). */
const BUILT_IN_CDNS = [
  "production.cloudflare.docker.com", "*.r2.cloudflarestorage.com", "docker-images-prod.*.r2.cloudflarestorage.com",
  "pkg-containers.githubusercontent.com", "cdn.quay.io", "cdn*.quay.io", "quayio-production-s3.s3.amazonaws.com",
  "prod-registry-k8s-io-*.s3.dualstack.*.amazonaws.com", "storage.googleapis.com", "*.storage.googleapis.com",
  "*.cloudfront.net", "prod-*-starport-layer-bucket.s3.*.amazonaws.com",
];

export function parseAllowEntry(s: string): AllowEntry {
  const m = /^(?:(https?):\/\/)?([^/\s]+)\/?$/.exec(s.trim());
  if (!m) throw new Error(`invalid registry "${s}": want HOST[:PORT] or http(s)://HOST[:PORT]`);
  const host = m[2]!.toLowerCase();
  const hostname = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0]!;
  const scheme = (m[1] as "http" | "https" | undefined) ?? (isLoopbackHost(hostname) ? "http" : "https");
  return { host, scheme, kind: "registry", explicit: true };
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[a-z0-9-]+")}$`);
}

export class AllowList {
  readonly entries: AllowEntry[];

  constructor(extra: string[] = []) {
    this.entries = [
      ...BUILT_IN_REGISTRIES.map((host): AllowEntry => ({ host, scheme: "https", kind: "registry", explicit: false })),
      ...BUILT_IN_CDNS.map((host): AllowEntry => ({ host, scheme: "https", kind: "cdn", explicit: false })),
      ...extra.filter(Boolean).map(parseAllowEntry),
    ];
  }

  /** The entry for a host[:port] as it appears in a proxy path or a URL (default ports stripped). */
  find(hostPort: string, kinds: AllowKind[] = ["registry"]): AllowEntry | undefined {
    const h = hostPort.toLowerCase();
    const exact = this.entries.find((e) => kinds.includes(e.kind) && !e.host.includes("*") && e.host === h);
    if (exact) return exact;
    return this.entries.find((e) => kinds.includes(e.kind) && e.host.includes("*") && globToRegExp(e.host).test(h));
  }

  /** The entry for a URL: its scheme must be the one allowed (an https registry is never reached over http). */
  findUrl(url: URL, kinds: AllowKind[]): AllowEntry | undefined {
    const e = this.find(url.host, kinds);
    if (!e) return undefined;
    return `${e.scheme}:` === url.protocol ? e : undefined;
  }

  describeExtra(): string {
    return this.entries.filter((e) => e.explicit).map((e) => `${e.scheme}://${e.host}`).join(", ") || "none";
  }
}
