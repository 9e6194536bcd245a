/** Lab-only commands (`lab …`): views Docker has no command for, such as the layers of the union. */
import type { Daemon } from "../daemon/daemon.ts";
import { DaemonError } from "../daemon/errors.ts";
import { humanSizeWithPrecision } from "../daemon/units.ts";
import { shortId } from "../oci/digest.ts";
import type { ContainerRecord, ImageRecord } from "../store/schema.ts";
import type { CliIO } from "../terminal/types.ts";
import { containerChanges } from "../unionfs/changes.ts";
import { FsError } from "../unionfs/errors.ts";
import type { LowerView } from "../unionfs/lower.ts";
import { baseName, cleanPath, joinPath } from "../unionfs/path.ts";
import type { UnionFS } from "../unionfs/union.ts";
import { drawLayout } from "../store/docker-layout.ts";
import { boolFlag, flag, parseArgs, UsageError, type FlagSpec, type ParsedArgs } from "./argv.ts";
import { ellipsis, table } from "./format.ts";

async function containerFs(daemon: Daemon, ref: string | undefined): Promise<{ container: ContainerRecord; fs: UnionFS }> {
  if (!ref) throw new UsageError("a container is required");
  const container = await daemon.containers.require(ref);
  return { container, fs: await daemon.containers.fs(container) };
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
  run(daemon: Daemon, p: ParsedArgs, io: CliIO): Promise<number>;
}

/** An image and its merged layers (the snapshotter's shared LowerView; as of layer `upTo` when given). */
async function imageAndView(daemon: Daemon, ref: string | undefined, upTo?: number): Promise<{ image: ImageRecord; view: LowerView }> {
  if (!ref) throw new UsageError("an image is required");
  const image = await daemon.images.require(ref);
  const view = await daemon.containers.imageLayers(image);
  return { image, view: upTo === undefined ? view : view.asOf(upTo) };
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
  async run(daemon, p, io) {
    const { image, view } = await imageAndView(daemon, p.args[0]);
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
  async run(daemon, p, io) {
    const layerFlag = flag(p, "layer");
    const upTo = layerFlag === undefined ? undefined : Number(layerFlag);
    if (upTo !== undefined && (!Number.isInteger(upTo) || upTo < 0)) throw new UsageError(`--layer wants a layer number, got ${layerFlag}`);
    const container = p.args[0] ? await daemon.containers.maybe(p.args[0]) : undefined;
    if (container && upTo === undefined) return containerTree(daemon, container, p, io);
    const { view } = await imageAndView(daemon, container ? container.imageId : p.args[0], upTo);
    if (upTo !== undefined && upTo >= view.changes.length) throw new UsageError(`the image has ${view.changes.length} layers (0–${view.changes.length - 1})`);
    if (boolFlag(p, "changes")) {
      const c = view.changes.at(-1)!;
      const lines = [...c.added.map((x) => `A /${x}`), ...c.modified.map((x) => `C /${x}`), ...c.removed.map((x) => `D /${x}`)].sort((a, b) => (a.slice(2) < b.slice(2) ? -1 : 1));
      io.stdout(lines.map((l) => `${l}\n`).join(""));
      return 0;
    }
    const start = cleanPath(p.args[1] ?? "/");
    const out: string[] = [];
    const walk = (dir: string, depth: number) => {
      for (const n of view.readdir(dir)) {
        const e = n.header; // as the layer's tar has it: a hardlink shows as one
        const link = e.linkname ? ` -> ${e.linkname}` : "";
        const size = e.type === "file" ? humanSizeWithPrecision(e.size, 3) : "-";
        out.push(`${modeString(e.type, e.mode)} ${`${e.uid}:${e.gid}`.padEnd(11)} ${size.padStart(8)}  L${n.layer}  ${"  ".repeat(depth)}${baseName(n.path)}${e.type === "dir" ? "/" : ""}${link}`);
        if (e.type === "dir") walk(n.path, depth + 1);
      }
    };
    if (start && !view.get(start)) throw new DaemonError(`/${start}: no such file or directory in the union`);
    walk(start, 0);
    io.stdout(out.map((l) => `${l}\n`).join(""));
    return 0;
  },
};

/** The tree of a container's union: L<n> for image layers, C for the container layer. */
async function containerTree(daemon: Daemon, container: ContainerRecord, p: ParsedArgs, io: CliIO): Promise<number> {
  const fs = await daemon.containers.fs(container);
  if (boolFlag(p, "changes")) {
    io.stdout(containerChanges(fs).map((c) => `${c.kind} ${c.path}\n`).join(""));
    return 0;
  }
  const start = cleanPath(p.args[1] ?? "/");
  if (start && !fs.statSync(start)) throw new DaemonError(`/${start}: no such file or directory in the container`);
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    for (const e of fs.readdirSync(dir)) {
      const path = joinPath(dir, e.name);
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
  async run(daemon, p, io) {
    const [ref, path] = p.args;
    if (!ref || !path) throw new UsageError("usage: lab cat CONTAINER|IMAGE PATH");
    const container = await daemon.containers.maybe(ref);
    let fs: UnionFS;
    if (container) fs = await daemon.containers.fs(container);
    else {
      const image = await daemon.images.resolve(ref);
      if (!image) throw new DaemonError(`No such container or image: ${ref}`);
      fs = await daemon.containers.imageFs(image);
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
  async run(daemon, p, io) {
    const [ref, path, ...words] = p.args;
    if (!ref || !path) throw new UsageError("usage: lab write CONTAINER PATH TEXT...");
    const { fs } = await containerFs(daemon, ref);
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
  async run(daemon, p, io) {
    const [ref, ...paths] = p.args;
    if (!ref || paths.length === 0) throw new UsageError("usage: lab rm [-r] CONTAINER PATH...");
    const { fs } = await containerFs(daemon, ref);
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
  async run(daemon, p) {
    const [ref, ...paths] = p.args;
    if (!ref || paths.length === 0) throw new UsageError("usage: lab mkdir [-p] CONTAINER PATH...");
    const { fs } = await containerFs(daemon, ref);
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
  async run(daemon, p, io) {
    const ref = p.args[0];
    if (!ref) throw new UsageError("usage: lab efficiency IMAGE");
    const r = await daemon.images.efficiency(await daemon.images.require(ref));
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
  name: "registry-layout",
  usage: "lab registry-layout NAME[:TAG]",
  summary: "The files the registry keeps for a pushed image (Distribution's filesystem layout)",
  flags: [],
  async run(daemon, p, io) {
    if (!p.args[0]) throw new UsageError(`usage: ${this.usage}`);
    io.stdout(await daemon.images.registryLayout(p.args[0]));
    return 0;
  },
};

const storage: LabCommand = {
  name: "storage",
  usage: "lab storage [IMAGE|CONTAINER]",
  summary: "The store as Docker lays it out under /var/lib/docker: imagedb, layerdb (chain IDs, parents), distribution, overlay2",
  flags: [],
  async run(daemon, p, io) {
    const { all, selected } = await daemon.storageLayout(p.args[0]);
    const shown = p.args[0] ? selected : all;
    io.stdout(`/var/lib/docker/\n${drawLayout(shown).replace(/^/gm, "  ").replace(/ +$/, "")}`);
    return 0;
  },
};

const fsck: LabCommand = {
  name: "fsck",
  usage: "lab fsck [--repair] [--quick]",
  summary: "Check the whole store: blobs (re-hashed), layers, images, tags, snapshots, containers, leftovers; --repair removes what cannot be completed",
  flags: [{ name: "repair" }, { name: "quick" }],
  async run(daemon, p, io) {
    const repair = boolFlag(p, "repair");
    const r = await daemon.fsck({ repair, verifyDigests: !boolFlag(p, "quick") });
    const c = r.checked;
    io.stdout(`checked ${c.blobs} blobs (${humanSizeWithPrecision(c.bytes, 3)}${boolFlag(p, "quick") ? ", sizes only" : ", re-hashed"}), ${c.layers} layers, ${c.images} images, ${c.tags} tags, ${c.snapshots} snapshots, ${c.containers} containers, ${c.ingests} ingests\n`);
    const name = (o: string, id: string) => `${o} ${id.startsWith("sha256:") ? shortId(id as Parameters<typeof shortId>[0]) : id}`;
    for (const q of r.problems) io.stdout(`${name(q.object, q.id)}: ${q.problem}\n`);
    if (!r.problems.length) {
      io.stdout("the store is whole\n");
      return 0;
    }
    if (!repair) {
      io.stdout(`${r.problems.length} problem${r.problems.length === 1 ? "" : "s"}: \`lab fsck --repair\` removes what cannot be completed (pull, build or commit it again)\n`);
      return 1;
    }
    for (const q of r.removed) io.stdout(`removed ${name(q.object, q.id)}\n`);
    const after = await daemon.fsck({ verifyDigests: false });
    if (after.problems.length) {
      for (const q of after.problems) io.stdout(`still: ${name(q.object, q.id)}: ${q.problem}\n`);
      return 1;
    }
    io.stdout("the store is whole now\n");
    return 0;
  },
};

const LAB_COMMANDS: readonly LabCommand[] = [layers, tree, cat, write, rmCmd, mkdir, efficiencyCmd, registryLayout, storage, fsck];

export async function runLabCommand(daemon: Daemon, argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  const cmd = LAB_COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    io.stderr(`lab: '${name ?? ""}' is not a lab command. Lab commands: ${LAB_COMMANDS.map((c) => c.name).join(", ")}\n`);
    return 1;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout(`\nUsage:  ${cmd.usage}\n\n${cmd.summary}\n`);
    return 0;
  }
  return cmd.run(daemon, parseArgs(rest, cmd.flags, `lab ${cmd.name}`), io);
}
