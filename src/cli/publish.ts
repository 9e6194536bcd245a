/**
 * Ports on the client's side, as the Docker CLI 20.10 handles them: `-p`/`--publish` (go-connections'
 * nat.ParsePortSpecs, with the CLI's `target=…,published=…` long form), `--expose`, the PORTS column
 * (formatter.DisplayablePorts) and `docker port`. Errors read as Docker's, word for word.
 */
import type { Daemon } from "../daemon/daemon.ts";
import type { ApiPort, PortBinding, PortMap } from "../runtime/ports.ts";
import { FlagError } from "./argv.ts";
import type { DockerCommand } from "./command.ts";

/** A `-p` or `--expose` value the CLI refuses: reported as its create/run flags are (reportError: `docker: MESSAGE.`, exit 125). */
function specError(message: string): FlagError {
  return new FlagError(`docker: ${message.replace(/\.$/, "")}.`);
}

/** strconv.ParseUint(s, 10, 16). */
function parseUint16(s: string): number | string {
  if (!/^[0-9]+$/.test(s)) return `strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`;
  const n = Number(s);
  if (n > 65535) return `strconv.ParseUint: parsing ${JSON.stringify(s)}: value out of range`;
  return n;
}

/** nat.ParsePortRange: "80" or "8000-8010"; a string is the error. */
export function parsePortRange(ports: string): [number, number] | string {
  if (ports === "") return "Empty string specified for ports.";
  if (!ports.includes("-")) {
    const n = parseUint16(ports);
    return typeof n === "string" ? n : [n, n];
  }
  const parts = ports.split("-");
  const start = parseUint16(parts[0]!);
  if (typeof start === "string") return start;
  const end = parseUint16(parts[1]!);
  if (typeof end === "string") return end;
  if (end < start) return `Invalid range specified for the Port: ${ports}`;
  return [start, end];
}

/** nat.SplitProtoPort: "80/udp" → ["udp", "80"], "80" → ["tcp", "80"]. */
export function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split("/");
  if (!raw || !parts[0]) return ["", ""];
  if (parts.length === 1) return ["tcp", raw];
  if (!parts[1]) return ["tcp", parts[0]];
  return [parts[1], parts[0]];
}

/** Go's net.ParseIP accepts it (dotted IPv4 without leading zeros, or IPv6). */
function isIp(s: string): boolean {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(s)) return s.split(".").every((p) => Number(p) <= 255 && (p === "0" || !p.startsWith("0")));
  if (!s.includes(":") || /[^0-9a-fA-F:.]/.test(s)) return false;
  try {
    new URL(`http://[${s}]/`);
    return true;
  } catch {
    return false;
  }
}

/** Go's net.SplitHostPort's host, or its error. */
function splitHost(hostport: string): string | { error: string } {
  const fail = (why: string) => ({ error: `address ${hostport}: ${why}` });
  const i = hostport.lastIndexOf(":");
  if (i < 0) return fail("missing port in address");
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport[0] === "[") {
    const end = hostport.indexOf("]");
    if (end < 0) return fail("missing ']' in address");
    if (end + 1 === hostport.length) return fail("missing port in address");
    if (end + 1 !== i) return fail(hostport[end + 1] === ":" ? "too many colons in address" : "missing port in address");
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(":")) return fail("too many colons in address");
  }
  if (hostport.slice(j).includes("[")) return fail("unexpected '[' in address");
  if (hostport.slice(k).includes("]")) return fail("unexpected ']' in address");
  return host;
}

/** The CLI's convertToStandardNotation: `published=8080,target=80[,protocol=udp]` → `8080:80/udp`. */
function standardNotation(spec: string): string {
  if (!spec.includes("=")) return spec;
  const params: Record<string, string> = { protocol: "tcp" };
  for (const param of spec.split(",")) {
    const opt = param.split("=");
    if (opt.length < 2) throw specError(`invalid publish opts format (should be name=value but got '${param}')`);
    params[opt[0]!] = opt[1]!;
  }
  return `${params.published ?? ""}:${params.target ?? ""}/${params.protocol}`;
}

/** One `-p` value → its container ports and host bindings (nat.ParsePortSpec). */
function parsePortSpec(raw: string): { port: string; binding: PortBinding }[] {
  const parts = raw.split(":");
  const n = parts.length;
  let ip = n >= 3 ? parts.slice(0, n - 2).join(":") : "";
  const hostPort = n >= 2 ? parts[n - 2]! : "";
  const [proto, containerPort] = splitProtoPort(parts[n - 1]!);
  if (ip) {
    const host = splitHost(`${ip}:`);
    if (typeof host !== "string") throw specError(`Invalid ip address ${ip}: ${host.error}`);
    ip = host;
  }
  if (ip && !isIp(ip)) throw specError(`Invalid ip address: ${ip}`);
  if (!containerPort) throw specError(`No port specified: ${raw}<empty>`);
  const range = parsePortRange(containerPort);
  if (typeof range === "string") throw specError(`Invalid containerPort: ${containerPort}`);
  const [start, end] = range;
  let hostRange: [number, number] = [0, 0];
  if (hostPort) {
    const r = parsePortRange(hostPort);
    if (typeof r === "string") throw specError(`Invalid hostPort: ${hostPort}`);
    hostRange = r;
  }
  if (hostPort && end - start !== hostRange[1] - hostRange[0] && end !== start) {
    throw specError(`Invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
  }
  if (!["tcp", "udp", "sctp"].includes(proto.toLowerCase())) throw specError(`Invalid proto: ${proto}`);
  const out: { port: string; binding: PortBinding }[] = [];
  for (let i = 0; i <= end - start; i++) {
    let host = hostPort ? String(hostRange[0] + i) : "";
    // One container port and a host range: the range is where the daemon picks a free port.
    if (start === end && hostRange[0] !== hostRange[1]) host = `${host}-${hostRange[1]}`;
    out.push({ port: `${start + i}/${proto.toLowerCase()}`, binding: { HostIp: ip, HostPort: host } });
  }
  return out;
}

/** `-p` values and `--expose` values → Config.ExposedPorts' keys (in the order first seen) and HostConfig.PortBindings. */
export function parsePorts(publish: readonly string[], expose: readonly string[]): { exposed: string[]; bindings: PortMap } {
  const exposed = new Set<string>();
  const bindings: Record<string, PortBinding[]> = {};
  for (const raw of publish) {
    for (const { port, binding } of parsePortSpec(standardNotation(raw))) {
      exposed.add(port);
      (bindings[port] ??= []).push(binding);
    }
  }
  for (const e of expose) {
    if (e.includes(":")) throw specError(`invalid port format for --expose: ${e}`);
    const [proto, port] = splitProtoPort(e);
    const range = parsePortRange(port);
    if (typeof range === "string") throw specError(`invalid range format for --expose: ${e}, error: ${range}`);
    for (let p = range[0]; p <= range[1]; p++) exposed.add(`${p}/${proto}`);
  }
  return { exposed: [...exposed], bindings };
}

/** formatter.DisplayablePorts: "5555/tcp, 0.0.0.0:8080->80/tcp, :::8080->80/tcp" — same-numbered runs grouped into ranges. */
export function displayablePorts(ports: readonly ApiPort[]): string {
  const sorted = [...ports].sort((a, b) => a.PrivatePort - b.PrivatePort || (a.IP < b.IP ? -1 : a.IP > b.IP ? 1 : 0) || a.PublicPort - b.PublicPort || (a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0));
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  const formGroup = (key: string, first: number, last: number) => {
    const [a, b] = key.split("/");
    const [ip, type] = b === undefined ? ["", a!] : [a!, b];
    let group = first === last ? String(first) : `${first}-${last}`;
    if (ip) group = `${ip}:${group}->${group}`;
    return `${group}/${type}`;
  };
  for (const p of sorted) {
    let key = p.Type;
    if (p.IP) {
      if (p.PublicPort !== p.PrivatePort) {
        hostMappings.push(`${p.IP}:${p.PublicPort}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) groups.set(key, { first: p.PrivatePort, last: p.PrivatePort });
    else if (p.PrivatePort === g.last + 1) g.last = p.PrivatePort;
    else {
      result.push(formGroup(key, g.first, g.last));
      // Go's map keeps the key's first place in the order; only its group starts again.
      g.first = g.last = p.PrivatePort;
    }
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(", ");
}

const port: DockerCommand = {
  name: "port",
  aliases: ["container port"],
  usage: "docker port CONTAINER [PRIVATE_PORT[/PROTO]]",
  summary: "List port mappings or a specific mapping for the container",
  flags: [],
  minArgs: 1,
  maxArgs: 2,
  async run(daemon: Daemon, [ref, privatePort], _p, io) {
    const c = await daemon.containers.find(ref!);
    if (!c) {
      io.stderr(`Error: No such container: ${ref}\n`);
      return 1;
    }
    const ports = daemon.containers.publishedPorts(c);
    if (privatePort !== undefined) {
      // As the CLI splits it: "80/udp"; "80/" is a port number that does not parse.
      const slash = privatePort.indexOf("/");
      const [num, proto] = slash >= 0 && privatePort.slice(slash + 1) ? [privatePort.slice(0, slash), privatePort.slice(slash + 1)] : [privatePort, "tcp"];
      const range = parsePortRange(num);
      if (typeof range === "string") {
        io.stderr(`${range}\n`);
        return 1;
      }
      const frontends = ports[`${num}/${proto}`];
      if (!frontends) {
        io.stderr(`Error: No public port '${num}/${proto}' published for ${ref}\n`);
        return 1;
      }
      io.stdout(frontends.map((f) => `${f.HostIp}:${f.HostPort}\n`).join(""));
      return 0;
    }
    io.stdout(Object.entries(ports).flatMap(([key, frontends]) => (frontends ?? []).map((f) => `${key} -> ${f.HostIp}:${f.HostPort}\n`)).join(""));
    return 0;
  },
};

export const PORT_COMMANDS: readonly DockerCommand[] = [port];
