/**
 * Registry authentication: WWW-Authenticate challenges, the Bearer token flow of the Docker token
 * spec (realm/service/scope, anonymous or with Basic credentials), and Basic auth.
 */
import type { Credentials } from "./types.ts";

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="repository:a/b:pull,push"` (commas inside quotes kept). */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2]!))) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3]!;
  return { scheme: m[1]!.toLowerCase(), params };
}

export function basicAuth(c: Credentials): string {
  const bytes = new TextEncoder().encode(`${c.username}:${c.password}`);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
}

export function repositoryScope(repository: string, actions: string[] = ["pull"]): string {
  return `repository:${repository}:${actions.join(",")}`;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

export class TokenError extends Error {
  override name = "TokenError";
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/** Tokens reused per (realm, service, scope set) until shortly before they expire. */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();

  private key(realm: string, service: string, scopes: string[], user: string | undefined): string {
    return `${user ?? ""}\n${realm}\n${service}\n${[...scopes].sort().join(" ")}`;
  }

  get(realm: string, service: string, scopes: string[], user?: string): string | undefined {
    const t = this.tokens.get(this.key(realm, service, scopes, user));
    return t && t.expiresAt > Date.now() ? t.token : undefined;
  }

  clear(): void {
    this.tokens.clear();
  }

  async fetchToken(
    fetchFn: typeof fetch,
    realm: string,
    service: string,
    scopes: string[],
    credentials: Credentials | undefined,
  ): Promise<string> {
    const cached = this.get(realm, service, scopes, credentials?.username);
    if (cached) return cached;
    const url = new URL(realm, globalThis.location?.href);
    if (service) url.searchParams.set("service", service);
    for (const s of scopes) url.searchParams.append("scope", s);
    if (credentials) url.searchParams.set("account", credentials.username);
    const headers: Record<string, string> = {};
    if (credentials) headers.Authorization = basicAuth(credentials);
    const res = await fetchFn(url.toString(), { headers });
    if (!res.ok) {
      const text = await res.text().catch(() => "");
      let detail = text.slice(0, 200);
      try {
        const j = JSON.parse(text) as { errors?: { message?: string }[]; details?: string };
        detail = j.errors?.[0]?.message ?? j.details ?? detail;
      } catch {
        /* keep text */
      }
      throw new TokenError(`token server ${url.host} answered HTTP ${res.status}${detail ? `: ${detail}` : ""}`, res.status);
    }
    const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new TokenError(`token server ${url.host} returned no token`, res.status);
    // The token spec says 60 s when unspecified; renew 10 s early.
    const lifetime = Math.max(body.expires_in ?? 60, 20);
    this.tokens.set(this.key(realm, service, scopes, credentials?.username), { token, expiresAt: Date.now() + (lifetime - 10) * 1000 });
    return token;
  }
}
