/**
 * The containers' DNS messages (RFC 1035, as RFC 8484 carries them: the guest's UDP query, POSTed by
 * v86's network adapter as `application/dns-message`), answered by the lab's server (proxy/node.ts)
 * and, without one, by the page (x86/mirror-net.ts). Only names the lab will connect to have an
 * address — the lab's own, from 198.18.0.0/15, which the relay (proxy/wisp.ts) or the page turns back
 * into the name — so any other name fails at once as NXDOMAIN in the guest instead of timing out
 * later; an answered name asked for anything but an A record gets an empty answer (NODATA), so
 * resolvers fall back to IPv4 rather than retrying.
 */
import { concatBytes } from "../oci/bytes.ts";

const TYPE_A = 1;
const CLASS_IN = 1;
export const RCODE = { noError: 0, formErr: 1, servFail: 2, nxDomain: 3, notImp: 4 } as const;

export interface DnsQuestion {
  id: number;
  /** Lower-cased, without the trailing dot. */
  name: string;
  type: number;
  class: number;
  /** The question section as sent (echoed in the answer). */
  raw: Uint8Array;
  /** Header flags of the query (RD and opcode are echoed). */
  flags: number;
}

export class DnsFormatError extends Error {
  override name = "DnsFormatError";
}

/** The one question of a query message; throws DnsFormatError for anything else. */
export function parseDnsQuery(msg: Uint8Array): DnsQuestion {
  if (msg.length < 12) throw new DnsFormatError(`DNS message of ${msg.length} bytes is shorter than its header`);
  const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const id = v.getUint16(0);
  const flags = v.getUint16(2);
  if (flags & 0x8000) throw new DnsFormatError("DNS message is a response, not a query");
  if (v.getUint16(4) !== 1) throw new DnsFormatError(`DNS query has ${v.getUint16(4)} questions, want 1`);
  const labels: string[] = [];
  let at = 12;
  let nameLength = 0;
  for (;;) {
    if (at >= msg.length) throw new DnsFormatError("DNS question name runs past the message");
    const n = msg[at]!;
    at++;
    if (n === 0) break;
    if (n > 63) throw new DnsFormatError("DNS question name has a compressed or oversized label");
    if (at + n > msg.length) throw new DnsFormatError("DNS question label runs past the message");
    nameLength += n + 1;
    if (nameLength > 255) throw new DnsFormatError("DNS question name is longer than 255 bytes");
    labels.push(String.fromCharCode(...msg.subarray(at, at + n)));
    at += n;
  }
  if (at + 4 > msg.length) throw new DnsFormatError("DNS question has no type and class");
  return { id, name: labels.join(".").toLowerCase(), type: v.getUint16(at), class: v.getUint16(at + 2), raw: msg.slice(12, at + 4), flags };
}

function header(id: number, queryFlags: number, rcode: number, qd: number, an: number): Uint8Array {
  const h = new Uint8Array(12);
  const v = new DataView(h.buffer);
  v.setUint16(0, id);
  // QR, the query's opcode and RD, RA; AA clear (the lab is not the names' authority).
  v.setUint16(2, 0x8000 | (queryFlags & 0x7900) | 0x0080 | (rcode & 15));
  v.setUint16(4, qd);
  v.setUint16(6, an);
  return h;
}

/** The answer to `q`: `address` is the lab's IPv4 address for the name, or undefined (not allowed). */
export function dnsAnswer(q: DnsQuestion, address: string | undefined): Uint8Array {
  const opcode = (q.flags >> 11) & 15;
  if (opcode !== 0) return concatBytes([header(q.id, q.flags, RCODE.notImp, 1, 0), q.raw]);
  if (address === undefined) return concatBytes([header(q.id, q.flags, RCODE.nxDomain, 1, 0), q.raw]);
  if (q.type !== TYPE_A || q.class !== CLASS_IN) return concatBytes([header(q.id, q.flags, RCODE.noError, 1, 0), q.raw]);
  const rr = new Uint8Array(16);
  const v = new DataView(rr.buffer);
  v.setUint16(0, 0xc00c); // the name: a pointer to the question's
  v.setUint16(2, TYPE_A);
  v.setUint16(4, CLASS_IN);
  v.setUint32(6, 60);
  v.setUint16(10, 4);
  address.split(".").forEach((octet, i) => (rr[12 + i] = Number(octet)));
  return concatBytes([header(q.id, q.flags, RCODE.noError, 1, 1), q.raw, rr]);
}

/** The answer to a malformed query whose ID could be read (FORMERR), or undefined. */
export function dnsFormatErrorAnswer(msg: Uint8Array): Uint8Array | undefined {
  if (msg.length < 12) return undefined;
  const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  return header(v.getUint16(0), v.getUint16(2), RCODE.formErr, 0, 0);
}
