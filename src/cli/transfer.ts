/**
 * Moving containers and file systems in and out: `docker rename`, `docker export` (a container's whole
 * file system as one tar) and `docker import` (a rootfs tarball as a one-layer image) — Docker 20.10's
 * flags and wording. Registered by the CLI's index as TRANSFER_COMMANDS.
 */
import type { CliIO } from "../terminal/types.ts";
import { flag, UsageError } from "./argv.ts";
import type { DockerCommand } from "./command.ts";
import { bytesOf, hostInput } from "./host-io.ts";

const rename: DockerCommand = {
  name: "rename",
  aliases: ["container rename"],
  usage: "docker rename CONTAINER NEW_NAME",
  summary: "Rename a container",
  flags: [],
  minArgs: 2,
  maxArgs: 2,
  async run(daemon, [oldName, newName], _p, io) {
    const from = oldName!.trim();
    const to = newName!.trim();
    if (!from || !to) throw new UsageError("Error: Neither old nor new names may be empty");
    try {
      await daemon.containers.rename(from, to);
    } catch (e) {
      if (!(e instanceof Error)) throw e;
      // docker/cli prints the daemon's error, then its own.
      io.stderr(`Error response from daemon: ${e.message}\n`);
      io.stderr(`Error: failed to rename container named ${from}\n`);
      return 1;
    }
    return 0;
  },
};

const exportCmd: DockerCommand = {
  name: "export",
  aliases: ["container export"],
  usage: "docker export [OPTIONS] CONTAINER",
  summary: "Export a container's filesystem as a tar archive",
  flags: [{ name: "output", short: "o", value: true }],
  minArgs: 1,
  maxArgs: 1,
  async run(daemon, [ref], p, io) {
    const output = flag(p, "output");
    if (!output && !(io.pipe && io.writeRaw)) throw new UsageError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    const tar = await daemon.containers.export(ref!);
    if (output && io.files) await io.files.writeFile(output, await bytesOf(tar));
    else if (output) {
      if (!io.download) throw new UsageError("this terminal cannot hand out files");
      await io.download(output.split("/").pop() || "container.tar", tar);
    } else io.writeRaw!(await bytesOf(tar));
    return 0;
  },
};

async function importSource(io: CliIO, source: string): Promise<ReadableStream<Uint8Array>> {
  if (/^https?:\/\//.test(source)) throw new UsageError(`importing from a URL is not supported in the lab: ${source}`);
  const accept = ".tar,.tar.gz,.tgz,application/x-tar,application/gzip";
  if (source === "-") return hostInput(io, undefined, accept, "requested import from stdin, but stdin is empty");
  return hostInput(io, source, accept, "");
}

const importCmd: DockerCommand = {
  name: "import",
  aliases: ["image import"],
  usage: "docker import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
  summary: "Import the contents from a tarball to create a filesystem image",
  flags: [
    { name: "change", short: "c", value: true, repeat: true },
    { name: "message", short: "m", value: true },
    { name: "platform", value: true },
  ],
  minArgs: 1,
  maxArgs: 2,
  async run(daemon, [source, repoTag], p, io) {
    const data = await importSource(io, source!);
    const image = await daemon.images.import(data, { repoTag, message: flag(p, "message"), changes: p.flags.get("change") ?? [], platform: flag(p, "platform") });
    io.stdout(`${image.id}\n`);
    return 0;
  },
};

export const TRANSFER_COMMANDS: readonly DockerCommand[] = [rename, exportCmd, importCmd];
