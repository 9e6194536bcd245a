/**
 * The page's half of /ports/<container>/<port>/ (public/sw.js has the other): the service worker asks
 * each of the lab's tabs for a request to `localhost:<port>`; the tab whose running container publishes
 * that port answers it over the container's TCP (daemon/ports.ts) and streams the answer back over the
 * message channel the worker sent. Every other tab says it is not theirs.
 */
import type { Daemon } from "../daemon/daemon.ts";
import { HostPortError } from "../daemon/ports.ts";

interface PortRequest {
  type: "layerlab-port";
  container: string;
  port: number;
  method: string;
  target: string;
  headers: [string, string][];
  body?: ArrayBuffer;
}

/** The preview's address for a published port (what the page links to). */
export function portUrl(container: string, hostPort: number, path = "/"): string {
  return `/ports/${encodeURIComponent(container)}/${hostPort}${path}`;
}

/** Request headers a browser adds that make no sense to the container's server (or carry the lab's own state). */
const DROPPED = new Set(["cookie", "origin", "referer", "sec-fetch-dest", "sec-fetch-mode", "sec-fetch-site", "sec-fetch-user", "upgrade-insecure-requests"]);

async function answer(daemon: Daemon, m: PortRequest, reply: MessagePort): Promise<void> {
  const holder = daemon.ports.holder(m.port);
  const named = holder ? await daemon.containers.maybe(m.container) : undefined;
  if (!holder || named?.id !== holder) {
    reply.postMessage({ kind: "head", mine: false });
    reply.close();
    return;
  }
  let res;
  try {
    res = await daemon.ports.request(m.port, {
      method: m.method,
      target: m.target,
      headers: m.headers.filter(([k]) => !DROPPED.has(k.toLowerCase())),
      body: m.body ? new Uint8Array(m.body) : undefined,
    });
  } catch (e) {
    const why = e instanceof HostPortError ? `${named.name} publishes port ${m.port}, but nothing in it accepted the connection (${e.message}). Is its server running and listening on all addresses (0.0.0.0)?` : (e as Error).message;
    reply.postMessage({ kind: "head", mine: false, error: why });
    reply.close();
    return;
  }
  reply.postMessage({ kind: "head", mine: true, status: res.status, statusText: res.statusText, headers: res.headers });
  const reader = res.body.getReader();
  reply.onmessage = (e) => {
    if ((e.data as { kind?: string }).kind === "cancel") void reader.cancel();
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const copy = value.slice();
      reply.postMessage({ kind: "chunk", data: copy.buffer }, [copy.buffer]);
    }
    reply.postMessage({ kind: "end" });
  } catch (e) {
    reply.postMessage({ kind: "error", message: (e as Error).message });
  } finally {
    reply.onmessage = null;
    reply.close();
  }
}

/** Answers the service worker's requests for ports this tab's containers publish. */
export function servePublishedPorts(daemon: Daemon): void {
  const sw = navigator.serviceWorker;
  if (!sw) return;
  sw.addEventListener("message", (e: MessageEvent) => {
    const m = e.data as PortRequest | undefined;
    const reply = e.ports[0];
    if (m?.type !== "layerlab-port" || !reply) return;
    void answer(daemon, m, reply).catch((err: Error) => reply.postMessage({ kind: "head", mine: false, error: err.message }));
  });
  sw.startMessages();
}
