/**
 * Published ports as Docker's port allocator hands them out (libnetwork's portallocator, Docker 20.10):
 * a binding with no host IP is bound on 0.0.0.0 and on ::, with the same port; no host port means the
 * next free port of the ephemeral range after the last one given (per protocol, so a restart gets a
 * new one), a host range means its first free port; a port taken on the same address refuses the start
 * with Docker's "port is already allocated". The lab's host is the page: nothing listens on a real
 * socket, the bindings only say which container a host port leads to (daemon/ports.ts connects).
 * NetworkSettings.Ports lists a port's bindings in the reverse of their `-p` order, as Docker does.
 */

import type { PortBinding, PortMap } from "../oci/types.ts";

export type { PortBinding, PortMap };

/** `80/tcp`: a container port and its protocol (nat.Port). */
export type PortKey = string;

/** Linux's default ip_local_port_range, which Docker reads for ports it picks. */
export const EPHEMERAL_PORTS = { first: 32768, last: 60999 } as const;

export class PortAllocationError extends Error {
  override name = "PortAllocationError";
}

export function splitPortKey(key: PortKey): { port: number; proto: string } {
  const [port, proto = "tcp"] = key.split("/");
  return { port: Number(port), proto };
}

/** Keys in Docker's JSON order (a Go map: sorted). */
export function sortedPortMap(map: PortMap): PortMap {
  return Object.fromEntries(Object.keys(map).sort().map((k) => [k, map[k]!]));
}

/** One row of the Engine API's container list `Ports` (types.Port). */
export interface ApiPort {
  IP: string;
  PrivatePort: number;
  PublicPort: number;
  Type: string;
}

/** NetworkSettings.Ports → the list's Ports (container/view.go): exposed-only ports without IP or public port. */
export function apiPortsOf(map: PortMap): ApiPort[] {
  const out: ApiPort[] = [];
  for (const [key, bindings] of Object.entries(map)) {
    const [port, type = "tcp"] = key.split("/");
    if (!bindings?.length) {
      out.push({ IP: "", PrivatePort: Number(port), PublicPort: 0, Type: type });
      continue;
    }
    for (const b of bindings) out.push({ IP: b.HostIp, PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type });
  }
  return out;
}

export class HostPortAllocator {
  /** "ip/proto/port" → the container holding it. */
  private readonly taken = new Map<string, string>();
  private readonly last = new Map<string, number>();

  /**
   * The bindings a container gets at its start: `bindings` (HostConfig.PortBindings), every exposed
   * port with `publishAll`, as NetworkSettings.Ports shows them. Nothing is held when one cannot be had.
   */
  bind(containerId: string, exposed: readonly PortKey[], bindings: PortMap, publishAll: boolean): PortMap {
    const wanted: PortMap = {};
    for (const key of exposed) wanted[key] = null;
    for (const [key, list] of Object.entries(bindings)) if (list?.length) wanted[key] = list.map((b) => ({ ...b }));
    if (publishAll) for (const key of exposed) if (!wanted[key]) wanted[key] = [{ HostIp: "", HostPort: "" }];
    const result: PortMap = {};
    const held: string[] = [];
    try {
      for (const key of Object.keys(wanted).sort()) {
        const list = wanted[key];
        if (!list) {
          result[key] = null;
          continue;
        }
        const { proto } = splitPortKey(key);
        const out: PortBinding[] = [];
        // Docker lists a port's bindings last `-p` first (each one's IPv4 address before its IPv6).
        for (const b of [...list].reverse()) {
          const ips = b.HostIp ? [b.HostIp] : ["0.0.0.0", "::"];
          const port = this.choose(ips, proto, b.HostPort);
          for (const ip of ips) {
            const slot = `${ip}/${proto}/${port}`;
            this.taken.set(slot, containerId);
            held.push(slot);
            out.push({ HostIp: ip, HostPort: String(port) });
          }
        }
        result[key] = out;
      }
    } catch (e) {
      for (const slot of held) this.taken.delete(slot);
      throw e;
    }
    return result;
  }

  release(containerId: string): void {
    for (const [slot, id] of this.taken) if (id === containerId) this.taken.delete(slot);
  }

  /** The container a host port leads to when dialled at `ip` (any of its addresses: the page is every one). */
  holder(port: number, proto = "tcp", ip?: string): string | undefined {
    const ips = ip ? [ip] : ["0.0.0.0", "::", "127.0.0.1", "::1"];
    for (const a of ips) {
      const id = this.taken.get(`${a}/${proto}/${port}`);
      if (id) return id;
    }
    return undefined;
  }

  private free(ips: string[], proto: string, port: number): boolean {
    return ips.every((ip) => !this.taken.has(`${ip}/${proto}/${port}`));
  }

  /** A port for `ips` as the allocator picks it (it knows each address apart), then the bind's own check: a wildcard and an address of its family cannot share a port. */
  private choose(ips: string[], proto: string, hostPort: string): number {
    const port = this.allocate(ips, proto, hostPort);
    for (const ip of ips) {
      const v6 = ip.includes(":");
      const wildcard = v6 ? "::" : "0.0.0.0";
      const clash = [...this.taken.keys()].some((slot) => {
        const [other, p, n] = slot.split("/") as [string, string, string];
        return p === proto && Number(n) === port && other.includes(":") === v6 && other !== ip && (ip === wildcard || other === wildcard);
      });
      if (clash) throw new PortAllocationError(`Error starting userland proxy: listen ${proto}${v6 ? "6" : "4"} ${v6 ? `[${ip}]` : ip}:${port}: bind: address already in use`);
    }
    return port;
  }

  private allocate(ips: string[], proto: string, hostPort: string): number {
    // Port 0 is "any", as for bind(2).
    if (hostPort === "0") hostPort = "";
    if (hostPort && !hostPort.includes("-")) {
      const port = Number(hostPort);
      const busy = ips.find((ip) => this.taken.has(`${ip}/${proto}/${port}`));
      if (busy !== undefined) throw new PortAllocationError(`Bind for ${busy}:${port} failed: port is already allocated`);
      return port;
    }
    if (hostPort) {
      const [first, last] = hostPort.split("-").map(Number) as [number, number];
      for (let p = first; p <= last; p++) if (this.free(ips, proto, p)) return p;
      throw new PortAllocationError("all ports are allocated");
    }
    const { first, last } = EPHEMERAL_PORTS;
    const size = last - first + 1;
    const from = this.last.get(proto) ?? first - 1;
    for (let i = 1; i <= size; i++) {
      const p = first + ((from - first + i) % size);
      if (this.free(ips, proto, p)) {
        this.last.set(proto, p);
        return p;
      }
    }
    throw new PortAllocationError("all ports are allocated");
  }
}
