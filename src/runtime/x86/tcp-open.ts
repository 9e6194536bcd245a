/**
 * A connection the relay refuses must look refused. v86's Wisp client answers the guest's SYN at once
 * (SYN-ACK) and only then asks the relay; a refusal (a port not allowed, a private address, nothing
 * listening) then arrives as a reset of an open connection, which programs report as "error getting
 * response" or nothing at all. Here the SYN-ACK waits for the relay's word: its CONTINUE for the
 * stream (the lab's relay sends one once the TCP connection is up, proxy/wisp.ts) or its first data
 * accepts; a CLOSE first is answered to the guest with RST+ACK, which is "Connection refused".
 */

import { onesSum } from "./icmp.ts";
import { retransmitSegments } from "./tcp-retransmit.ts";

interface TcpConnection {
  tuple: string;
  state: string;
  stream_id: number;
  hsrc: Uint8Array;
  hdest: Uint8Array;
  psrc: Uint8Array;
  pdest: Uint8Array;
  sport: number;
  dport: number;
  accept(packet?: unknown): void;
}
interface SynPacket {
  tcp: { seq: number };
}
interface WispStream {
  data_callback(data: Uint8Array): void;
  close_callback(reason: number): void;
}
export interface WispAdapter {
  tcp_conn: Record<string, TcpConnection>;
  connections: Record<number, WispStream>;
  on_tcp_connection(conn: TcpConnection, packet: SynPacket): boolean;
  process_incoming_wisp_frame(frame: Uint8Array): void;
  receive(frame: Uint8Array): void;
}

/** The addresses of a TCP segment toward the guest: from (hsrc, psrc, sport) to (hdest, pdest, dport). */
export type SegmentEnds = Pick<TcpConnection, "hsrc" | "hdest" | "psrc" | "pdest" | "sport" | "dport">;

export const TCP_FLAGS = { fin: 0x01, syn: 0x02, rst: 0x04, psh: 0x08, ack: 0x10 } as const;

/** One Ethernet frame with an IPv4 TCP segment to the guest (checksums filled in; an MSS option with SYN). */
export function tcpSegment(ends: SegmentEnds, seq: number, ack: number, flags: number, window: number, payload: Uint8Array = new Uint8Array(0), mss?: number): Uint8Array {
  const tcpLength = (mss ? 24 : 20) + payload.length;
  const f = new Uint8Array(14 + 20 + tcpLength);
  f.set(ends.hdest, 0);
  f.set(ends.hsrc, 6);
  f[12] = 0x08;
  const ip = 14;
  f.set([0x45, 0, (20 + tcpLength) >> 8, (20 + tcpLength) & 255, 0, 0, 0x40, 0, 64, 6, 0, 0], ip);
  f.set(ends.psrc, ip + 12);
  f.set(ends.pdest, ip + 16);
  const ipSum = ~onesSum(f, ip, ip + 20) & 0xffff;
  f[ip + 10] = ipSum >> 8;
  f[ip + 11] = ipSum & 0xff;
  const t = ip + 20;
  const v = new DataView(f.buffer);
  v.setUint16(t, ends.sport);
  v.setUint16(t + 2, ends.dport);
  v.setUint32(t + 4, seq >>> 0);
  v.setUint32(t + 8, ack >>> 0);
  f[t + 12] = (mss ? 6 : 5) << 4;
  f[t + 13] = flags;
  v.setUint16(t + 14, window);
  if (mss) v.setUint32(t + 20, (2 << 24) | (4 << 16) | mss);
  f.set(payload, t + (mss ? 24 : 20));
  // The checksum covers a pseudo-header: both addresses, the protocol and the segment's length.
  const pseudo = new Uint8Array(12);
  pseudo.set(ends.psrc, 0);
  pseudo.set(ends.pdest, 4);
  pseudo[9] = 6;
  pseudo[10] = tcpLength >> 8;
  pseudo[11] = tcpLength & 255;
  v.setUint16(t + 16, ~onesSum(f, t, f.length, onesSum(pseudo, 0, 12)) & 0xffff);
  return f;
}

/** RST+ACK from the connection's far end to the guest, acknowledging its SYN (sequence `synSeq`). */
export function tcpReset(conn: SegmentEnds, synSeq: number): Uint8Array {
  return tcpSegment(conn, 0, synSeq + 1, TCP_FLAGS.rst | TCP_FLAGS.ack, 0);
}

/** Makes the adapter's SYN-ACK wait for the relay (see the top of this file). */
export function acceptOnRelayAnswer(adapter: WispAdapter | undefined): void {
  if (!adapter?.on_tcp_connection || (adapter as { acceptsOnAnswer?: boolean }).acceptsOnAnswer) return;
  (adapter as { acceptsOnAnswer?: boolean }).acceptsOnAnswer = true;
  const waiting = new Map<number, () => void>();
  const open = adapter.on_tcp_connection.bind(adapter);
  adapter.on_tcp_connection = (conn, packet) => {
    retransmitSegments(conn);
    const accept = conn.accept.bind(conn);
    conn.accept = () => {};
    const r = open(conn, packet);
    conn.accept = accept;
    // Known to v86 (a retransmitted SYN is dropped, not reset) but not yet answered.
    adapter.tcp_conn[conn.tuple] = conn;
    const stream = adapter.connections[conn.stream_id];
    if (!stream) return r;
    let answered = false;
    const acceptNow = () => {
      if (answered) return;
      answered = true;
      waiting.delete(conn.stream_id);
      accept(packet);
    };
    waiting.set(conn.stream_id, acceptNow);
    const data = stream.data_callback;
    const closed = stream.close_callback;
    stream.data_callback = (d) => {
      acceptNow();
      data(d);
    };
    stream.close_callback = (reason) => {
      if (answered) return closed(reason);
      answered = true;
      waiting.delete(conn.stream_id);
      conn.state = "closed";
      delete adapter.tcp_conn[conn.tuple];
      adapter.receive(tcpReset(conn, packet.tcp.seq));
    };
    return r;
  };
  const incoming = adapter.process_incoming_wisp_frame.bind(adapter);
  adapter.process_incoming_wisp_frame = (frame) => {
    incoming(frame);
    // CONTINUE (3) for a waiting stream: the relay's TCP connection is up.
    if (frame[0] === 3 && frame.length >= 5) waiting.get(new DataView(frame.buffer, frame.byteOffset).getUint32(1, true))?.();
  };
}
