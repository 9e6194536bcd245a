/**
 * A machine's network when the lab's relay is not there (offline, or a static copy of the lab): the
 * page answers it from the bundled Debian mirror (public/demos/mirror, scripts/build-mirror.ts). The
 * mirror's hosts (deb.debian.org, security.debian.org) resolve to addresses of their own, port 80 of
 * them is an HTTP/1.1 server over the mirror's files, every other name is NXDOMAIN and every other
 * connection refused. It speaks Wisp v1 to v86's adapter through a WebSocket stand-in, as the lab's
 * relay (proxy/wisp.ts) does over a real one, so the adapter, tcp-open.ts's refusals and the guest's
 * view are the same with and without the lab's server.
 */
import { dnsAnswer, dnsFormatErrorAnswer, parseDnsQuery } from "../dns-message.ts";

/** The hosts the mirror answers for, and the address each has in the guest (of the relay's 198.18.0.0/15). */
export const MIRROR_HOSTS: Readonly<Record<string, string>> = { "deb.debian.org": "198.19.255.1", "security.debian.org": "198.19.255.2" };
const HOST_OF_ADDRESS = new Map(Object.entries(MIRROR_HOSTS).map(([name, ip]) => [ip, name]));

/** The guest's DNS query answered for the mirror's hosts (NXDOMAIN for any other name). */
export function mirrorDnsAnswer(query: Uint8Array): Uint8Array {
  try {
    const q = parseDnsQuery(query);
    return dnsAnswer(q, MIRROR_HOSTS[q.name]);
  } catch {
    return dnsFormatErrorAnswer(query) ?? new Uint8Array(0);
  }
}

const MIRROR_SOCKET = "ws://layerlab-mirror.invalid/";
/** The relay URL v86 is given for the mirror (it turns wisp:// into ws://): the mirror's base URL rides in the path. */
export function mirrorRelayUrl(mirrorUrl: string): string {
  return MIRROR_SOCKET.replace(/^ws:/, "wisp:") + encodeURIComponent(mirrorUrl);
}

const WISP = { connect: 1, data: 2, continue: 3, close: 4 } as const;
/** Wisp close reasons (the spec's): a normal end, and a refusal. */
const CLOSE_VOLUNTARY = 0x01;
const CLOSE_REFUSED = 0x44;
/** Packets a stream may send before it waits for a CONTINUE (as the relay's default). */
const CREDIT = 64;
/** Response bodies go to the guest in pieces of this size. */
const CHUNK = 64 * 1024;
/** A request head longer than this is refused (431) rather than buffered. */
const MAX_HEAD = 16 * 1024;

function frame(type: number, stream: number, payload: Uint8Array): ArrayBuffer {
  const out = new Uint8Array(5 + payload.length);
  out[0] = type;
  new DataView(out.buffer).setUint32(1, stream, true);
  out.set(payload, 5);
  return out.buffer;
}
const u32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};

/** What v86's Wisp client uses of a WebSocket, answered in the page. */
export class MirrorSocket {
  binaryType = "arraybuffer";
  readyState = 0;
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: ArrayBuffer }) => void) | null = null;
  onclose: ((e: unknown) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  private readonly streams = new Map<number, MirrorHttp>();

  constructor(private readonly base: string) {
    setTimeout(() => {
      if (this.readyState !== 0) return;
      this.readyState = 1;
      this.onopen?.({});
      this.emit(WISP.continue, 0, u32(CREDIT));
    }, 0);
  }

  /** A frame to the client, after the current task's code (as a socket's message would be: v86 and tcp-open.ts register a stream's callbacks after sending its CONNECT). */
  private emit(type: number, stream: number, payload: Uint8Array): void {
    const data = frame(type, stream, payload);
    queueMicrotask(() => {
      if (this.readyState === 1) this.onmessage?.({ data });
    });
  }

  send(data: ArrayBuffer | Uint8Array): void {
    const f = data instanceof Uint8Array ? data : new Uint8Array(data);
    if (f.length < 5 || this.readyState !== 1) return;
    const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
    const id = v.getUint32(1, true);
    if (f[0] === WISP.connect) {
      const host = f.length >= 8 && f[5] === 1 && v.getUint16(6, true) === 80 ? HOST_OF_ADDRESS.get(new TextDecoder().decode(f.subarray(8))) : undefined;
      if (!host) return this.emit(WISP.close, id, Uint8Array.of(CLOSE_REFUSED));
      const http = new MirrorHttp(this.base, host, (bytes) => this.emit(WISP.data, id, bytes), () => {
        this.streams.delete(id);
        this.emit(WISP.close, id, Uint8Array.of(CLOSE_VOLUNTARY));
      });
      this.streams.set(id, http);
      this.emit(WISP.continue, id, u32(CREDIT));
    } else if (f[0] === WISP.data) {
      const http = this.streams.get(id);
      if (!http) return;
      http.push(f.slice(5));
      if (++http.packets % (CREDIT / 2) === 0) this.emit(WISP.continue, id, u32(CREDIT));
    } else if (f[0] === WISP.close) {
      this.streams.get(id)?.abort();
      this.streams.delete(id);
    }
  }

  close(): void {
    if (this.readyState >= 2) return;
    for (const s of this.streams.values()) s.abort();
    this.streams.clear();
    this.readyState = 3;
    this.onclose?.({});
  }
}

interface HttpRequest {
  method: string;
  target: string;
  headers: Map<string, string>;
}

const STATUS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found (not in the lab's offline mirror; the lab has no network)",
  405: "Method Not Allowed",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  503: "Service Unavailable (the lab's offline mirror is not in this browser's cache)",
};

/** One TCP connection's HTTP/1.1 server: requests answered in order (apt pipelines them), GET and HEAD only. */
class MirrorHttp {
  packets = 0;
  private buffered = new Uint8Array(0);
  private answering: Promise<void> = Promise.resolve();
  private ended = false;

  constructor(
    private readonly base: string,
    private readonly host: string,
    private readonly write: (bytes: Uint8Array) => void,
    private readonly end: () => void,
  ) {}

  push(data: Uint8Array): void {
    if (this.ended) return;
    const all = new Uint8Array(this.buffered.length + data.length);
    all.set(this.buffered);
    all.set(data, this.buffered.length);
    this.buffered = all;
    for (;;) {
      const at = indexOfHeadEnd(this.buffered);
      if (at < 0) {
        if (this.buffered.length > MAX_HEAD) this.queue(() => this.respond(431, undefined, true));
        return;
      }
      const head = new TextDecoder("latin1").decode(this.buffered.subarray(0, at));
      this.buffered = this.buffered.slice(at + 4);
      const req = parseHead(head);
      this.queue(() => this.answer(req));
      if (!req) return;
    }
  }

  abort(): void {
    this.ended = true;
  }

  private queue(task: () => Promise<void> | void): void {
    this.answering = this.answering.then(task).catch((e: unknown) => {
      console.error("mirror:", e);
      this.finish();
    });
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.end();
  }

  private async answer(req: HttpRequest | undefined): Promise<void> {
    if (this.ended) return;
    if (!req) return this.respond(400, undefined, true);
    const close = req.headers.get("connection")?.toLowerCase() === "close";
    if (req.headers.has("content-length") && req.headers.get("content-length") !== "0") return this.respond(501, undefined, true);
    if (req.method !== "GET" && req.method !== "HEAD") return this.respond(405, undefined, close, ["Allow: GET, HEAD"]);
    const path = mirrorPath(req, this.host);
    if (!path) return this.respond(404, undefined, close);
    let body: Uint8Array;
    try {
      const r = await fetch(this.base + path);
      if (!r.ok) return this.respond(r.status === 404 ? 404 : 503, undefined, close);
      body = new Uint8Array(await r.arrayBuffer());
    } catch {
      return this.respond(503, undefined, close);
    }
    this.respond(200, req.method === "HEAD" ? { length: body.length } : body, close);
  }

  /** The status line and headers, then the body in pieces; `close` ends the connection after it. */
  private respond(status: number, body: Uint8Array | { length: number } | undefined, close: boolean, extra: string[] = []): void {
    if (this.ended) return;
    const text = body ? undefined : new TextEncoder().encode(`${status} ${STATUS[status] ?? ""}\n`);
    const length = body ? body.length : text!.length;
    const head = [`HTTP/1.1 ${status} ${STATUS[status] ?? ""}`, `Content-Length: ${length}`, `Content-Type: ${body ? "application/octet-stream" : "text/plain"}`, ...extra, `Connection: ${close ? "close" : "keep-alive"}`, "", ""].join("\r\n");
    this.write(new TextEncoder().encode(head));
    const bytes = body instanceof Uint8Array ? body : text;
    if (bytes) for (let at = 0; at < bytes.length; at += CHUNK) this.write(bytes.slice(at, at + CHUNK));
    if (close) this.finish();
  }
}

function indexOfHeadEnd(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  return -1;
}

function parseHead(head: string): HttpRequest | undefined {
  const [line, ...rest] = head.split("\r\n");
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(line ?? "");
  if (!m) return undefined;
  const headers = new Map<string, string>();
  for (const h of rest) {
    const i = h.indexOf(":");
    if (i <= 0) return undefined;
    headers.set(h.slice(0, i).trim().toLowerCase(), h.slice(i + 1).trim());
  }
  return { method: m[1]!, target: m[2]!, headers };
}

/** The mirror file a request names (`<host>/<path>` under the mirror's base URL), or undefined. */
export function mirrorPath(req: Pick<HttpRequest, "target" | "headers">, connectedHost: string): string | undefined {
  let target = req.target;
  let host = (req.headers.get("host") ?? connectedHost).toLowerCase().replace(/:80$/, "");
  const absolute = /^http:\/\/([^/]+)(\/.*)?$/i.exec(target);
  if (absolute) {
    host = absolute[1]!.toLowerCase().replace(/:80$/, "");
    target = absolute[2] ?? "/";
  }
  if (!(host in MIRROR_HOSTS) || !target.startsWith("/")) return undefined;
  let parts: string[];
  try {
    parts = target.replace(/[?#].*$/, "").split("/").slice(1).map(decodeURIComponent);
  } catch {
    return undefined;
  }
  if (parts.some((p) => p === "" || p === "." || p === ".." || p.includes("/") || p.includes("\\"))) return undefined;
  return [host, ...parts].map(mirrorSegment).join("/");
}

/** A path segment as the mirror's URLs spell it: percent-encoded, but `+` kept (Debian's versions have it; Vite's static server does not decode %2B). */
export function mirrorSegment(s: string): string {
  return encodeURIComponent(s).replace(/%2B/g, "+");
}

let socketsAnswered = false;
/**
 * Makes `new WebSocket(mirrorRelayUrl(…))` a MirrorSocket in this realm (the machine's worker, or the
 * Node process); every other URL goes to the WebSocket that was there before.
 */
export function answerMirrorSockets(): void {
  if (socketsAnswered) return;
  socketsAnswered = true;
  const g = globalThis as { WebSocket?: unknown };
  const Previous = g.WebSocket as (new (url: string, protocols?: string | string[]) => object) | undefined;
  function LabWebSocket(url: string | URL, protocols?: string | string[]): object {
    const href = String(url);
    if (href.startsWith(MIRROR_SOCKET)) return new MirrorSocket(decodeURIComponent(href.slice(MIRROR_SOCKET.length)));
    if (!Previous) throw new Error("this realm has no WebSocket");
    return new Previous(href, protocols);
  }
  Object.assign(LabWebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  g.WebSocket = LabWebSocket;
}
