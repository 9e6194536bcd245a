/**
 * The daemon's networks as Docker 20.10 has them out of the box — `bridge` (172.17.0.0/16, gateway
 * 172.17.0.1, an address per running container, lowest free first, its MAC derived from it), `host`
 * and `none` — and the files Docker writes for a container's endpoint (libnetwork's etchosts and
 * resolvconf). The lab's bridge is each container's own link to the lab's relay; the addresses only
 * say what Docker would.
 */
import type { ContainerNetwork } from "./types.ts";

export const BRIDGE = { subnet: "172.17.0.0/16", gateway: "172.17.0.1", prefixLen: 16 } as const;

/** The networks `docker network ls` lists: name, driver. */
export const NETWORKS = [
  { name: "bridge", driver: "bridge" },
  { name: "host", driver: "host" },
  { name: "none", driver: "null" },
] as const;

export type NetworkName = (typeof NETWORKS)[number]["name"];

/** A container's HostConfig.NetworkMode → the network it is on ("default" is the bridge). */
export function networkOfMode(mode: string | undefined): NetworkName {
  return mode === "none" || mode === "host" ? mode : "bridge";
}

/** `--add-host NAME:host-gateway`: the host as the container reaches it, the bridge's gateway (the lab's relay). */
export const HOST_GATEWAY = "host-gateway";

/** Docker's check of an --add-host value (opts.ValidateExtraHost): its error, or undefined. */
export function extraHostError(value: string): string | undefined {
  const i = value.indexOf(":");
  if (i <= 0) return `bad format for add-host: "${value}"`;
  const ip = value.slice(i + 1);
  if (ip === HOST_GATEWAY) return undefined;
  const v4 = /^(\d{1,3}\.){3}\d{1,3}$/.test(ip);
  const ok = v4 ? ip.split(".").every((o) => Number(o) <= 255) : /^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$/.test(ip);
  return ok ? undefined : `invalid IP address in add-host: "${ip}"`;
}

/** libnetwork's default /etc/hosts records (IPv6 ones included, as 20.10 writes them). */
const DEFAULT_HOSTS = [
  ["127.0.0.1", "localhost"],
  ["::1", "localhost ip6-localhost ip6-loopback"],
  ["fe00::0", "ip6-localnet"],
  ["ff00::0", "ip6-mcastprefix"],
  ["ff02::1", "ip6-allnodes"],
  ["ff02::2", "ip6-allrouters"],
];

export function hostsFile(ipAddress: string, hostname: string, extraHosts: readonly string[] = []): string {
  // --add-host NAME:IP lines follow the defaults, before the container's own (libnetwork's buildHostsFile).
  const extra = extraHosts.map((h) => {
    const [name, ip] = [h.slice(0, h.indexOf(":")), h.slice(h.indexOf(":") + 1)];
    return [ip === HOST_GATEWAY ? BRIDGE.gateway : ip, name];
  });
  const records = [...DEFAULT_HOSTS, ...extra, ...(ipAddress ? [[ipAddress, hostname]] : [])];
  return records.map(([ip, hosts]) => `${ip}\t${hosts}\n`).join("");
}

/** Docker copies the host's resolv.conf; the lab's "host" answers DNS at the bridge's gateway (src/runtime/dns-message.ts, answered by the relay or, offline, the page). */
export function resolvConf(): string {
  return `nameserver ${BRIDGE.gateway}\n`;
}

/** Docker's MAC for a bridge address: 02:42 and the address's four bytes. */
export function macForAddress(ip: string): string {
  return ["02", "42", ...ip.split(".").map((o) => Number(o).toString(16).padStart(2, "0"))].join(":");
}

/** Bridge addresses of running containers: the lowest free one from 172.17.0.2, released when the container stops. */
export class AddressPool {
  private readonly used = new Map<string, number>();

  take(owner: string): string {
    const taken = new Set(this.used.values());
    let n = 2;
    while (taken.has(n)) n++;
    if (n > 0xfffe) throw new Error("no available IPv4 addresses on this network's address pools: bridge");
    this.used.set(owner, n);
    return `172.17.${n >> 8}.${n & 255}`;
  }

  release(owner: string): void {
    this.used.delete(owner);
  }
}

/** The endpoint of a container started on `network` with `ipAddress` (empty unless bridge). */
export function containerNetwork(network: NetworkName, ipAddress: string, hostname: string, extraHosts: readonly string[] = []): ContainerNetwork {
  const bridge = network === "bridge";
  return {
    mode: network,
    ipAddress: bridge ? ipAddress : "",
    prefixLen: bridge ? BRIDGE.prefixLen : 0,
    gateway: bridge ? BRIDGE.gateway : "",
    macAddress: bridge ? macForAddress(ipAddress) : "",
    hosts: hostsFile(bridge ? ipAddress : "", hostname, extraHosts),
    hostname: `${hostname}\n`,
    resolvConf: resolvConf(),
  };
}
