/**
 * The CORS proxy handler against small real HTTP upstreams on 127.0.0.1 that behave like a registry
 * (auth challenges, blob redirects, upload Locations, Range, slow answers) and like its blob CDN (a
 * second port). Both are allowed explicitly, as a local test registry would be.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isIpLiteral, isLoopbackHost, isPrivateAddress } from "../../proxy/addresses.ts";
import { AllowList, parseAllowEntry } from "../../proxy/allowlist.ts";
import { createProxyHandler, redactForLog, type ProxyConfig } from "../../proxy/handler.ts";
import worker from "../../proxy/worker.ts";
import { parseStartArgs } from "../../server/args.ts";

interface Seen {
  host: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodyBytes: number;
  bodySha256: string;
}

let registry: Server;
let cdn: Server;
let regHost = "";
let cdnHost = "";
const seen: Seen[] = [];
const BLOB = Buffer.from("0123456789abcdefghijklmnopqrstuvwxyz");

function listen(name: string, handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void): Promise<[Server, string]> {
  return new Promise((ok) => {
    const server = createServer((req, res) => {
      // Slow-answer routes must not wait for the body; everything else reads it whole first.
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("error", () => {});
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        seen.push({ host: name, method: req.method!, url: req.url!, headers: req.headers, bodyBytes: body.length, bodySha256: createHash("sha256").update(body).digest("hex") });
        handler(req, res, body);
      });
    });
    server.listen(0, "127.0.0.1", () => ok([server, `127.0.0.1:${(server.address() as { port: number }).port}`]));
  });
}

/** Range as Distribution and CDNs answer it: "bytes=a-b" → 206 with Content-Range. */
function sendBlob(req: IncomingMessage, res: ServerResponse): void {
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
  if (m) {
    const start = Number(m[1]);
    const end = m[2] ? Number(m[2]) : BLOB.length - 1;
    res.writeHead(206, { "Content-Range": `bytes ${start}-${end}/${BLOB.length}`, "Content-Length": end - start + 1 });
    return void res.end(req.method === "HEAD" ? undefined : BLOB.subarray(start, end + 1));
  }
  res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": BLOB.length });
  res.end(req.method === "HEAD" ? undefined : BLOB);
}

beforeAll(async () => {
  [cdn, cdnHost] = await listen("cdn", (req, res) => {
    if (req.url?.startsWith("/signed/")) return sendBlob(req, res);
    if (req.url === "/hang-mid-body") {
      res.writeHead(200, { "Content-Length": "100" });
      return void res.write("partial"); // …and never the rest
    }
    res.writeHead(404).end();
  });
  [registry, regHost] = await listen("registry", (req, res, body) => {
    const url = req.url ?? "";
    const route: Record<string, () => void> = {
      "/v2/": () => res.writeHead(401, { "WWW-Authenticate": `Bearer realm="http://${regHost}/token",service="test",scope="repository:a/b:pull"`, "Docker-Distribution-Api-Version": "registry/2.0" }).end(),
      "/v2/hub/": () => res.writeHead(401, { "WWW-Authenticate": 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"' }).end(),
      "/v2/foreign-realm/": () => res.writeHead(401, { "WWW-Authenticate": 'Bearer realm="https://auth.example.com/token",service="x"' }).end(),
      "/v2/basic/": () => res.writeHead(401, { "WWW-Authenticate": 'Basic realm="x"' }).end(),
      "/v2/a/b/blobs/sha256:ok": () => res.writeHead(307, { Location: `http://${cdnHost}/signed/blob?sig=1`, "Docker-Content-Digest": "sha256:ok" }).end(),
      "/v2/a/b/blobs/sha256:metadata": () => res.writeHead(307, { Location: "http://169.254.169.254/latest/meta-data" }).end(),
      "/v2/a/b/blobs/sha256:elsewhere": () => res.writeHead(302, { Location: "https://example.com/blob" }).end(),
      "/v2/a/b/blobs/sha256:builtin-cdn": () => res.writeHead(307, { Location: "https://production.cloudflare.docker.com/registry-v2/x" }).end(),
      "/v2/a/b/blobs/sha256:loop": () => res.writeHead(302, { Location: "/v2/a/b/blobs/sha256:loop" }).end(),
      "/v2/a/b/blobs/sha256:to": () => res.writeHead(307, { Location: decodeURIComponent(url.split("?to=")[1] ?? "") }).end(),
      "/v2/a/b/blobs/sha256:hang": () => res.writeHead(307, { Location: `http://${cdnHost}/hang-mid-body` }).end(),
      "/v2/a/b/blobs/sha256:local": () => sendBlob(req, res),
      "/v2/a/b/blobs/uploads/": () => res.writeHead(202, { Location: `http://${regHost}/v2/a/b/blobs/uploads/u1?_state=abc`, "Docker-Upload-UUID": "u1", Range: "0-0" }).end(),
      "/v2/a/b/blobs/uploads/rel": () => res.writeHead(202, { Location: "/v2/a/b/blobs/uploads/u2?_state=def" }).end(),
      "/v2/a/b/blobs/uploads/https-behind-tls": () => res.writeHead(202, { Location: `https://${regHost}/v2/a/b/blobs/uploads/u3?_state=ghi` }).end(),
      "/v2/a/b/blobs/uploads/foreign": () => res.writeHead(202, { Location: "https://uploads.example.com/u4" }).end(),
      "/v2/a/b/blobs/uploads/put-redirect": () => res.writeHead(307, { Location: `http://${cdnHost}/signed/put` }).end(),
      "/v2/a/b/tags/list": () => res.writeHead(200, { Link: '</v2/a/b/tags/list?last=x&n=1>; rel="next"', "Content-Type": "application/json" }).end("{}"),
      "/v2/echo-body": () => res.writeHead(200).end(JSON.stringify({ bytes: body.length, sha256: createHash("sha256").update(body).digest("hex") })),
      "/v2/cookies": () => res.writeHead(200, { "Set-Cookie": "s=1", "Clear-Site-Data": '"storage"', "Strict-Transport-Security": "max-age=1", "Access-Control-Allow-Origin": "https://registry.example" }).end("{}"),
      "/v2/no-content": () => res.writeHead(204, { "Docker-Content-Digest": "sha256:x" }).end(),
      "/token": () => res.writeHead(200, { "Content-Type": "application/json" }).end('{"token":"t"}'),
    };
    if (url === "/v2/slow") return void setTimeout(() => res.end("late"), 2000);
    const answer = route[url.split("?")[0]!];
    if (answer) return answer();
    res.writeHead(200, { "Docker-Content-Digest": "sha256:abc", "Content-Type": "application/json", Vary: "Accept", "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "99;w=21600" });
    res.end("{}");
  });
});

afterAll(() => {
  for (const s of [registry, cdn]) {
    s?.closeAllConnections();
    s?.close();
  }
});

beforeEach(() => {
  seen.length = 0;
});

const origin = "http://lab.test";
const logs: string[] = [];
function handler(extra: Partial<ProxyConfig> = {}) {
  return createProxyHandler({ allowRegistries: [regHost, cdnHost], log: (l) => logs.push(l), ...extra });
}
const req = (path: string, init?: RequestInit & { duplex?: "half" }) => new Request(`${origin}/proxy/${path}`, init);
const last = (host: string) => seen.filter((s) => s.host === host).at(-1);

/** A request body that arrives in `chunks` pieces of `size` bytes, `gapMs` apart. */
function slowBody(chunks: number, size: number, gapMs: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    async pull(c) {
      if (sent === chunks) return c.close();
      if (sent > 0) await new Promise((r) => setTimeout(r, gapMs));
      c.enqueue(new Uint8Array(size).fill(sent++ & 255));
    },
  });
}

describe("CORS", () => {
  it("answers preflights itself, for the lab's own origin", async () => {
    const res = await handler()(req(`${regHost}/v2/a/b/blobs/uploads/`, {
      method: "OPTIONS",
      headers: { Origin: origin, "Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "authorization, content-type, content-range, docker-content-digest, x-other" },
    }));
    expect(res.status).toBe(204);
    expect(seen).toEqual([]); // the registry (401 to preflights when auth is on) never saw it
    expect(res.headers.get("access-control-allow-origin")).toBe(origin);
    for (const m of ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]) expect(res.headers.get("access-control-allow-methods")).toContain(m);
    const allowed = res.headers.get("access-control-allow-headers")!.toLowerCase().split(/,\s*/);
    for (const h of ["authorization", "accept", "content-type", "content-range", "range", "content-length", "docker-content-digest"]) expect(allowed).toContain(h);
    expect(allowed).not.toContain("x-other");
  });

  it("lets only configured origins in", async () => {
    const preflight = (o: string, h = handler()) => h(req(`${regHost}/v2/`, { method: "OPTIONS", headers: { Origin: o, "Access-Control-Request-Method": "GET" } }));
    const foreign = await preflight("https://evil.example");
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    const configured = await preflight("https://app.example", handler({ allowOrigins: ["https://app.example"] }));
    expect(configured.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect((await preflight("https://any.example", handler({ allowOrigins: ["*"] }))).headers.get("access-control-allow-origin")).toBe("*");
    // A real request from another site is refused before it reaches the registry.
    const get = await handler()(req(`${regHost}/v2/a/b/manifests/latest`, { headers: { Origin: "https://evil.example" } }));
    expect(get.status).toBe(403);
    expect(seen).toEqual([]);
  });

  it("exposes the registry headers a page needs", async () => {
    const res = await handler()(req(`${regHost}/v2/a/b/manifests/latest`, { headers: { Origin: origin } }));
    const exposed = res.headers.get("access-control-expose-headers")!.toLowerCase().split(/,\s*/);
    for (const h of ["WWW-Authenticate", "Docker-Content-Digest", "Docker-Distribution-Api-Version", "Location", "Content-Range", "Range", "Content-Length", "Docker-Upload-UUID", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "Retry-After"]) {
      expect(exposed, h).toContain(h.toLowerCase());
    }
    expect(res.headers.get("docker-content-digest")).toBe("sha256:abc");
    expect(res.headers.get("ratelimit-remaining")).toBe("99;w=21600");
    expect(res.headers.get("vary")).toBe("Origin, Accept");
  });
});

describe("rewrites", () => {
  it("rewrites the token realm to come back through the proxy", async () => {
    const res = await handler()(req(`${regHost}/v2/`));
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(`Bearer realm="${origin}/proxy/${regHost}/token",service="test",scope="repository:a/b:pull"`);
    const hub = await handler()(req(`${regHost}/v2/hub/`));
    expect(hub.headers.get("www-authenticate")).toBe(`Bearer realm="${origin}/proxy/auth.docker.io/token",service="registry.docker.io"`);
    // A realm the proxy may not reach is left alone (the client then reports that host).
    const foreign = await handler()(req(`${regHost}/v2/foreign-realm/`));
    expect(foreign.headers.get("www-authenticate")).toBe('Bearer realm="https://auth.example.com/token",service="x"');
    // The rewritten realm works.
    const token = await handler()(new Request(`${origin}/proxy/${regHost}/token?service=test&scope=repository:a/b:pull`));
    expect(await token.json()).toEqual({ token: "t" });
  });

  it("hides Basic challenges from the browser's own login prompt", async () => {
    const res = await handler()(req(`${regHost}/v2/basic/`));
    expect(res.headers.get("www-authenticate")).toBeNull();
    expect(res.headers.get("x-registry-authenticate")).toBe('Basic realm="x"');
  });

  it("rewrites absolute and relative upload Locations, and pagination Links", async () => {
    const abs = await handler()(req(`${regHost}/v2/a/b/blobs/uploads/`, { method: "POST" }));
    expect(abs.status).toBe(202);
    expect(abs.headers.get("location")).toBe(`${origin}/proxy/${regHost}/v2/a/b/blobs/uploads/u1?_state=abc`);
    expect(abs.headers.get("docker-upload-uuid")).toBe("u1");
    expect(abs.headers.get("range")).toBe("0-0");
    const rel = await handler()(req(`${regHost}/v2/a/b/blobs/uploads/rel`, { method: "POST" }));
    expect(rel.headers.get("location")).toBe(`${origin}/proxy/${regHost}/v2/a/b/blobs/uploads/u2?_state=def`);
    // A registry behind a TLS terminator may spell its own host with the other scheme.
    const tls = await handler()(req(`${regHost}/v2/a/b/blobs/uploads/https-behind-tls`, { method: "POST" }));
    expect(tls.headers.get("location")).toBe(`${origin}/proxy/${regHost}/v2/a/b/blobs/uploads/u3?_state=ghi`);
    const foreign = await handler()(req(`${regHost}/v2/a/b/blobs/uploads/foreign`, { method: "POST" }));
    expect(foreign.headers.get("location")).toBe("https://uploads.example.com/u4");
    const tags = await handler()(req(`${regHost}/v2/a/b/tags/list?n=1`));
    expect(tags.headers.get("link")).toBe(`<${origin}/proxy/${regHost}/v2/a/b/tags/list?last=x&n=1>; rel="next"`);
  });

  it("forwards only registry headers, and keeps registry cookies and site-data headers off the lab's origin", async () => {
    await handler()(req(`${regHost}/v2/a/b/manifests/latest`, {
      headers: { Accept: "application/vnd.oci.image.index.v1+json", Authorization: "Bearer t", Cookie: "lab=1", Referer: `${origin}/`, "X-Forwarded-Host": "x", "Docker-Foo": "1" },
    }));
    const h = last("registry")!.headers;
    expect(h.host).toBe(regHost);
    expect(h.accept).toBe("application/vnd.oci.image.index.v1+json");
    expect(h.authorization).toBe("Bearer t");
    expect(h["docker-foo"]).toBe("1");
    for (const dropped of ["cookie", "referer", "origin", "x-forwarded-host"]) expect(h[dropped], dropped).toBeUndefined();
    const res = await handler()(req(`${regHost}/v2/cookies`));
    for (const dropped of ["set-cookie", "clear-site-data", "strict-transport-security"]) expect(res.headers.get(dropped), dropped).toBeNull();
    expect(res.headers.get("access-control-allow-origin")).toBeNull(); // the registry's own CORS answer is not passed on
    const empty = await handler()(req(`${regHost}/v2/no-content`, { method: "DELETE" }));
    expect(empty.status).toBe(204);
    expect(empty.headers.get("docker-content-digest")).toBe("sha256:x");
  });
});

describe("redirects", () => {
  it("follows a blob redirect server-side to an allowed CDN, without the credentials", async () => {
    const res = await handler()(req(`${regHost}/v2/a/b/blobs/sha256:ok`, { headers: { Authorization: "Bearer secret-token" } }));
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(BLOB);
    expect(res.headers.get("docker-content-digest")).toBe("sha256:ok"); // from the registry's redirect
    expect(last("registry")!.headers.authorization).toBe("Bearer secret-token");
    expect(last("cdn")!.headers.authorization).toBeUndefined();
    expect(last("cdn")!.url).toBe("/signed/blob?sig=1");
  });

  it("passes Range through the redirect (resumed downloads), and follows for HEAD too", async () => {
    const res = await handler()(req(`${regHost}/v2/a/b/blobs/sha256:ok`, { headers: { Range: "bytes=10-19" } }));
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes 10-19/${BLOB.length}`);
    expect(await res.text()).toBe(BLOB.subarray(10, 20).toString());
    const head = await handler()(req(`${regHost}/v2/a/b/blobs/sha256:ok`, { method: "HEAD" }));
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(BLOB.length));
    expect(last("cdn")!.method).toBe("HEAD");
  });

  it("refuses redirects to hosts that are not allow-listed, and to private addresses", async () => {
    const notAllowed = await handler({ allowRegistries: [regHost] })(req(`${regHost}/v2/a/b/blobs/sha256:ok`));
    expect(notAllowed.status).toBe(403);
    expect((await notAllowed.json()).errors[0].message).toMatch(/redirect to http:\/\/127\.0\.0\.1:\d+ is not allow-listed/);
    expect(last("cdn")).toBeUndefined();
    const metadata = await handler()(req(`${regHost}/v2/a/b/blobs/sha256:metadata`));
    expect(metadata.status).toBe(403);
    const elsewhere = await handler()(req(`${regHost}/v2/a/b/blobs/sha256:elsewhere`));
    expect(elsewhere.status).toBe(403);
  });

  it("checks what an allowed CDN name resolves to on every hop", async () => {
    const fetched: string[] = [];
    const h = handler({
      resolve: async (name) => (name === "production.cloudflare.docker.com" ? ["104.16.1.1", "10.0.0.7"] : ["127.0.0.1"]),
      fetch: (input, init) => {
        fetched.push(String(input));
        return fetch(input, init);
      },
    });
    const res = await h(req(`${regHost}/v2/a/b/blobs/sha256:builtin-cdn`));
    expect(res.status).toBe(403);
    expect((await res.json()).errors[0].message).toContain("production.cloudflare.docker.com: it resolves to private address 10.0.0.7");
    expect(fetched).toEqual([`http://${regHost}/v2/a/b/blobs/sha256:builtin-cdn`]);
  });

  it("stops redirect loops, and leaves redirects of uploads to the client", async () => {
    const loop = await handler()(req(`${regHost}/v2/a/b/blobs/sha256:loop`));
    expect(loop.status).toBe(502);
    expect(seen.filter((s) => s.url.endsWith("sha256:loop")).length).toBe(6);
    const put = await handler()(req(`${regHost}/v2/a/b/blobs/uploads/put-redirect`, { method: "PUT", body: "x" }));
    expect(put.status).toBe(307);
    expect(last("cdn")).toBeUndefined();
  });
});

describe("refusals", () => {
  it("refuses registries that are not allow-listed, in Distribution's error format", async () => {
    const res = await handler()(req("evil.example.com/v2/"));
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = await res.json();
    expect(body).toEqual({ errors: [{ code: "DENIED", message: expect.stringMatching(/^layerlab proxy: registry host evil\.example\.com is not allow-listed/) }] });
    expect((await handler()(req("ghcr.io.evil.example/v2/"))).status).toBe(403);
    expect((await handler()(req("evil.example/ghcr.io/v2/"))).status).toBe(403);
    expect((await handler()(new Request(`${origin}/not-proxy`))).status).toBe(404);
    const userinfo = await handler()(req("user:pw@ghcr.io/v2/"));
    expect(userinfo.status).toBe(400);
    expect(await userinfo.text()).not.toContain("pw@");
  });

  it("refuses private, loopback and link-local targets unless allowed explicitly", async () => {
    for (const host of ["10.0.0.1", "192.168.1.1", "169.254.169.254", "172.16.0.1", "100.64.0.1", "127.0.0.1:5000", "[::1]:5000", "[::ffff:127.0.0.1]", "[fd00::1]", "0.0.0.0", "localhost:5000", "2130706433"]) {
      const res = await handler()(req(`${host}/v2/`));
      expect(res.status, host).toBe(403);
    }
    // Allowing one port of a private host allows only that port.
    expect((await handler()(req(`127.0.0.1:1/v2/`))).status).toBe(403);
  });

  it("refuses an allowed name that resolves to a private address (DNS rebinding)", async () => {
    const fetched: string[] = [];
    const h = createProxyHandler({ resolve: async () => ["127.0.0.1"], fetch: async (i) => (fetched.push(String(i)), new Response("no")) });
    const res = await h(req("ghcr.io/v2/"));
    expect(res.status).toBe(403);
    expect((await res.json()).errors[0]).toEqual({ code: "DENIED", message: "layerlab proxy: refusing ghcr.io: it resolves to private address 127.0.0.1" });
    const mapped = await createProxyHandler({ resolve: async () => ["::ffff:169.254.169.254"] })(req("quay.io/v2/"));
    expect(mapped.status).toBe(403);
    const unresolvable = await createProxyHandler({ resolve: async () => { throw new Error("ENOTFOUND"); } })(req("quay.io/v2/"));
    expect(unresolvable.status).toBe(502);
    expect(fetched).toEqual([]);
    // A public answer goes through (to a stub fetch: no network here).
    const ok = await createProxyHandler({ resolve: async () => ["140.82.112.34"], fetch: async (i) => (fetched.push(String(i)), new Response("{}")) })(req("ghcr.io/v2/"));
    expect(ok.status).toBe(200);
    expect(fetched).toEqual(["https://ghcr.io/v2/"]);
  });
});

describe("downloads (ADD <url>)", () => {
  const dl = (path: string, init?: RequestInit) => req(`~download/${path}`, init);
  it("fetches a file from an allow-listed server, follows its redirects there, sends nothing of the page's", async () => {
    const h = handler({ allowDownloads: [regHost, cdnHost] });
    const r = await h(dl(`http/${regHost}/v2/a/b/blobs/sha256:ok`, { headers: { Authorization: "Bearer secret", Cookie: "c=1", Origin: origin } }));
    expect(r.status).toBe(200);
    expect(Buffer.from(await r.arrayBuffer()).toString()).toBe(BLOB.toString());
    expect(r.headers.get("x-download-url")).toBe(`http://${cdnHost}/signed/blob`);
    expect(r.headers.get("access-control-allow-origin")).toBe(origin);
    expect(last("registry")?.headers.authorization).toBeUndefined();
    expect(last("registry")?.headers.cookie).toBeUndefined();
  });

  it("refuses hosts not on the download list (registries included), private addresses, redirects elsewhere, other methods", async () => {
    const notListed = await handler()(dl(`http/${regHost}/v2/a/b/blobs/sha256:local`));
    expect(notListed.status).toBe(403);
    expect((await notListed.json()).errors[0].message).toMatch(/is not on the lab's download allow-list \(start the lab with --allow-download 127\.0\.0\.1:\d+ to allow it\)/);
    expect((await handler({ allowDownloads: [regHost] })(dl(`http/${regHost}/v2/a/b/blobs/sha256:ok`))).status).toBe(403);
    expect((await handler({ allowDownloads: [regHost] })(dl(`http/${regHost}/v2/a/b/blobs/sha256:metadata`))).status).toBe(403);
    expect((await handler()(dl("http/169.254.169.254/latest/meta-data"))).status).toBe(403);
    expect((await handler({ allowDownloads: [regHost] })(dl(`http/${regHost}/v2/`, { method: "POST", body: "x" }))).status).toBe(405);
    expect((await handler({ allowDownloads: [regHost] })(dl(`ftp/${regHost}/x`))).status).toBe(400);
    expect((await handler({ allowDownloads: [regHost] })(dl(`http/${regHost}/v2/a/b/blobs/sha256:local`, { headers: { Origin: "https://evil.example" } }))).status).toBe(403);
  });

  it("bounds the size", async () => {
    const r = await handler({ allowDownloads: [regHost], maxDownloadBytes: 10 })(dl(`http/${regHost}/v2/a/b/blobs/sha256:local`));
    expect(r.status).toBe(413);
  });
});

describe("SSRF spellings", () => {
  // Loopback, private, link-local and metadata addresses in the forms URL parsers, resolvers and
  // humans write them; each must be refused on every route and every redirect hop.
  const SPELLINGS = [
    "127.0.0.1", "127.1", "2130706433", "0x7f000001", "0x7f.0.0.1", "0177.0.0.1", "017700000001", "127.000.000.001",
    "%31%32%37.0.0.1", "0.0.0.0", "0", "10.0.0.1", "192.168.1.1", "172.16.0.1", "169.254.169.254", "2852039166", "100.64.0.1",
    "[::1]", "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:7f00:1]", "[::ffff:169.254.169.254]",
    "[fe80::1]", "[fc00::1]", "[fd12:3456::1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "[::]", "localhost", "LOCALHOST", "x.localhost",
  ];
  const ports = ["", ":80", ":5000"];

  it("refuses each spelling as a registry in the path, as a download host, and as a redirect target", async () => {
    const h = handler({ allowDownloads: [regHost] });
    for (const host of SPELLINGS) {
      for (const port of ports) {
        const target = `${host}${port}`;
        const direct = await h(req(`${target}/v2/`));
        expect({ target, status: direct.status }).toEqual({ target, status: direct.status >= 400 ? direct.status : -1 });
        expect(direct.status, target).toBe(403);
        expect((await h(req(`~download/http/${target}/x`))).status, `download ${target}`).toBe(403);
        for (const route of [`${regHost}/v2/a/b/blobs/sha256:to?to=`, `~download/http/${regHost}/v2/a/b/blobs/sha256:to?to=`]) {
          const hop = await h(req(`${route}${encodeURIComponent(`http://${target}/latest/meta-data`)}`));
          expect(hop.status, `${route} → ${target}`).toBe(403);
        }
      }
    }
  });

  it("refuses userinfo tricks and hosts that are not what they seem", async () => {
    const h = handler({ allowDownloads: [regHost] });
    for (const path of [`evil.example@${regHost}/v2/`, `${regHost}@evil.example/v2/`, `${encodeURIComponent(`x@${regHost}`)}/v2/`, `~download/http/user:pw@${regHost}/x`, `~download/http/${regHost}%2f%2e%2e/x`]) {
      const r = await h(req(path));
      expect(r.status, path).toBeGreaterThanOrEqual(400);
      expect(r.status, path).toBeLessThan(500);
    }
  });
});

describe("bounds", () => {
  it("refuses request bodies over the ceiling: declared, or only found out while streaming", async () => {
    const small = handler({ maxBodyBytes: 1000 });
    const declared = await small(req(`${regHost}/v2/echo-body`, { method: "PATCH", headers: { "Content-Length": "5000" }, body: "x".repeat(5000) }));
    expect(declared.status).toBe(413);
    expect((await declared.json()).errors[0].code).toBe("SIZE_INVALID");
    const streamed = await small(req(`${regHost}/v2/echo-body`, { method: "PATCH", body: slowBody(10, 500, 0), duplex: "half" }));
    expect(streamed.status).toBe(413);
    expect(seen.filter((s) => s.url === "/v2/echo-body")).toEqual([]); // cut off before the registry got it all
    const ok = await small(req(`${regHost}/v2/echo-body`, { method: "PATCH", body: "x".repeat(1000) }));
    expect(await ok.json()).toEqual({ bytes: 1000, sha256: createHash("sha256").update("x".repeat(1000)).digest("hex") });
  });

  it("streams a large upload through unchanged", async () => {
    const chunks = 64;
    const res = await handler()(req(`${regHost}/v2/echo-body`, { method: "PATCH", headers: { "Content-Type": "application/octet-stream" }, body: slowBody(chunks, 64 * 1024, 0), duplex: "half" }));
    const hash = createHash("sha256");
    for (let i = 0; i < chunks; i++) hash.update(new Uint8Array(64 * 1024).fill(i & 255));
    expect(await res.json()).toEqual({ bytes: chunks * 64 * 1024, sha256: hash.digest("hex") });
    expect(last("registry")!.headers["content-type"]).toBe("application/octet-stream");
  });

  it("times out an upstream that does not answer, but not an upload that keeps moving", async () => {
    const slow = await handler({ timeoutMs: 300 })(req(`${regHost}/v2/slow`));
    expect(slow.status).toBe(504);
    expect((await slow.json()).errors[0]).toEqual({ code: "TIMEOUT", message: `layerlab proxy: ${regHost} did not answer within 300 ms` });
    // A page whose upload stops sending is cut off too (2 chunks, 1 s apart, 200 ms allowed).
    const stalled = await handler({ idleTimeoutMs: 200 })(req(`${regHost}/v2/echo-body`, { method: "PATCH", body: slowBody(2, 10, 1000), duplex: "half" }));
    expect(stalled.status).toBe(504);
    expect((await stalled.json()).errors[0].message).toContain("request body");
    // 8 chunks 100 ms apart: 700 ms in all, past the 300 ms answer timeout, but never idle that long.
    const upload = await handler({ timeoutMs: 300, idleTimeoutMs: 300 })(req(`${regHost}/v2/echo-body`, { method: "PATCH", body: slowBody(8, 10, 100), duplex: "half" }));
    expect(upload.status).toBe(200);
    expect((await upload.json()).bytes).toBe(80);
  });

  it("cuts a response body that stalls", async () => {
    const res = await handler({ idleTimeoutMs: 300 })(req(`${regHost}/v2/a/b/blobs/sha256:hang`));
    expect(res.status).toBe(200);
    const started = Date.now();
    await expect(res.text()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe("logging", () => {
  it("never logs credentials or query strings", async () => {
    logs.length = 0;
    const h = handler();
    await h(req(`${regHost}/v2/a/b/manifests/latest?password=hunter2`, { headers: { Authorization: "Basic dXNlcjpodW50ZXIy" } }));
    await h(req(`${regHost}/token?account=user&password=hunter2&service=x`, { headers: { Authorization: "Bearer sekrit.jwt.value", Cookie: "session=cookie-secret" } }));
    await h(req(`${regHost}/v2/a/b/blobs/sha256:ok`, { headers: { Authorization: "Bearer sekrit.jwt.value" } }));
    await h(req(`user:hunter2@${regHost}/v2/`));
    await h(req("evil.example/v2/?access_token=hunter2"));
    expect(logs.length).toBe(5);
    expect(logs[0]).toMatch(/^GET 127\.0\.0\.1:\d+\/v2\/a\/b\/manifests\/latest → 200 \(\d+ ms\)$/);
    expect(logs[2]).toContain(`via ${cdnHost}`);
    for (const l of logs) expect(l).not.toMatch(/hunter2|dXNlcjpodW50ZXIy|sekrit|cookie-secret|account=|sig=/);
    expect(redactForLog("Authorization: Bearer abc.def and Basic Zm9v:x, https://u:p@h/x?token=1")).toBe("Authorization: Bearer … and Basic …:x, https://…@h/x?…");
  });
});

describe("allow-list entries", () => {
  it("defaults loopback hosts to http and everything else to https", () => {
    expect(parseAllowEntry("127.0.0.1:5000")).toMatchObject({ host: "127.0.0.1:5000", scheme: "http", explicit: true });
    expect(parseAllowEntry("localhost:5000").scheme).toBe("http");
    expect(parseAllowEntry("[::1]:5000")).toMatchObject({ host: "[::1]:5000", scheme: "http" });
    expect(parseAllowEntry("registry.example.com:5000").scheme).toBe("https");
    expect(parseAllowEntry("10.1.2.3:5000").scheme).toBe("https");
    expect(parseAllowEntry("https://127.0.0.1:5443")).toMatchObject({ host: "127.0.0.1:5443", scheme: "https" });
    expect(parseAllowEntry("http://Registry.LAN:80/")).toMatchObject({ host: "registry.lan", scheme: "http" });
    for (const bad of ["", "ftp://x", "host/path", "a b", "host:port"]) expect(() => parseAllowEntry(bad), bad).toThrow(/invalid registry/);
  });

  it("knows the public registries and their CDNs, by kind", () => {
    const list = new AllowList();
    for (const r of ["registry-1.docker.io", "auth.docker.io", "index.docker.io", "ghcr.io", "quay.io", "registry.k8s.io", "gcr.io", "us-docker.pkg.dev", "public.ecr.aws"]) expect(list.find(r), r).toBeDefined();
    for (const c of ["production.cloudflare.docker.com", "docker-images-prod.6aa30f8b08e16409b46e0173d6de2f56.r2.cloudflarestorage.com", "pkg-containers.githubusercontent.com", "cdn01.quay.io", "quayio-production-s3.s3.amazonaws.com", "prod-registry-k8s-io-us-east-2.s3.dualstack.us-east-2.amazonaws.com", "storage.googleapis.com", "d2glxqk2uabbnd.cloudfront.net"]) {
      expect(list.findUrl(new URL(`https://${c}/x`), ["cdn"]), c).toBeDefined();
      expect(list.find(c, ["registry"]), `${c} is not a registry`).toBeUndefined();
    }
    expect(list.findUrl(new URL("http://ghcr.io/v2/"), ["registry"])).toBeUndefined(); // https only
    expect(list.find("a.b.pkg.dev")).toBeUndefined(); // "*" is one label
    expect(new AllowList(["127.0.0.1:5000", "https://r.example"]).describeExtra()).toBe("http://127.0.0.1:5000, https://r.example");
  });

  it("classifies addresses", () => {
    const priv = ["127.0.0.1", "10.1.2.3", "172.31.255.255", "192.168.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fe80::1%eth0", "fd00::1", "::ffff:127.0.0.1", "::ffff:7f00:1", "0:0:0:0:0:ffff:a00:1", "::127.0.0.1", "64:ff9b::a9fe:a9fe", "2002:c0a8:0101::1", "ff02::1", "not-an-address"];
    for (const ip of priv) expect(isPrivateAddress(ip), ip).toBe(true);
    for (const ip of ["8.8.8.8", "140.82.112.3", "2606:4700::6810:84e5", "172.32.0.1", "::ffff:8.8.8.8", "64:ff9b::808:808", "2a00:1450:4001:82a::200e"]) expect(isPrivateAddress(ip), ip).toBe(false);
    expect([isIpLiteral("[::1]"), isIpLiteral("1.2.3.4"), isIpLiteral("ghcr.io")]).toEqual([true, true, false]);
    expect([isLoopbackHost("127.9.9.9"), isLoopbackHost("[::1]"), isLoopbackHost("localhost"), isLoopbackHost("10.0.0.1"), isLoopbackHost("::")]).toEqual([true, true, true, false, false]);
  });
});

describe("edge-worker entry and command line", () => {
  it("runs the same handler with the allow-list from the environment", async () => {
    const denied = await worker.fetch(new Request(`https://lab.workers.example/proxy/${regHost}/v2/`), {});
    expect(denied.status).toBe(403);
    const res = await worker.fetch(new Request(`https://lab.workers.example/proxy/${regHost}/v2/`), { LAYERLAB_ALLOW_REGISTRIES: `${regHost}, ${cdnHost}` });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain(`realm="https://lab.workers.example/proxy/${regHost}/token"`);
    const bad = await worker.fetch(new Request(`https://lab.workers.example/proxy/x/v2/`), { LAYERLAB_ALLOW_REGISTRIES: "ftp://nope" });
    expect(bad.status).toBe(500);
  });

  it("parses npm start's flags", () => {
    expect(parseStartArgs([], {})).toEqual({ port: 8080, host: "127.0.0.1", allowRegistries: [], allowDownloads: [], allowNet: [], allowedHosts: [], dev: true });
    expect(parseStartArgs(["--allow-net=host.docker.internal:8000"], { LAYERLAB_ALLOW_NET: "pkg.example" }).allowNet).toEqual(["pkg.example", "host.docker.internal:8000"]);
    expect(parseStartArgs(["--allow-download", "127.0.0.1:8000"], { LAYERLAB_ALLOW_DOWNLOADS: "files.example" }).allowDownloads).toEqual(["files.example", "127.0.0.1:8000"]);
    expect(parseStartArgs(["--port", "0", "--host=0.0.0.0", "--allow-registry", "127.0.0.1:5000", "--allow-registry=https://r.example", "--build"], { PORT: "9000", LAYERLAB_ALLOW_REGISTRIES: "a.example,b.example:5000" }))
      .toEqual({ port: 0, host: "0.0.0.0", allowRegistries: ["a.example", "b.example:5000", "127.0.0.1:5000", "https://r.example"], allowDownloads: [], allowNet: [], allowedHosts: [], dev: false });
    expect(parseStartArgs([], { PORT: "9000" }).port).toBe(9000);
    expect(() => parseStartArgs(["--port", "x"])).toThrow(/not a port/);
    expect(() => parseStartArgs(["--allow-registry"])).toThrow(/needs a value/);
    expect(() => parseStartArgs(["--portx", "1"])).toThrow(/unknown argument/);
  });
});
