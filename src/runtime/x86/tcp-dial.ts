/**
 * A TCP connection from the lab's side of the bridge into the guest — the gateway's address to a
 * container's port — which is how a published port (`docker run -p`) is reached. v86's own TCP only
 * answers connections the guest opens (its Wisp adapter opens none), so this is a small client of its
 * own on the adapter: frames go to the guest through `adapter.receive`, the guest's segments come back
 * through the adapter's connection table (keyed as v86 keys a guest's packet). One segment in flight,
 * sent again after tcp-retransmit.ts's RTO_MS until acknowledged (the guest is on the same machine: nothing is lost but
 * what a full window drops), no window scaling (so the guest's window field is in bytes), in-order data
 * only (the guest resends anything else).
 */
import { TCP_FLAGS, tcpSegment, type SegmentEnds } from "./tcp-open.ts";
import { retransmitTimer } from "./tcp-retransmit.ts";
import type { GuestConnection } from "../types.ts";
/** How long the guest has to answer a SYN (a SYN-ACK, or a RST: nothing listens). */
const CONNECT_TIMEOUT_MS = 5000;
/** Bytes per segment: well inside the link's MTU (v86.ts's NET.mtu) and the guest's unscaled window. */
const SEGMENT = 16 * 1024;
const OUR_WINDOW = 65535;

/** What of v86's Wisp adapter the dialer uses (pinned with the v86 version, covered by the network tests). */
export interface DialAdapter {
  tcp_conn: Record<string, unknown>;
  router_mac: Uint8Array;
  receive(frame: Uint8Array): void;
}

/** The guest's segment as v86 parses it. */
interface GuestPacket {
  tcp: { seq: number; ackn: number; winsize: number; syn: boolean; ack: boolean; fin: boolean; rst: boolean };
  tcp_data: Uint8Array;
}

export class GuestConnectionError extends Error {
  override name = "GuestConnectionError";
  constructor(
    readonly code: "ECONNREFUSED" | "ETIMEDOUT" | "ECONNRESET" | "ENETUNREACH",
    message: string,
  ) {
    super(message);
  }
}

const ip4 = (s: string) => Uint8Array.from(s.split(".").map(Number));
const mac = (s: string) => Uint8Array.from(s.split(":").map((h) => parseInt(h, 16)));
const after = (a: number, b: number) => ((a - b) | 0) > 0;

/** A byte stream to a port of the guest. */
export class GuestStream implements GuestConnection {
  /** Resolves once the guest accepted; rejects with a GuestConnectionError. */
  readonly opened: Promise<void>;
  /** Resolves when both sides are done, or the connection failed. */
  readonly closed: Promise<void>;
  /** The guest's bytes, in order. */
  onData: (data: Uint8Array) => void = () => {};
  /** The guest sent FIN (no more data) or reset the connection (`error`). */
  onEnd: (error?: Error) => void = () => {};

  private state: "syn-sent" | "open" | "closed" = "syn-sent";
  private readonly ends: SegmentEnds;
  private readonly tuple: string;
  private readonly iss = (Math.random() * 2 ** 32) >>> 0;
  private sndNxt: number;
  private rcvNxt = 0;
  private window = 0;
  private queue: Uint8Array[] = [];
  private queued = 0;
  private inFlight?: { seq: number; data: Uint8Array; fin: boolean };
  private ending = false;
  private finAcked = false;
  private peerDone = false;
  private timer?: ReturnType<typeof setTimeout>;
  private resolveOpen!: () => void;
  private rejectOpen!: (e: GuestConnectionError) => void;
  private resolveClosed!: () => void;

  constructor(
    private readonly adapter: DialAdapter,
    to: { ip: string; mac: string; port: number },
    from: { ip: string },
  ) {
    const sport = 49152 + Math.floor(Math.random() * 16000);
    this.ends = { hsrc: adapter.router_mac, psrc: ip4(from.ip), sport, hdest: mac(to.mac), pdest: ip4(to.ip), dport: to.port };
    // v86 keys a guest's segment by its source, then its destination (fake_network.js's handle_fake_tcp).
    this.tuple = `${to.ip}:${to.port}:${from.ip}:${sport}`;
    this.sndNxt = this.iss + 1;
    this.opened = new Promise((resolve, reject) => {
      this.resolveOpen = resolve;
      this.rejectOpen = reject;
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    adapter.tcp_conn[this.tuple] = this;
    const until = Date.now() + CONNECT_TIMEOUT_MS;
    const syn = () => {
      if (this.state !== "syn-sent") return;
      if (Date.now() > until) return this.fail(new GuestConnectionError("ETIMEDOUT", `connecting to ${to.ip}:${to.port}: connection timed out`));
      this.send(this.iss, TCP_FLAGS.syn, new Uint8Array(0), SEGMENT);
      this.timer = retransmitTimer(syn);
    };
    syn();
  }

  write(data: Uint8Array): void {
    if (this.ending || this.state === "closed" || !data.length) return;
    this.queue.push(data.slice());
    this.queued += data.length;
    this.pump();
  }

  /** No more data from this side: FIN once what was written is acknowledged. */
  end(): void {
    this.ending = true;
    this.pump();
  }

  /** Aborts the connection (RST). */
  close(): void {
    if (this.state === "closed") return;
    if (this.state === "open") this.send(this.sndNxt, TCP_FLAGS.rst | TCP_FLAGS.ack);
    this.finish();
  }

  /** Called by v86's adapter with each of the guest's segments for this connection. */
  process(packet: GuestPacket): void {
    const t = packet.tcp;
    if (this.state === "closed") return;
    if (t.rst) {
      if (this.state === "syn-sent") return this.fail(new GuestConnectionError("ECONNREFUSED", `connecting to port ${this.ends.dport}: connection refused`));
      const e = new GuestConnectionError("ECONNRESET", "connection reset by the container");
      this.onEnd(e);
      return this.fail(e);
    }
    if (this.state === "syn-sent") {
      if (!t.syn || !t.ack || t.ackn !== this.sndNxt) return;
      clearTimeout(this.timer);
      this.state = "open";
      this.rcvNxt = (t.seq + 1) >>> 0;
      this.window = t.winsize;
      this.send(this.sndNxt, TCP_FLAGS.ack);
      this.resolveOpen();
      return this.pump();
    }
    if (t.ack) {
      this.window = t.winsize;
      const f = this.inFlight;
      if (f && !after(f.seq + f.data.length + (f.fin ? 1 : 0), t.ackn)) {
        clearTimeout(this.timer);
        this.inFlight = undefined;
        if (f.fin) this.finAcked = true;
      }
    }
    let ack = false;
    if (packet.tcp_data.length) {
      if (t.seq === this.rcvNxt) {
        this.rcvNxt = (this.rcvNxt + packet.tcp_data.length) >>> 0;
        this.onData(packet.tcp_data.slice());
      }
      ack = true;
    }
    if (t.fin && (t.seq + packet.tcp_data.length) >>> 0 === this.rcvNxt && !this.peerDone) {
      this.rcvNxt = (this.rcvNxt + 1) >>> 0;
      this.peerDone = true;
      ack = true;
      this.onEnd();
    }
    if (ack) this.send(this.sndNxt, TCP_FLAGS.ack);
    if (this.peerDone && this.finAcked) return this.finish();
    this.pump();
  }

  private pump(): void {
    if (this.state !== "open" || this.inFlight) return;
    if (this.queued && this.window > 0) {
      const size = Math.min(SEGMENT, this.window, this.queued);
      const data = new Uint8Array(size);
      let at = 0;
      while (at < size) {
        const head = this.queue[0]!;
        const take = Math.min(head.length, size - at);
        data.set(head.subarray(0, take), at);
        at += take;
        if (take === head.length) this.queue.shift();
        else this.queue[0] = head.subarray(take);
      }
      this.queued -= size;
      this.inFlight = { seq: this.sndNxt, data, fin: false };
      this.sndNxt = (this.sndNxt + size) >>> 0;
    } else if (this.ending && !this.queued && !this.finAcked && !this.inFlight) {
      this.inFlight = { seq: this.sndNxt, data: new Uint8Array(0), fin: true };
      this.sndNxt = (this.sndNxt + 1) >>> 0;
    } else return;
    this.transmit();
  }

  /** Sends the segment in flight, and again after RTO_MS until it is acknowledged. */
  private transmit(): void {
    const f = this.inFlight;
    if (!f || this.state !== "open") return;
    this.send(f.seq, TCP_FLAGS.ack | (f.fin ? TCP_FLAGS.fin : TCP_FLAGS.psh), f.data);
    clearTimeout(this.timer);
    this.timer = retransmitTimer(() => this.transmit());
  }

  private send(seq: number, flags: number, payload?: Uint8Array, mss?: number): void {
    this.adapter.receive(tcpSegment(this.ends, seq, flags & TCP_FLAGS.ack ? this.rcvNxt : 0, flags, OUR_WINDOW, payload, mss));
  }

  private fail(e: GuestConnectionError): void {
    this.rejectOpen(e);
    this.finish();
  }

  private finish(): void {
    clearTimeout(this.timer);
    // Closed before the guest answered (the machine going away): the opener hears it, not silence.
    if (this.state === "syn-sent") this.rejectOpen(new GuestConnectionError("ECONNRESET", "the connection was closed before the container accepted it"));
    this.state = "closed";
    if (this.adapter.tcp_conn[this.tuple] === this) delete this.adapter.tcp_conn[this.tuple];
    this.resolveClosed();
  }
}
