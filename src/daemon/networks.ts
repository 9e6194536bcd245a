/**
 * The daemon's network service: the three networks Docker 20.10 starts with (bridge, host, none —
 * src/runtime/network.ts), `docker network ls`/`inspect` as types.NetworkResource, and a container's
 * NetworkSettings as `docker inspect` shows them. A network's ID is random once per store and kept,
 * as a daemon keeps its own.
 */
import { digestHex, sha256Digest } from "../oci/digest.ts";
import { randomHex } from "../store/containers.ts";
import type { ContainerRecord } from "../store/schema.ts";
import type { Settings } from "../store/settings.ts";
import type { ContainerEngine } from "../runtime/engine.ts";
import { BRIDGE, NETWORKS, networkOfMode, type NetworkName } from "../runtime/network.ts";
import { sortedPortMap } from "../runtime/ports.ts";
import type { ContainerNetwork } from "../runtime/types.ts";
import { DaemonError } from "./errors.ts";

const SETTINGS_KEY = "networks";

export interface NetworkInfo {
  id: string;
  name: NetworkName;
  driver: string;
  scope: "local";
  created: string;
}

/** A stable 64-hex ID derived from `seed` (endpoint and sandbox IDs of a container's start). */
async function derivedId(seed: string): Promise<string> {
  return digestHex(await sha256Digest(seed));
}

export class NetworkService {
  private known?: Promise<NetworkInfo[]>;

  constructor(
    private readonly settings: Settings,
    private readonly engine: ContainerEngine,
    private readonly containers: () => Promise<ContainerRecord[]>,
  ) {}

  /** bridge, host and none, sorted by name as `docker network ls` lists them. */
  list(): Promise<NetworkInfo[]> {
    this.known ??= (async () => {
      const saved = (await this.settings.get(SETTINGS_KEY)) as NetworkInfo[] | undefined;
      if (saved?.length === NETWORKS.length) return saved;
      const created = new Date().toISOString();
      const made = NETWORKS.map((n): NetworkInfo => ({ id: randomHex(32), name: n.name, driver: n.driver, scope: "local", created }));
      await this.settings.set(SETTINGS_KEY, made);
      return made;
    })();
    this.known.catch(() => (this.known = undefined));
    return this.known;
  }

  /** By name, full ID or ID prefix (Docker's lookup order); "No such network" otherwise. */
  async require(ref: string): Promise<NetworkInfo> {
    const all = await this.list();
    const found = all.find((n) => n.name === ref) ?? all.find((n) => n.id === ref) ?? (/^[0-9a-f]+$/.test(ref) ? all.filter((n) => n.id.startsWith(ref)) : []).at(0);
    if (!found) throw new DaemonError(`No such network: ${ref}`);
    return found;
  }

  /** `docker network inspect`: types.NetworkResource in Docker's field order. */
  async inspect(n: NetworkInfo): Promise<Record<string, unknown>> {
    const members: Record<string, unknown> = {};
    for (const c of await this.containers()) {
      const ep = this.engine.network(c.id);
      if (!ep || networkOfMode(c.networkMode) !== n.name) continue;
      members[c.id] = { Name: c.name, EndpointID: await this.endpointId(c), MacAddress: ep.macAddress, IPv4Address: ep.ipAddress ? `${ep.ipAddress}/${ep.prefixLen}` : "", IPv6Address: "" };
    }
    return {
      Name: n.name,
      Id: n.id,
      Created: n.created,
      Scope: n.scope,
      Driver: n.driver,
      EnableIPv6: false,
      IPAM: { Driver: "default", Options: null, Config: n.name === "bridge" ? [{ Subnet: BRIDGE.subnet, Gateway: BRIDGE.gateway }] : [] },
      Internal: false,
      Attachable: false,
      Ingress: false,
      ConfigFrom: { Network: "" },
      ConfigOnly: false,
      Containers: members,
      Options:
        n.name === "bridge"
          ? {
              "com.docker.network.bridge.default_bridge": "true",
              "com.docker.network.bridge.enable_icc": "true",
              "com.docker.network.bridge.enable_ip_masquerade": "true",
              "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
              "com.docker.network.bridge.name": "docker0",
              "com.docker.network.driver.mtu": "1500",
            }
          : {},
      Labels: {},
    };
  }

  private endpointId(c: ContainerRecord): Promise<string> {
    return derivedId(`endpoint ${c.id} ${c.startedAt ?? 0}`);
  }

  /** A container's NetworkSettings: its endpoint while it runs; once it stopped Docker clears the endpoint and keeps the sandbox. */
  async settingsOf(c: ContainerRecord): Promise<Record<string, unknown>> {
    const name = networkOfMode(c.networkMode);
    const network = (await this.list()).find((n) => n.name === name);
    const ep: ContainerNetwork | undefined = this.engine.network(c.id);
    const endpointId = ep ? await this.endpointId(c) : "";
    // Once started, a container keeps its sandbox and network ID after it stops; the endpoint goes.
    const started = c.startedAt !== undefined;
    const sandboxId = started ? await derivedId(`sandbox ${c.id} ${c.startedAt}`) : "";
    const ip = ep?.ipAddress ?? "";
    const prefix = ip ? ep!.prefixLen : 0;
    const gateway = ep?.gateway ?? "";
    const mac = ep?.macAddress ?? "";
    return {
      Bridge: "", SandboxID: sandboxId, HairpinMode: false, LinkLocalIPv6Address: "", LinkLocalIPv6PrefixLen: 0, Ports: sortedPortMap(this.engine.ports(c.id)),
      SandboxKey: sandboxId ? `/var/run/docker/netns/${sandboxId.slice(0, 12)}` : "", SecondaryIPAddresses: null, SecondaryIPv6Addresses: null,
      EndpointID: name === "bridge" ? endpointId : "", Gateway: gateway, GlobalIPv6Address: "", GlobalIPv6PrefixLen: 0,
      IPAddress: ip, IPPrefixLen: prefix, IPv6Gateway: "", MacAddress: mac,
      Networks: {
        [name]: {
          IPAMConfig: null, Links: null, Aliases: null, NetworkID: started ? (network?.id ?? "") : "", EndpointID: endpointId, Gateway: gateway, IPAddress: ip,
          IPPrefixLen: prefix, IPv6Gateway: "", GlobalIPv6Address: "", GlobalIPv6PrefixLen: 0, MacAddress: mac, DriverOpts: null,
        },
      },
    };
  }
}
