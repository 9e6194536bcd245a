/**
 * The containers' network relay (proxy/wisp.ts) through the lab server's /net/wisp and /net/resolve:
 * Wisp v1 framing and flow control, a stream relayed to a local TCP server through the name the lab
 * answered for it, and the refusals: a host or port not allowed, an allowed name that resolves to a
 * private address, a closed port, another site's Origin.
 */
import { createServer as createTcpServer, type Server as TcpServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startLabServer, type LabServer } from "../../proxy/node.ts";
import { CLOSE } from "../../proxy/wisp.ts";

let lab: LabServer;
let echo: TcpServer;
let echoPort = 0;
const closedPort = 9; // discard: nothing listens here
const logs: string[] = [];

beforeAll(async () => {
  echo = createTcpServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  echoPort = (echo.address() as { port: number }).port;
  lab = await startLabServer({
    allowNet: [`echo.test:${echoPort}`, `closed.test:${closedPort}`],
    // echo.test and closed.test are this machine; deb.debian.org is made to resolve to it too (DNS rebinding).
    netResolve: async (h) => (["echo.test", "closed.test", "deb.debian.org"].includes(h) ? ["127.0.0.1"] : []),
    log: (l) => logs.push(l),
  });
}, 60_000);

afterAll(async () => {
  await lab?.close();
  echo?.close();
});

const origin = () => lab.url.replace(/\/$/, "");

async function resolve(name: string, o = origin()): Promise<{ status: number; body: { address?: string; error?: string } }> {
  const r = await fetch(`${lab.url}net/resolve?name=${encodeURIComponent(name)}`, { headers: { Origin: o } });
  return { status: r.status, body: (await r.json()) as { address?: string } };
}

function frame(type: number, stream: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const b = Buffer.alloc(5 + payload.length);
  b.writeUInt8(type, 0);
  b.writeUInt32LE(stream, 1);
  b.set(payload, 5);
  return b;
}

function connectFrame(stream: number, host: string, port: number): Buffer {
  const p = Buffer.alloc(3 + Buffer.byteLength(host));
  p.writeUInt8(1, 0);
  p.writeUInt16LE(port, 1);
  p.write(host, 3);
  return frame(1, stream, p);
}

/** A Wisp client: its packets as they arrive. */
async function client(o = origin()): Promise<{ ws: WebSocket; next: (pred: (t: number, id: number, p: Buffer) => boolean) => Promise<[number, number, Buffer]> }> {
  const ws = new WebSocket(`${lab.url.replace(/^http/, "ws")}net/wisp`, { headers: { Origin: o } });
  const got: [number, number, Buffer][] = [];
  const waiters: (() => void)[] = [];
  ws.on("message", (d: Buffer) => {
    got.push([d.readUInt8(0), d.readUInt32LE(1), d.subarray(5)]);
    waiters.splice(0).forEach((w) => w());
  });
  await new Promise<void>((ok, fail) => {
    ws.once("open", () => ok());
    ws.once("error", fail);
    ws.once("unexpected-response", (_req, res) => fail(new Error(`HTTP ${res.statusCode}`)));
  });
  const next = async (pred: (t: number, id: number, p: Buffer) => boolean) => {
    for (;;) {
      const i = got.findIndex(([t, id, p]) => pred(t, id, p));
      if (i >= 0) return got.splice(i, 1)[0]!;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { ws, next };
}

describe("the containers' network relay", () => {
  it("answers allowed names with the lab's reserved addresses, and others NXDOMAIN", async () => {
    const a = await resolve("deb.debian.org");
    expect(a.status).toBe(200);
    expect(a.body.address).toMatch(/^198\.1[89]\.\d+\.\d+$/);
    expect((await resolve("deb.debian.org")).body.address).toBe(a.body.address);
    const no = await resolve("evil.example");
    expect(no.status).toBe(404);
    expect(no.body.error).toMatch(/^NXDOMAIN: evil\.example is not on the lab's network allow-list \(start the lab with --allow-net evil\.example to allow it\)$/);
    expect((await resolve("deb.debian.org", "https://evil.example")).status).toBe(403);
  });

  it("relays a TCP stream to the name behind the address, with Wisp's flow control", async () => {
    const { address } = (await resolve("echo.test")).body;
    const { ws, next } = await client();
    const [, , first] = await next((t, id) => t === 3 && id === 0);
    const window = first.readUInt32LE(0);
    expect(window).toBeGreaterThan(0);
    ws.send(connectFrame(1, address!, echoPort));
    const sent: Buffer[] = [];
    for (let i = 0; i < window; i++) {
      const chunk = Buffer.from(`chunk ${i};`);
      sent.push(chunk);
      ws.send(frame(2, 1, chunk));
    }
    // After `window` packets the server grants more.
    await next((t, id) => t === 3 && id === 1);
    let echoed = Buffer.alloc(0);
    const want = Buffer.concat(sent);
    while (echoed.length < want.length) echoed = Buffer.concat([echoed, (await next((t, id) => t === 2 && id === 1))[2]]);
    expect(echoed.toString()).toBe(want.toString());
    ws.send(frame(4, 1, Uint8Array.of(CLOSE.voluntary)));
    ws.close();
    expect(logs.some((l) => l.startsWith(`wisp echo.test:${echoPort} → 127.0.0.1 open`))).toBe(true);
    expect(logs.join("\n")).not.toContain("chunk");
  });

  it("refuses what the rules do not allow, with Wisp's close reasons", async () => {
    const { ws, next } = await client();
    const debian = (await resolve("deb.debian.org")).body.address!;
    const closed = (await resolve("closed.test")).body.address!;
    const echoAddr = (await resolve("echo.test")).body.address!;
    const cases: [string, string, number, number][] = [
      ["an address the lab did not hand out", "93.184.216.34", 80, CLOSE.blocked],
      ["a literal loopback address", "127.0.0.1", echoPort, CLOSE.blocked],
      ["an allowed name on a port not allowed", echoAddr, 22, CLOSE.blocked],
      ["a built-in name that resolves to a private address", debian, 80, CLOSE.blocked],
      ["an allowed port nothing listens on", closed, closedPort, CLOSE.refused],
    ];
    let id = 10;
    for (const [what, host, port, reason] of cases) {
      ws.send(connectFrame(++id, host, port));
      const [, , p] = await next((t, s) => t === 4 && s === id);
      expect({ what, reason: p.readUInt8(0) }).toEqual({ what, reason });
    }
    expect(logs.some((l) => l.includes("deb.debian.org resolves to private address 127.0.0.1"))).toBe(true);
    ws.close();
  });

  it("refuses another site's page", async () => {
    await expect(client("https://evil.example")).rejects.toThrow(/403/);
  });
});
