/** Lab-only commands (`lab …`): views Docker has no command for, such as the layers of the union. */
import { shortId } from "../oci/digest.ts";
import { mergeLayers, readdir, normalizePath, type MergedView } from "../unionfs/merged.ts";
import type { ImageRecord } from "../store/schema.ts";
import { boolFlag, flag, parseArgs, UsageError, type FlagSpec } from "./argv.ts";
import { DaemonError } from "./docker.ts";
import { ellipsis, humanSizeWithPrecision, table } from "./format.ts";
import { resolveImage } from "./images.ts";
import type { Lab } from "./lab.ts";
import type { CliIO } from "./types.ts";
import { containerChanges } from "../unionfs/changes.ts";
import { efficiency } from "../unionfs/efficiency.ts";

import { cleanPath, type UnionFS } from "../unionfs/union.ts";
import { FsError } from "../unionfs/errors.ts";
import type { ContainerRecord } from "../store/schema.ts";
import { registryLayoutCommand } from "./publish.ts";
import { dockerStorageLayout, drawLayout, layoutOfImage } from "../store/docker-layout.ts";

/** A container by ID/name, else undefined (then the argument may name an image). */
async function maybeContainer(lab: Lab, ref: string): Promise<ContainerRecord | undefined> {
  return lab.containers.find(ref).catch(() => undefined);
}

async function containerFs(lab: Lab, ref: string | undefined): Promise<{ container: ContainerRecord; fs: UnionFS }> {
  if (!ref) throw new UsageError("a container is required");
  const container = await lab.containers.require(ref);
  return { container, fs: await lab.containers.fs(container) };
}

function fsMessage(e: unknown, path: string): never {
  if (e instanceof FsError) throw new DaemonError(`${path}: ${e.message.replace(/^\/[^:]*: /, "")}`);
  throw e;
}

interface LabCommand {
  name: string;
  usage: string;
  summary: string;
  flags: FlagSpec[];
  run(lab: Lab, p: ReturnType<typeof parseArgs>, io: CliIO): Promise<number>;
}

async function imageAndView(lab: Lab, ref: string | undefined, upTo?: number): Promise<{ image: ImageRecord; view: MergedView }> {
  if (!ref) throw new UsageError("an image is required");
  const image = await resolveImage(lab.store, ref);
  if (!image) throw new DaemonError(`No such image: ${ref}`);
  const layers = await Promise.all(image.diffIds.map((d) => lab.store.layerEntries(d)));
  return { image, view: mergeLayers(layers, upTo) };
}

function modeString(type: string, mode: number): string {
  const t = { dir: "d", symlink: "l", char: "c", block: "b", fifo: "p", hardlink: "h", file: "-" }[type] ?? "?";
  let s = "";
  for (let i = 8; i >= 0; i--) s += mode & (1 << i) ? "rwxrwxrwx"[8 - i] : "-";
  return t + s;
}

const layers: LabCommand = {
  name: "layers",
  usage: "lab layers IMAGE",
  summary: "Show an image's layers: what each adds, modifies and removes in the union",
  flags: [],
  async run(lab, p, io) {
    const { image, view } = await imageAndView(lab, p.args[0]);
    const history = (image.config.history ?? []).filter((h) => !h.empty_layer);
    const rows = view.changes.map((c, i) => [
      String(i),
      shortId(image.diffIds[i]!),
      humanSizeWithPrecision(c.bytes, 3),
      String(c.added.length),
      String(c.modified.length),
      String(c.removed.length),
      ellipsis((history[i]?.created_by ?? "").replace(/\s+/g, " "), 45),
    ]);
    io.stdout(table([["LAYER", "DIFF ID", "SIZE", "ADDED", "MODIFIED", "REMOVED", "CREATED BY"], ...rows]));
    return 0;
  },
};

const tree: LabCommand = {
  name: "tree",
  usage: "lab tree IMAGE [--layer N] [--changes] [PATH]",
  summary: "List the union filesystem of an image (as of layer N), each entry with the layer it comes from",
  flags: [{ name: "layer", short: "l", value: true }, { name: "changes" }],
  async run(lab, p, io) {
    const layerFlag = flag(p, "layer");
    const upTo = layerFlag === undefined ? undefined : Number(layerFlag);
    if (upTo !== undefined && (!Number.isInteger(upTo) || upTo < 0)) throw new UsageError(`--layer wants a layer number, got ${layerFlag}`);
    const container = p.args[0] ? await maybeContainer(lab, p.args[0]) : undefined;
    if (container && upTo === undefined) return containerTree(lab, container, p, io);
    const { view } = await imageAndView(lab, container ? container.imageId : p.args[0], upTo);
    if (upTo !== undefined && upTo >= view.changes.length) throw new UsageError(`the image has ${view.changes.length} layers (0–${view.changes.length - 1})`);
    if (boolFlag(p, "changes")) {
      const c = view.changes.at(-1)!;
      const lines = [...c.added.map((x) => `A /${x}`), ...c.modified.map((x) => `C /${x}`), ...c.removed.map((x) => `D /${x}`)].sort((a, b) => (a.slice(2) < b.slice(2) ? -1 : 1));
      io.stdout(lines.map((l) => `${l}\n`).join(""));
      return 0;
    }
    const start = normalizePath(p.args[1] ?? "/");
    const out: string[] = [];
    const walk = (dir: string, depth: number) => {
      for (const e of readdir(view, dir)) {
        const name = e.path.slice(e.path.lastIndexOf("/") + 1);
        const link = e.entry.linkname ? ` -> ${e.entry.linkname}` : "";
        const size = e.entry.type === "file" ? humanSizeWithPrecision(e.entry.size, 3) : "-";
        out.push(`${modeString(e.entry.type, e.entry.mode)} ${`${e.entry.uid}:${e.entry.gid}`.padEnd(11)} ${size.padStart(8)}  L${e.layer}  ${"  ".repeat(depth)}${name}${e.entry.type === "dir" ? "/" : ""}${link}`);
        if (e.entry.type === "dir") walk(e.path, depth + 1);
      }
    };
    if (start && !view.entries.has(start)) throw new DaemonError(`/${start}: no such file or directory in the union`);
    walk(start, 0);
    io.stdout(out.map((l) => `${l}\n`).join(""));
    return 0;
  },
};

/** The tree of a container's union: L<n> for image layers, C for the container layer. */
async function containerTree(lab: Lab, container: ContainerRecord, p: ReturnType<typeof parseArgs>, io: CliIO): Promise<number> {
  const fs = await lab.containers.fs(container);
  if (boolFlag(p, "changes")) {
    io.stdout(containerChanges(fs).map((c) => `${c.kind} ${c.path}\n`).join(""));
    return 0;
  }
  const start = cleanPath(p.args[1] ?? "/");
  if (start && !fs.statSync(start)) throw new DaemonError(`/${start}: no such file or directory in the container`);
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    for (const e of fs.readdirSync(dir)) {
      const path = dir ? `${dir}/${e.name}` : e.name;
      const st = fs.statSync(path)!;
      const link = st.type === "symlink" ? ` -> ${st.linkname}` : "";
      const size = st.type === "file" ? humanSizeWithPrecision(st.size, 3) : "-";
      const from = st.origin === "upper" ? "C " : `L${st.origin}`;
      out.push(`${modeString(st.type, st.mode)} ${`${st.uid}:${st.gid}`.padEnd(11)} ${size.padStart(8)}  ${from}  ${"  ".repeat(depth)}${e.name}${st.type === "dir" ? "/" : ""}${link}`);
      if (st.type === "dir") walk(path, depth + 1);
    }
  };
  walk(start, 0);
  io.stdout(out.map((l) => `${l}\n`).join(""));
  return 0;
}

const cat: LabCommand = {
  name: "cat",
  usage: "lab cat CONTAINER|IMAGE PATH",
  summary: "Print a file as the container (or the image) sees it",
  flags: [],
  async run(lab, p, io) {
    const [ref, path] = p.args;
    if (!ref || !path) throw new UsageError("usage: lab cat CONTAINER|IMAGE PATH");
    const container = await maybeContainer(lab, ref);
    let fs: UnionFS;
    if (container) fs = await lab.containers.fs(container);
    else {
      const image = await resolveImage(lab.store, ref);
      if (!image) throw new DaemonError(`No such container or image: ${ref}`);
      const key = `view-${image.id}`;
      const snaps = lab.containers.snapshots;
      fs = (await snaps.stat(key)) ? await snaps.mount(key) : await snaps.view(key, image.chainIds.at(-1) ?? null);
    }
    try {
      const bytes = await fs.read(fs.realpath(path));
      io.stdout(new TextDecoder().decode(bytes));
    } catch (e) {
      fsMessage(e, path);
    }
    return 0;
  },
};

const write: LabCommand = {
  name: "write",
  usage: "lab write [--append] [--mode MODE] CONTAINER PATH TEXT...",
  summary: "Write a line of text into a file of the container (its layer, copy-on-write)",
  flags: [{ name: "append", short: "a" }, { name: "mode", value: true }, { name: "no-newline", short: "n" }],
  async run(lab, p, io) {
    const [ref, path, ...words] = p.args;
    if (!ref || !path) throw new UsageError("usage: lab write CONTAINER PATH TEXT...");
    const { fs } = await containerFs(lab, ref);
    const text = words.join(" ") + (boolFlag(p, "no-newline") ? "" : "\n");
    const data = new TextEncoder().encode(text);
    const modeFlag = flag(p, "mode");
    const mode = modeFlag === undefined ? undefined : parseInt(modeFlag, 8);
    try {
      const target = fs.realpath(path);
      const st = await fs.tryStat(target);
      if (boolFlag(p, "append") && st) await fs.write(target, st.size, data);
      else await fs.writeFile(target, data, mode === undefined ? {} : { mode });
      if (mode !== undefined && st) await fs.chmod(target, mode);
    } catch (e) {
      fsMessage(e, path);
    }
    void io;
    return 0;
  },
};

const rmCmd: LabCommand = {
  name: "rm",
  usage: "lab rm [-r] CONTAINER PATH...",
  summary: "Delete files in a container (a lower file leaves a whiteout in the container layer)",
  flags: [{ name: "recursive", short: "r" }, { name: "force", short: "f" }],
  async run(lab, p, io) {
    const [ref, ...paths] = p.args;
    if (!ref || paths.length === 0) throw new UsageError("usage: lab rm [-r] CONTAINER PATH...");
    const { fs } = await containerFs(lab, ref);
    let status = 0;
    for (const path of paths) {
      try {
        const target = fs.realpath(path, false);
        const st = await fs.stat(target);
        if (st.type === "dir" && !boolFlag(p, "recursive")) throw new DaemonError(`cannot remove '${path}': Is a directory`);
        if (st.type === "dir") await fs.removeAll(target);
        else await fs.unlink(target);
      } catch (e) {
        if (e instanceof FsError && e.code === "ENOENT" && boolFlag(p, "force")) continue;
        io.stderr(`lab rm: ${e instanceof FsError ? `cannot remove '${path}': ${e.message.replace(/^\/[^:]*: /, "")}` : (e as Error).message}\n`);
        status = 1;
      }
    }
    return status;
  },
};

const mkdir: LabCommand = {
  name: "mkdir",
  usage: "lab mkdir [-p] CONTAINER PATH...",
  summary: "Create directories in a container",
  flags: [{ name: "parents", short: "p" }],
  async run(lab, p) {
    const [ref, ...paths] = p.args;
    if (!ref || paths.length === 0) throw new UsageError("usage: lab mkdir [-p] CONTAINER PATH...");
    const { fs } = await containerFs(lab, ref);
    for (const path of paths) {
      try {
        if (boolFlag(p, "parents")) await fs.mkdirAll(path);
        else await fs.mkdir(path);
      } catch (e) {
        fsMessage(e, path);
      }
    }
    return 0;
  },
};

const efficiencyCmd: LabCommand = {
  name: "efficiency",
  usage: "lab efficiency IMAGE",
  summary: "dive's image efficiency: files duplicated or deleted across layers, and the bytes they waste",
  flags: [],
  async run(lab, p, io) {
    const ref = p.args[0];
    if (!ref) throw new UsageError("usage: lab efficiency IMAGE");
    const image = await resolveImage(lab.store, ref);
    if (!image) throw new DaemonError(`No such image: ${ref}`);
    const r = efficiency(await Promise.all(image.diffIds.map((d) => lab.store.layerEntries(d))));
    io.stdout(`  efficiency: ${(r.score * 100).toFixed(4)} %\n`);
    io.stdout(`  wastedBytes: ${r.wastedBytes} bytes (${humanSizeWithPrecision(r.wastedBytes, 3)})\n`);
    io.stdout(`  userWastedPercent: ${(r.wastedUserPercent * 100).toFixed(4)} %\n`);
    if (r.inefficiencies.length) {
      io.stdout("\n");
      io.stdout(table([["Count", "Total Space", "Path"], ...r.inefficiencies.map((x) => [String(x.count), humanSizeWithPrecision(x.cumulativeSize, 3), x.path])]));
    }
    return 0;
  },
};

const registryLayout: LabCommand = {
  name: registryLayoutCommand.name,
  usage: registryLayoutCommand.usage,
  summary: registryLayoutCommand.summary,
  flags: [],
  async run(lab, p, io) {
    if (!p.args[0]) throw new UsageError(`usage: ${registryLayoutCommand.usage}`);
    io.stdout(await registryLayoutCommand.run(lab.store, p.args[0]));
    return 0;
  },
};

const storage: LabCommand = {
  name: "storage",
  usage: "lab storage [IMAGE|CONTAINER]",
  summary: "The store as Docker lays it out under /var/lib/docker: imagedb, layerdb (chain IDs, parents), distribution, overlay2",
  flags: [],
  async run(lab, p, io) {
    const all = await dockerStorageLayout(lab.store, await lab.containers.list());
    const ref = p.args[0];
    let shown = all;
    if (ref) {
      const c = await maybeContainer(lab, ref);
      const image = c ? await lab.store.getImage(c.imageId) : await resolveImage(lab.store, ref);
      if (!image) throw new DaemonError(`No such image or container: ${ref}`);
      shown = layoutOfImage(all, image, c?.id);
    }
    io.stdout(`/var/lib/docker/\n${drawLayout(shown).replace(/^/gm, "  ").replace(/ +$/, "")}`);
    return 0;
  },
};

export const labCommands: LabCommand[] = [layers, tree, cat, write, rmCmd, mkdir, efficiencyCmd, registryLayout, storage];


export async function runLabCommand(lab: Lab, argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  const cmd = labCommands.find((c) => c.name === name);
  if (!cmd) {
    io.stderr(`lab: '${name ?? ""}' is not a lab command. Lab commands: ${labCommands.map((c) => c.name).join(", ")}\n`);
    return 1;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout(`\nUsage:  ${cmd.usage}\n\n${cmd.summary}\n`);
    return 0;
  }
  return cmd.run(lab, parseArgs(rest, cmd.flags, `lab ${cmd.name}`), io);
}
