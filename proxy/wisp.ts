/**
 * The lab's own network relay for containers: a Wisp v1 server (TCP streams multiplexed over one
 * WebSocket per machine, the protocol v86's `wisp://` backend speaks) that applies the proxy's rules.
 *
 * Why it looks like this (see ../shared/README.md, "Container networking"):
 * - v86 sends the destination as an IP, and its guest cannot use real DNS; so the lab answers names
 *   itself: an allowed name gets an address from a reserved range (198.18.0.0/15, the benchmarking
 *   block no real service uses), `names.address(name)`, and a CONNECT to such an address is turned back
 *   into the name here. Anything else gets no address (NXDOMAIN in the guest).
 * - It must not become a TCP relay for any web page: the WebSocket's Origin is checked by the caller
 *   like the proxy's; hosts and ports come from an allow-list; a name is resolved once, private and
 *   loopback answers refused unless the entry was given explicitly, and the socket connects to exactly
 *   the address checked; streams, bytes and idle time are bounded per connection; nothing of the
 *   payload is logged.
 * - A refusal reaches the guest as a CLOSE with Wisp's reason (blocked, refused, unreachable), which
 *   the guest sees as a reset; the log line says which rule refused.
 */
import { connect, isIP, type Socket } from "node:net";
import { isPrivateAddress } from "./addresses.ts";

/** Wisp v1 packet types and close reasons. */
const PACKET = { connect: 0x01, data: 0x02, continue: 0x03, close: 0x04 } as const;
export const CLOSE = { voluntary: 0x01, networkError: 0x02, invalid: 0x41, unreachable: 0x42, timeout: 0x43, refused: 0x44, blocked: 0x47, throttled: 0x49 } as const;

/**
 * The containers' bridge gateway (src/runtime/network.ts): what `--add-host NAME:host-gateway` points
 * at, Docker's "the host". A CONNECT to it is one to host.docker.internal (the lab server's machine),
 * which an entry must allow explicitly (`--allow-net host.docker.internal:PORT`).
 */
export const BRIDGE_GATEWAY = "172.17.0.1";
export const HOST_NAME = "host.docker.internal";

/** The package mirrors the tutorials use (HTTP and HTTPS). */
export const BUILT_IN_NET_HOSTS = ["dl-cdn.alpinelinux.org", "deb.debian.org", "security.debian.org", "archive.ubuntu.com", "ports.ubuntu.com", "pypi.org", "files.pythonhosted.org", "registry.npmjs.org"];

export interface NetEntry {
  host: string;
  /** Undefined: 80 and 443. */
  port?: number;
  /** Given by the user: may resolve to a private or loopback address. */
  explicit: boolean;
}

/** `HOST[:PORT]` as `--allow-net` takes it. */
export function parseNetEntry(s: string): NetEntry {
  const m = /^([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/i.exec(s.trim());
  if (!m) throw new Error(`invalid network host "${s}": want HOST[:PORT]`);
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new Error(`invalid port in "${s}"`);
  return { host: m[1]!.toLowerCase().replace(/^\[|\]$/g, ""), ...(port !== undefined ? { port } : {}), explicit: true };
}

export class NetAllowList {
  readonly entries: NetEntry[];
  constructor(extra: string[] = []) {
    this.entries = [...extra.filter(Boolean).map(parseNetEntry), ...BUILT_IN_NET_HOSTS.map((host): NetEntry => ({ host, explicit: false }))];
  }
  /** The entry allowing `host` on `port`, if any. */
  find(host: string, port: number): NetEntry | undefined {
    const h = host.toLowerCase();
    return this.entries.find((e) => e.host === h && (e.port === undefined ? port === 80 || port === 443 : e.port === port));
  }
  /** Whether any port of `host` is allowed (for answering its name). */
  knows(host: string): boolean {
    const h = host.toLowerCase();
    return this.entries.some((e) => e.host === h);
  }
}

/** Names the lab answered, each with an address of 198.18.0.0/15 (assigned in order, stable for the server's life). */
export class NetNames {
  private readonly byName = new Map<string, string>();
  private readonly byAddress = new Map<string, string>();
  constructor(private readonly allow: NetAllowList) {}

  /** The address the guest is told for `name`, or undefined (NXDOMAIN) when the name is not allowed. */
  address(name: string): string | undefined {
    const n = name.toLowerCase().replace(/\.$/, "");
    if (!this.allow.knows(n)) return undefined;
    let a = this.byName.get(n);
    if (!a) {
      const i = this.byName.size + 1;
      if (i >= 1 << 17) return undefined;
      a = `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
      this.byName.set(n, a);
      this.byAddress.set(a, n);
    }
    return a;
  }

  name(address: string): string | undefined {
    return this.byAddress.get(address);
  }
}

export interface WispOptions {
  allow: NetAllowList;
  names: NetNames;
  /** Resolves a name to its addresses (dns.lookup with all: true). */
  resolve: (host: string) => Promise<string[]>;
  /** Streams open at once per connection. Default 64. */
  maxStreams?: number;
  /** Bytes relayed per connection, both ways. Default 4 GiB. */
  maxBytes?: number;
  /** A stream with no traffic this long is closed. Default 120 s. */
  idleMs?: number;
  /** Packets the client may send on a stream before it waits for a CONTINUE. Default 64. */
  buffer?: number;
  /** One line per stream opened or refused: host, port, outcome (never payload). */
  log?: (line: string) => void;
}

/** The part of a WebSocket the relay needs (the `ws` package's WebSocket has it). */
export interface WispSocket {
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  on(event: "message", fn: (data: Buffer, isBinary: boolean) => void): unknown;
  on(event: "close", fn: () => void): unknown;
}

function packet(type: number, stream: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  const v = new DataView(out.buffer);
  v.setUint8(0, type);
  v.setUint32(1, stream, true);
  out.set(payload, 5);
  return out;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

interface Stream {
  socket?: Socket;
  pending: Uint8Array[];
  received: number;
  timer?: ReturnType<typeof setTimeout>;
}

/** Serves one Wisp connection until it closes. */
export function serveWisp(ws: WispSocket, o: WispOptions): void {
  const maxStreams = o.maxStreams ?? 64;
  const maxBytes = o.maxBytes ?? 4 * 1024 ** 3;
  const idleMs = o.idleMs ?? 120_000;
  const buffer = o.buffer ?? 64;
  const streams = new Map<number, Stream>();
  let bytes = 0;
  let closed = false;

  const send = (p: Uint8Array) => {
    if (!closed) ws.send(p);
  };
  const close = (id: number, reason: number) => {
    const s = streams.get(id);
    if (!s) return;
    streams.delete(id);
    clearTimeout(s.timer);
    s.socket?.destroy();
    send(packet(PACKET.close, id, Uint8Array.of(reason)));
  };
  const touch = (id: number, s: Stream) => {
    clearTimeout(s.timer);
    s.timer = setTimeout(() => close(id, CLOSE.timeout), idleMs);
  };
  const count = (n: number, id: number): boolean => {
    bytes += n;
    if (bytes <= maxBytes) return true;
    close(id, CLOSE.throttled);
    return false;
  };

  async function open(id: number, port: number, host: string): Promise<void> {
    const s: Stream = { pending: [], received: 0 };
    streams.set(id, s);
    touch(id, s);
    // v86 sends an IP: one of the lab's own answers stands for a name.
    const name = host === BRIDGE_GATEWAY ? HOST_NAME : (o.names.name(host) ?? host.toLowerCase());
    const refuse = (reason: number, why: string) => {
      o.log?.(`wisp ${name}:${port} refused: ${why}`);
      close(id, reason);
    };
    const entry = o.allow.find(name, port);
    if (!entry) return refuse(CLOSE.blocked, `${name}:${port} is not on the lab's network allow-list (start the lab with --allow-net ${name}:${port} to allow it)`);
    let address: string;
    if (isIP(name)) address = name;
    else {
      let addresses: string[];
      try {
        addresses = await o.resolve(name);
      } catch (e) {
        return refuse(CLOSE.unreachable, `cannot resolve ${name}: ${(e as Error).message}`);
      }
      if (!addresses.length) return refuse(CLOSE.unreachable, `cannot resolve ${name}: no addresses`);
      address = addresses[0]!;
    }
    if (!entry.explicit && isPrivateAddress(address)) return refuse(CLOSE.blocked, `${name} resolves to private address ${address}`);
    if (!streams.has(id)) return;
    // Connect to exactly the address checked, not the name again.
    const socket = connect({ host: address, port });
    s.socket = socket;
    socket.on("connect", () => {
      o.log?.(`wisp ${name}:${port} → ${address} open`);
      // The stream is up: the lab's page answers the guest's SYN only now (src/runtime/x86/tcp-open.ts).
      send(packet(PACKET.continue, id, u32(buffer)));
      for (const chunk of s.pending) socket.write(chunk);
      s.pending = [];
    });
    socket.on("data", (d: Buffer) => {
      if (!count(d.length, id)) return;
      touch(id, s);
      send(packet(PACKET.data, id, d));
    });
    socket.on("error", (e: NodeJS.ErrnoException) => close(id, e.code === "ECONNREFUSED" ? CLOSE.refused : CLOSE.networkError));
    socket.on("close", () => close(id, CLOSE.voluntary));
  }

  // The first CONTINUE (stream 0) tells the client how many packets a stream may send ahead.
  send(packet(PACKET.continue, 0, u32(buffer)));

  ws.on("message", (raw, isBinary) => {
    const data = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    if (!isBinary || data.length < 5) return;
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const type = v.getUint8(0);
    const id = v.getUint32(1, true);
    const payload = data.subarray(5);
    if (type === PACKET.connect) {
      if (payload.length < 3 || streams.has(id) || id === 0) return void send(packet(PACKET.close, id, Uint8Array.of(CLOSE.invalid)));
      if (payload[0] !== 0x01) return void send(packet(PACKET.close, id, Uint8Array.of(CLOSE.invalid))); // TCP only
      if (streams.size >= maxStreams) return void send(packet(PACKET.close, id, Uint8Array.of(CLOSE.throttled)));
      const port = v.getUint16(6, true);
      const host = new TextDecoder().decode(payload.subarray(3));
      void open(id, port, host);
      return;
    }
    const s = streams.get(id);
    if (!s) return;
    if (type === PACKET.data) {
      if (!count(payload.length, id)) return;
      touch(id, s);
      const chunk = payload.slice();
      if (s.socket && !s.socket.connecting) s.socket.write(chunk);
      else s.pending.push(chunk);
      if (++s.received >= buffer) {
        s.received = 0;
        send(packet(PACKET.continue, id, u32(buffer)));
      }
    } else if (type === PACKET.close) {
      streams.delete(id);
      clearTimeout(s.timer);
      s.socket?.end();
    }
  });
  ws.on("close", () => {
    closed = true;
    for (const [, s] of streams) {
      clearTimeout(s.timer);
      s.socket?.destroy();
    }
    streams.clear();
  });
}
