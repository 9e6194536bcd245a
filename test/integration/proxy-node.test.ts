/**
 * The lab server as a whole: startLabServer on a random port, real fetches through it to a loopback
 * upstream that imitates a registry and its CDN, the static (dist/) and vite (dev) app paths, and
 * `npm start` itself (server/main.ts) started as a process and stopped with SIGTERM.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveHost, startLabServer, type LabServer } from "../../proxy/node.ts";

const projectRoot = fileURLToPath(new URL("../..", import.meta.url));
let upstream: Server;
let upHost = "";
let cdn: Server;
let cdnHost = "";
let lab: LabServer;
let root = "";
const logs: string[] = [];
const seenAuth: (string | undefined)[] = [];
let endlessClosed: Promise<void> = Promise.resolve();

function listen(server: Server): Promise<string> {
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(`127.0.0.1:${(server.address() as { port: number }).port}`)));
}

beforeAll(async () => {
  cdn = createServer((req, res) => {
    seenAuth.push(req.headers.authorization);
    res.writeHead(200, { "Content-Type": "application/octet-stream" }).end("cdn-bytes");
  });
  cdnHost = await listen(cdn);
  upstream = createServer((req, res) => {
    const url = req.url ?? "";
    if (url === "/v2/") return void res.writeHead(401, { "WWW-Authenticate": `Bearer realm="http://${upHost}/token",service="lab"` }).end();
    if (url === "/v2/lab/a/blobs/sha256:redirected") return void res.writeHead(307, { Location: `http://${cdnHost}/blob?X-Amz-Signature=s` }).end();
    if (url === "/v2/lab/a/blobs/uploads/") return void res.writeHead(202, { Location: `http://${upHost}/v2/lab/a/blobs/uploads/u1?_state=s1`, "Docker-Upload-UUID": "u1" }).end();
    if (url.startsWith("/v2/lab/a/blobs/uploads/u1")) {
      const hash = createHash("sha256");
      let n = 0;
      req.on("data", (c: Buffer) => (hash.update(c), (n += c.length)));
      req.on("end", () => res.writeHead(202, { Location: "/v2/lab/a/blobs/uploads/u1?_state=s2", Range: `0-${n - 1}`, "X-Sha256": hash.digest("hex") }).end());
      return;
    }
    if (url === "/v2/endless") {
      // Streams until the client goes away; the test waits for this close to see the cancel travel upstream.
      endlessClosed = new Promise((done) => res.on("close", () => done()));
      res.writeHead(200, { "Content-Type": "application/octet-stream" });
      const timer = setInterval(() => res.write(Buffer.alloc(64 * 1024)), 5);
      res.on("close", () => clearInterval(timer));
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json", "Docker-Content-Digest": "sha256:abc" }).end('{"ok":true}');
  });
  upHost = await listen(upstream);

  root = mkdtempSync(join(tmpdir(), "layerlab-proxy-node-"));
  mkdirSync(join(root, "dist", "assets"), { recursive: true });
  writeFileSync(join(root, "index.html"), "<!doctype html><title>dev lab</title><p>dev</p>");
  writeFileSync(join(root, "dist", "index.html"), "<!doctype html><title>built lab</title>");
  writeFileSync(join(root, "dist", "assets", "app-1234.js"), "console.log('lab')");
  writeFileSync(join(root, "dist", "assets", "v86.wasm"), Buffer.from([0, 97, 115, 109]));
  lab = await startLabServer({ port: 0, dev: false, root, allowRegistries: [upHost, cdnHost], log: (l) => logs.push(l) });
});

afterAll(async () => {
  await lab?.close();
  for (const s of [upstream, cdn]) {
    s?.closeAllConnections();
    s?.close();
  }
  if (root) rmSync(root, { recursive: true, force: true });
});

/** A request with a Host header of our choosing (fetch will not send one). */
function getWithHost(url: string, host: string): Promise<IncomingMessage> {
  return new Promise((ok, fail) => request(url, { headers: { Host: host } }, ok).on("error", fail).end());
}

describe("lab server: proxy over node:http", () => {
  it("listens on a random loopback port", () => {
    expect(lab.port).toBeGreaterThan(0);
    expect(lab.url).toBe(`http://127.0.0.1:${lab.port}/`);
  });

  it("proxies with the realm rewritten to the lab's own origin", async () => {
    const res = await fetch(`${lab.url}proxy/${upHost}/v2/`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(`Bearer realm="http://127.0.0.1:${lab.port}/proxy/${upHost}/token",service="lab"`);
    expect(res.headers.get("access-control-expose-headers")).toContain("WWW-Authenticate");
    const ok = await fetch(`${lab.url}proxy/${upHost}/v2/lab/a/manifests/latest`);
    expect(ok.headers.get("docker-content-digest")).toBe("sha256:abc");
    expect(await ok.json()).toEqual({ ok: true });
  });

  it("follows blob redirects server-side and drops the credentials at the CDN", async () => {
    const res = await fetch(`${lab.url}proxy/${upHost}/v2/lab/a/blobs/sha256:redirected`, { headers: { Authorization: "Bearer very-secret" } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("cdn-bytes");
    expect(seenAuth.at(-1)).toBeUndefined();
    expect(logs.join("\n")).not.toContain("very-secret");
    expect(logs.join("\n")).not.toContain("X-Amz-Signature");
  });

  it("streams an 8 MiB upload and rewrites the upload Locations", async () => {
    const start = await fetch(`${lab.url}proxy/${upHost}/v2/lab/a/blobs/uploads/`, { method: "POST" });
    expect(start.status).toBe(202);
    const location = start.headers.get("location")!;
    expect(location).toBe(`http://127.0.0.1:${lab.port}/proxy/${upHost}/v2/lab/a/blobs/uploads/u1?_state=s1`);
    const chunk = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
    const hash = createHash("sha256");
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent === 8) return c.close();
        sent++;
        hash.update(chunk);
        c.enqueue(chunk);
      },
    });
    const patch = await fetch(location, { method: "PATCH", headers: { "Content-Type": "application/octet-stream" }, body, duplex: "half" } as RequestInit);
    expect(patch.status).toBe(202);
    expect(patch.headers.get("range")).toBe(`0-${8 * 1024 * 1024 - 1}`);
    expect(patch.headers.get("x-sha256")).toBe(hash.digest("hex"));
    expect(patch.headers.get("location")).toBe(`http://127.0.0.1:${lab.port}/proxy/${upHost}/v2/lab/a/blobs/uploads/u1?_state=s2`);
  });

  it("cancels the upstream download when the page goes away", async () => {
    const ctrl = new AbortController();
    const res = await fetch(`${lab.url}proxy/${upHost}/v2/endless`, { signal: ctrl.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ctrl.abort();
    await expect(Promise.race([endlessClosed.then(() => "closed"), new Promise((r) => setTimeout(() => r("still streaming"), 5000))])).resolves.toBe("closed");
  });

  it("refuses unlisted registries and private targets with Distribution errors", async () => {
    const res = await fetch(`${lab.url}proxy/registry.evil.example/v2/`);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ errors: [{ code: "DENIED", message: expect.stringContaining("registry host registry.evil.example is not allow-listed") }] });
    expect((await fetch(`${lab.url}proxy/169.254.169.254/latest/meta-data`)).status).toBe(403);
  });

  it("refuses a built-in registry whose name resolves to a private address", async () => {
    const guarded = await startLabServer({ port: 0, dev: false, root, proxy: { resolve: async () => ["127.0.0.1"] } });
    try {
      const res = await fetch(`${guarded.url}proxy/ghcr.io/v2/`);
      expect(res.status).toBe(403);
      expect((await res.json()).errors[0].message).toContain("resolves to private address 127.0.0.1");
    } finally {
      await guarded.close();
    }
    expect(await resolveHost("localhost")).toEqual(expect.arrayContaining([expect.stringMatching(/^(127\.0\.0\.1|::1)$/)]));
  });

  it("answers an oversized upload with 413 at once and closes the connection", async () => {
    const small = await startLabServer({ port: 0, dev: false, root, allowRegistries: [upHost], proxy: { maxBodyBytes: 1024 } });
    try {
      const answer = await new Promise<{ status?: number; body: string; closed: Promise<void> }>((ok, fail) => {
        const r = request(`${small.url}proxy/${upHost}/v2/lab/a/blobs/uploads/u1`, { method: "PATCH", headers: { "Content-Length": String(3 * 1024 ** 3) } }, (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c));
          const closed = new Promise<void>((done) => r.socket!.on("close", () => done()));
          res.on("end", () => ok({ status: res.statusCode, body, closed }));
        });
        r.on("error", fail);
        r.write(Buffer.alloc(64 * 1024)); // and then nothing more: the answer must not wait for 3 GiB
      });
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body).errors[0].code).toBe("SIZE_INVALID");
      await answer.closed;
    } finally {
      await small.close();
    }
  });

  it("answers only for local or allowed host names (DNS rebinding)", async () => {
    const rebound = await getWithHost(`${lab.url}proxy/${upHost}/v2/`, `evil.example:${lab.port}`);
    expect(rebound.statusCode).toBe(403);
    rebound.resume();
    const local = await getWithHost(`${lab.url}proxy/${upHost}/v2/`, `localhost:${lab.port}`);
    expect(local.statusCode).toBe(401);
    expect(local.headers["www-authenticate"]).toContain(`realm="http://localhost:${lab.port}/proxy/`);
    local.resume();
  });
});

describe("lab server: the app", () => {
  it("serves dist/ with MIME types, COOP/COEP and an index.html fallback for routes only", async () => {
    const index = await fetch(lab.url);
    expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(index.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(index.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
    expect(await index.text()).toContain("built lab");
    const js = await fetch(`${lab.url}assets/app-1234.js`);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect((await fetch(`${lab.url}assets/v86.wasm`)).headers.get("content-type")).toBe("application/wasm");
    expect(await (await fetch(`${lab.url}images/busybox`)).text()).toContain("built lab");
    expect((await fetch(`${lab.url}assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${lab.url}..%2F..%2Findex.html`)).status).not.toBe(200);
    expect((await fetch(`${lab.url}%2e%2e/index.html`)).status).toBe(200); // URL-normalized to /index.html
  });

  it("serves the app through vite in dev mode, on the same port as the proxy", async () => {
    const dev = await startLabServer({ port: 0, root, allowRegistries: [upHost] });
    try {
      const index = await fetch(dev.url);
      expect(index.status).toBe(200);
      expect(index.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
      const html = await index.text();
      expect(html).toContain("dev lab");
      expect(html).toContain("/@vite/client");
      expect((await fetch(`${dev.url}proxy/${upHost}/v2/`)).status).toBe(401);
    } finally {
      await dev.close();
    }
  });
});

describe("npm start (server/main.ts)", () => {
  it("prints where it listens, proxies, and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts", "--port", "0", "--build", "--root", root, "--allow-registry", upHost], {
      cwd: projectRoot,
      env: { ...process.env, PORT: undefined },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stderr.on("data", (c: Buffer) => (err += c));
    const url = await new Promise<string>((ok, fail) => {
      child.stdout.on("data", (c: Buffer) => {
        out += c;
        const m = /Layerlab on (http:\/\/127\.0\.0\.1:\d+\/) \(proxy at \/proxy\/, allowed extra registries: (.*)\)/.exec(out);
        if (m) ok(m[1]!);
      });
      child.on("exit", (code) => fail(new Error(`exited ${code}: ${err}`)));
    });
    expect(out).toContain(`allowed extra registries: http://${upHost}`);
    expect((await fetch(`${url}proxy/${upHost}/v2/`)).status).toBe(401);
    const exited = new Promise<number | null>((ok) => child.on("exit", (code) => ok(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("rejects bad flags with usage", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts", "--allow-registry", "ftp://x"], { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (c: Buffer) => (err += c));
    const code = await new Promise<number | null>((ok) => child.on("exit", ok));
    expect(code).toBe(1);
    expect(err).toContain('invalid registry "ftp://x"');
  });
});
