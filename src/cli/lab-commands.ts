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
    const { view } = await imageAndView(lab, p.args[0], upTo);
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

export const labCommands: LabCommand[] = [layers, tree];

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
