/**
 * Node side: the proxy handler on node:http, and the lab server — app (vite) and proxy on one port,
 * in one process — that `npm start`, the headless driver, tests and benchmarks all use.
 */
import { createReadStream, existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { lookup } from "node:dns/promises";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isIP } from "node:net";
import { extname, join, resolve as resolvePath, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { fileURLToPath } from "node:url";
import { isolationHeaders } from "../vite.config.ts";
import { createProxyHandler, type ProxyConfig } from "./handler.ts";
import { WebSocketServer } from "ws";
import { dnsAnswer, dnsFormatErrorAnswer, parseDnsQuery, type DnsQuestion } from "../src/runtime/dns-message.ts";
import { HOST_NAME, NetAllowList, NetNames, serveWisp } from "./wisp.ts";

/** Every address a name resolves to (all families), so one private answer among public ones is seen. */
export async function resolveHost(hostname: string): Promise<string[]> {
  return (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);
}

/** The fetch Request for a node:http request; the body streams (nothing is buffered). */
export function toRequest(req: IncomingMessage, fallbackHost = "127.0.0.1"): Request {
  // A TLS terminator in front says which scheme the page used; the proxy writes absolute realm and
  // Location URLs from it, and an http:// URL on an https page would be blocked as mixed content.
  const proto = req.headers["x-forwarded-proto"] === "https" ? "https" : "http";
  const url = `${proto}://${req.headers.host ?? fallbackHost}${req.url ?? "/"}`;
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
  }
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD" && (req.headers["transfer-encoding"] !== undefined || (req.headers["content-length"] ?? "0") !== "0");
  const init: RequestInit & { duplex?: "half" } = { method, headers };
  if (hasBody) {
    init.body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
    init.duplex = "half";
  }
  return new Request(url, init);
}

/** Writes a fetch Response to a node:http response, streaming; a client that goes away cancels the upstream. */
export async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  for (const [k, v] of response.headers) res.setHeader(k, v);
  if (!response.body) return void res.end();
  try {
    await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), res);
  } catch {
    // Client gone or upstream failed mid-body: pipeline has torn both down; a cut body is the signal.
  }
}

/** The proxy as a node:http handler, with the DNS check of resolved addresses switched on. */
export function nodeProxyHandler(config: ProxyConfig = {}): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const handle = createProxyHandler({ resolve: resolveHost, ...config });
  return async (req, res) => {
    try {
      const response = await handle(toRequest(req));
      // Answered before the body was read (413, a refusal, an early 401): close the connection after
      // the answer rather than let Node drain gigabytes nobody will use.
      if (!req.complete) res.setHeader("Connection", "close");
      await sendResponse(res, response);
    } catch (e) {
      if (!res.headersSent) res.writeHead(502, { "Content-Type": "text/plain" });
      res.end(`layerlab proxy error: ${(e as Error).message}`);
    }
  };
}

export interface LabServerOptions {
  /** 0 picks a free port. Default 0. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Registries beyond the built-in allow-list: "127.0.0.1:5000", "http://host:port", "https://host". */
  allowRegistries?: string[];
  /** true: vite dev middleware (default); false: serve the built dist/. */
  dev?: boolean;
  /** Project root (index.html, vite.config.ts, dist/). Default: this repository. */
  root?: string;
  /**
   * Dev mode: reload/patch the page when sources change. Default false, because tests and the headless
   * driver must not see their page reload while someone edits src/; `npm start` turns it on.
   */
  hmr?: boolean;
  /**
   * Host names (Host header) the server answers besides IP literals, localhost and *.localhost;
   * ".example.com" covers its subdomains; true answers any. Guards against DNS rebinding: a page on
   * evil.example whose name is re-pointed to 127.0.0.1 would otherwise be "same-origin" with the lab.
   */
  allowedHosts?: string[] | true;
  /** Proxy request log (already redacted). */
  log?: (line: string) => void;
  /** Hosts containers may reach through the relay beyond the built-in package mirrors: "HOST[:PORT]". */
  allowNet?: string[];
  /** Resolves a name for the relay (tests map names to local servers). Default: the system's resolver. */
  netResolve?: (host: string) => Promise<string[]>;
  /** Passed through to the proxy handler (timeouts, body ceiling, origins…). */
  proxy?: Omit<ProxyConfig, "allowRegistries" | "log">;
}

export interface LabServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Same rule as vite's own host check, so the proxy and the app agree on which names are served. */
export function isHostAllowed(hostHeader: string | undefined, allowed: string[] | true): boolean {
  if (allowed === true || hostHeader === undefined) return true;
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith("[")) return isIP(h.slice(1, h.indexOf("]"))) === 6;
  const name = h.split(":")[0]!;
  if (isIP(name) === 4 || name === "localhost" || name.endsWith(".localhost")) return true;
  return allowed.some((a) => a.toLowerCase() === name || (a.startsWith(".") && (name === a.slice(1).toLowerCase() || name.endsWith(a.toLowerCase()))));
}

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8", ".json": "application/json", ".map": "application/json", ".wasm": "application/wasm",
  ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".ico": "image/x-icon", ".webp": "image/webp",
  ".woff2": "font/woff2", ".webmanifest": "application/manifest+json", ".txt": "text/plain; charset=utf-8",
  ".bin": "application/octet-stream", ".gz": "application/gzip", ".zst": "application/zstd", ".tar": "application/x-tar",
};

/** Serves dist/: files by path, index.html for extension-less paths (client-side routes), 404 otherwise. */
function staticHandler(dir: string): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const root = resolvePath(dir);
  return async (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return void res.writeHead(405, { Allow: "GET, HEAD" }).end();
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    } catch {
      return void res.writeHead(400).end("bad path");
    }
    let file = resolvePath(root, `.${path}`);
    if (file !== root && !file.startsWith(root + sep)) return void res.writeHead(403).end();
    let info = await stat(file).catch(() => undefined);
    if (info?.isDirectory()) {
      file = join(file, "index.html");
      info = await stat(file).catch(() => undefined);
    }
    if (!info?.isFile()) {
      // A missing script must be a 404, not index.html served as JavaScript.
      if (extname(path) !== "") return void res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
      file = join(root, "index.html");
      info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) return void res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
    }
    res.writeHead(200, {
      "Content-Type": MIME[extname(file).toLowerCase()] ?? "application/octet-stream",
      "Content-Length": info.size,
      // vite puts content hashes in the names under assets/; everything else may change between builds.
      "Cache-Control": file.startsWith(join(root, "assets") + sep) ? "public, max-age=31536000, immutable" : "no-cache",
    });
    if (req.method === "HEAD") return void res.end();
    await pipeline(createReadStream(file), res).catch(() => {});
  };
}

type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export async function startLabServer(opts: LabServerOptions = {}): Promise<LabServer> {
  const root = resolvePath(opts.root ?? fileURLToPath(new URL("..", import.meta.url)));
  const allowedHosts = opts.allowedHosts ?? [];
  const proxy = nodeProxyHandler({ ...opts.proxy, allowRegistries: opts.allowRegistries ?? [], log: opts.log });
  // The containers' network relay (proxy/wisp.ts): names answered at /net/resolve, streams at /net/wisp.
  const netAllow = new NetAllowList(opts.allowNet ?? []);
  const netNames = new NetNames(netAllow);
  // host.docker.internal is this machine, as Docker Desktop names it (allowed only when listed).
  const netResolve = opts.netResolve ?? (async (h: string) => (h === HOST_NAME ? ["127.0.0.1"] : (await lookup(h, { all: true })).map((a) => a.address)));
  const extraOrigins = new Set((opts.proxy?.allowOrigins ?? []).map((o) => o.replace(/\/$/, "").toLowerCase()));
  /** The proxy's rule: the lab's own origin, a configured one, or none (not a browser). */
  const originAllowed = (req: IncomingMessage) => {
    const origin = req.headers.origin;
    return origin === undefined || extraOrigins.has("*") || extraOrigins.has(origin.toLowerCase()) || origin === `http://${req.headers.host}` || origin === `https://${req.headers.host}`;
  };
  /** A container's DNS query (RFC 8484 POST, what v86's adapter sends): src/runtime/dns-message.ts. */
  const answerDns = (req: IncomingMessage, res: ServerResponse) => {
    const headers = { "Content-Type": "application/dns-message", "Cache-Control": "no-store" };
    if (!originAllowed(req)) return void res.writeHead(403, { "Content-Type": "text/plain" }).end("origin not allowed");
    if (req.method !== "POST") return void res.writeHead(405, { "Content-Type": "text/plain", Allow: "POST" }).end("POST a DNS message");
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > 4096) return void req.destroy();
      chunks.push(c);
    });
    req.on("end", () => {
      const msg = new Uint8Array(Buffer.concat(chunks));
      let q: DnsQuestion;
      try {
        q = parseDnsQuery(msg);
      } catch (e) {
        const formErr = dnsFormatErrorAnswer(msg);
        if (!formErr) return void res.writeHead(400, { "Content-Type": "text/plain" }).end((e as Error).message);
        return void res.writeHead(200, headers).end(formErr);
      }
      const address = netNames.address(q.name);
      if (!address) opts.log?.(`net: dns ${q.name}: NXDOMAIN, not on the network allow-list (--allow-net ${q.name})`);
      res.writeHead(200, headers).end(dnsAnswer(q, address));
    });
  };
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  let app: Middleware;
  let closeApp = async () => {};

  const server: Server = createHttpServer((req, res) => {
    if (!isHostAllowed(req.headers.host, allowedHosts)) {
      res.writeHead(403, { "Content-Type": "text/plain" });
      return void res.end(`Blocked request: host ${req.headers.host} is not allowed (start the lab with --allow-host NAME).`);
    }
    if (req.url?.startsWith("/proxy/")) return void proxy(req, res);
    if (req.url?.startsWith("/net/resolve")) {
      // A container's DNS question: an allowed name gets the lab's address for it, anything else NXDOMAIN.
      const name = new URL(req.url, "http://x").searchParams.get("name") ?? "";
      const headers = { "Content-Type": "application/json", "Cache-Control": "no-store" };
      if (!originAllowed(req)) return void res.writeHead(403, headers).end(JSON.stringify({ error: "origin not allowed" }));
      const address = netNames.address(name);
      if (!address) return void res.writeHead(404, headers).end(JSON.stringify({ error: `NXDOMAIN: ${name} is not on the lab's network allow-list (start the lab with --allow-net ${name} to allow it)` }));
      return void res.writeHead(200, headers).end(JSON.stringify({ name, address }));
    }
    if (req.url === "/net/dns-query") return void answerDns(req, res);
    if (req.url === "/net/") {
      // How a page finds the relay: a static copy of the lab answers this with its index page or 404.
      const headers = { "Content-Type": "application/json", "Cache-Control": "no-store" };
      if (!originAllowed(req)) return void res.writeHead(403, headers).end(JSON.stringify({ error: "origin not allowed" }));
      return void res.writeHead(200, headers).end(JSON.stringify({ relay: "/net/wisp", dns: "/net/dns-query" }));
    }
    for (const [k, v] of Object.entries(isolationHeaders)) res.setHeader(k, v);
    app(req, res, () => {
      if (!res.headersSent) res.writeHead(404, { "Content-Type": "text/plain" });
      res.end("not found");
    });
  });

  server.on("upgrade", (req, socket, head) => {
    if (new URL(req.url ?? "/", "http://x").pathname !== "/net/wisp") return; // vite's own websocket, or nothing
    if (!isHostAllowed(req.headers.host, allowedHosts) || !originAllowed(req)) {
      socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveWisp(ws, { allow: netAllow, names: netNames, resolve: netResolve, ...(opts.log ? { log: opts.log } : {}) }));
  });

  if (opts.dev ?? true) {
    const { createServer } = await import("vite");
    const configFile = join(root, "vite.config.ts");
    const vite = await createServer({
      root,
      configFile: existsSync(configFile) ? configFile : false,
      // vite's websocket rides on the lab's own server: one port, and no fixed 24678 to collide on.
      server: { middlewareMode: true, hmr: opts.hmr ?? false, ws: { server }, allowedHosts, headers: isolationHeaders },
      appType: "spa",
      logLevel: "warn",
    });
    app = vite.middlewares as unknown as Middleware;
    closeApp = () => vite.close();
  } else {
    const dist = join(root, "dist");
    if (!existsSync(join(dist, "index.html"))) throw new Error(`${dist}/index.html not found: run \`npm run build\` first`);
    const serve = staticHandler(dist);
    app = (req, res) => void serve(req, res);
  }

  const host = opts.host ?? "127.0.0.1";
  try {
    await new Promise<void>((ok, fail) => {
      server.once("error", fail);
      server.listen(opts.port ?? 0, host, () => {
        server.off("error", fail);
        ok();
      });
    });
  } catch (e) {
    await closeApp();
    throw e;
  }
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await closeApp();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
