/**
 * Which IP addresses the proxy must never reach on a user's behalf (SSRF protection): anything that is
 * not a public unicast address. Parsing is done numerically rather than by string prefixes because the
 * same address has many spellings (`::ffff:127.0.0.1`, `::ffff:7f00:1`, `0:0:0:0:0:ffff:7f00:1`).
 */

/** Dotted-quad IPv4 only: the WHATWG URL parser has already turned `2130706433` or `0x7f.1` into this form. */
function parseIPv4(ip: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : undefined;
}

/** Eight 16-bit groups, or undefined when `ip` is not an IPv6 address. Accepts `::` and a trailing IPv4. */
function parseIPv6(ip: string): number[] | undefined {
  let s = ip.toLowerCase();
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  if (!s.includes(":")) return undefined;
  const tail: number[] = [];
  const lastColon = s.lastIndexOf(":");
  const v4 = parseIPv4(s.slice(lastColon + 1));
  if (v4) {
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    // Cut the IPv4 and its separator; a cut "::" ("::1.2.3.4" → ":") gets its second colon back.
    s = s.slice(0, lastColon);
    if (s.endsWith(":")) s += ":";
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const words = (part: string) => (part === "" ? [] : part.split(":"));
  const head = words(halves[0]!);
  const rest = halves.length === 2 ? words(halves[1]!) : [];
  if (![...head, ...rest].every((w) => /^[0-9a-f]{1,4}$/.test(w))) return undefined;
  const explicit = head.length + rest.length + tail.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return undefined;
  const value = (ws: string[]) => ws.map((w) => parseInt(w, 16));
  const zeros = halves.length === 2 ? new Array<number>(8 - explicit).fill(0) : [];
  return [...value(head), ...zeros, ...value(rest), ...tail];
}

function privateIPv4([a, b, c]: number[]): boolean {
  return (
    a === 0 || // "this network", 0.0.0.0
    a === 10 ||
    a === 127 ||
    (a === 100 && b! >= 64 && b! <= 127) || // CGNAT 100.64/10
    (a === 169 && b === 254) || // link-local, cloud metadata (169.254.169.254)
    (a === 172 && b! >= 16 && b! <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) || // IETF protocol assignments, TEST-NET-1
    (a === 192 && b === 88 && c === 99) || // 6to4 relay anycast
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113) ||
    a! >= 224 // multicast, reserved, broadcast
  );
}

function embeddedIPv4(hi: number, lo: number): number[] {
  return [hi >> 8, hi & 255, lo >> 8, lo & 255];
}

function privateIPv6(g: number[]): boolean {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const firstSixZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (firstSixZero && g5 === 0xffff) return privateIPv4(embeddedIPv4(g6, g7)); // IPv4-mapped ::ffff:0:0/96
  if (firstSixZero && g5 === 0) return true; // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
  if (g0 === 0x64 && g1 === 0xff9b) return g2 !== 0 || g3 !== 0 || g4 !== 0 || g5 !== 0 || privateIPv4(embeddedIPv4(g6, g7)); // NAT64; 64:ff9b:1::/48 is local use
  if (g0 === 0x2002) return privateIPv4(embeddedIPv4(g1, g2)); // 6to4 carries an IPv4 address
  if (g0 === 0x2001 && g1 === 0) return true; // Teredo: the IPv4 inside is obfuscated, refuse outright
  if (g0 === 0x2001 && g1 === 0xdb8) return true; // documentation
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return true; // discard-only 100::/64
  return (
    (g0 & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (g0 & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (g0 & 0xffc0) === 0xfec0 || // site-local (deprecated) fec0::/10
    (g0 & 0xff00) === 0xff00 // multicast
  );
}

/**
 * True for loopback, private, link-local, CGNAT, multicast, reserved, documentation and unspecified
 * addresses, IPv4-mapped/-embedding forms of them, and IPv6 unique-local addresses. Brackets allowed.
 * Anything that is not an IP address at all is reported as private too: callers pass resolver output,
 * and an answer they cannot read must not be trusted.
 */
export function isPrivateAddress(ip: string): boolean {
  const host = ip.replace(/^\[|\]$/g, "");
  const v4 = parseIPv4(host);
  if (v4) return privateIPv4(v4);
  const v6 = parseIPv6(host);
  if (v6) return privateIPv6(v6);
  return true;
}

/** True when `host` (brackets allowed) is an IPv4 or IPv6 literal rather than a name to resolve. */
export function isIpLiteral(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return parseIPv4(h) !== undefined || parseIPv6(h) !== undefined;
}

/** localhost, 127.0.0.0/8 or ::1: where Docker, too, talks plain http to a registry by default. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  const v4 = parseIPv4(h);
  if (v4) return v4[0] === 127;
  const v6 = parseIPv6(h);
  return v6 !== undefined && v6.slice(0, 7).every((g) => g === 0) && v6[7] === 1;
}
