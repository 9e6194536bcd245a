/** Network commands: network ls and network inspect — Docker 20.10's columns, filters and JSON. */
import type { Daemon } from "../daemon/daemon.ts";
import type { NetworkInfo } from "../daemon/networks.ts";
import { boolFlag, flag } from "./argv.ts";
import type { DockerCommand } from "./command.ts";
import { parseFilters, runInspect, writeListFormat, invalidFilterValue } from "./images.ts";
import { dockerRow, goTyped, ROW_TYPES } from "./template.ts";

const NETWORK_HEADERS = { ID: "NETWORK ID", Name: "NAME", Driver: "DRIVER", Scope: "SCOPE", IPv6: "IPV6", Internal: "INTERNAL", Labels: "LABELS", CreatedAt: "CREATED AT" };
const DEFAULT_FORMAT = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";

/** filters.Args.Match: the value as a regular expression found in the field (or, if it is no valid one, as text). */
function matches(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern).test(value);
  } catch {
    return value.includes(pattern);
  }
}

function selected(n: NetworkInfo, filters: Map<string, string[]>): boolean {
  const any = (name: string, test: (v: string) => boolean) => !filters.has(name) || filters.get(name)!.some(test);
  return (
    any("name", (v) => matches(v, n.name)) &&
    any("id", (v) => matches(v, n.id)) &&
    any("driver", (v) => v === n.driver) &&
    any("scope", (v) => v === n.scope) &&
    // The three predefined networks are "builtin"; the lab has no others.
    any("type", (v) => v === "builtin") &&
    !filters.has("label") &&
    any("dangling", (v) => v === "false")
  );
}

const networkLs: DockerCommand = {
  name: "network ls",
  aliases: ["network list"],
  usage: "docker network ls [OPTIONS]",
  summary: "List networks",
  flags: [{ name: "filter", short: "f", value: true }, { name: "format", value: true }, { name: "no-trunc" }, { name: "quiet", short: "q" }],
  maxArgs: 0,
  async run(daemon, _args, p, io) {
    const filters = parseFilters(p, ["dangling", "driver", "id", "label", "name", "scope", "type"]);
    for (const v of filters.get("type") ?? []) if (v !== "builtin" && v !== "custom") throw invalidFilterValue("type", [v]);
    const noTrunc = boolFlag(p, "no-trunc");
    const list = (await daemon.networks.list()).filter((n) => selected(n, filters)).sort((a, b) => (a.name < b.name ? -1 : 1));
    const rows = list.map((n) =>
      dockerRow(ROW_TYPES.network, {
        ID: noTrunc ? n.id : n.id.slice(0, 12), Name: n.name, Driver: n.driver, Scope: n.scope, IPv6: "false", Internal: "false", Labels: "",
        CreatedAt: n.created.replace("T", " ").replace("Z", " +0000 UTC"),
      }),
    );
    const format = flag(p, "format");
    const quiet = boolFlag(p, "quiet") && (format === undefined || format === "table");
    return writeListFormat(io, quiet ? "{{.ID}}" : format === undefined || format === "table" ? DEFAULT_FORMAT : format, rows, NETWORK_HEADERS);
  },
};

const networkInspect: DockerCommand = {
  name: "network inspect",
  usage: "docker network inspect [OPTIONS] NETWORK [NETWORK...]",
  summary: "Display detailed information on one or more networks",
  flags: [{ name: "format", short: "f", value: true }, { name: "verbose", short: "v" }],
  minArgs: 1,
  run(daemon: Daemon, args, p, io) {
    return runInspect(io, flag(p, "format"), args, async (a) => {
      try {
        const raw = await daemon.networks.inspect(await daemon.networks.require(a));
        return { typed: goTyped(raw, "types.NetworkResource"), raw };
      } catch {
        return { error: `Error: No such network: ${a}` };
      }
    }, true);
  },
};

export const NETWORK_COMMANDS: readonly DockerCommand[] = [networkLs, networkInspect];
