/**
 * Containers on the network, in Node: real v86 machines whose virtio-net card is answered by the lab
 * server's relay (proxy/wisp.ts) and DNS (src/runtime/dns-message.ts); a local HTTP server on 127.0.0.1 reached as
 * host.docker.internal, which the test allows explicitly. Also: Docker's init layer and the three
 * bind-mounted files (out of `docker diff`), `--network none` with only `lo`, and the refusals.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLabServer, type LabServer } from "../../proxy/node.ts";
import type { ContainerConfig } from "../../src/oci/types.ts";
import { containerNetwork, type NetworkName } from "../../src/runtime/network.ts";
import { resolveProcess } from "../../src/runtime/spec.ts";
import { labNetwork, nodeRuntime } from "../../src/runtime/x86/node.ts";
import type { X86Runtime } from "../../src/runtime/x86/runtime.ts";
import { containerChanges } from "../../src/unionfs/changes.ts";
import { INIT_LAYER_LABEL } from "../../src/unionfs/init-layer.ts";
import type { UnionFS } from "../../src/unionfs/union.ts";
import { debianFixture, serveDirectory } from "../harness/debian.ts";
import { buildFixtures } from "../harness/fixtures.ts";
import { loadLayoutImage, memorySnapshotter, type MemoryImage } from "../harness/memory-images.ts";

const { backend, snapshotter } = memorySnapshotter();
let runtime: X86Runtime;
let alpine: MemoryImage;
let debian: MemoryImage;
/** The bundled busybox (Debian's busybox-static, with httpd; Alpine's busybox has none). */
let busybox: MemoryImage;
let repo: Awaited<ReturnType<typeof serveDirectory>>;
let lab: LabServer;
let web: Server;
let webPort = 0;
const logs: string[] = [];
let n = 0;

async function container(image: MemoryImage): Promise<{ key: string; fs: UnionFS; config: ContainerConfig }> {
  const key = `n${++n}`;
  const fs = await snapshotter.prepare(key, image.chainId, { [INIT_LAYER_LABEL]: "docker" });
  return { key, fs, config: { ...(image.config.config ?? {}), Hostname: `0123456789a${n}` } };
}

async function run(c: { key: string; fs: UnionFS; config: ContainerConfig }, argv: string[], network: NetworkName = "bridge", on: X86Runtime = runtime, extraHosts: string[] = []) {
  const proc = await resolveProcess(c.fs, c.config, { tty: false, argv });
  let stdout = "";
  let stderr = "";
  const dec = new TextDecoder();
  const net = containerNetwork(network, "172.17.0.2", proc.hostname, extraHosts);
  const running = await on.start(c.key, c.fs, proc, { output: (fd, d) => (fd === 1 ? (stdout += dec.decode(d)) : (stderr += dec.decode(d))) }, net);
  const code = await running.exited;
  return { code, stdout, stderr };
}

beforeAll(async () => {
  const fx = await buildFixtures();
  alpine = await loadLayoutImage(backend, fx.layout, fx.tags.alpine386);
  const deb = await debianFixture();
  debian = await loadLayoutImage(backend, deb.layout, deb.tag);
  busybox = await loadLayoutImage(backend, fileURLToPath(new URL("../../public/demos", import.meta.url)), "busybox:latest");
  repo = await serveDirectory(deb.repo);
  web = createServer((req, res) => {
    if (req.url === "/big") {
      res.writeHead(200, { "Content-Length": String(4 << 20) });
      return void res.end(Buffer.alloc(4 << 20, 7));
    }
    res.writeHead(200, { "Content-Type": "text/plain" }).end(`hello from the host: ${req.url}\n`);
  });
  await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
  webPort = (web.address() as { port: number }).port;
  // The lab server without its page (only /net is used here).
  const root = mkdtempSync(join(tmpdir(), "layerlab-net-"));
  mkdirSync(join(root, "dist"), { recursive: true });
  writeFileSync(join(root, "dist", "index.html"), "<!doctype html><title>lab</title>");
  lab = await startLabServer({
    port: 0,
    dev: false,
    root,
    allowNet: [`host.docker.internal:${webPort}`, `host.docker.internal:${repo.port}`, "private.test:80"],
    netResolve: async (h) => (h === "host.docker.internal" ? ["127.0.0.1"] : h === "private.test" || h === "deb.debian.org" ? ["10.1.2.3"] : []),
    log: (l) => logs.push(l),
  });
  runtime = nodeRuntime(undefined, { network: labNetwork(lab.url.replace(/\/$/, "")) });
}, 120_000);

afterAll(async () => {
  await lab?.close();
  web?.close();
  repo?.server.close();
});

describe("container networking (v86 in Node through the lab's relay)", () => {
  it("eth0 has Docker's bridge address, lo is up, and the three files are Docker's", async () => {
    const c = await container(alpine);
    const r = await run(c, ["sh", "-c", "ip addr; ip route; echo ---; cat /etc/hosts; echo ---; cat /etc/hostname /etc/resolv.conf; ls -la /.dockerenv"]);
    console.log(r.stdout, r.stderr, runtime.lastStart);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("inet 172.17.0.2/16");
    expect(r.stdout).toContain("link/ether 02:42:ac:11:00:02");
    expect(r.stdout).toContain("default via 172.17.0.1 dev eth0");
    expect(r.stdout).toContain("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    expect(r.stdout).toContain(`172.17.0.2\t${c.config.Hostname}\n`);
    expect(containerChanges(c.fs)).toEqual([]);
  }, 120_000);

  it("wget reaches a server on the host through an allowed name", async () => {
    const c = await container(alpine);
    const r = await run(c, ["sh", "-c", `wget -qO- http://host.docker.internal:${webPort}/x && wget -qO /tmp/big http://host.docker.internal:${webPort}/big && wc -c < /tmp/big`]);
    console.log(r, logs);
    expect(r.stdout).toBe(`hello from the host: /x\n${4 << 20}\n`);
  }, 120_000);

  it("apt-get update && apt-get install -y vim-tiny from a local repository; the three files stay out of docker diff", async () => {
    const c = await container(debian);
    const script = [
      "rm -f /etc/apt/sources.list.d/*",
      `echo "deb [trusted=yes] http://host.docker.internal:${repo.port}/ ./" > /etc/apt/sources.list`,
      "apt-get update",
      "apt-get install -y --no-install-recommends vim-tiny",
      "vim.tiny --version | head -1",
    ].join(" && ");
    const t0 = performance.now();
    const r = await run(c, ["sh", "-c", script]);
    console.log(`apt: ${Math.round(performance.now() - t0)} ms`, r.stdout.slice(-1500), r.stderr.slice(-1500), repo.requests);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/VIM - Vi IMproved 9\.0/);
    const diff = containerChanges(c.fs).map((ch) => `${ch.kind} ${ch.path}`);
    expect(diff).toContain("A /usr/bin/vim.tiny");
    expect(diff.filter((l) => /\/etc\/(hosts|hostname|resolv\.conf)$/.test(l))).toEqual([]);
  }, 300_000);

  it("--add-host NAME:host-gateway: the name is the bridge's gateway in /etc/hosts, and the relay takes the gateway for host.docker.internal", async () => {
    const c = await container(alpine);
    const r = await run(c, ["sh", "-c", `grep -v '^[f:]' /etc/hosts; wget -qO- http://myhost:${webPort}/via-gateway`], "bridge", runtime, ["myhost:host-gateway", "db.local:10.0.0.5"]);
    console.log(r);
    expect(r.stdout).toBe(`127.0.0.1\tlocalhost\n172.17.0.1\tmyhost\n10.0.0.5\tdb.local\n172.17.0.2\t${c.config.Hostname}\nhello from the host: /via-gateway\n`);
  }, 120_000);

  it("refusals reach the container as errors: a name not allowed is NXDOMAIN, a mirror resolving to a private address is refused", async () => {
    const c = await container(alpine);
    const r = await run(c, ["sh", "-c", "wget -qO- http://example.com/; echo exit $?; wget -qO- http://deb.debian.org/; echo exit $?"]);
    console.log(r, logs);
    expect(r.stderr).toContain("wget: bad address 'example.com'");
    expect(r.stderr).toMatch(/wget: can't connect to remote host \(198\.18\.\d+\.\d+\): Connection refused/);
    expect(r.stdout).toBe("exit 1\nexit 1\n");
    // The server says why, without the payload.
    expect(logs.join("\n")).toMatch(/example\.com: NXDOMAIN, not on the network allow-list \(--allow-net example\.com\)/);
    expect(logs.join("\n")).toContain("wisp deb.debian.org:80 refused: deb.debian.org resolves to private address 10.1.2.3");
  }, 120_000);

  it("ping tells the truth: the gateway answers, an address beyond it is filtered (ICMP does not cross the relay)", async () => {
    const c = await container(alpine);
    const r = await run(c, ["sh", "-c", "ping -c 1 -W 2 172.17.0.1 >/dev/null && echo gateway ok; ping -c 1 -W 2 8.8.8.8; echo exit $?"]);
    console.log(r);
    expect(r.stdout).toContain("gateway ok\n");
    expect(r.stdout).toContain("1 packets transmitted, 0 packets received, 100% packet loss");
    expect(r.stdout).toMatch(/exit 1\n$/);
  }, 120_000);

  it("without a relay (a static copy of the lab, or offline): the address stays, no route out, no name server; a lookup fails at once", async () => {
    const offline = nodeRuntime(undefined);
    const c = await container(alpine);
    const r = await run(c, ["sh", "-c", "ip addr show eth0 | grep inet; ip route; cat /etc/resolv.conf; wget -qO- http://deb.debian.org/; echo exit $?; wget -qO- http://8.8.8.8/; echo exit $?"], "bridge", offline);
    console.log(r, offline.lastStart);
    expect(offline.lastStart?.relayReady).toBe(false);
    expect(r.stdout).toContain("inet 172.17.0.2/16");
    expect(r.stdout).not.toContain("default via");
    expect(r.stdout).toContain("no name server");
    expect(r.stderr).toContain("wget: bad address 'deb.debian.org'");
    expect(r.stderr).toContain("Network unreachable");
    expect(r.stdout).toMatch(/exit 1\n.*exit 1\n$/s);
  }, 120_000);

  it("a connection from the bridge's gateway reaches a server in the container (what -p forwards to); a closed port is refused", async () => {
    const c = await container(busybox);
    const proc = await resolveProcess(c.fs, c.config, { tty: false, argv: ["sh", "-c", "mkdir -p /www && echo hello-from-httpd > /www/index.html && exec httpd -f -p 8080 -h /www"] });
    let log = "";
    const running = await runtime.start(c.key, c.fs, proc, { output: (_fd, d) => (log += new TextDecoder().decode(d)) }, containerNetwork("bridge", "172.17.0.2", proc.hostname));
    void running.exited.then((code) => (log += `[exited ${code}]`));
    try {
      let answer = "";
      for (let attempt = 0; ; attempt++) {
        const s = running.connect(8080);
        try {
          await s.opened;
        } catch (e) {
          // httpd may not listen yet: refused, then try again
          if (attempt > 50) throw new Error(`${String(e)}; the container said: ${log}`);
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        const done = new Promise<void>((r) => (s.onEnd = () => r()));
        s.onData = (d) => (answer += new TextDecoder().decode(d));
        s.write(new TextEncoder().encode("GET /index.html HTTP/1.0\r\nHost: localhost\r\n\r\n"));
        await done;
        s.end();
        await s.closed;
        break;
      }
      expect(answer).toMatch(/^HTTP\/1\.[01] 200 OK\r\n/);
      expect(answer).toContain("\r\n\r\nhello-from-httpd\n");
      const closed = running.connect(8081);
      await expect(closed.opened).rejects.toMatchObject({ code: "ECONNREFUSED" });
      // A large answer crosses in many segments: 1 MiB from the container.
      const big = await running.exec(await resolveProcess(c.fs, c.config, { tty: false, argv: ["sh", "-c", "head -c 1048576 /dev/zero | tr '\\0' x > /www/big"] }), { output: () => {} });
      expect(await big.exited).toBe(0);
      const s = running.connect(8080);
      await s.opened;
      let bytes = 0;
      const done = new Promise<void>((r) => (s.onEnd = () => r()));
      s.onData = (d) => (bytes += d.length);
      s.write(new TextEncoder().encode("GET /big HTTP/1.0\r\n\r\n"));
      await done;
      expect(bytes).toBeGreaterThan(1048576);
    } finally {
      running.kill(9);
      await running.exited;
    }
  }, 120_000);

  it("--network none: only lo", async () => {
    const c = await container(alpine);
    const r = await run(c, ["sh", "-c", "ip addr; ip route"], "none");
    console.log(r);
    expect(r.stdout).not.toContain("eth0");
    expect(r.stdout).toContain("lo:");
  }, 120_000);
});
