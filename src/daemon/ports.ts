/**
 * The lab's host side of published ports: what `localhost:8080` is on the Docker host. A host port a
 * running container publishes (`-p 8080:80`) leads to that container's port 80 over the bridge, as
 * docker-proxy forwards it; the page's preview and the host shell's curl ask through here.
 */
import { HttpClientError, httpRequest, type HttpClientRequest, type HttpClientResponse } from "../runtime/http-client.ts";
import type { ContainerEngine } from "../runtime/engine.ts";
import { apiPortsOf } from "../runtime/ports.ts";
import type { ContainerRecord } from "../store/schema.ts";

/** Why `localhost:PORT` did not answer, in curl's words (`code` as Node's socket errors name them). */
export class HostPortError extends Error {
  override name = "HostPortError";
  constructor(
    readonly code: "ECONNREFUSED" | "ECONNRESET",
    message: string,
  ) {
    super(message);
  }
}

/** One published port of a running container, as the page lists it. */
export interface PublishedPort {
  container: ContainerRecord;
  /** `80/tcp`. */
  containerPort: string;
  hostIp: string;
  hostPort: number;
}

export class PortService {
  constructor(
    private readonly engine: ContainerEngine,
    private readonly containers: () => Promise<ContainerRecord[]>,
  ) {}

  /** Every TCP port published by a running container, one per host port (the IPv4 and IPv6 bindings are one port here). */
  async list(): Promise<PublishedPort[]> {
    const out: PublishedPort[] = [];
    for (const c of await this.containers()) {
      if (!this.engine.isRunning(c.id)) continue;
      const seen = new Set<number>();
      for (const p of apiPortsOf(this.engine.ports(c.id))) {
        if (!p.PublicPort || p.Type !== "tcp" || seen.has(p.PublicPort)) continue;
        seen.add(p.PublicPort);
        out.push({ container: c, containerPort: `${p.PrivatePort}/${p.Type}`, hostIp: p.IP, hostPort: p.PublicPort });
      }
    }
    return out.sort((a, b) => a.hostPort - b.hostPort);
  }

  /** The container publishing `hostPort` (tcp), if a running one does. */
  holder(hostPort: number): string | undefined {
    return this.engine.publisherOf(hostPort)?.containerId;
  }

  /**
   * An HTTP request to `localhost:hostPort`. Rejects with HostPortError as curl would fail: nothing
   * published there ("Connection refused"), or the container's side refusing or dropping the
   * connection ("Connection reset by peer", as through docker-proxy).
   */
  async request(hostPort: number, req: Omit<HttpClientRequest, "host"> & { host?: string }): Promise<HttpClientResponse> {
    const to = this.engine.publisherOf(hostPort);
    const connection = to && this.engine.connect(to.containerId, to.port);
    if (!connection) throw new HostPortError("ECONNREFUSED", `Failed to connect to localhost port ${hostPort} after 0 ms: Couldn't connect to server`);
    try {
      await connection.opened;
      return await httpRequest(connection, { ...req, host: req.host ?? `localhost:${hostPort}` });
    } catch (e) {
      if (e instanceof HttpClientError) throw e;
      // docker-proxy took the connection and could not reach the container's port: the client sees a reset.
      throw new HostPortError("ECONNRESET", "Recv failure: Connection reset by peer");
    }
  }
}
