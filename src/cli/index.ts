/**
 * The command interpreter behind the in-page terminal, the headless driver and the tests:
 * `docker …` commands as the Docker CLI spells them, `lab …` for lab-only features, and `help`.
 */
import type { Daemon } from "../daemon/daemon.ts";
import { InvalidReferenceError } from "../oci/reference.ts";
import type { CliIO, CommandLine } from "../terminal/types.ts";
import { FlagError, parseArgs, splitWords, UsageError } from "./argv.ts";
import type { DockerCommand } from "./command.ts";
import { build, buildxBuild } from "./build.ts";
import { CONTAINER_COMMANDS } from "./containers.ts";
import { PORT_COMMANDS } from "./publish.ts";
import { IMAGE_COMMANDS } from "./images.ts";
import { runLabCommand } from "./lab-commands.ts";
import { NETWORK_COMMANDS } from "./networks.ts";
import { RUN_COMMANDS } from "./run.ts";
import { SYSTEM_COMMANDS } from "./system.ts";
import { TRANSFER_COMMANDS } from "./transfer.ts";
import { SettledChanges } from "../store/settled-changes.ts";

const DOCKER_COMMANDS: readonly DockerCommand[] = [build, buildxBuild, ...IMAGE_COMMANDS, ...CONTAINER_COMMANDS, ...PORT_COMMANDS, ...RUN_COMMANDS, ...TRANSFER_COMMANDS, ...SYSTEM_COMMANDS, ...NETWORK_COMMANDS];

function findCommand(words: string[]): { cmd: DockerCommand; rest: string[] } | undefined {
  // Two-word commands ("image inspect") win over one-word ones.
  for (const len of [2, 1]) {
    const key = words.slice(0, len).join(" ");
    const cmd = DOCKER_COMMANDS.find((c) => c.name === key || c.aliases?.includes(key));
    if (cmd) return { cmd, rest: words.slice(len) };
  }
  return undefined;
}

function usageText(cmd: DockerCommand): string {
  const flags = cmd.flags.map((f) => `  ${f.short ? `-${f.short}, ` : "    "}--${f.name}${f.value ? " string" : ""}`).join("\n");
  return `\nUsage:  ${cmd.usage}\n\n${cmd.summary}\n${flags ? `\nOptions:\n${flags}\n` : ""}`;
}

function argCountError(cmd: DockerCommand, n: number): string | undefined {
  const { minArgs = 0, maxArgs = Infinity } = cmd;
  if (n >= minArgs && n <= maxArgs) return undefined;
  const want =
    minArgs === maxArgs ? `exactly ${minArgs} argument${minArgs === 1 ? "" : "s"}` : n < minArgs ? `at least ${minArgs} argument${minArgs === 1 ? "" : "s"}` : `at most ${maxArgs} argument${maxArgs === 1 ? "" : "s"}`;
  const name = `docker ${cmd.name}`;
  return `"${name}" requires ${want}.\nSee '${name} --help'.\n${usageText(cmd)}`;
}

export const HELP_TEXT = `Layerlab — a container-image lab in your browser tab.

Usage:  docker COMMAND

Images:
  pull        Download an image from a registry
  images      List images
  history     Show the history of an image
  image inspect
              Display detailed information on one or more images
  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
  rmi         Remove one or more images
  image prune Remove unused images
  save        Save images to a tar archive (a download): docker save -o FILE IMAGE
  load        Load images from a tar archive (a file picker): docker load
  push        Upload an image to a registry
  login       Log in to a registry (memory only; --remember keeps it on this device)
  logout      Log out from a registry

Containers:
  run         Create and run a container: docker run [-it] [--rm] [--name N] [-e K=V] [-w DIR] IMAGE [CMD...]
  create      Create a container (no process yet): docker create [--name N] IMAGE [CMD...]
  start       Start stopped containers (-ai: attached, with the keyboard)
  stop        Stop running containers (SIGTERM, then SIGKILL after -t seconds)
  restart / kill / wait
              Restart, signal, or wait for containers
  logs        Show a container's output (-f: follow)
  exec        Run a command in a running container: docker exec [-it] CONTAINER CMD...
  ps          List containers (-a: all)
  diff        Changes in a container's layer (A added, C changed, D deleted)
  commit      Create a new image from a container's changes
  cp          Copy files between a container and your computer
  rm          Remove one or more containers
  rename      Rename a container
  export      Export a container's filesystem as a tar archive: docker export -o FILE CONTAINER
  import      Import a root filesystem tarball as an image: docker import FILE|- [REPOSITORY[:TAG]]

Networks:
  network ls  List networks (bridge, host, none); docker run --network none: only lo
  network inspect
              Display detailed information on one or more networks

System:
  version     Show the lab's version (client and server)
  info        Display system-wide information
  system df   Show disk usage (-v: per image and container)

Lab:
  lab cat CONTAINER|IMAGE PATH
              Print a file as the container (or image) sees it
  lab write [--append] CONTAINER PATH TEXT...
              Write text into a container's file (copy-on-write)
  lab rm [-r] CONTAINER PATH / lab mkdir [-p] CONTAINER PATH
              Delete / create in a container's layer
  lab registry-layout NAME[:TAG]
              The files the registry keeps for a pushed image
  lab storage [IMAGE|CONTAINER]
              The store as Docker lays it out (imagedb, layerdb, distribution)
  lab efficiency IMAGE
              dive's efficiency score and wasted space
  lab layers IMAGE
              What each layer adds, modifies and removes in the union
  lab tree IMAGE|CONTAINER [--layer N] [--changes] [PATH]
              The union filesystem, each entry with the layer it comes from
  help        This help
  clear       Clear the terminal

Run 'docker COMMAND --help' for more information on a command.
`;

/** How long the store must be quiet before the names for Tab are listed again. */
const NAMES_QUIET_MS = 100;
const NAMES_MAX_WAIT_MS = 500;

export class DockerCli implements CommandLine {
  /** Image and container names for Tab, kept current (completion must answer at once). */
  private names: string[] = [];

  constructor(private readonly daemon: Daemon) {
    // Once a burst of changes is over (store/settled-changes.ts).
    // A closed store leaves the names as they were.
    const changes = new SettledChanges(() => this.refreshNames().catch(() => {}), NAMES_QUIET_MS, NAMES_MAX_WAIT_MS);
    daemon.store.onChange(changes.add);
    this.refreshNames().catch(() => {});
  }

  private async refreshNames(): Promise<void> {
    const images = (await this.daemon.images.list()).flatMap((s) => s.repoTags.map((t) => `${t.repository}:${t.tag}`));
    const containers = (await this.daemon.containers.list({ all: true })).map((c) => c.name);
    this.names = [...new Set([...images, ...containers])].sort();
  }

  async exec(line: string, io: CliIO): Promise<number> {
    let words: string[];
    try {
      words = splitWords(line);
    } catch (e) {
      io.stderr(`${(e as Error).message}\n`);
      return 2;
    }
    if (words.length === 0) return 0;
    const [head, ...rest] = words;
    if (head === "help" || (head === "docker" && (rest.length === 0 || rest[0] === "--help" || rest[0] === "help"))) {
      io.stdout(HELP_TEXT);
      return 0;
    }
    if (head === "lab") {
      try {
        return await runLabCommand(this.daemon, rest, io);
      } catch (e) {
        io.stderr(`${describeError(e)}\n`);
        return 1;
      }
    }
    if (head !== "docker") {
      io.stderr(`${head}: command not found (try 'help')\n`);
      return 127;
    }
    const found = findCommand(rest);
    if (!found) {
      io.stderr(`docker: '${rest[0]}' is not a docker command.\nSee 'docker --help'\n`);
      return 1;
    }
    const { cmd, rest: argv } = found;
    try {
      const parsed = parseArgs(argv, cmd.flags, `docker ${cmd.name}`, { interspersed: !cmd.stopAtFirstArg });
      // Help is a flag of the command's own (`docker run alpine ls --help` asks ls, as in Docker).
      if (parsed.help) {
        io.stdout(usageText(cmd));
        return 0;
      }
      const countError = argCountError(cmd, parsed.args.length);
      if (countError) {
        io.stderr(countError);
        return 1;
      }
      const status = await cmd.run(this.daemon, parsed.args, parsed, io);
      if (status !== 0) this.explainBuildKitDigest(parsed.args, io);
      return status;
    } catch (e) {
      // A flag's value refused by its check reads as a parse error does: with the command's help line.
      const see = e instanceof FlagError && !e.message.includes("\nSee '") ? `\nSee 'docker ${cmd.name} --help'.` : "";
      io.stderr(`${describeError(e)}${see}\n`);
      this.explainBuildKitDigest(argv, io);
      return e instanceof FlagError ? 125 : 1;
    }
  }

  /** A learner who takes a BuildKit step's digest for an intermediate image (as the classic builder's ` ---> id`) is told why there is none. */
  private explainBuildKitDigest(args: readonly string[], io: CliIO): void {
    const hit = args.find((a) => this.daemon.isBuildKitStepDigest(a));
    if (!hit) return;
    io.stderr(`Note: ${hit} names a BuildKit build step, not an image: BuildKit keeps no intermediate images (build with DOCKER_BUILDKIT=0 for an image per step, or --target a stage to keep one).\n`);
  }

  complete(line: string): string[] {
    const words = line.split(/\s+/);
    if (words.length <= 1) return ["docker", "help", "lab", "clear"].filter((w) => w.startsWith(words[0] ?? ""));
    if (words[0] === "docker" && words.length === 2) {
      const names = DOCKER_COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]).filter((n) => !n.includes(" "));
      return [...new Set(names)].filter((n) => n.startsWith(words[1]!)).sort();
    }
    // Arguments: image and container names (flags and paths are the shell's).
    const last = words.at(-1)!;
    if ((words[0] === "docker" || words[0] === "lab") && last && !last.startsWith("-")) return this.names.filter((n) => n.startsWith(last));
    return [];
  }
}

/** How each kind of failure reads in the terminal, following the Docker CLI's wording. */
export function describeError(e: unknown): string {
  if (e instanceof UsageError) return e.message;
  if (e instanceof InvalidReferenceError) return `invalid reference format: ${e.message.replace(/^invalid reference format:?\s*/, "")}`.replace(/: $/, "");
  if (e instanceof Error && e.name === "AbortError") return "canceled";
  // Everything else (DaemonError, RegistryError, ManifestError, …) comes from the daemon's side.
  if (e instanceof Error) return `Error response from daemon: ${e.message}`;
  return `Error: ${String(e)}`;
}
