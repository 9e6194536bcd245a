/**
 * v86's TCP (its fake network's TCPConnection) keeps one segment in flight and never sends it again:
 * a segment the guest drops — sent into a full receive window while the reader lags, as when a whole
 * file is answered at once from the page's mirror — stalls the stream for ever (measured: a 125 kB
 * download stopped after two 32 kB segments). This gives each sent segment a retransmission timer:
 * unacknowledged after RTO_MS, it goes again (a zero window is probed the same way). The guest drops
 * a duplicate, so a late ACK costs one segment at most.
 */

export const RTO_MS = 200;

/** Runs `resend` after RTO_MS, without keeping a Node process alive for it. */
export function retransmitTimer(resend: () => void): ReturnType<typeof setTimeout> {
  const timer = setTimeout(resend, RTO_MS);
  (timer as { unref?: () => void }).unref?.();
  return timer;
}

interface Segmenting {
  pending?: boolean;
  last_received_ackn?: number;
  state: string;
  tuple: string;
  net: { tcp_conn: Record<string, unknown> };
  pump(): void;
  retransmitTimer?: ReturnType<typeof setTimeout>;
}

/** Patches the prototype of `conn` (v86's TCPConnection) once. */
export function retransmitSegments(conn: object): void {
  const proto = Object.getPrototypeOf(conn) as Segmenting & { retransmits?: boolean };
  if (proto.retransmits || typeof proto.pump !== "function") return;
  proto.retransmits = true;
  const pump = proto.pump;
  proto.pump = function (this: Segmenting) {
    const idle = !this.pending;
    pump.call(this);
    if (!idle || !this.pending) return;
    const ackn = this.last_received_ackn;
    clearTimeout(this.retransmitTimer);
    this.retransmitTimer = retransmitTimer(() => {
      if (!this.pending || this.last_received_ackn !== ackn || this.net.tcp_conn[this.tuple] !== this) return;
      this.pending = false;
      this.pump();
    });
  };
}
