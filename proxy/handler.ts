/**
 * The registry CORS proxy, written against fetch's Request/Response only so the same code serves the
 * Node lab server and an edge worker. Paths look like /proxy/<host[:port]>/<path>?<query>.
 *
 * Why each behaviour exists (see ../shared/README.md for the measurements):
 * - registries with auth answer a CORS preflight with 401, so preflights are answered here;
 * - WWW-Authenticate, Docker-Content-Digest, Location, Content-Range… are invisible to a page unless exposed;
 * - token realms and upload Locations point at the registry itself, so they are rewritten to come back here;
 * - blob GETs redirect to CDNs without CORS headers, so redirects are followed here, server-side;
 * - it must not become an open proxy or an SSRF tool: allow-list, private addresses refused, bounded.
 */
import { isIpLiteral, isPrivateAddress } from "./addresses.ts";
import { AllowList, type AllowEntry } from "./allowlist.ts";

export interface ProxyConfig {
  /** Registries allowed beyond the built-in ones: "127.0.0.1:5000", "http://host:port". */
  allowRegistries?: string[];
  /** Resolves a hostname to addresses; the Node adapter passes dns.lookup. Without it only literals are checked. */
  resolve?: (hostname: string) => Promise<string[]>;
  /** Origins allowed by CORS ("*" by default: credentials never ride on cookies, the page sends them itself). */
  allowOrigin?: string;
  /** Time allowed for the upstream to answer with headers. */
  timeoutMs?: number;
  /** Largest request body accepted (uploads). */
  maxBodyBytes?: number;
  /** Request log; lines never contain credentials or query strings. */
  log?: (line: string) => void;
  fetch?: typeof fetch;
  prefix?: string;
  maxRedirects?: number;
}

const EXPOSED = [
  "WWW-Authenticate", "X-Registry-Authenticate", "Docker-Content-Digest", "Docker-Distribution-Api-Version", "Location", "Content-Range",
  "Range", "Content-Length", "Content-Type", "Docker-Upload-UUID", "ratelimit-limit", "ratelimit-remaining",
  "ratelimit-reset", "Retry-After", "OCI-Subject", "OCI-Filters-Applied", "Link",
].join(", ");

const FORWARDED_REQUEST_HEADERS = ["accept", "authorization", "content-type", "content-length", "content-range", "range", "if-none-match", "user-agent"];
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "set-cookie"]);

function corsHeaders(origin: string): Headers {
  return new Headers({
    "Access-Control-Allow-Origin": origin,
    "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Accept, Content-Type, Content-Range, Content-Length, Range, Docker-Content-Digest, Docker-Upload-UUID",
    "Access-Control-Expose-Headers": EXPOSED,
    "Access-Control-Max-Age": "600",
    "Cross-Origin-Resource-Policy": "same-origin",
    Vary: "Origin",
  });
}

export class ProxyRefusal extends Error {
  constructor(message: string, readonly status = 403, readonly code = "DENIED") {
    super(message);
  }
}

function errorResponse(status: number, code: string, message: string, cors: Headers): Response {
  const headers = new Headers(cors);
  headers.set("Content-Type", "application/json");
  return new Response(JSON.stringify({ errors: [{ code, message: `layerlab proxy: ${message}` }] }), { status, headers });
}

/** A body stream that errors once more than `limit` bytes went through. */
function limitBody(body: ReadableStream<Uint8Array>, limit: number): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > limit) controller.error(new ProxyRefusal(`request body over ${limit} bytes`, 413, "SIZE_INVALID"));
        else controller.enqueue(chunk);
      },
    }),
  );
}

export function createProxyHandler(config: ProxyConfig = {}): (req: Request) => Promise<Response> {
  const allow = new AllowList(config.allowRegistries ?? []);
  const prefix = config.prefix ?? "/proxy/";
  const timeoutMs = config.timeoutMs ?? 30_000;
  const maxBody = config.maxBodyBytes ?? 2 * 1024 ** 3;
  const maxRedirects = config.maxRedirects ?? 5;
  const doFetch = config.fetch ?? ((i: RequestInfo | URL, init?: RequestInit) => fetch(i, init));
  const log = config.log ?? (() => {});
  const cors = corsHeaders(config.allowOrigin ?? "*");

  /** Refuses private targets unless the entry was allowed explicitly. */
  async function checkAddress(url: URL, entry: AllowEntry): Promise<void> {
    if (entry.explicit) return;
    const hostname = url.hostname.replace(/^\[|\]$/g, "");
    if (isIpLiteral(hostname)) {
      if (isPrivateAddress(hostname)) throw new ProxyRefusal(`refusing private address ${hostname}`);
      return;
    }
    if (!config.resolve) return;
    let addresses: string[];
    try {
      addresses = await config.resolve(hostname);
    } catch (e) {
      throw new ProxyRefusal(`cannot resolve ${hostname}: ${(e as Error).message}`, 502, "UNREACHABLE");
    }
    const bad = addresses.find(isPrivateAddress);
    if (bad) throw new ProxyRefusal(`refusing ${hostname}: it resolves to private address ${bad}`);
  }

  function proxiedUrl(origin: string, target: URL): string {
    return `${origin}${prefix}${target.host}${target.pathname}${target.search}`;
  }

  async function upstreamFetch(url: URL, init: RequestInit): Promise<Response> {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(new ProxyRefusal(`${url.host} did not answer within ${timeoutMs} ms`, 504, "TIMEOUT")), timeoutMs);
    try {
      return await doFetch(url, { ...init, redirect: "manual", signal: ctrl.signal });
    } catch (e) {
      if (ctrl.signal.aborted) throw ctrl.signal.reason;
      if (e instanceof ProxyRefusal) throw e;
      throw new ProxyRefusal(`cannot reach ${url.host}: ${(e as Error).message}`, 502, "UNREACHABLE");
    } finally {
      clearTimeout(timer);
    }
  }

  return async function handle(req: Request): Promise<Response> {
    const started = Date.now();
    const reqUrl = new URL(req.url);
    if (req.method === "OPTIONS") return new Response(null, { status: 204, headers: cors });
    let logTarget = reqUrl.pathname;
    try {
      if (!reqUrl.pathname.startsWith(prefix)) throw new ProxyRefusal("not a proxy path", 404, "NOT_FOUND");
      const rest = reqUrl.pathname.slice(prefix.length);
      const slash = rest.indexOf("/");
      const hostPort = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
      const path = slash < 0 ? "/" : rest.slice(slash);
      logTarget = `${hostPort}${path}`;
      const entry = allow.find(hostPort, ["registry"]);
      if (!entry) throw new ProxyRefusal(`registry host ${hostPort} is not allow-listed (start the lab with --allow-registry ${hostPort} to allow it)`);
      let target = new URL(`${entry.scheme}://${hostPort}${path}${reqUrl.search}`);
      await checkAddress(target, entry);

      const headers = new Headers();
      for (const name of FORWARDED_REQUEST_HEADERS) {
        const v = req.headers.get(name);
        if (v !== null) headers.set(name, v);
      }
      for (const [k, v] of req.headers) if (k.startsWith("docker-")) headers.set(k, v);
      headers.set("accept-encoding", "identity");
      const declared = Number(req.headers.get("content-length") ?? 0);
      if (declared > maxBody) throw new ProxyRefusal(`request body of ${declared} bytes is over the ${maxBody}-byte limit`, 413, "SIZE_INVALID");
      const hasBody = req.body !== null && !["GET", "HEAD"].includes(req.method);
      const init: RequestInit & { duplex?: "half" } = { method: req.method, headers };
      if (hasBody) {
        init.body = limitBody(req.body!, maxBody);
        init.duplex = "half";
      }

      let res = await upstreamFetch(target, init);
      let registryHost = target.host;
      // Follow redirects ourselves: only GET/HEAD, only to allow-listed hosts, never to private addresses.
      for (let hop = 0; res.status >= 300 && res.status < 400 && res.headers.has("location") && (req.method === "GET" || req.method === "HEAD"); hop++) {
        if (hop >= maxRedirects) throw new ProxyRefusal(`too many redirects from ${registryHost}`, 502, "UNREACHABLE");
        const next = new URL(res.headers.get("location")!, target);
        await res.body?.cancel();
        const nextEntry = allow.findUrl(next, ["registry", "cdn"]);
        if (!nextEntry) throw new ProxyRefusal(`redirect to ${next.protocol}//${next.host} is not allow-listed`);
        await checkAddress(next, nextEntry);
        const h = new Headers(headers);
        // Credentials are for the registry only: a CDN gets a signed URL and no Authorization.
        if (next.host !== registryHost) h.delete("authorization");
        target = next;
        res = await upstreamFetch(target, { method: req.method, headers: h });
      }

      const out = new Headers(cors);
      for (const [k, v] of res.headers) {
        if (HOP_BY_HOP.has(k) || k.startsWith("access-control-")) continue;
        out.append(k, v);
      }
      if (res.headers.has("content-encoding")) {
        // fetch already decoded the body: passing these on would make the browser decode twice.
        out.delete("content-encoding");
        out.delete("content-length");
      }
      const auth = res.headers.get("www-authenticate");
      if (auth) {
        if (/^\s*basic\b/i.test(auth)) {
          // A browser answers a Basic challenge with its own login prompt (headless: it waits forever),
          // so the challenge travels under another name that only the lab's client reads.
          out.delete("www-authenticate");
          out.set("x-registry-authenticate", auth);
        } else out.set("www-authenticate", rewriteRealm(auth, reqUrl.origin));
      }
      const location = res.headers.get("location");
      if (location) {
        const abs = new URL(location, `${entry.scheme}://${hostPort}${path}`);
        const locEntry = allow.findUrl(abs, ["registry"]);
        if (locEntry) out.set("location", proxiedUrl(reqUrl.origin, abs));
      }
      log(`${req.method} ${logTarget} → ${res.status} (${Date.now() - started} ms)`);
      return new Response(req.method === "HEAD" || res.status === 204 || res.status === 304 ? null : res.body, { status: res.status, statusText: res.statusText, headers: out });
    } catch (e) {
      const r = e instanceof ProxyRefusal ? e : new ProxyRefusal((e as Error).message ?? String(e), 502, "UNREACHABLE");
      log(`${req.method} ${logTarget} refused ${r.status}: ${r.message}`);
      return errorResponse(r.status, r.code, r.message, cors);
    }
  };

  /** realm="https://auth.docker.io/token" → realm="<origin>/proxy/auth.docker.io/token" when allowed. */
  function rewriteRealm(header: string, origin: string): string {
    return header.replace(/realm="([^"]+)"/i, (whole, realm: string) => {
      let url: URL;
      try {
        url = new URL(realm);
      } catch {
        return whole;
      }
      return allow.findUrl(url, ["registry"]) ? `realm="${proxiedUrl(origin, url)}"` : whole;
    });
  }
}
