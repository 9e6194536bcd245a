/** System commands: system df, version, info — Docker 20.10's layouts, with the lab's own truthful values. */
import type { Daemon } from "../daemon/daemon.ts";
import { humanSize, humanSizeWithPrecision, timeAgo } from "../daemon/units.ts";
import { shortId } from "../oci/digest.ts";
import { MEMORY_BYTES } from "../runtime/x86/v86.ts";
import type { CliIO } from "../terminal/types.ts";
import { boolFlag, flag } from "./argv.ts";
import type { DockerCommand } from "./command.ts";
import { ellipsis } from "./format.ts";
import { writeListFormat } from "./images.ts";
import { dockerRow, GoStruct, parseDockerFormat, parseDockerTemplate, TemplateError } from "./template.ts";

/** package.json's version: the page cannot import package.json, so keep this in step with it. */
const LAB_VERSION = "0.1.0";
/** The Docker Engine API whose behaviour the lab's commands follow (Docker 20.10). */
const API_VERSION = "1.41";
const MIN_API_VERSION = "1.12";
/** The platform containers run as: v86 emulates a 32-bit x86 PC running Linux. */
const GUEST_OS = "linux";
const GUEST_ARCH = "386";

const DF_HEADERS = { Type: "TYPE", TotalCount: "TOTAL", Active: "ACTIVE", Size: "SIZE", Reclaimable: "RECLAIMABLE" };
const DF_IMAGE_HEADERS = {
  Repository: "REPOSITORY", Tag: "TAG", ID: "IMAGE ID", CreatedSince: "CREATED", VirtualSize: "SIZE", SharedSize: "SHARED SIZE",
  UniqueSize: "UNIQUE SIZE", Containers: "CONTAINERS",
};
const DF_CONTAINER_HEADERS = {
  ID: "CONTAINER ID", Image: "IMAGE", Command: "COMMAND", LocalVolumes: "LOCAL VOLUMES", Size: "SIZE", RunningFor: "CREATED", Status: "STATUS", Names: "NAMES",
};

/** What the daemon's /system/df answers: images with shared sizes (by chain ID), containers with their layer sizes. */
export async function diskUsage(daemon: Daemon) {
  const summaries = await daemon.images.list();
  const containers = await daemon.containers.list({ all: true });
  const layerSize = new Map<string, number>();
  const users = new Map<string, number>();
  for (const s of summaries) {
    for (const c of new Set(s.image.chainIds)) {
      users.set(c, (users.get(c) ?? 0) + 1);
      if (!layerSize.has(c)) layerSize.set(c, (await daemon.store.getLayer(c))?.size ?? 0);
    }
  }
  const layersSize = [...layerSize.values()].reduce((a, b) => a + b, 0);
  const images = summaries
    .map((s) => {
      const shared = [...new Set(s.image.chainIds)].filter((c) => (users.get(c) ?? 0) > 1).reduce((a, c) => a + (layerSize.get(c) ?? 0), 0);
      return { summary: s, size: s.image.size, shared, containers: containers.filter((c) => c.imageId === s.image.id).length };
    })
    .sort((a, b) => Date.parse(b.summary.image.config.created ?? "0") - Date.parse(a.summary.image.config.created ?? "0"));
  const withSizes = [];
  for (const c of containers) withSizes.push({ c, rw: (await daemon.containers.size(c)).rw });
  return { layersSize, images, containers: withSizes };
}

/** "1.2MB (50%)" as formatter/disk_usage.go writes reclaimable space (integer percent, rounded down). */
function reclaimable(bytes: number, total: number): string {
  return total > 0 ? `${humanSize(bytes)} (${Math.floor((bytes * 100) / total)}%)` : humanSize(bytes);
}

function templateError(io: CliIO, e: unknown): number {
  if (!(e instanceof TemplateError)) throw e;
  io.stderr(`template parsing error: ${e.message}\n`);
  return 1;
}

const systemDf: DockerCommand = {
  name: "system df",
  usage: "docker system df [OPTIONS]",
  summary: "Show docker disk usage",
  flags: [{ name: "verbose", short: "v" }, { name: "format", value: true }],
  maxArgs: 0,
  async run(daemon, _args, p, io) {
    const du = await diskUsage(daemon);
    const format = flag(p, "format");
    if (!boolFlag(p, "verbose") || (format && format !== "table")) {
      const used = du.images.filter((i) => i.containers > 0).reduce((a, i) => a + i.size - i.shared, 0);
      const rw = du.containers.reduce((a, c) => a + c.rw, 0);
      const idleRw = du.containers.filter(({ c }) => c.state !== "running").reduce((a, c) => a + c.rw, 0);
      const rows = [
        { Type: "Images", TotalCount: String(du.images.length), Active: String(du.images.filter((i) => i.containers > 0).length), Size: humanSize(du.layersSize), Reclaimable: reclaimable(du.layersSize - used, du.layersSize) },
        { Type: "Containers", TotalCount: String(du.containers.length), Active: String(du.containers.filter(({ c }) => c.state === "running").length), Size: humanSize(rw), Reclaimable: reclaimable(idleRw, rw) },
        // The lab has no volumes and no builder cache.
        { Type: "Local Volumes", TotalCount: "0", Active: "0", Size: "0B", Reclaimable: "0B" },
        { Type: "Build Cache", TotalCount: "0", Active: "0", Size: "0B", Reclaimable: "0B" },
      ].map((r) => dockerRow("*formatter.diskUsageImagesContext", r));
      const fmt = !format || format === "table" ? "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}" : format;
      return writeListFormat(io, fmt, rows, DF_HEADERS);
    }
    // formatter.DiskUsageContext.verboseWriteTable: one table per kind, each through its own tabwriter.
    const images = du.images.map((i) => {
      const tag = i.summary.repoTags[0];
      return dockerRow("*formatter.imageContext", {
        Repository: tag?.repository ?? "<none>",
        Tag: tag?.tag ?? "<none>",
        ID: shortId(i.summary.image.id),
        CreatedSince: timeAgo(i.summary.image.config.created),
        VirtualSize: humanSizeWithPrecision(i.size, 3),
        SharedSize: humanSizeWithPrecision(i.shared, 3),
        UniqueSize: humanSizeWithPrecision(i.size - i.shared, 3),
        Containers: String(i.containers),
      });
    });
    const containers = du.containers.map(({ c, rw }) => {
      const cmd = [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])].join(" ");
      return dockerRow("*formatter.ContainerContext", {
        ID: c.id.slice(0, 12),
        Image: c.image,
        Command: JSON.stringify(ellipsis(cmd, 20)),
        LocalVolumes: "0",
        Size: humanSizeWithPrecision(rw, 3),
        RunningFor: timeAgo(new Date(c.createdAt).toISOString()),
        Status: daemon.containers.status(c),
        Names: c.name,
      });
    });
    const imageTable = parseDockerFormat(`table ${Object.keys(DF_IMAGE_HEADERS).map((k) => `{{.${k}}}`).join("\t")}`).render(images, DF_IMAGE_HEADERS);
    const containerTable = parseDockerFormat(`table ${Object.keys(DF_CONTAINER_HEADERS).map((k) => `{{.${k}}}`).join("\t")}`).render(containers, DF_CONTAINER_HEADERS);
    const volumeTable = parseDockerFormat("table {{.Name}}\t{{.Links}}\t{{.Size}}").render([], { Name: "VOLUME NAME", Links: "LINKS", Size: "SIZE" });
    const cacheTable = parseDockerFormat("table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}").render([], {
      ID: "CACHE ID", CacheType: "CACHE TYPE", Size: "SIZE", CreatedSince: "CREATED", LastUsedSince: "LAST USED", UsageCount: "USAGE", Shared: "SHARED",
    });
    io.stdout(
      `Images space usage:\n\n${imageTable}\nContainers space usage:\n\n${containerTable}\nLocal Volumes space usage:\n\n${volumeTable}\nBuild cache usage: 0B\n\n${cacheTable}`,
    );
    return 0;
  },
};

/** `docker version`'s data (command.versionInfo): the client and the daemon as Go structs, for --format. */
function versionInfo(): GoStruct {
  const client = {
    Platform: new GoStruct("struct { Name string }", { Name: "" }),
    Version: `layerlab ${LAB_VERSION}`,
    APIVersion: API_VERSION,
    DefaultAPIVersion: API_VERSION,
    // Not Go, no build stamp: say so rather than invent one.
    GoVersion: "n/a (TypeScript)",
    GitCommit: "n/a",
    BuildTime: "n/a",
    // The client runs as JavaScript in a browser tab.
    Os: "browser",
    Arch: "js",
    Context: "default",
    Experimental: false,
  };
  const engine = {
    ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, GoVersion: client.GoVersion, GitCommit: client.GitCommit, BuildTime: client.BuildTime,
    Os: GUEST_OS, Arch: GUEST_ARCH, Experimental: "false",
  };
  const server = {
    Platform: new GoStruct("struct { Name string }", { Name: "Layerlab" }),
    Components: [new GoStruct("types.ComponentVersion", { Name: "Engine", Version: client.Version, Details: engine })],
    Version: client.Version, APIVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, GitCommit: client.GitCommit, GoVersion: client.GoVersion,
    Os: GUEST_OS, Arch: GUEST_ARCH, KernelVersion: "", Experimental: false, BuildTime: client.BuildTime,
  };
  return new GoStruct("command.versionInfo", { Client: new GoStruct("command.clientVersion", client), Server: new GoStruct("*types.Version", server, { pointer: true }) });
}

const version: DockerCommand = {
  name: "version",
  usage: "docker version [OPTIONS]",
  summary: "Show the Docker version information",
  flags: [{ name: "format", short: "f", value: true }],
  maxArgs: 0,
  async run(_daemon, _args, p, io) {
    const format = flag(p, "format");
    if (format) {
      try {
        io.stdout(`${parseDockerTemplate(format).execute(versionInfo())}\n`);
        return 0;
      } catch (e) {
        return templateError(io, e);
      }
    }
    const v = (versionInfo().fields.Client as GoStruct).fields as Record<string, unknown>;
    const s = (versionInfo().fields.Server as GoStruct).fields as Record<string, unknown>;
    io.stdout(
      [
        "Client:",
        ` Version:           ${v.Version}`,
        ` API version:       ${v.APIVersion}`,
        ` Go version:        ${v.GoVersion}`,
        ` Git commit:        ${v.GitCommit}`,
        ` Built:             ${v.BuildTime}`,
        ` OS/Arch:           ${v.Os}/${v.Arch}`,
        ` Context:           ${v.Context}`,
        ` Experimental:      ${v.Experimental}`,
        "",
        "Server: Layerlab",
        " Engine:",
        `  Version:          ${s.Version}`,
        `  API version:      ${s.APIVersion} (minimum version ${s.MinAPIVersion})`,
        `  Go version:       ${s.GoVersion}`,
        `  Git commit:       ${s.GitCommit}`,
        `  Built:            ${s.BuildTime}`,
        `  OS/Arch:          ${s.Os}/${s.Arch}`,
        `  Experimental:     ${s.Experimental}`,
        "",
      ].join("\n"),
    );
    return 0;
  },
};

/** go-units BytesSize (binary units, 4 significant digits): `Total Memory: 128MiB`. */
function bytesSize(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Number(n.toPrecision(4))}${units[i]}`;
}

async function systemInfo(daemon: Daemon): Promise<Record<string, string | number | boolean>> {
  const containers = await daemon.containers.list({ all: true });
  const count = (state: string) => containers.filter((c) => c.state === state).length;
  return {
    Containers: containers.length,
    ContainersRunning: count("running"),
    ContainersPaused: 0,
    ContainersStopped: containers.length - count("running"),
    Images: (await daemon.images.list()).length,
    ServerVersion: `layerlab ${LAB_VERSION}`,
    Driver: "layerlab",
    LoggingDriver: "layerlab",
    OperatingSystem: "Layerlab (v86 x86 emulator in a browser tab)",
    OSType: GUEST_OS,
    Architecture: "i386",
    // The host's logical processors, as Docker reports the machine's (the v86 guest itself has one CPU).
    NCPU: (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1,
    // The emulated machine's memory.
    MemTotal: MEMORY_BYTES,
    IndexServerAddress: "https://index.docker.io/v1/",
    Debug: false,
  };
}

const info: DockerCommand = {
  name: "info",
  aliases: ["system info"],
  usage: "docker info [OPTIONS]",
  summary: "Display system-wide information",
  flags: [{ name: "format", short: "f", value: true }],
  maxArgs: 0,
  async run(daemon, _args, p, io) {
    const i = await systemInfo(daemon);
    const format = flag(p, "format");
    if (format) {
      try {
        io.stdout(`${parseDockerTemplate(format).execute(new GoStruct("info", i))}\n`);
        return 0;
      } catch (e) {
        return templateError(io, e);
      }
    }
    io.stdout(
      [
        "Client:",
        " Context:    default",
        " Debug Mode: false",
        "",
        "Server:",
        ` Containers: ${i.Containers}`,
        `  Running: ${i.ContainersRunning}`,
        `  Paused: ${i.ContainersPaused}`,
        `  Stopped: ${i.ContainersStopped}`,
        ` Images: ${i.Images}`,
        ` Server Version: ${i.ServerVersion}`,
        ` Storage Driver: ${i.Driver}`,
        ` Logging Driver: ${i.LoggingDriver}`,
        ` Operating System: ${i.OperatingSystem}`,
        ` OSType: ${i.OSType}`,
        ` Architecture: ${i.Architecture}`,
        ` CPUs: ${i.NCPU}`,
        ` Total Memory: ${bytesSize(i.MemTotal as number)}`,
        ` Debug Mode: false`,
        ` Registry: ${i.IndexServerAddress}`,
        "",
      ].join("\n"),
    );
    return 0;
  },
};

export const SYSTEM_COMMANDS: readonly DockerCommand[] = [systemDf, version, info];
