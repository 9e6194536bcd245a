/**
 * What `curl localhost:8080` reaches from the host shell: the ports the lab's running containers
 * publish (`docker run -p 8080:80`), through the daemon as docker-proxy forwards them. The lab's host
 * has no other network, so any other address fails the way curl fails to resolve or connect.
 */
import type { Daemon } from "../daemon/daemon.ts";
import { readAllLimited } from "../oci/bytes.ts";
import type { ShellFetch } from "./host-shell.ts";

/** curl's answer size cap here: a page or a file, not a disk image. */
const MAX_BODY = 64 * 1024 * 1024;
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "0.0.0.0", "host.docker.internal"]);

export function localhostFetch(daemon: Daemon): ShellFetch {
  return async (url, opts = {}) => {
    const u = new URL(url);
    if (!LOCAL_HOSTS.has(u.hostname)) throw new Error(`Could not resolve host: ${u.hostname} (the lab's host reaches only ports its containers publish: localhost:PORT)`);
    // just-bash's curl writes a URL without a scheme as https://: the lab's ports speak plain HTTP.
    const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
    const headers: [string, string][] = opts.headers instanceof Headers ? [...opts.headers] : Object.entries(opts.headers ?? {});
    const res = await daemon.ports.request(port, {
      method: opts.method ?? "GET",
      target: `${u.pathname}${u.search}`,
      host: u.port ? `${u.hostname}:${u.port}` : u.hostname,
      headers: [["User-Agent", "curl/7.88.1"], ["Accept", "*/*"], ...headers],
      body: opts.body !== undefined ? new TextEncoder().encode(opts.body) : undefined,
    });
    const body = await readAllLimited(res.body, MAX_BODY, () => new Error(`the answer from localhost:${port} is over ${MAX_BODY >> 20} MiB`));
    const headerRecord: Record<string, string> = {};
    for (const [k, v] of res.headers) headerRecord[k.toLowerCase()] = headerRecord[k.toLowerCase()] ? `${headerRecord[k.toLowerCase()]}, ${v}` : v;
    return { status: res.status, statusText: res.statusText, headers: headerRecord, body, url };
  };
}
