/**
 * The v86 emulator as the lab uses it: the part of its API the lab calls (its npm typings are
 * incomplete), the lab's machine (memory, kernel command line, no devices but the serial port and
 * virtio-9p) as v86 options, and the emulator's code loaded once, lazily. Shared by the in-process
 * machine (machine.ts, Node) and the machine worker (vm-worker.ts, the page).
 */
import { filterPings } from "./icmp.ts";
import { answerMirrorSockets, mirrorDnsAnswer, mirrorRelayUrl, MirrorSocket } from "./mirror-net.ts";
import { acceptOnRelayAnswer, type WispAdapter } from "./tcp-open.ts";

export interface MachineAssets {
  bios: ArrayBuffer;
  bzImage: ArrayBuffer;
  /**
   * The initramfs as an uncompressed cpio: it is stored and fetched gzip-compressed, and inflated
   * natively before the machine starts. Measured: the kernel's own inflate of it in the emulated CPU
   * took 0.8 s of a 2.3 s boot (now 0.3 s to unpack, boot 1.1 s).
   */
  initrd: ArrayBuffer;
  /** Where v86.wasm is (a URL in the browser, a file path in Node). */
  wasmPath: string;
  /** v86.wasm compiled once (the page), so each machine only instantiates it. */
  wasmModule?: WebAssembly.Module;
}

/** The kernel command line: quiet serial console, no crypto self-tests or mitigations to pay for. */
export const CMDLINE = "console=ttyS0 quiet loglevel=3 tsc=reliable mitigations=off random.trust_cpu=on init_on_free=1 rdinit=/init";
export const MEMORY_BYTES = 128 * 1024 * 1024;

/** A v86 emulator instance. */
export interface V86 {
  add_listener(event: "serial0-output-byte", fn: (byte: number) => void): void;
  add_listener(event: "emulator-started" | "emulator-ready", fn: () => void): void;
  serial0_send(text: string): void;
  save_state(): Promise<ArrayBuffer>;
  destroy(): Promise<void>;
  /** v86's own 9P filesystem, when it was started with one. */
  readonly fs9p?: unknown;
}

export type V86Options = Record<string, unknown>;
type V86Constructor = new (options: V86Options) => V86;

let v86Module: Promise<V86Constructor> | undefined;
/** v86's code (94 KB gzip), imported the first time a machine is wanted. */
export function loadV86(): Promise<V86Constructor> {
  v86Module ??= import("v86").then((m) => (m as unknown as { V86: V86Constructor }).V86);
  return v86Module;
}

/**
 * Where a machine's network goes: the lab server's Wisp relay (proxy/wisp.ts) and its DNS endpoint
 * (proxy/node.ts), and, when the relay is not there or does not answer, the bundled Debian mirror
 * answered in the page (mirror-net.ts). Without either the machine still has its network card (the
 * warm state needs the same hardware every time), but nothing answers it.
 */
export interface MachineNetwork {
  /** ws:// or wss:// URL of /net/wisp. */
  relayUrl?: string;
  /** http(s):// URL of /net/dns-query. */
  dnsUrl?: string;
  /** Base URL of the bundled mirror's files (public/demos/mirror/), ending in "/". */
  mirrorUrl?: string;
}

/**
 * The guest's link: MTU chosen by measurement (TCP through v86 sends one segment per ACK, so speed
 * follows the segment size; 48000 and above stalled — see ../shared/README.md), the gateway and DNS
 * server answered by v86 at Docker's bridge gateway address.
 */
export const NET = { mtu: 32000, gateway: "172.17.0.1", subnet: "172.17.0.0/16", prefixLen: 16 } as const;

/** The DoH host v86 is told to use: the machine's fetch() turns it into a request to the lab (routeDnsQueries). */
const DNS_HOST = "layerlab-dns.invalid";

/** A DNS answer saying the server failed (for a query the lab could not be asked about). */
function servfail(query: Uint8Array): Uint8Array {
  const out = query.slice();
  if (out.length < 12) return out;
  out[2] = 0x80 | (out[2]! & 0x79); // QR, the query's opcode and RD
  out[3] = 0x80 | 2; // RA, SERVFAIL
  out.fill(0, 6, 12); // no answer, authority or additional records
  return out;
}

/** The DNS "endpoint" that is the page's own answer for the mirror's hosts. */
const MIRROR_DNS = "mirror";

let dnsRouted = false;
/**
 * v86's network adapter asks DNS of `https://<doh_server>/dns-query` with the global fetch(); this
 * sends those requests to the lab's DNS endpoint encoded in the host name's path instead (once per
 * realm: the machine's worker, or the Node process).
 */
export function routeDnsQueries(): void {
  if (dnsRouted) return;
  dnsRouted = true;
  const original = globalThis.fetch.bind(globalThis);
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith(`https://${DNS_HOST}/`)) return original(input, init);
    const target = decodeURIComponent(new URL(url).pathname.slice(1).replace(/\/dns-query$/, ""));
    const query = new Uint8Array(init?.body instanceof Uint8Array ? init.body : await new Response(init?.body ?? null).arrayBuffer());
    if (target === MIRROR_DNS) return new Response(mirrorDnsAnswer(query) as BlobPart, { headers: { "Content-Type": "application/dns-message" } });
    try {
      const r = await original(target, { method: "POST", headers: { "Content-Type": "application/dns-message" }, body: query as BlobPart });
      if (r.ok) return r;
    } catch {
      // the lab's server is gone: the guest gets SERVFAIL at once rather than a timeout
    }
    return new Response(servfail(query) as BlobPart, { headers: { "Content-Type": "application/dns-message" } });
  };
}

/**
 * Once the machine has started (its network adapter exists): pings answered truthfully (icmp.ts), and
 * a connection the relay refuses refused to the guest (tcp-open.ts).
 */
export function guardNetwork(emulator: V86): void {
  emulator.add_listener("emulator-started", () => {
    const adapter = (emulator as unknown as { network_adapter?: Parameters<typeof filterPings>[0] & Partial<WispAdapter> }).network_adapter;
    filterPings(adapter, NET.gateway);
    if (adapter?.on_tcp_connection) acceptOnRelayAnswer(adapter as WispAdapter);
  });
}

/** What answers a machine's network: the lab's relay, the page's mirror, or nothing. */
export type NetworkAnswer = "relay" | "mirror" | undefined;

// v86 internals (its Wisp adapter and WebSocket), pinned with the v86 version and covered by the network tests.
interface AdapterSocket {
  readyState: number;
  onclose: unknown;
  onmessage: unknown;
  close(): void;
}
interface WispAdapterState {
  wispws?: AdapterSocket | null;
  connections?: Record<number, { congestion: number }>;
  congested_buffer?: unknown[];
  tcp_conn?: Record<string, unknown>;
  doh_server?: string;
  register_ws?(url: string): void;
}

async function answered(adapter: WispAdapterState, until: number): Promise<boolean> {
  for (;;) {
    if (adapter.wispws?.readyState === 1 && (adapter.connections?.[0]?.congestion ?? 0) > 0) return true;
    if (Date.now() >= until || !adapter.wispws || adapter.wispws.readyState > 1) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Whether the machine's network is answered, waiting up to `timeoutMs` for the relay; a relay that
 * is not there or does not answer in time gives way to the mirror, when the machine has one (its
 * socket replaced, so v86 stops reconnecting to the relay).
 */
export async function networkReady(emulator: V86, timeoutMs: number, mirrorUrl?: string): Promise<NetworkAnswer> {
  const adapter = (emulator as unknown as { network_adapter?: WispAdapterState }).network_adapter;
  if (!adapter?.wispws) return undefined;
  const onMirror = adapter.wispws instanceof MirrorSocket;
  if (await answered(adapter, Date.now() + (onMirror ? 1000 : timeoutMs))) return onMirror ? "mirror" : "relay";
  if (onMirror || !mirrorUrl || !adapter.register_ws) return undefined;
  const relay = adapter.wispws;
  relay.onclose = null;
  relay.onmessage = null;
  try {
    relay.close();
  } catch {
    // already closed
  }
  adapter.connections = { 0: { congestion: 0 } };
  adapter.congested_buffer = [];
  adapter.tcp_conn = {};
  adapter.doh_server = `${DNS_HOST}/${MIRROR_DNS}`;
  answerMirrorSockets();
  routeDnsQueries();
  adapter.register_ws(mirrorRelayUrl(mirrorUrl));
  return (await answered(adapter, Date.now() + 1000)) ? "mirror" : undefined;
}

export interface V86MachineOptions {
  /** The network relay; none: the card is there, unanswered. */
  network?: MachineNetwork;
  /** Answers the guest's 9P requests; absent: v86's own in-memory filesystem (the 9P benchmark's reference). */
  handle9p?: (request: Uint8Array, reply: (r: Uint8Array) => void) => void;
  /** A saved state to restore instead of booting. */
  state?: ArrayBuffer;
}

/** The v86 options of the lab's machine. */
export function v86Options(assets: MachineAssets, opts: V86MachineOptions): V86Options {
  const relay = opts.network?.relayUrl && opts.network.dnsUrl ? opts.network : undefined;
  const mirror = opts.network?.mirrorUrl;
  const options: V86Options = {
    wasm_path: assets.wasmPath,
    memory_size: MEMORY_BYTES,
    vga_memory_size: 2 * 1024 * 1024,
    bios: { buffer: assets.bios },
    bzimage: { buffer: assets.bzImage },
    initrd: { buffer: assets.initrd },
    cmdline: CMDLINE,
    filesystem: opts.handle9p ? { handle9p: opts.handle9p } : {},
    autostart: true,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
    acpi: false,
    log_level: 0,
    net_device: {
      type: "virtio",
      mtu: NET.mtu,
      router_ip: NET.gateway,
      ...(relay ? { relay_url: relay.relayUrl!.replace(/^ws(s?):/, "wisp$1:"), doh_server: `${DNS_HOST}/${encodeURIComponent(relay.dnsUrl!)}` } : {}),
      ...(!relay && mirror ? { relay_url: mirrorRelayUrl(mirror), doh_server: `${DNS_HOST}/${MIRROR_DNS}` } : {}),
    },
    // The MAC is set by /init for each container (Docker's, from its address); keep the state's until then.
    preserve_mac_from_state_image: true,
  };
  if (relay || mirror) routeDnsQueries();
  if (!relay && mirror) answerMirrorSockets();
  if (opts.state) options.initial_state = { buffer: opts.state };
  const compiled = assets.wasmModule;
  if (compiled) options.wasm_fn = async (env: WebAssembly.Imports) => (await WebAssembly.instantiate(compiled, env)).exports;
  return options;
}
