/**
 * Node side: the proxy handler on node:http, and the lab server — app (vite) and proxy on one port,
 * in one process — that `npm start`, the headless driver, tests and benchmarks all use.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import { lookup } from "node:dns/promises";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { extname, join, normalize, resolve as resolvePath } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { createProxyHandler, type ProxyConfig } from "./handler.ts";

const ISOLATION_HEADERS: Record<string, string> = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export async function resolveHost(hostname: string): Promise<string[]> {
  return (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);
}

function toRequest(req: IncomingMessage): Request {
  const url = `http://${req.headers.host ?? "127.0.0.1"}${req.url ?? "/"}`;
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const init: RequestInit & { duplex?: "half" } = { method: req.method, headers };
  if (hasBody) {
    init.body = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>;
    init.duplex = "half";
  }
  return new Request(url, init);
}

async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of response.headers) {
    const old = headers[k];
    headers[k] = old === undefined ? v : [...(Array.isArray(old) ? old : [old]), v];
  }
  res.writeHead(response.status, response.statusText, headers);
  if (!response.body) return void res.end();
  const body = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>);
  await new Promise<void>((done) => {
    body.on("error", () => {
      res.destroy();
      done();
    });
    res.on("close", () => {
      body.destroy();
      done();
    });
    body.pipe(res);
  });
}

export function nodeProxyHandler(config: ProxyConfig): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const handle = createProxyHandler({ resolve: resolveHost, ...config });
  return async (req, res) => {
    try {
      await sendResponse(res, await handle(toRequest(req)));
    } catch (e) {
      if (!res.headersSent) res.writeHead(502, { "Content-Type": "text/plain" });
      res.end(`proxy error: ${(e as Error).message}`);
    }
  };
}

export interface LabServerOptions {
  port?: number;
  host?: string;
  allowRegistries?: string[];
  /** true: vite dev middleware (default); false: serve the built dist/. */
  dev?: boolean;
  root?: string;
  log?: (line: string) => void;
}

export interface LabServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
  ".json": "application/json", ".wasm": "application/wasm", ".svg": "image/svg+xml", ".png": "image/png",
  ".ico": "image/x-icon", ".webmanifest": "application/manifest+json", ".map": "application/json",
  ".bin": "application/octet-stream", ".gz": "application/gzip", ".txt": "text/plain",
};

function staticHandler(dir: string): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    let file = normalize(join(dir, path));
    if (!file.startsWith(dir)) return void res.writeHead(403).end();
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(dir, "index.html");
    if (!existsSync(file)) return void res.writeHead(404).end("not found");
    res.writeHead(200, { "Content-Type": MIME[extname(file)] ?? "application/octet-stream", "Content-Length": statSync(file).size });
    if (req.method === "HEAD") return void res.end();
    createReadStream(file).pipe(res);
  };
}

export async function startLabServer(opts: LabServerOptions = {}): Promise<LabServer> {
  const root = opts.root ?? resolvePath(fileURLToPath(new URL("..", import.meta.url)));
  const proxy = nodeProxyHandler({ allowRegistries: opts.allowRegistries ?? [], log: opts.log });
  let app: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
  let closeApp = async () => {};
  if (opts.dev ?? true) {
    const { createServer } = await import("vite");
    const vite = await createServer({ root, configFile: join(root, "vite.config.ts"), server: { middlewareMode: true, hmr: false }, appType: "spa", logLevel: "warn" });
    app = vite.middlewares as unknown as typeof app;
    closeApp = () => vite.close();
  } else {
    const serve = staticHandler(join(root, "dist"));
    app = (req, res) => serve(req, res);
  }
  const server = createHttpServer((req, res) => {
    if (req.url?.startsWith("/proxy/")) return void proxy(req, res);
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
    app(req, res, () => {
      res.writeHead(404).end("not found");
    });
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(opts.port ?? 0, host, ok);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://${host}:${port}/`,
    port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await closeApp();
    },
  };
}
