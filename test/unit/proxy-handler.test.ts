/**
 * The CORS proxy against a small real HTTP upstream on 127.0.0.1 that behaves like a registry: auth
 * challenges, blob redirects to a "CDN" (a second loopback port), upload Locations, slow answers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPrivateAddress } from "../../proxy/addresses.ts";
import { createProxyHandler } from "../../proxy/handler.ts";
import { freePort } from "../harness/ports.ts";

let registry: Server;
let cdn: Server;
let regHost: string;
let cdnHost: string;
const seenAuth: (string | undefined)[] = [];

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<[Server, string]> {
  return new Promise(async (ok) => {
    const port = await freePort();
    const s = createServer(handler);
    s.listen(port, "127.0.0.1", () => ok([s, `127.0.0.1:${port}`]));
  });
}

beforeAll(async () => {
  [cdn, cdnHost] = await listen((req, res) => {
    seenAuth.push(req.headers.authorization);
    res.writeHead(200, { "Content-Type": "application/octet-stream" });
    res.end("blob-bytes");
  });
  [registry, regHost] = await listen((req, res) => {
    const url = req.url ?? "";
    if (url === "/v2/") {
      res.writeHead(401, { "WWW-Authenticate": `Bearer realm="http://${regHost}/token",service="test",scope="repository:a/b:pull"` });
      return res.end();
    }
    if (url === "/v2/basic/") {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="x"' });
      return res.end();
    }
    if (url.startsWith("/v2/a/b/blobs/sha256:ok")) {
      res.writeHead(307, { Location: `http://${cdnHost}/signed/blob?sig=1` });
      return res.end();
    }
    if (url.startsWith("/v2/a/b/blobs/sha256:evil")) {
      res.writeHead(307, { Location: "http://169.254.169.254/latest/meta-data" });
      return res.end();
    }
    if (url.startsWith("/v2/a/b/blobs/sha256:elsewhere")) {
      res.writeHead(307, { Location: "https://example.com/blob" });
      return res.end();
    }
    if (url === "/v2/a/b/blobs/uploads/") {
      res.writeHead(202, { Location: `http://${regHost}/v2/a/b/blobs/uploads/u1?_state=abc`, "Docker-Upload-UUID": "u1" });
      return res.end();
    }
    if (url === "/v2/a/b/blobs/uploads/rel") {
      res.writeHead(202, { Location: "/v2/a/b/blobs/uploads/u2?_state=def" });
      return res.end();
    }
    if (url === "/v2/slow") return void setTimeout(() => res.end("late"), 2000);
    if (url === "/v2/upload-body") {
      let n = 0;
      req.on("data", (c: Buffer) => (n += c.length));
      req.on("end", () => res.end(String(n)));
      req.on("error", () => {});
      return;
    }
    res.writeHead(200, { "Docker-Content-Digest": "sha256:abc", "Content-Type": "application/json" });
    res.end("{}");
  });
});
afterAll(() => {
  registry?.closeAllConnections();
  registry?.close();
  cdn?.closeAllConnections();
  cdn?.close();
});

const origin = "http://lab.test";
const logs: string[] = [];
function handler(extra: Partial<Parameters<typeof createProxyHandler>[0]> = {}) {
  return createProxyHandler({ allowRegistries: [regHost], log: (l) => logs.push(l), ...extra });
}
const req = (path: string, init?: RequestInit) => new Request(`${origin}/proxy/${path}`, init);

describe("registry proxy", () => {
  it("answers preflights itself and exposes the registry headers", async () => {
    const res = await handler()(req(`${regHost}/v2/`, { method: "OPTIONS" }));
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-methods")).toContain("PATCH");
    const get = await handler()(req(`${regHost}/v2/a/b/manifests/latest`));
    expect(get.headers.get("access-control-expose-headers")).toMatch(/Docker-Content-Digest.*Location.*Content-Range.*Docker-Upload-UUID.*ratelimit-remaining/);
    expect(get.headers.get("docker-content-digest")).toBe("sha256:abc");
  });

  it("rewrites the token realm to come back through the proxy", async () => {
    const res = await handler()(req(`${regHost}/v2/`));
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(`Bearer realm="${origin}/proxy/${regHost}/token",service="test",scope="repository:a/b:pull"`);
  });

  it("hides Basic challenges from the browser's own login prompt", async () => {
    const res = await handler()(req(`${regHost}/v2/basic/`));
    expect(res.headers.get("www-authenticate")).toBeNull();
    expect(res.headers.get("x-registry-authenticate")).toBe('Basic realm="x"');
  });

  it("rewrites absolute and relative upload Locations", async () => {
    const abs = await handler()(req(`${regHost}/v2/a/b/blobs/uploads/`, { method: "POST" }));
    expect(abs.headers.get("location")).toBe(`${origin}/proxy/${regHost}/v2/a/b/blobs/uploads/u1?_state=abc`);
    const rel = await handler()(req(`${regHost}/v2/a/b/blobs/uploads/rel`, { method: "POST" }));
    expect(rel.headers.get("location")).toBe(`${origin}/proxy/${regHost}/v2/a/b/blobs/uploads/u2?_state=def`);
  });

  it("follows a blob redirect server-side to an allowed CDN, without the credentials", async () => {
    const h = handler({ allowRegistries: [regHost, cdnHost] });
    const res = await h(req(`${regHost}/v2/a/b/blobs/sha256:ok`, { headers: { Authorization: "Bearer secret-token" } }));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("blob-bytes");
    expect(seenAuth.at(-1)).toBeUndefined();
  });

  it("refuses redirects to hosts that are not allow-listed, and to private addresses", async () => {
    const notAllowed = await handler()(req(`${regHost}/v2/a/b/blobs/sha256:ok`));
    expect(notAllowed.status).toBe(403);
    expect(await notAllowed.text()).toMatch(/redirect to http:\/\/127\.0\.0\.1:\d+ is not allow-listed/);
    const metadata = await handler()(req(`${regHost}/v2/a/b/blobs/sha256:evil`));
    expect(metadata.status).toBe(403);
    const elsewhere = await handler()(req(`${regHost}/v2/a/b/blobs/sha256:elsewhere`));
    expect(elsewhere.status).toBe(403);
  });

  it("refuses registries that are not allow-listed, in Distribution's error format", async () => {
    const res = await handler()(req("evil.example.com/v2/"));
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ errors: [{ code: "DENIED", message: expect.stringContaining("registry host evil.example.com is not allow-listed") }] });
  });

  it("refuses private, loopback and link-local targets unless allowed explicitly", async () => {
    for (const host of ["10.0.0.1", "192.168.1.1", "169.254.169.254", "127.0.0.1:5000", "[::1]:5000", "172.16.0.1"]) {
      const res = await handler()(req(`${host}/v2/`));
      expect(res.status, host).toBe(403);
    }
    // An allow-listed name that resolves to a private address is refused too (DNS rebinding).
    const h = createProxyHandler({ allowRegistries: [], resolve: async () => ["127.0.0.1"] });
    const res = await h(req("ghcr.io/v2/"));
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("resolves to private address 127.0.0.1");
  });

  it("classifies addresses", () => {
    for (const ip of ["127.0.0.1", "10.1.2.3", "172.31.255.255", "192.168.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "::", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:7f00:1"]) expect(isPrivateAddress(ip), ip).toBe(true);
    for (const ip of ["8.8.8.8", "140.82.112.3", "2606:4700::6810:84e5", "172.32.0.1"]) expect(isPrivateAddress(ip), ip).toBe(false);
  });

  it("bounds request bodies and upstream answer time", async () => {
    const small = handler({ maxBodyBytes: 1000 });
    const tooBig = await small(req(`${regHost}/v2/upload-body`, { method: "PATCH", headers: { "Content-Length": "5000" }, body: "x".repeat(5000) }));
    expect(tooBig.status).toBe(413);
    const ok = await small(req(`${regHost}/v2/upload-body`, { method: "PATCH", body: "x".repeat(500) }));
    expect(await ok.text()).toBe("500");
    const slow = await handler({ timeoutMs: 300 })(req(`${regHost}/v2/slow`));
    expect(slow.status).toBe(504);
  });

  it("never logs credentials or query strings", async () => {
    logs.length = 0;
    await handler()(req(`${regHost}/v2/a/b/manifests/latest?password=hunter2`, { headers: { Authorization: "Basic dXNlcjpodW50ZXIy" } }));
    await handler()(req(`${regHost}/token?account=user&password=hunter2`, { headers: { Authorization: "Bearer sekrit" } }));
    expect(logs.length).toBeGreaterThan(0);
    for (const l of logs) {
      expect(l).not.toMatch(/hunter2|dXNlcjpodW50ZXIy|sekrit|account=/);
    }
  });
});
