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
  /** Registries allowed beyond the built-in ones: "127.0.0.1:5000", "http://host:port", "https://host". */
  allowRegistries?: string[];
  /** Resolves a hostname to its addresses (the Node adapter passes dns.lookup). Without it only IP literals are checked. */
  resolve?: (hostname: string) => Promise<string[]>;
  /**
   * Page origins ("https://lab.example") allowed to call the proxy besides the proxy's own origin, or
   * ["*"]. Requests carrying any other Origin are refused: another site must not use a user's local lab
   * to reach registries (a local one above all) with the lab's allow-list.
   */
  allowOrigins?: string[];
  /** Time the upstream gets to answer with headers, counted from the end of the request body. Default 30 s. */
  timeoutMs?: number;
  /** Longest pause allowed while a request or response body is streaming. Default 60 s. */
  idleTimeoutMs?: number;
  /** Largest request body accepted (uploads); 413 past it. Default 2 GiB. */
  maxBodyBytes?: number;
  /** Request log. Lines carry method, host, path, status and time; never headers or query strings. */
  log?: (line: string) => void;
  /** The fetch used upstream (tests, or a runtime with its own). */
  fetch?: typeof fetch;
  /** Path prefix the proxy serves. Default "/proxy/". */
  prefix?: string;
  /** Redirect hops followed for one GET/HEAD. Default 5. */
  maxRedirects?: number;
  /** Web servers `ADD <url>` may download from beyond the built-in ones (same forms as allowRegistries). */
  allowDownloads?: string[];
  /** Largest download passed through. Default 1 GiB. */
  maxDownloadBytes?: number;
}

/** The download route: `<prefix>~download/<http|https>/<host[:port]>/<path>` (no host name has a "~"). */
export const DOWNLOAD_ROUTE = "~download/";

const EXPOSED_HEADERS = [
  "WWW-Authenticate", "X-Registry-Authenticate", "Docker-Content-Digest", "Docker-Distribution-Api-Version",
  "Location", "Content-Range", "Range", "Content-Length", "Content-Type", "Docker-Upload-UUID",
  "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "docker-ratelimit-source", "Retry-After",
  "OCI-Subject", "OCI-Filters-Applied", "Link", "ETag", "Last-Modified",
].join(", ");

const ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
const ALLOWED_REQUEST_HEADERS = ["authorization", "accept", "content-type", "content-range", "range", "content-length"];

/** Request headers passed upstream; everything else (Host, Origin, Referer, Cookie, hop-by-hop…) stays here. */
const FORWARDED_REQUEST_HEADERS = ["accept", "authorization", "content-type", "content-length", "content-range", "range", "if-none-match", "user-agent"];

/** Response headers never passed to the page: hop-by-hop ones, and ones that would act on the lab's own origin. */
const DROPPED_RESPONSE_HEADERS = new Set([
  "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
  "set-cookie", "set-cookie2", // cookies of registry.example would be stored for the lab's origin
  "clear-site-data", // would wipe the lab's IndexedDB image store
  "strict-transport-security", "alt-svc", "public-key-pins", "public-key-pins-report-only",
]);

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** A host[:port] as a path segment may spell it once decoded: a name, an IPv4 or a bracketed IPv6 (no "/", "\\", "%", "?"). */
const HOST_PORT = /^(?:[a-z0-9.*_-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

export class ProxyRefusal extends Error {
  constructor(message: string, readonly status = 403, readonly code = "DENIED") {
    super(message);
  }
}

/** Log text with anything credential-like removed: query strings, userinfo, Basic/Bearer values. */
export function redactForLog(line: string): string {
  return line
    .replace(/\?[^\s]*/g, "?…")
    .replace(/[^\s/@]+@/g, "…@")
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, "$1 …");
}

function errorResponse(status: number, code: string, message: string, headers: Headers): Response {
  const h = new Headers(headers);
  h.set("Content-Type", "application/json");
  return new Response(JSON.stringify({ errors: [{ code, message: `layerlab proxy: ${message}` }] }), { status, headers: h });
}

function causeText(e: unknown): string {
  const err = e as Error & { cause?: { message?: string; code?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message} (${cause})` : (err.message ?? String(e));
}

export function createProxyHandler(config: ProxyConfig = {}): (req: Request) => Promise<Response> {
  const allow = new AllowList(config.allowRegistries ?? [], config.allowDownloads ?? []);
  const maxDownload = config.maxDownloadBytes ?? 1024 ** 3;
  const prefix = config.prefix ?? "/proxy/";
  const timeoutMs = config.timeoutMs ?? 30_000;
  const idleTimeoutMs = config.idleTimeoutMs ?? 60_000;
  const maxBody = config.maxBodyBytes ?? 2 * 1024 ** 3;
  const maxRedirects = config.maxRedirects ?? 5;
  const doFetch = config.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const log = (line: string) => config.log?.(redactForLog(line));
  const anyOrigin = config.allowOrigins?.includes("*") ?? false;
  const extraOrigins = new Set((config.allowOrigins ?? []).map((o) => o.replace(/\/$/, "").toLowerCase()));

  function originAllowed(origin: string | null, own: string): boolean {
    // No Origin: not a cross-origin browser request (curl, Node, a same-origin GET).
    return origin === null || anyOrigin || origin === own || extraOrigins.has(origin.toLowerCase());
  }

  function corsHeaders(origin: string | null): Headers {
    const h = new Headers({
      "Access-Control-Expose-Headers": EXPOSED_HEADERS,
      // Same-origin is the main use; this keeps other sites from embedding proxied bytes with no-cors requests.
      "Cross-Origin-Resource-Policy": "same-origin",
      Vary: "Origin",
    });
    if (anyOrigin) h.set("Access-Control-Allow-Origin", "*");
    else if (origin !== null) h.set("Access-Control-Allow-Origin", origin);
    return h;
  }

  function preflight(req: Request, own: string): Response {
    const origin = req.headers.get("origin");
    if (!originAllowed(origin, own)) return new Response(null, { status: 403, headers: { Vary: "Origin" } });
    const requested = (req.headers.get("access-control-request-headers") ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
    // Docker-* are allowed as a family; the CORS header list has no wildcard that covers Authorization.
    const allowed = [...new Set([...ALLOWED_REQUEST_HEADERS, ...requested.filter((h) => h.startsWith("docker-"))])];
    const headers = corsHeaders(origin);
    headers.set("Access-Control-Allow-Methods", ALLOWED_METHODS);
    headers.set("Access-Control-Allow-Headers", allowed.join(", "));
    headers.set("Access-Control-Max-Age", "600");
    return new Response(null, { status: 204, headers });
  }

  /** Refuses private targets (literal, or what the name resolves to) unless the entry was allowed explicitly. */
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
      throw new ProxyRefusal(`cannot resolve ${hostname}: ${causeText(e)}`, 502, "UNREACHABLE");
    }
    const bad = addresses.find(isPrivateAddress);
    if (bad !== undefined) throw new ProxyRefusal(`refusing ${hostname}: it resolves to private address ${bad}`);
    if (addresses.length === 0) throw new ProxyRefusal(`cannot resolve ${hostname}: no addresses`, 502, "UNREACHABLE");
  }

  function proxiedUrl(origin: string, target: URL): string {
    return `${origin}${prefix}${target.host}${target.pathname}${target.search}`;
  }

  /**
   * One upstream exchange. The clock runs while nothing moves: `timeoutMs` for the answer's headers
   * (counted from the last request-body byte, so a long upload is not cut), `idleTimeoutMs` between
   * body chunks either way. The response body is only watched while the page is actually reading.
   */
  async function upstreamFetch(url: URL, init: RequestInit, body?: ReadableStream<Uint8Array>): Promise<Response> {
    const ctrl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A registry may answer before it has read the whole body (an early 401): from then on the
    // response body's own watch applies, and late request chunks must not re-arm this clock.
    let answered = false;
    const arm = (ms: number, message: string) => {
      clearTimeout(timer);
      if (answered) return;
      timer = setTimeout(() => ctrl.abort(new ProxyRefusal(`${message} within ${ms} ms`, 504, "TIMEOUT")), ms);
    };
    const noAnswer = `${url.host} did not answer`;
    const withSignal: RequestInit & { duplex?: "half" } = { ...init, redirect: "manual", signal: ctrl.signal };
    if (body) {
      let seen = 0;
      withSignal.duplex = "half";
      withSignal.body = body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            seen += chunk.byteLength;
            if (seen > maxBody) {
              const refusal = new ProxyRefusal(`request body over the ${maxBody}-byte limit`, 413, "SIZE_INVALID");
              ctrl.abort(refusal);
              controller.error(refusal);
              return;
            }
            arm(idleTimeoutMs, `the request body for ${url.host} stalled: no bytes arrived`);
            controller.enqueue(chunk);
          },
          flush() {
            arm(timeoutMs, noAnswer);
          },
        }),
      );
    }
    arm(timeoutMs, noAnswer);
    let res: Response;
    try {
      res = await doFetch(url, withSignal);
    } catch (e) {
      if (ctrl.signal.aborted && ctrl.signal.reason instanceof ProxyRefusal) throw ctrl.signal.reason;
      if (e instanceof ProxyRefusal) throw e;
      throw new ProxyRefusal(`cannot reach ${url.host}: ${causeText(e)}`, 502, "UNREACHABLE");
    } finally {
      answered = true;
      clearTimeout(timer);
    }
    if (!res.body || NULL_BODY_STATUSES.has(res.status)) return res;
    const reader = res.body.getReader();
    const watched = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const stall = setTimeout(() => ctrl.abort(new ProxyRefusal(`${url.host} stalled mid-body for ${idleTimeoutMs} ms`, 504, "TIMEOUT")), idleTimeoutMs);
        try {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (e) {
          controller.error(e);
        } finally {
          clearTimeout(stall);
        }
      },
      cancel(reason) {
        ctrl.abort(reason);
        return reader.cancel(reason).catch(() => {});
      },
    });
    return new Response(watched, { status: res.status, statusText: res.statusText, headers: res.headers });
  }

  /** realm="https://auth.docker.io/token" → realm="<origin>/proxy/auth.docker.io/token" when the realm is allowed. */
  function rewriteRealm(header: string, origin: string): string {
    return header.replace(/\brealm="([^"]+)"/gi, (whole, realm: string) => {
      let url: URL;
      try {
        url = new URL(realm);
      } catch {
        return whole;
      }
      return allow.findUrl(url, ["registry"]) ? `realm="${proxiedUrl(origin, url)}"` : whole;
    });
  }

  /** A URL the registry handed out (Location, Link), made to come back through the proxy when it may. */
  function rewriteRegistryUrl(value: string, base: URL, origin: string): string | undefined {
    let url: URL;
    try {
      url = new URL(value, base);
    } catch {
      return undefined;
    }
    // The registry's own host counts whatever scheme it wrote: one behind a TLS terminator that ignores
    // X-Forwarded-Proto writes http:// Locations for an https registry.
    if (url.host === base.host && (url.protocol === "http:" || url.protocol === "https:")) return proxiedUrl(origin, url);
    return allow.findUrl(url, ["registry"]) ? proxiedUrl(origin, url) : undefined;
  }

  /**
   * `ADD <url>`: a GET (or HEAD) of a file from an allow-listed web server, redirects followed to
   * allow-listed hosts only, nothing of the page's sent (no credentials, cookies or Referer), the body
   * bounded. Throws ProxyRefusal.
   */
  async function download(req: Request, rest: string, search: string, cors: Headers): Promise<{ target: string; response: Response }> {
    const m = /^(https?)\/([^/]+)(\/.*)?$/.exec(rest);
    if (!m) throw new ProxyRefusal("malformed download path: want ~download/<http|https>/<host>/<path>", 400, "UNSUPPORTED");
    if (req.method !== "GET" && req.method !== "HEAD") throw new ProxyRefusal(`${req.method} is not a download`, 405, "UNSUPPORTED");
    let hostPort: string;
    try {
      hostPort = decodeURIComponent(m[2]!).toLowerCase();
    } catch {
      throw new ProxyRefusal("malformed download host", 400, "UNSUPPORTED");
    }
    if (hostPort.includes("@")) throw new ProxyRefusal("credentials in a download URL are not accepted", 400, "UNSUPPORTED");
    if (!HOST_PORT.test(hostPort)) throw new ProxyRefusal("malformed download host", 400, "UNSUPPORTED");
    let target: URL;
    try {
      target = new URL(`${m[1]}://${hostPort}${m[3] ?? "/"}${search}`);
    } catch {
      throw new ProxyRefusal("malformed download URL", 400, "UNSUPPORTED");
    }
    let entry = allow.findUrl(target, ["download"]);
    if (!entry) throw new ProxyRefusal(`${target.protocol}//${target.host} is not on the lab's download allow-list (start the lab with --allow-download ${target.host} to allow it)`);
    await checkAddress(target, entry);
    const headers = new Headers({ "accept-encoding": "identity" });
    let res = await upstreamFetch(target, { method: req.method, headers });
    for (let hops = 0; [301, 302, 303, 307, 308].includes(res.status) && res.headers.has("location"); hops++) {
      await res.body?.cancel().catch(() => {});
      if (hops >= maxRedirects) throw new ProxyRefusal(`more than ${maxRedirects} redirects from ${target.host}`, 502, "UNREACHABLE");
      let next: URL;
      try {
        next = new URL(res.headers.get("location")!, target);
      } catch {
        throw new ProxyRefusal(`${target.host} redirected to a malformed URL`, 502, "UNREACHABLE");
      }
      entry = allow.findUrl(next, ["download"]);
      if (!entry) throw new ProxyRefusal(`redirect to ${next.protocol}//${next.host} is not on the lab's download allow-list`);
      await checkAddress(next, entry);
      target = next;
      res = await upstreamFetch(target, { method: req.method, headers });
    }
    const declared = Number(res.headers.get("content-length") ?? 0);
    if (declared > maxDownload) {
      await res.body?.cancel().catch(() => {});
      throw new ProxyRefusal(`the download is ${declared} bytes, over the ${maxDownload}-byte limit`, 413, "SIZE_INVALID");
    }
    const out = new Headers(cors);
    for (const name of ["content-type", "content-length", "last-modified", "etag"]) {
      const v = res.headers.get(name);
      if (v !== null && !(name === "content-length" && res.headers.has("content-encoding"))) out.set(name, v);
    }
    // Where the file came from after redirects: ADD names the file after the URL it was asked for.
    out.set("x-download-url", `${target.protocol}//${target.host}${target.pathname}`);
    let seen = 0;
    const body =
      req.method === "HEAD" || !res.body
        ? null
        : res.body.pipeThrough(
            new TransformStream<Uint8Array, Uint8Array>({
              transform(chunk, controller) {
                seen += chunk.byteLength;
                if (seen > maxDownload) controller.error(new ProxyRefusal(`the download is over the ${maxDownload}-byte limit`, 413, "SIZE_INVALID"));
                else controller.enqueue(chunk);
              },
            }),
          );
    return { target: `${target.host}${target.pathname}`, response: new Response(body, { status: res.status, statusText: res.statusText, headers: out }) };
  }

  return async function handle(req: Request): Promise<Response> {
    const started = Date.now();
    const reqUrl = new URL(req.url);
    const own = reqUrl.origin;
    if (req.method === "OPTIONS") return preflight(req, own);
    const origin = req.headers.get("origin");
    const cors = corsHeaders(originAllowed(origin, own) ? origin : null);
    let logTarget = reqUrl.pathname;
    try {
      if (!originAllowed(origin, own)) throw new ProxyRefusal(`origin ${origin} may not use this proxy`);
      if (!reqUrl.pathname.startsWith(prefix)) throw new ProxyRefusal("not a proxy path", 404, "NOT_FOUND");
      const rest = reqUrl.pathname.slice(prefix.length);
      if (rest.startsWith(DOWNLOAD_ROUTE)) {
        const r = await download(req, rest.slice(DOWNLOAD_ROUTE.length), reqUrl.search, cors);
        log(`${req.method} download ${r.target} → ${r.response.status} (${Date.now() - started} ms)`);
        return r.response;
      }
      const slash = rest.indexOf("/");
      let hostPort: string;
      try {
        hostPort = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash)).toLowerCase();
      } catch {
        throw new ProxyRefusal("malformed registry host in the proxy path", 400, "UNSUPPORTED");
      }
      const path = slash < 0 ? "/" : rest.slice(slash);
      logTarget = `${hostPort}${path}`;
      if (hostPort.includes("@")) throw new ProxyRefusal("credentials in the proxy path are not accepted: send them in an Authorization header", 400, "UNSUPPORTED");
      if (!HOST_PORT.test(hostPort)) throw new ProxyRefusal("malformed registry host in the proxy path", 400, "UNSUPPORTED");
      const entry = allow.find(hostPort, ["registry"]);
      if (!entry) throw new ProxyRefusal(`registry host ${hostPort} is not allow-listed (start the lab with --allow-registry ${hostPort} to allow it)`);
      let target = new URL(`${entry.scheme}://${hostPort}${path}${reqUrl.search}`);
      // Belt and braces: what the URL parser made of the host must still be the allowed one.
      if (!allow.findUrl(target, ["registry"])) throw new ProxyRefusal(`registry host ${hostPort} is not allow-listed`);
      await checkAddress(target, entry);

      const headers = new Headers();
      for (const name of FORWARDED_REQUEST_HEADERS) {
        const v = req.headers.get(name);
        if (v !== null) headers.set(name, v);
      }
      for (const [k, v] of req.headers) if (k.startsWith("docker-")) headers.set(k, v);
      // Bodies go through untouched (digests are computed over them); no compression to undo.
      headers.set("accept-encoding", "identity");
      const declared = Number(req.headers.get("content-length") ?? 0);
      if (declared > maxBody) throw new ProxyRefusal(`request body of ${declared} bytes is over the ${maxBody}-byte limit`, 413, "SIZE_INVALID");
      const body = req.body !== null && req.method !== "GET" && req.method !== "HEAD" ? req.body : undefined;

      let res = await upstreamFetch(target, { method: req.method, headers }, body);
      const registryHost = target.host;
      // CDNs do not know the digest; the registry said it on the redirect.
      let registryDigest: string | null = null;
      const hops: string[] = [];
      // Follow redirects here: only for GET/HEAD, only to allow-listed hosts, never to private addresses.
      const follows = req.method === "GET" || req.method === "HEAD";
      while (follows && [301, 302, 303, 307, 308].includes(res.status) && res.headers.has("location")) {
        await res.body?.cancel().catch(() => {});
        registryDigest ??= res.headers.get("docker-content-digest");
        if (hops.length >= maxRedirects) throw new ProxyRefusal(`more than ${maxRedirects} redirects from ${registryHost}`, 502, "UNREACHABLE");
        let next: URL;
        try {
          next = new URL(res.headers.get("location")!, target);
        } catch {
          throw new ProxyRefusal(`${target.host} redirected to a malformed URL`, 502, "UNREACHABLE");
        }
        const nextEntry = allow.findUrl(next, ["registry", "cdn"]);
        if (!nextEntry) throw new ProxyRefusal(`redirect to ${next.protocol}//${next.host} is not allow-listed`);
        await checkAddress(next, nextEntry);
        const hopHeaders = new Headers(headers);
        // Credentials are for the registry only: a CDN gets a signed URL and no Authorization.
        if (next.host !== registryHost) hopHeaders.delete("authorization");
        target = next;
        hops.push(next.host);
        res = await upstreamFetch(target, { method: req.method, headers: hopHeaders });
      }

      const out = new Headers(cors);
      for (const [k, v] of res.headers) {
        if (DROPPED_RESPONSE_HEADERS.has(k) || k.startsWith("access-control-") || k === "cross-origin-resource-policy") continue;
        out.append(k, v); // Vary joins our "Origin": a manifest's "Vary: Accept" must reach the HTTP cache
      }
      if (registryDigest && !out.has("docker-content-digest")) out.set("docker-content-digest", registryDigest);
      if (res.headers.has("content-encoding")) {
        // fetch already decoded the body: passing these on would make the browser decode it twice.
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
        } else out.set("www-authenticate", rewriteRealm(auth, own));
      }
      const location = res.headers.get("location");
      if (location) {
        const rewritten = rewriteRegistryUrl(location, target, own);
        if (rewritten) out.set("location", rewritten);
      }
      const link = res.headers.get("link");
      if (link) {
        // Pagination (tags/list, _catalog) hands out "</v2/…?last=…>; rel=next", relative to the registry.
        out.set("link", link.replace(/<([^>]*)>/g, (whole, u: string) => {
          const rewritten = rewriteRegistryUrl(u, target, own);
          return rewritten ? `<${rewritten}>` : whole;
        }));
      }
      log(`${req.method} ${logTarget}${hops.length ? ` via ${hops.join(" → ")}` : ""} → ${res.status} (${Date.now() - started} ms)`);
      const passBody = req.method !== "HEAD" && !NULL_BODY_STATUSES.has(res.status);
      if (!passBody) await res.body?.cancel().catch(() => {});
      return new Response(passBody ? res.body : null, { status: res.status, statusText: res.statusText, headers: out });
    } catch (e) {
      const r = e instanceof ProxyRefusal ? e : new ProxyRefusal(causeText(e), 502, "UNREACHABLE");
      log(`${req.method} ${logTarget} refused ${r.status}: ${r.message}`);
      return errorResponse(r.status, r.code, r.message, cors);
    }
  };
}
