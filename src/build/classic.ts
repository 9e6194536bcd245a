/**
 * Docker's classic builder (moby 20.10 builder/dockerfile): every instruction after FROM runs as a
 * container of the current image and is committed as the next image, so every step leaves an image
 * (its parent the step before: what `docker history` walks and what a failed build is debugged from).
 * A step is taken from the cache when a child of the current image was made with the same run config
 * (image/cache/compare.go); after the first miss the rest of the stage is built. What the learner
 * reads — `Step N/M : …`, ` ---> Running in …`, ` ---> Using cache`, `Removing intermediate container …`,
 * the history's `#(nop)` strings, the failure line and status — is the classic builder's, byte for byte.
 *
 * The builder decides; the daemon does (BuildBackend): images, containers, runs, copies, commits.
 */
import { digestHex, sha256Digest, type Digest } from "../oci/digest.ts";
import type { ContainerConfig, HistoryEntry } from "../oci/types.ts";
import { BuildContext } from "./context.ts";
import { envMap } from "./instructions.ts";
import { cleanPath } from "../unionfs/path.ts";
import { triggerInstruction, type Instruction } from "./dockerfile-instructions.ts";
import type { BuildEvent, BuildEventListener } from "./events.ts";
import { BuildKitProgress, type Vertex } from "./buildkit-progress.ts";
import { chompHeredocContent, parseHeredoc, processWord, ShellLex, type Heredoc } from "./dockerfile/index.ts";
import { familiarString, parseReference, qualifiedString } from "../oci/reference.ts";

/** An absolute, clean path ("/a/b"). */
const absPath = (p: string) => `/${cleanPath(p)}`;

export type { Instruction } from "./dockerfile-instructions.ts";

/** An image as the builder needs it. */
export interface BuildImage {
  id: Digest;
  config: ContainerConfig;
  /** The run config it was committed with (container_config), for the cache. */
  containerConfig?: ContainerConfig;
  os: string;
  /** The image's history (BuildKit mode continues it). */
  history?: HistoryEntry[];
}

/** A container the builder made. */
export interface BuildContainer {
  id: string;
}

export interface BuildBackend {
  /** The image FROM names: local, else pulled (the pull's progress goes to `out`). */
  fromImage(ref: string, out: (text: string) => void): Promise<BuildImage>;
  /** The images whose parent is `parent` (the cache's candidates): intermediate images, or BuildKit-mode cache records. */
  children(parent: Digest | null, cache?: "classic" | "buildkit"): Promise<BuildImage[]>;
  /** A container of `image` (null: scratch) with `config`. */
  create(image: BuildImage | null, config: ContainerConfig): Promise<BuildContainer>;
  /** Runs its process; its output goes to `out`; resolves with the exit code. */
  run(c: BuildContainer, out: (fd: 1 | 2, data: Uint8Array) => void, signal?: AbortSignal): Promise<number>;
  /** Makes the directory (and its parents) in the container, owned by root. */
  mkdirAll(c: BuildContainer, path: string): Promise<void>;
  /** Copies context files into the container (COPY/ADD). */
  /** Copies context files into the container (COPY/ADD; ADD extracts local tar archives, plain or compressed, except the `keep` ones). */
  copy(c: BuildContainer, source: BuildContext, files: readonly CopySource[], dest: string, opts: { chown?: string; chmod?: number; extract?: boolean; keep?: ReadonlySet<string> }): Promise<void>;
  /** ADD <url>: the file's bytes and Last-Modified (seconds), fetched through the lab's proxy; throws BuildError in Docker's words. */
  download(url: string, signal?: AbortSignal): Promise<{ data: Uint8Array; mtime?: number }>;
  /** COPY --from: the files of an image at these paths (and all below them), as a source. */
  imageSource(image: BuildImage, paths: readonly string[]): Promise<BuildContext>;
  /** Commits: the image config is `config`; `runConfig` is kept as its container_config. */
  commit(c: BuildContainer, parent: BuildImage | null, config: ContainerConfig, runConfig: ContainerConfig, createdBy: string, author?: string, buildCache?: boolean): Promise<BuildImage>;
  /** BuildKit mode: the exported image, the layers of `top` (null: none) with this config and history. */
  exportImage(top: BuildImage | null, config: Record<string, unknown>, history: HistoryEntry[], created: string): Promise<BuildImage>;
  remove(c: BuildContainer): Promise<void>;
  tag(image: BuildImage, tag: string): Promise<void>;
}

/** A file or directory of the context to copy, and where under `dest` it lands. */
export interface CopySource {
  /** Path in the context. */
  path: string;
  /** Path below the destination ("" for the destination itself). */
  target: string;
}

export class BuildError extends Error {
  override name = "BuildError";
  constructor(message: string, readonly status = 1) {
    super(message);
  }
}

export interface BuildOptions {
  instructions: readonly Instruction[];
  context: BuildContext;
  tags: readonly string[];
  buildArgs: ReadonlyMap<string, string>;
  /** --target: the stage to stop after. */
  target?: string;
  noCache?: boolean;
  quiet?: boolean;
  /** Everything the build prints (stdout). */
  out: (text: string) => void;
  /** A step's stderr, as the CLI colours it. */
  err: (text: string) => void;
  signal?: AbortSignal;
  /** The build as data, step by step (the page's build view). */
  onEvent?: BuildEventListener;
  buildId?: string;
  /** `DOCKER_BUILDKIT=1`: BuildKit's output, history and cache; no intermediate images. */
  builder?: "classic" | "buildkit";
  /** BuildKit mode's progress (the CLI's stderr). */
  progress?: (text: string) => void;
  /** BuildKit mode: the progress printer the caller started (it has shown the Dockerfile's transfer). */
  kitProgress?: BuildKitProgress;
  /** Sizes BuildKit reports for what it was sent. */
  sizes?: { dockerfile: number; dockerignore: number; context: number };
}

const DEFAULT_SHELL = ["/bin/sh", "-c"];
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const short = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);
const dec = new TextDecoder();

/** image/cache/compare.go compare(): the run config fields a cached step must match (Env and Cmd in order). */
function sameRunConfig(a: ContainerConfig | undefined, b: ContainerConfig): boolean {
  if (!a) return false;
  const bool = (c: ContainerConfig, k: string) => c[k] === true;
  for (const k of ["OpenStdin", "AttachStdin", "AttachStdout", "AttachStderr", "Tty"]) if (bool(a, k) !== bool(b, k)) return false;
  if ((a.User ?? "") !== (b.User ?? "")) return false;
  const same = (x: readonly unknown[] | null | undefined, y: readonly unknown[] | null | undefined) => JSON.stringify(x ?? []) === JSON.stringify(y ?? []);
  if (!same(a.Cmd, b.Cmd) || !same(a.Env, b.Env) || !same(a.Entrypoint, b.Entrypoint)) return false;
  const keys = (x: object | null | undefined) => JSON.stringify(Object.keys(x ?? {}).sort());
  if (keys(a.ExposedPorts) !== keys(b.ExposedPorts) || keys(a.Volumes) !== keys(b.Volumes)) return false;
  const entries = (x: Record<string, string> | null | undefined) => JSON.stringify(Object.entries(x ?? {}).sort());
  return entries(a.Labels) === entries(b.Labels);
}

/** Go's %q of a []string: `["a" "b"]`. */
function goQuoteList(v: readonly string[]): string {
  return `[${v.map((x) => JSON.stringify(x)).join(" ")}]`;
}


function withEnv(env: readonly string[] | undefined, key: string, value: string): string[] {
  const out = [...(env ?? [])];
  const i = out.findIndex((kv) => kv === key || kv.startsWith(`${key}=`));
  if (i >= 0) out[i] = `${key}=${value}`;
  else out.push(`${key}=${value}`);
  return out;
}

/** The state of the stage being built: the current image and the run config the next step starts from. */
interface State {
  image: BuildImage | null;
  runConfig: ContainerConfig;
  /** ARGs declared in this stage with their values (the defaults or --build-arg). */
  args: Map<string, string | undefined>;
  /** Whether the cache is still being followed. */
  cache: boolean;
  /** A CMD was set in this stage (an ENTRYPOINT then keeps it). */
  cmdSet?: boolean;
  /** MAINTAINER: the author of every image committed after it. */
  maintainer?: string;
  /** `FROM … AS name`. */
  name?: string;
  /** BuildKit mode: the history the exported image will have, the stage's label and its layer-step count. */
  history: HistoryEntry[];
  label: string;
  index: number;
  total: number;
}

const KIT_COMMENT = "buildkit.dockerfile.v0";
/** The "exporting to image" vertex's digest: the same in every Docker 20.10 build. */
const KIT_EXPORT_KEY = "exporting to image";
const LAYER_STEPS = new Set(["RUN", "COPY", "ADD", "WORKDIR"]);

export class ClassicBuilder {
  /** The step being dispatched (a failure happened in it) and the last image a finished step left. */
  step = 0;
  lastImage: BuildImage | null = null;
  private emitEvent: (e: BuildEvent) => void = () => {};
  private buildId = "";

  constructor(private readonly backend: BuildBackend) {}

  private emit(e: DistributiveOmit<BuildEvent, "buildId">): void {
    this.emitEvent({ ...e, buildId: this.buildId } as BuildEvent);
  }

  async build(o: BuildOptions): Promise<BuildImage> {
    this.emitEvent = o.onEvent ?? (() => {});
    this.buildId = o.buildId ?? "";
    if (o.builder === "buildkit") return this.buildKit(o);
    const out = (s: string) => {
      if (!o.quiet) o.out(s);
    };
    let instructions = o.instructions;
    if (o.target !== undefined) {
      // The stages up to the target's last instruction are all there is to build.
      const froms = instructions.map((ins, i) => [ins, i] as const).filter(([ins]) => ins.cmd === "FROM");
      const at = froms.findIndex(([ins]) => stageName(ins)?.toLowerCase() === o.target!.toLowerCase());
      if (at < 0) throw new BuildError(`failed to reach build target ${o.target} in Dockerfile`);
      instructions = instructions.slice(0, froms[at + 1]?.[1] ?? instructions.length);
    }
    const total = instructions.length;
    const stages: State[] = [];
    let st: State | undefined;
    let step = 0;
    const globalArgs = new Map<string, string | undefined>();
    const usedArgs = new Set<string>();
    for (const ins of instructions) {
      if (o.signal?.aborted) throw new BuildError("context canceled", 130);
      step++;
      this.step = step;
      out(`Step ${step}/${total} : ${ins.original}\n`);
      this.emit({ kind: "step", step, total, cmd: ins.cmd, original: ins.original, line: ins.line, endLine: ins.endLine });
      const parent = st?.image?.id ?? null;
      this.stepCached = false;
      if (ins.cmd === "FROM") {
        if (st) stages.push(st);
        st = await this.from(ins, stages, globalArgs, usedArgs, o, out);
        await this.triggers(st, o, out, usedArgs, stages);
        out(` ---> ${short(st.image?.id ?? "")}\n`);
        this.stepDone(step, st.image, null);
        continue;
      }
      if (!st) {
        if (ins.cmd === "ARG") {
          for (const a of ins.args) {
            const [k, v] = splitArg(a);
            globalArgs.set(k, v);
          }
          this.stepDone(step, null, null);
          continue;
        }
        throw new BuildError("Please provide a source image with `from` prior to commit");
      }
      await this.dispatch(ins, st, o, out, usedArgs, stages);
      out(` ---> ${short(st.image?.id ?? "")}\n`);
      this.stepDone(step, st.image, parent);
    }
    if (!st?.image) throw new BuildError("No image was generated. Is your Dockerfile empty?");
    const unused = [...o.buildArgs.keys()].filter((k) => !usedArgs.has(k) && !PROXY_ARGS.has(k)).sort();
    if (unused.length) out(`[Warning] One or more build-args [${unused.join(" ")}] were not consumed\n`);
    out(`Successfully built ${short(st.image.id)}\n`);
    for (const t of o.tags) {
      await this.backend.tag(st.image, t);
      // The CLI prints the familiar name with the tag it defaulted (`lab/debug` → `lab/debug:latest`).
      const ref = parseReference(t);
      out(`Successfully tagged ${familiarString({ ...ref, ...(ref.tag || ref.digest ? {} : { tag: "latest" }) })}\n`);
    }
    if (o.quiet) o.out(`${st.image.id}\n`);
    return st.image;
  }

  private async from(ins: Instruction, stages: readonly State[], globalArgs: Map<string, string | undefined>, used: Set<string>, o: BuildOptions, out: (s: string) => void): Promise<State> {
    const env = new Map<string, string>();
    for (const [k, v] of globalArgs) {
      const given = o.buildArgs.get(k);
      if (given !== undefined) used.add(k);
      const value = given ?? v;
      if (value !== undefined) env.set(k, value);
    }
    const name = processWord(ins.args[0] ?? "", env, ins.escape);
    let image: BuildImage | null = null;
    const stage = stages.find((x) => x.name !== undefined && x.name.toLowerCase() === name.toLowerCase());
    if (stage) image = stage.image;
    else if (name.toLowerCase() !== "scratch") image = await this.backend.fromImage(name, out);
    const runConfig: ContainerConfig = structuredClone(image?.config ?? {});
    runConfig.Image = image?.id ?? "";
    // dispatchState.beginStage: Linux's default PATH when the image sets none; stdin closed.
    if (!envMap(runConfig.Env).has("PATH")) runConfig.Env = [...(runConfig.Env ?? []), `PATH=${DEFAULT_PATH}`];
    runConfig.OpenStdin = false;
    runConfig.StdinOnce = false;
    const named = stageName(ins);
    return { image, runConfig, args: new Map(), cache: !o.noCache, ...(named !== undefined ? { name: named } : {}), history: [], label: "", index: 0, total: 0 };
  }

  private stepCached = false;
  private kit?: BuildKitProgress;
  /** BuildKit's history text for the instruction being dispatched, where it differs from the classic `#(nop)` one. */
  private kitText?: string;
  private currentOriginal = "";
  /** The words' environment of the instruction being dispatched (ARGs, then ENV). */
  private currentEnv: ReadonlyMap<string, string> = new Map();
  private kitContextShown = false;
  private kitSizes = { dockerfile: 0, dockerignore: 2, context: 0 };

  /** BuildKit mode: `[internal] load build context`, once, before the first step that reads it. */
  private async kitContext(at?: number): Promise<void> {
    if (this.kitContextShown) return;
    this.kitContextShown = true;
    const v = await this.kit!.vertex("[internal] load build context", `context ${this.kitSizes.context}`, undefined, at);
    v.line(`transferring context: ${this.kitSizes.context}B done`);
    v.done();
  }

  private kitVertex(st: State, name: string): Promise<Vertex> {
    st.index++;
    return this.kit!.vertex(`[${st.label}${st.index}/${st.total}] ${name}`, `${st.image?.id ?? "scratch"} ${name}`);
  }

  /**
   * BuildKit mode: a step that makes a layer (RUN, COPY, ADD, WORKDIR). Its result is a cache record
   * keyed by the step's inputs (`key`); a hit says CACHED. Every such step is a layer, even an empty one.
   */
  private async kitLayer(st: State, name: string, text: string, key: ContainerConfig, createConfig: ContainerConfig, work: (c: BuildContainer, v: Vertex) => Promise<void>, context = false): Promise<void> {
    if (context) await this.kitContext();
    const v = await this.kitVertex(st, name);
    if (st.cache) {
      const hit = (await this.backend.children(st.image?.id ?? null, "buildkit")).find((c) => sameRunConfig(c.containerConfig, key));
      if (hit) {
        v.cached();
        this.stepCached = true;
        this.emit({ kind: "cached", step: this.step, imageId: hit.id, reason: `BuildKit's cache has this step's result for the same inputs (${text.replace(/ # buildkit$/, "")})` });
        st.image = hit;
        st.history.push({ created: hit.history?.at(-1)?.created ?? new Date().toISOString(), created_by: text, comment: KIT_COMMENT });
        return;
      }
      st.cache = false;
    }
    const c = await this.backend.create(st.image, createConfig);
    try {
      await work(c, v);
    } catch (e) {
      // BuildKit leaves no container behind, failed or cancelled.
      await this.backend.remove(c).catch(() => {});
      if (!(e instanceof BuildError && e.status === 130)) v.error((e as Error).message);
      throw e;
    }
    const image = await this.backend.commit(c, st.image, key, key, text, undefined, true);
    await this.backend.remove(c);
    st.image = image;
    st.history.push({ created: image.history?.at(-1)?.created ?? new Date().toISOString(), created_by: text, comment: KIT_COMMENT });
    v.done();
  }

  /** `DOCKER_BUILDKIT=1`: the stages the target needs, BuildKit's progress, one exported image. */
  private async buildKit(o: BuildOptions): Promise<BuildImage> {
    this.kit = o.kitProgress ?? new BuildKitProgress(o.progress ?? o.err);
    if (o.sizes) this.kitSizes = o.sizes;
    return this.buildKitStages(o, !o.kitProgress);
  }

  private async buildKitStages(o: BuildOptions, intro: boolean): Promise<BuildImage> {
    const kit = this.kit!;
    const noop = () => {};
    if (intro) await kitIntro(kit, this.kitSizes);
    const ins = o.instructions;
    const globalArgs = new Map<string, string | undefined>();
    let i = 0;
    for (; i < ins.length && ins[i]!.cmd !== "FROM"; i++) {
      for (const a of ins[i]!.args) {
        const [k, val] = splitArg(a);
        globalArgs.set(k, val);
      }
    }
    const stages: { from: Instruction; body: Instruction[]; name?: string }[] = [];
    for (; i < ins.length; i++) {
      const x = ins[i]!;
      if (x.cmd === "FROM") {
        const name = stageName(x);
        stages.push({ from: x, body: [], ...(name !== undefined ? { name } : {}) });
      } else stages.at(-1)!.body.push(x);
    }
    const usedArgs = new Set<string>();
    const globalEnv = new Map<string, string>();
    for (const [k, val] of globalArgs) {
      const given = o.buildArgs.get(k);
      if (given !== undefined) usedArgs.add(k);
      if ((given ?? val) !== undefined) globalEnv.set(k, (given ?? val)!);
    }
    const byName = (n: string) => stages.findIndex((s) => s.name !== undefined && s.name.toLowerCase() === n.toLowerCase());
    let target = stages.length - 1;
    if (o.target !== undefined) {
      target = byName(o.target);
      if (target < 0) throw new BuildError(`failed to solve with frontend dockerfile.v0: failed to create LLB definition: target stage ${o.target} could not be found`);
    }
    const baseOf = (k: number) => processWord(stages[k]!.from.args[0] ?? "", globalEnv, stages[k]!.from.escape);
    const needed = new Set<number>();
    const visit = (k: number) => {
      if (needed.has(k)) return;
      needed.add(k);
      const j = byName(baseOf(k));
      if (j >= 0 && j < k) visit(j);
      for (const b of stages[k]!.body) {
        const f = b.flags.find((x) => x.startsWith("--from="))?.slice(7);
        if (f === undefined) continue;
        const j2 = /^\d+$/.test(f) ? Number(f) : byName(f);
        if (j2 >= 0 && j2 < k) visit(j2);
      }
    };
    visit(target);
    const order = [...needed].sort((a, b) => a - b);
    // [internal] load metadata: each base image, resolved (pulled when missing) before any step runs.
    const bases = new Map<string, BuildImage>();
    for (const k of order) {
      const base = baseOf(k);
      if (base.toLowerCase() === "scratch" || byName(base) >= 0 || bases.has(base)) continue;
      let ref;
      try {
        ref = parseReference(base);
      } catch (e) {
        throw new BuildError(`failed to solve with frontend dockerfile.v0: failed to create LLB definition: ${(e as Error).message}`);
      }
      const mv = await kit.vertex(`[internal] load metadata for ${qualifiedString({ ...ref, ...(ref.tag || ref.digest ? {} : { tag: "latest" }) })}`, base);
      try {
        bases.set(base, await this.backend.fromImage(base, noop));
      } catch (e) {
        mv.error((e as Error).message);
        throw new BuildError(`failed to solve with frontend dockerfile.v0: failed to create LLB definition: ${(e as Error).message}`);
      }
      mv.done();
    }
    const stepsTotal = order.reduce((n, k) => n + 1 + stages[k]!.body.length, 0);
    let step = 0;
    const states: State[] = [];
    for (const k of order) {
      const stage = stages[k]!;
      step++;
      this.step = step;
      this.stepCached = false;
      this.emit({ kind: "step", step, total: stepsTotal, cmd: "FROM", original: stage.from.original, line: stage.from.line, endLine: stage.from.endLine });
      const base = baseOf(k);
      const fromStage = byName(base);
      const image = fromStage >= 0 ? (states[fromStage]?.image ?? null) : (bases.get(base) ?? null);
      const st: State = {
        image,
        runConfig: fromStage >= 0 ? structuredClone(states[fromStage]!.runConfig) : structuredClone(image?.config ?? {}),
        args: new Map(),
        cache: !o.noCache,
        ...(stage.name !== undefined ? { name: stage.name } : {}),
        history: fromStage >= 0 ? [...states[fromStage]!.history] : [...(image?.history ?? [])],
        label: stages.length > 1 ? `${stage.name ?? `stage-${k}`} ` : "",
        index: 0,
        total: 1 + stage.body.filter((b) => LAYER_STEPS.has(b.cmd)).length,
      };
      if (!envMap(st.runConfig.Env).has("PATH")) st.runConfig.Env = [...(st.runConfig.Env ?? []), `PATH=${DEFAULT_PATH}`];
      if (image && fromStage < 0) {
        // The base's snapshot is taken (DONE) whenever the export or a step needs it.
        (await this.kitVertex(st, `FROM ${qualifiedString(parseReference(base))}`)).done();
      } else st.index++;
      if (k === order[0]) {
        // The context arrives while the first steps are queued: BuildKit shows it now, numbered after them.
        const first = stage.body.findIndex((b) => (b.cmd === "COPY" || b.cmd === "ADD") && !b.flags.some((f) => f.startsWith("--from=")));
        if (first >= 0) await this.kitContext(kit.next + stage.body.slice(0, first).filter((b) => LAYER_STEPS.has(b.cmd)).length);
      }
      await this.triggers(st, o, noop, usedArgs, states);
      this.stepDone(step, st.image, null);
      for (const b of stage.body) {
        if (o.signal?.aborted) throw new BuildError("context canceled", 130);
        step++;
        this.step = step;
        this.stepCached = false;
        this.emit({ kind: "step", step, total: stepsTotal, cmd: b.cmd, original: b.original, line: b.line, endLine: b.endLine });
        const parent = st.image?.id ?? null;
        await this.dispatch(b, st, o, noop, usedArgs, states);
        this.stepDone(step, st.image, parent);
      }
      states[k] = st;
    }
    const last = states[target]!;
    const ev = await kit.vertex("exporting to image", KIT_EXPORT_KEY, "sha256:e8c613e07b0b7ff33893b694f7759a10d42e180f2b4dc349fb57dc6b71dcab00");
    const t0 = performance.now();
    const image = await this.backend.exportImage(last.image, kitConfigJSON(last.runConfig), last.history, new Date().toISOString());
    const took = (performance.now() - t0) / 1000;
    // The printer shows a status as it starts only when it is still running at its next tick.
    if (took >= 0.1) ev.line("exporting layers");
    ev.line(last.cache && !o.noCache ? "exporting layers done" : `exporting layers ${took.toFixed(1)}s done`);
    ev.line(`writing image ${image.id} done`);
    for (const t of o.tags) {
      await this.backend.tag(image, t);
      const ref = parseReference(t);
      ev.line(`naming to ${qualifiedString({ ...ref, ...(ref.tag ? {} : { tag: "latest" }) })} done`);
    }
    ev.done();
    if (o.quiet) o.out(`${image.id}\n`);
    return image;
  }

  private stepDone(step: number, image: BuildImage | null, parent: Digest | null): void {
    // BuildKit mode leaves no intermediate image to debug from.
    if (image && !this.kit) this.lastImage = image;
    this.emit({ kind: "done", step, imageId: image?.id ?? null, parentId: parent, cached: this.stepCached });
  }

  /**
   * dispatchers.go processOnBuild: the base image's ONBUILD triggers run first, as steps without a
   * Step line ("# Executing 2 build triggers"), and the new image does not keep them.
   */
  private async triggers(st: State, o: BuildOptions, out: (s: string) => void, used: Set<string>, stages: readonly State[]): Promise<void> {
    const list = st.runConfig.OnBuild as string[] | null | undefined;
    st.runConfig.OnBuild = null;
    if (!list?.length) return;
    out(`# Executing ${list.length} build trigger${list.length > 1 ? "s" : ""}\n`);
    for (const trigger of list) {
      let ins: Instruction;
      try {
        ins = triggerInstruction(trigger, 0, true);
      } catch (e) {
        throw new BuildError(`failed to parse onbuild trigger: ${(e as Error).message.replace(/^dockerfile parse error on line \d+: /, "")}`);
      }
      if (ins.cmd === "ONBUILD" || ins.cmd === "FROM" || ins.cmd === "MAINTAINER") throw new BuildError(`${ins.cmd} isn't allowed as an ONBUILD trigger`);
      await this.dispatch(ins, st, o, out, used, stages);
    }
  }

  /** The values ARG makes visible to the step (declared in the stage, given or defaulted). */
  private argEnv(st: State, o: BuildOptions, used: Set<string>): Map<string, string> {
    const m = new Map<string, string>();
    for (const [k, v] of st.args) {
      const given = o.buildArgs.get(k);
      if (given !== undefined) used.add(k);
      const value = given ?? v;
      if (value !== undefined) m.set(k, value);
    }
    return m;
  }

  private async dispatch(ins: Instruction, st: State, o: BuildOptions, out: (s: string) => void, used: Set<string>, stages: readonly State[]): Promise<void> {
    this.currentOriginal = ins.original;
    const argEnv = this.argEnv(st, o, used);
    // Words are expanded with the ARGs, then the config's ENV (ENV wins).
    const env = new Map([...argEnv, ...envMap(st.runConfig.Env)]);
    const expand = (w: string) => processWord(w, env, ins.escape);
    this.currentEnv = env;
    const shell = (st.runConfig.Shell as string[] | undefined) ?? DEFAULT_SHELL;
    const rc = st.runConfig;
    switch (ins.cmd) {
      case "ENV": {
        let msg = "ENV";
        const next = structuredClone(rc);
        for (let i = 0; i < ins.args.length; i += 2) {
          const k = expand(ins.args[i]!);
          const v = expand(ins.args[i + 1] ?? "");
          next.Env = withEnv(next.Env, k, v);
          msg += ` ${k}=${v}`;
        }
        return this.commitNop(st, next, msg, o, out);
      }
      case "LABEL": {
        let msg = "LABEL";
        const next = structuredClone(rc);
        next.Labels = { ...(next.Labels ?? {}) };
        for (let i = 0; i < ins.args.length; i += 2) {
          const k = expand(ins.args[i]!);
          const v = expand(ins.args[i + 1] ?? "");
          next.Labels[k] = v;
          msg += ` ${k}=${v}`;
        }
        return this.commitNop(st, next, msg, o, out);
      }
      case "MAINTAINER": {
        const next = structuredClone(rc);
        st.maintainer = ins.args.join(" ");
        return this.commitNop(st, next, `MAINTAINER ${st.maintainer}`, o, out);
      }
      case "CMD":
      case "ENTRYPOINT": {
        const next = structuredClone(rc);
        const v = ins.json ? ins.args : [...shell, ins.args.join(" ")];
        if (ins.cmd === "CMD") next.Cmd = v;
        else {
          next.Entrypoint = v;
          // An ENTRYPOINT resets the CMD the base image had (not one set in this Dockerfile).
          if (!st.cmdSet) next.Cmd = null;
        }
        if (ins.cmd === "CMD") st.cmdSet = true;
        if (this.kit) next.ArgsEscaped = true;
        return this.commitNop(st, next, `${ins.cmd} ${goQuoteList(v)}`, o, out);
      }
      case "EXPOSE": {
        const next = structuredClone(rc);
        next.ExposedPorts = { ...(next.ExposedPorts ?? {}) };
        const ports: string[] = [];
        for (const a of ins.args) {
          const p = expand(a);
          const key = p.includes("/") ? p : `${p}/tcp`;
          next.ExposedPorts[key] = {};
          ports.push(key);
        }
        // instructions/parse.go sorts the ports as written.
        this.kitText = `EXPOSE map[${Object.keys(next.ExposedPorts).sort().map((k) => `${k}:{}`).join(" ")}]`;
        return this.commitNop(st, next, `EXPOSE ${ins.args.map(expand).sort().join(" ")}`, o, out);
      }
      case "VOLUME": {
        const next = structuredClone(rc);
        next.Volumes = { ...(next.Volumes ?? {}) };
        const vols = ins.args.map(expand);
        for (const v of vols) next.Volumes[v] = {};
        return this.commitNop(st, next, `VOLUME [${vols.join(" ")}]`, o, out);
      }
      case "USER": {
        const next = structuredClone(rc);
        next.User = expand(ins.args[0] ?? "");
        return this.commitNop(st, next, `USER ${next.User}`, o, out);
      }
      case "STOPSIGNAL": {
        const next = structuredClone(rc);
        next.StopSignal = expand(ins.args[0] ?? "");
        return this.commitNop(st, next, `STOPSIGNAL ${next.StopSignal}`, o, out);
      }
      case "ONBUILD": {
        const next = structuredClone(rc);
        const trigger = ins.args[0] ?? "";
        next.OnBuild = [...((rc.OnBuild as string[] | null | undefined) ?? []), trigger];
        return this.commitNop(st, next, `ONBUILD ${trigger}`, o, out);
      }
      case "SHELL": {
        const next = structuredClone(rc);
        next.Shell = ins.args;
        return this.commitNop(st, next, `SHELL [${ins.args.join(" ")}]`, o, out);
      }
      case "ARG": {
        const parts: string[] = [];
        for (const a of ins.args) {
          const [k, v] = splitArg(a);
          st.args.set(k, v === undefined ? undefined : expand(v));
          parts.push(v === undefined ? k : `${k}=${expand(v)}`);
        }
        this.kitText = `ARG ${ins.args.join(" ")}`;
        // The ARG itself changes no config; Docker still commits a step with its text.
        return this.commitNop(st, structuredClone(rc), `ARG ${parts.join(" ")}`, o, out);
      }
      case "WORKDIR": {
        const next = structuredClone(rc);
        const dir = expand(ins.args[0] ?? "");
        const base = next.WorkingDir || "/";
        next.WorkingDir = absPath(dir.startsWith("/") ? dir : `${base}/${dir}`);
        return this.workdir(st, next, o, out);
      }
      case "HEALTHCHECK": {
        const next = structuredClone(rc);
        const hc = healthcheck(ins);
        const old = rc.Healthcheck as HealthConfig | undefined;
        if (old?.Test?.length && old.Test[0] !== "NONE") out(`Note: overriding previous HEALTHCHECK: [${old.Test.join(" ")}]\n`);
        // daemon/commit.go merge(): what the new one leaves at zero comes from the image's.
        const merged: HealthConfig = { Test: hc.Test };
        for (const k of ["Interval", "Timeout", "StartPeriod", "Retries"] as const) {
          const v = hc[k] || old?.[k];
          if (v) merged[k] = v;
        }
        next.Healthcheck = merged;
        return this.commitNop(st, next, `HEALTHCHECK &{${goQuoteList(hc.Test)} "${goDuration(hc.Interval ?? 0)}" "${goDuration(hc.Timeout ?? 0)}" "${goDuration(hc.StartPeriod ?? 0)}" ${goRune(hc.Retries ?? 0)}}`, o, out);
      }
      case "RUN":
        return this.run(ins, st, shell, argEnv, o, out);
      case "COPY":
      case "ADD":
        return this.copy(ins, st, expand, o, out, stages);
      default:
        throw new BuildError(`dockerfile parse error on line ${ins.line}: unknown instruction: ${ins.cmd}`);
    }
  }

  /** A child of the current image made with this run config, when the cache is followed. */
  private async probe(st: State, runConfig: ContainerConfig, out: (s: string) => void): Promise<boolean> {
    if (!st.cache) return false;
    const hit = (await this.backend.children(st.image?.id ?? null)).find((c) => sameRunConfig(c.containerConfig, runConfig));
    if (!hit) {
      st.cache = false;
      return false;
    }
    out(" ---> Using cache\n");
    this.stepCached = true;
    const cmd = (runConfig.Cmd ?? []).join(" ");
    this.emit({ kind: "cached", step: this.step, imageId: hit.id, reason: `${short(hit.id)}, a child of ${st.image ? short(st.image.id) : "scratch"}, was made with the same run config (${cmd.replace(/^\/bin\/sh -c #\(nop\) +/, "")})` });
    st.image = hit;
    st.runConfig = { ...structuredClone(hit.config), Image: hit.id };
    return true;
  }

  /** ENV, LABEL, CMD…: a step whose run config carries the instruction as `#(nop) ` text. */
  private async commitNop(st: State, next: ContainerConfig, text: string, o: BuildOptions, out: (s: string) => void): Promise<void> {
    if (this.kit) {
      // BuildKit: a config change is a history row, not an image.
      st.runConfig = next;
      st.history.push({ created: new Date().toISOString(), created_by: this.kitText ?? text, comment: KIT_COMMENT, empty_layer: true });
      this.kitText = undefined;
      return;
    }
    const shell = (next.Shell as string[] | undefined) ?? DEFAULT_SHELL;
    const runConfig = { ...structuredClone(next), Cmd: [...shell, "#(nop) ", text] };
    if (await this.probe(st, runConfig, out)) return;
    const c = await this.backend.create(st.image, runConfig);
    out(` ---> Running in ${short(c.id)}\n`);
    await this.finish(st, c, next, runConfig, o, out);
  }

  private async workdir(st: State, next: ContainerConfig, o: BuildOptions, out: (s: string) => void): Promise<void> {
    if (this.kit) {
      st.runConfig = next;
      const text = `WORKDIR ${next.WorkingDir}`;
      return this.kitLayer(st, this.currentOriginal, text, { Cmd: [text], WorkingDir: next.WorkingDir ?? "" }, next, (c) => this.backend.mkdirAll(c, next.WorkingDir!));
    }
    const shell = (next.Shell as string[] | undefined) ?? DEFAULT_SHELL;
    const runConfig = { ...structuredClone(next), Cmd: [...shell, `#(nop) WORKDIR ${next.WorkingDir}`] };
    if (await this.probe(st, runConfig, out)) return;
    const c = await this.backend.create(st.image, runConfig);
    out(` ---> Running in ${short(c.id)}\n`);
    await this.backend.mkdirAll(c, next.WorkingDir!);
    await this.finish(st, c, next, runConfig, o, out);
  }

  private async finish(st: State, c: BuildContainer, config: ContainerConfig, runConfig: ContainerConfig, _o: BuildOptions, out: (s: string) => void, announceRemoval = true): Promise<void> {
    const createdBy = (runConfig.Cmd ?? []).join(" ");
    const image = await this.backend.commit(c, st.image, { ...config, Image: st.image?.id ?? "" }, runConfig, createdBy, st.maintainer);
    await this.backend.remove(c);
    if (announceRemoval) out(`Removing intermediate container ${short(c.id)}\n`);
    st.image = image;
    st.runConfig = { ...structuredClone(config), Image: image.id };
  }

  private async run(ins: Instruction, st: State, shell: string[], argEnv: Map<string, string>, o: BuildOptions, out: (s: string) => void): Promise<void> {
    const flag = ins.flags[0]?.replace(/^--/, "").split("=")[0];
    if (flag && !this.kit) throw new BuildError(`the --${flag} option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled`);
    const cmd = ins.json ? ins.args : [...shell, heredocScript(ins)];
    if (this.kit) {
      // BuildKit: every ARG of the stage is in the step's environment and its history text.
      const all = [...st.args].map(([k, v]) => [k, o.buildArgs.get(k) ?? v ?? ""] as const);
      const prefix = all.length ? `|${all.length} ${all.map(([k, v]) => `${k}=${v}`).join(" ")} ` : "";
      const text = `RUN ${prefix}${cmd.join(" ")} # buildkit`;
      let shown = ins.original.replace(/^\s*\S+\s*/, "");
      if (!ins.json) {
        try {
          shown = new ShellLex(ins.escape, { rawQuotes: true, rawEscapes: true }).processWord(ins.args.join(" "), new Map([...all, ...envMap(st.runConfig.Env)]));
        } catch {
          // The name is only for show.
        }
      }
      const env = [...(st.runConfig.Env ?? []), ...all.filter(([k]) => !envMap(st.runConfig.Env).has(k)).map(([k, v]) => `${k}=${v}`)];
      const key: ContainerConfig = { Cmd: [text], Env: env, User: st.runConfig.User ?? "", WorkingDir: st.runConfig.WorkingDir ?? "" };
      const processConfig: ContainerConfig = { ...structuredClone(st.runConfig), Cmd: cmd, Entrypoint: null, Env: env };
      return this.kitLayer(st, `RUN ${shown}`, text, key, processConfig, async (c, v) => {
        const code = await this.backend.run(
          c,
          (fd, data) => {
            const t = dec.decode(data, { stream: true });
            v.log(fd, t);
            this.emit({ kind: "output", step: this.step, fd, text: t });
          },
          o.signal,
        );
        if (o.signal?.aborted) throw new BuildError("context canceled", 130);
        if (code !== 0) throw new BuildError(`executor failed running [${cmd.join(" ")}]: exit code: ${code}`, 1);
      });
    }
    // Build args the step sees are part of its run config's Cmd (`|N K=V … /bin/sh -c …`), so a
    // different value misses the cache; they reach the process as environment variables.
    const argsUsed = [...argEnv].filter(([k]) => !envMap(st.runConfig.Env).has(k)).sort(([a], [b]) => (a < b ? -1 : 1));
    const prefix = argsUsed.length ? [`|${argsUsed.length}`, ...argsUsed.map(([k, v]) => `${k}=${v}`)] : [];
    const runConfig: ContainerConfig = { ...structuredClone(st.runConfig), Cmd: [...prefix, ...cmd] };
    if (await this.probe(st, runConfig, out)) return;
    const processConfig: ContainerConfig = { ...structuredClone(st.runConfig), Cmd: cmd, Entrypoint: null, Env: [...(st.runConfig.Env ?? []), ...argsUsed.map(([k, v]) => `${k}=${v}`)] };
    const c = await this.backend.create(st.image, processConfig);
    out(` ---> Running in ${short(c.id)}\n`);
    const code = await this.backend.run(
      c,
      (fd, data) => {
        const text = dec.decode(data, { stream: true });
        if (fd === 2) o.err(text);
        else out(text);
        this.emit({ kind: "output", step: this.step, fd, text });
      },
      o.signal,
    );
    if (o.signal?.aborted) {
      // Ctrl-C: the step's container goes (as the builder's cleanup removes it); finished steps' images stay.
      await this.backend.remove(c);
      throw new BuildError("context canceled", 130);
    }
    if (code !== 0) {
      const shown = ins.json ? JSON.stringify(cmd) : cmd.join(" ");
      throw new BuildError(`The command '${shown}' returned a non-zero code: ${code}`, code);
    }
    await this.finish(st, c, st.runConfig, runConfig, o, out);
  }

  private async copy(ins: Instruction, st: State, expand: (w: string) => string, o: BuildOptions, out: (s: string) => void, stages: readonly State[]): Promise<void> {
    if (!this.kit && ins.flags.some((f) => f.startsWith("--chmod"))) throw new BuildError("the --chmod option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled");
    // COPY <<EOF /dst: each here-document is a file of that name (expanded unless its word was quoted).
    const heredocs = new Map<string, Heredoc>(ins.heredocs.map((h) => [`<<${h.chomp ? "-" : ""}${h.name}`, h]));
    const words = ins.args.map((a) => (heredocs.has(a) ? a : expand(a)));
    if (words.length < 2) throw new BuildError(`${ins.cmd} requires at least two arguments, but only one was provided. Destination could not be determined.`);
    const dest0 = words.at(-1)!;
    const srcs = words.slice(0, -1);
    const base = st.runConfig.WorkingDir || "/";
    const destDir = dest0.endsWith("/") || srcs.length > 1;
    const dest = absPath(dest0.startsWith("/") ? dest0 : `${base}/${dest0}`) + (destDir && dest0 !== "/" ? "/" : "");
    // --from: a stage (by name or index) or an image; its files are the source.
    const fromFlag = ins.flags.find((f) => f.startsWith("--from="))?.slice(7);
    let source = o.context;
    // A downloaded file's hash is written bare (a context file's as `file:…`).
    const remote = new Set<string>();
    if (heredocs.size) {
      const enc = new TextEncoder();
      source = BuildContext.fromEntries(
        [...heredocs.values()].map((h) => {
          const text = h.chomp ? chompHeredocContent(h.content) : h.content;
          const data = enc.encode(h.expand ? new ShellLex(ins.escape, { rawQuotes: true, rawEscapes: true }).processWord(text, this.currentEnv) : text);
          return { path: h.name, type: "file" as const, mode: 0o644, size: data.length, uid: 0, gid: 0, data };
        }),
      );
      for (let i = 0; i < srcs.length; i++) srcs[i] = heredocs.get(srcs[i]!)?.name ?? srcs[i]!;
    } else if (srcs.some(isUrl)) {
      // ADD <url>: downloaded (through the lab's proxy), named after the URL's last path element,
      // mode 0600, hashed as the daemon's host tars it (root-owned), and never unpacked.
      if (ins.cmd === "COPY") throw new BuildError("COPY failed: source can't be a URL for COPY");
      const entries = srcs.filter((s) => !isUrl(s)).flatMap((s) => o.context.glob(s).flatMap((m) => [o.context.get(m)!, ...o.context.below(m)]));
      for (let i = 0; i < srcs.length; i++) {
        const url = srcs[i]!;
        if (!isUrl(url)) continue;
        const name = urlFileName(url);
        if (!name) throw new BuildError(`ADD failed: cannot determine filename from url: ${url}`);
        const { data, mtime } = await this.backend.download(url, o.signal);
        // The download's progress line, finished (an empty line without a terminal).
        if (!this.kit) out("\n");
        entries.push({ path: name, type: "file", mode: 0o600, size: data.length, uid: 0, gid: 0, uname: "root", gname: "root", data, ...(mtime !== undefined ? { mtime } : {}) });
        remote.add(name);
        srcs[i] = name;
      }
      source = BuildContext.fromEntries(entries);
    } else if (fromFlag !== undefined) {
      const from = expand(fromFlag);
      const stage = /^\d+$/.test(from) ? stages[Number(from)] : stages.find((x) => x.name?.toLowerCase() === from.toLowerCase());
      if (/^\d+$/.test(from) && !stage) throw new BuildError(`invalid from flag value ${from}: index out of bounds`);
      const image = stage ? stage.image : await this.backend.fromImage(from, out);
      if (!image) throw new BuildError(`COPY failed: stage ${from} has no image`);
      source = await this.backend.imageSource(image, srcs);
    }
    const sources: CopySource[] = [];
    const hashes: string[] = [];
    for (const s of srcs) {
      const matches = source.glob(s);
      if (!matches.length && this.kit) {
        if (source === o.context) await this.kitContext();
        const v = await this.kitVertex(st, ins.original);
        const why = `"/${s.replace(/^\/+/, "")}" not found: not found`;
        v.error(why);
        throw new BuildError(`failed to compute cache key: ${why}`, 1);
      }
      if (!matches.length) throw new BuildError(`COPY failed: file not found in build context or excluded by .dockerignore: stat ${s}: file does not exist`);
      for (const m of matches) {
        const entry = source.get(m)!;
        const h = await source.hash(m);
        hashes.push(remote.has(m) ? h.replace(/^file:/, "") : h);
        sources.push({ path: m, target: entry.type === "dir" ? "" : m.split("/").pop()! });
      }
    }
    const srcHash = hashes.length > 1 ? `multi:${digestHex(await sha256Digest(hashes.join(",")))}` : hashes[0]!;
    if (this.kit) {
      const chown = ins.flags.find((f) => f.startsWith("--chown="))?.slice(8);
      const chmodFlag = ins.flags.find((f) => f.startsWith("--chmod="))?.slice(8);
      const text = `${ins.cmd} ${ins.args.join(" ")} # buildkit`;
      const key: ContainerConfig = { Cmd: [`${ins.cmd} ${chown ?? ""}:${chmodFlag ?? ""} ${srcHash} in ${dest0}`], WorkingDir: st.runConfig.WorkingDir ?? "" };
      return this.kitLayer(st, ins.original, text, key, st.runConfig, (c) => this.backend.copy(c, source, sources, dest, { chown, chmod: chmodFlag ? parseInt(chmodFlag, 8) : undefined, extract: ins.cmd === "ADD" && !remote.size, keep: remote }), source === o.context);
    }
    const shell = (st.runConfig.Shell as string[] | undefined) ?? DEFAULT_SHELL;
    // dispatchers.go: the --chown text is glued to the hash (`COPY --chown=www:stafffile:…`), as Docker writes it.
    const chownText = ins.flags.find((f) => f.startsWith("--chown=")) ?? "";
    const runConfig = { ...structuredClone(st.runConfig), Cmd: [...shell, `#(nop) ${ins.cmd} ${chownText}${srcHash} in ${dest0} `] };
    if (await this.probe(st, runConfig, out)) return;
    const c = await this.backend.create(st.image, runConfig);
    const chown = ins.flags.find((f) => f.startsWith("--chown="))?.slice(8);
    const chmodFlag = ins.flags.find((f) => f.startsWith("--chmod="))?.slice(8);
    await this.backend.copy(c, source, sources, dest, { chown, chmod: chmodFlag ? parseInt(chmodFlag, 8) : undefined, extract: ins.cmd === "ADD", keep: remote });
    await this.finish(st, c, st.runConfig, runConfig, o, out, false);
  }
}

/** BuildKit and Docker predefine these: never reported as unconsumed. */
const PROXY_ARGS = new Set(["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"]);

interface HealthConfig {
  Test: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

/** HEALTHCHECK [--interval … --timeout … --start-period … --retries …] CMD … | NONE (instructions/parse.go). */
function healthcheck(ins: Instruction): HealthConfig {
  const kind = (ins.args[0] ?? "").toUpperCase();
  const rest = ins.args.slice(1);
  if (kind === "NONE") {
    if (rest.length || ins.flags.length) throw new BuildError(`dockerfile parse error line ${ins.line}: HEALTHCHECK NONE takes no arguments`);
    return { Test: ["NONE"] };
  }
  if (kind !== "CMD") throw new BuildError(`dockerfile parse error line ${ins.line}: Unknown type "${kind}" in HEALTHCHECK (try CMD)`);
  const hc: HealthConfig = { Test: ins.json ? ["CMD", ...rest] : ["CMD-SHELL", rest.join(" ")] };
  for (const f of ins.flags) {
    const [name, value = ""] = f.slice(2).split(/=(.*)/s);
    if (name === "retries") {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new BuildError(`dockerfile parse error line ${ins.line}: --retries must be at least 1 (not ${value})`);
      hc.Retries = n;
      continue;
    }
    const key = ({ interval: "Interval", timeout: "Timeout", "start-period": "StartPeriod" } as const)[name!];
    if (!key) throw new BuildError(`dockerfile parse error line ${ins.line}: Unknown flag: ${name}`);
    const ns = parseGoDuration(value);
    if (ns === undefined) throw new BuildError(`dockerfile parse error line ${ins.line}: time: invalid duration "${value}"`);
    if (ns !== 0) hc[key] = ns;
  }
  return hc;
}

const UNITS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds. */
function parseGoDuration(s: string): number | undefined {
  if (s === "0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let at = 0;
  for (let m; (m = re.exec(s)); at = re.lastIndex) total += Number(m[1]) * UNITS[m[2]!]!;
  return at === s.length && s.length > 0 ? Math.round(total) : undefined;
}

/** Go's Duration.String() for whole numbers of nanoseconds. */
function goDuration(ns: number): string {
  if (ns === 0) return "0s";
  if (ns < 1e9) {
    const [unit, div] = ns < 1e3 ? ["ns", 1] : ns < 1e6 ? ["µs", 1e3] : ["ms", 1e6];
    return `${trimZeros(ns / div)}${unit}`;
  }
  const h = Math.floor(ns / 3600e9);
  const m = Math.floor((ns % 3600e9) / 60e9);
  const sec = (ns % 60e9) / 1e9;
  return `${h ? `${h}h` : ""}${h || m ? `${m}m` : ""}${trimZeros(sec)}s`;
}

function trimZeros(n: number): string {
  return String(Math.round(n * 1e9) / 1e9);
}

/** Go's %q of an int: the rune it is. */
function goRune(n: number): string {
  return n < 0x20 || n === 0x7f ? `'\\x${n.toString(16).padStart(2, "0")}'` : `'${String.fromCharCode(n)}'`;
}

/** `FROM image AS name`: the stage's name. */
function stageName(ins: Instruction): string | undefined {
  return ins.args.length === 3 && ins.args[1]!.toLowerCase() === "as" ? ins.args[2] : undefined;
}

function splitArg(a: string): [string, string | undefined] {
  const i = a.indexOf("=");
  return i < 0 ? [a, undefined] : [a.slice(0, i), a.slice(i + 1)];
}


/**
 * A shell-form RUN's script with its here-documents (BuildKit's dispatchRun): `RUN <<EOF` alone runs
 * the document's text; any other line goes to the shell with the documents after it, for the shell
 * to read as here-documents itself.
 */
function heredocScript(ins: Instruction): string {
  const line = ins.args.join(" ");
  if (!ins.heredocs.length) return line;
  const [first] = ins.heredocs;
  if (ins.heredocs.length === 1 && parseHeredoc(line.trim())) return first!.chomp ? chompHeredocContent(first!.content) : first!.content;
  return line + ins.heredocs.map((h) => `\n${h.content}${h.name}`).join("");
}

function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

/** copy.go downloadSource: the last element of the URL's path, "" when it has none. */
function urlFileName(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return "";
  }
  return decodeURIComponent(path.replace(/\/$/, "").split("/").pop() ?? "");
}

/** BuildKit's first two vertices: the Dockerfile and the .dockerignore arriving. */
export async function kitIntro(kit: BuildKitProgress, sizes: { dockerfile: number; dockerignore: number }): Promise<void> {
  for (const [name, line] of [
    ["[internal] load build definition from Dockerfile", `transferring dockerfile: ${sizes.dockerfile}B done`],
    ["[internal] load .dockerignore", `transferring context: ${sizes.dockerignore}B done`],
  ] as const) {
    const v = await kit.vertex(name, line);
    v.line(line);
    v.done();
  }
}

/** BuildKit's image config (dockerfile2llb's ImageConfig): the fields set, in its order; OnBuild always. */
function kitConfigJSON(rc: ContainerConfig): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const has = (x: object | null | undefined) => x && Object.keys(x).length > 0;
  if (rc.User) o.User = rc.User;
  if (has(rc.ExposedPorts)) o.ExposedPorts = rc.ExposedPorts;
  if (rc.Env?.length) o.Env = rc.Env;
  if (rc.Entrypoint?.length) o.Entrypoint = rc.Entrypoint;
  if (rc.Cmd?.length) o.Cmd = rc.Cmd;
  if (has(rc.Volumes)) o.Volumes = rc.Volumes;
  if (rc.WorkingDir) o.WorkingDir = rc.WorkingDir;
  if (has(rc.Labels)) o.Labels = rc.Labels;
  if (rc.StopSignal) o.StopSignal = rc.StopSignal;
  if (rc.Healthcheck) o.Healthcheck = rc.Healthcheck;
  if (rc.ArgsEscaped) o.ArgsEscaped = true;
  o.OnBuild = (rc.OnBuild as string[] | null | undefined)?.length ? rc.OnBuild : null;
  if ((rc.Shell as string[] | undefined)?.length) o.Shell = rc.Shell;
  return o;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
