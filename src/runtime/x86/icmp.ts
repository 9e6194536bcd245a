/**
 * Makes ping tell the truth. v86's fake network answers every ICMP echo request, whatever the
 * address, but the lab's relay carries only TCP streams (and DNS): a reply from 8.8.8.8 would be a
 * lie. Echo requests to anything but the bridge's gateway are answered by the gateway with ICMP
 * "destination unreachable, communication administratively prohibited" (RFC 1812), which iputils'
 * ping prints as "Packet filtered" and busybox's counts as a lost packet.
 */

/** Whether `frame` (Ethernet II) is an IPv4 ICMP echo request to an address other than `gateway`. */
export function isFilteredEcho(frame: Uint8Array, gateway: Uint8Array): boolean {
  if (frame.length < 14 + 20 + 8 || frame[12] !== 0x08 || frame[13] !== 0x00) return false;
  const ip = 14;
  if (frame[ip]! >> 4 !== 4 || frame[ip + 9] !== 1) return false;
  const ihl = (frame[ip]! & 0x0f) * 4;
  if (frame.length < ip + ihl + 8 || frame[ip + ihl] !== 8) return false;
  for (let i = 0; i < 4; i++) if (frame[ip + 16 + i] !== gateway[i]) return true;
  return false;
}

/** RFC 1071's ones'-complement sum of `b[start..end)`, folded to 16 bits, added to `sum` (a pseudo-header's). */
export function onesSum(b: Uint8Array, start: number, end: number, sum = 0): number {
  for (let i = start; i < end; i += 2) sum += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

const checksum = (b: Uint8Array, start: number, end: number) => ~onesSum(b, start, end) & 0xffff;

/** The gateway's ICMP type 3 code 13 answer to an echo request (`frame`, checked by isFilteredEcho). */
export function prohibitedReply(frame: Uint8Array, gateway: Uint8Array): Uint8Array {
  const ip = 14;
  const ihl = (frame[ip]! & 0x0f) * 4;
  const quoted = frame.subarray(ip, ip + ihl + 8); // the original IP header and 8 bytes of its data
  const out = new Uint8Array(14 + 20 + 8 + quoted.length);
  out.set(frame.subarray(6, 12), 0); // to the sender's MAC
  out.set(frame.subarray(0, 6), 6); // from the router's (the frame's destination)
  out[12] = 0x08;
  out[13] = 0x00;
  const o = 14;
  const total = 20 + 8 + quoted.length;
  out.set([0x45, 0, total >> 8, total & 0xff, 0, 0, 0, 0, 64, 1, 0, 0], o);
  out.set(gateway, o + 12);
  out.set(frame.subarray(ip + 12, ip + 16), o + 16); // to the sender's address
  const ipSum = checksum(out, o, o + 20);
  out[o + 10] = ipSum >> 8;
  out[o + 11] = ipSum & 0xff;
  const icmp = o + 20;
  out[icmp] = 3;
  out[icmp + 1] = 13;
  out.set(quoted, icmp + 8);
  const icmpSum = checksum(out, icmp, out.length);
  out[icmp + 2] = icmpSum >> 8;
  out[icmp + 3] = icmpSum & 0xff;
  return out;
}

interface FrameAdapter {
  send(frame: Uint8Array): void;
  receive(frame: Uint8Array): void;
}

/** Puts the filter in front of v86's network adapter (its `send` is what the card's frames reach). */
export function filterPings(adapter: FrameAdapter | undefined, gateway: string): void {
  if (!adapter || (adapter as { pingsFiltered?: boolean }).pingsFiltered) return;
  const gw = Uint8Array.from(gateway.split(".").map(Number));
  const send = adapter.send.bind(adapter);
  adapter.send = (frame) => (isFilteredEcho(frame, gw) ? adapter.receive(prohibitedReply(frame, gw)) : send(frame));
  (adapter as { pingsFiltered?: boolean }).pingsFiltered = true;
}
