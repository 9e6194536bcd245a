/**
 * The builds of this page session, as the daemon reports them (src/build/events.ts) to every
 * `watchBuilds` subscriber, whichever client started them (the terminal's `docker build`): each
 * build's steps with their output, cache hits and the layer each step's image added, read from the
 * store as the explorer reads it. It also remembers, for every image a step left, the Dockerfile line
 * that made it, so the explorer's layer stack can point back at it. Small and loaded with the page
 * (the build view that draws it is loaded on demand): it must hear a build from its first event.
 */
import type { ReactiveController, ReactiveControllerHost } from "lit";
import type { BuildEvent } from "../build/events.ts";
import type { Daemon } from "../daemon/daemon.ts";
import type { ImageRecord } from "../store/schema.ts";

/** What a step's image added to the stack. */
export type StepLayer =
  /** A new layer on top: its index in the image's stack, Docker's size, and its changes. */
  | { kind: "layer"; imageId: string; index: number; size: number; added: string[]; modified: string[]; removed: string[] }
  /** The step changed only the config (`empty_layer` in its history entry). */
  | { kind: "none"; imageId: string }
  /** FROM: the base image, all its layers. */
  | { kind: "base"; imageId: string; layers: number; size: number };

export interface BuildStep {
  step: number;
  total: number;
  cmd: string;
  /** The instruction as written. */
  original: string;
  line: number;
  endLine: number;
  trigger?: boolean;
  /** stdout/stderr as it came, consecutive chunks of one stream joined. */
  output: { fd: 1 | 2; text: string }[];
  /** Characters of output dropped from the front (a step that prints a lot keeps its tail). */
  dropped: number;
  cached?: { imageId: string; reason: string };
  status: "running" | "done" | "failed";
  imageId?: string | null;
  layer?: StepLayer;
  startedAt: number;
  endedAt?: number;
}

export interface BuildRun {
  buildId: string;
  builder: "classic" | "buildkit";
  total: number;
  dockerfile: string;
  tags: readonly string[];
  steps: BuildStep[];
  startedAt: number;
  end?: { status: number; imageId?: string; error?: string; lastImageId?: string | null; failedStep?: number; at: number };
}

/** The Dockerfile line an image came from (the step that left it). */
export interface LayerOrigin {
  buildId: string;
  step: number;
  line: number;
  endLine: number;
  instruction: string;
  /** FROM: the image is the base the build started from, not one it made. */
  from?: boolean;
}

/** Output kept per step (the tail; the terminal has all of it). */
const KEEP_OUTPUT = 64 * 1024;
/** Builds kept for the list of earlier builds. */
const KEEP_BUILDS = 12;

/** What changed: a build event was recorded, or the layer facts of a finished step arrived. */
export type BuildChange = BuildEvent | { kind: "layer"; buildId: string; step: number };

export class BuildSession {
  /** Oldest first; the last one is the latest. */
  readonly builds: BuildRun[] = [];
  private readonly origins = new Map<string, LayerOrigin>();
  private readonly listeners = new Set<(e: BuildChange) => void>();
  private readonly off: () => void;

  constructor(private readonly daemon: Daemon) {
    this.off = daemon.watchBuilds((e) => this.onEvent(e));
  }

  dispose(): void {
    this.off();
  }

  /** Called after each event has been recorded (and again when a step's layer facts arrive); returns the unsubscribe. */
  subscribe(listener: (e: BuildChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get latest(): BuildRun | undefined {
    return this.builds.at(-1);
  }

  /** The Dockerfile line that left this image, when a build of this session made (or started from) it. */
  originOf(imageId: string): LayerOrigin | undefined {
    return this.origins.get(imageId);
  }

  /**
   * Layer index → the Dockerfile line that made it, for an image built in this session: its history
   * rows carry the IDs of the image and of its parents (one per step), and the rows under the FROM
   * step's image are the base image's layers, all from the FROM line.
   */
  async layerOrigins(image: ImageRecord): Promise<Map<number, LayerOrigin>> {
    const out = new Map<number, LayerOrigin>();
    if (this.origins.size === 0) return out;
    let base: LayerOrigin | undefined;
    for (const row of await this.daemon.images.history(image)) {
      const o = row.id ? this.origins.get(row.id) : undefined;
      if (o?.from) base = o;
      const origin = o && !o.from ? o : base;
      if (row.layer !== undefined && origin) out.set(row.layer, origin);
    }
    return out;
  }

  private emit(e: BuildChange): void {
    for (const l of this.listeners) l(e);
  }

  private run(buildId: string): BuildRun | undefined {
    for (let i = this.builds.length - 1; i >= 0; i--) if (this.builds[i]!.buildId === buildId) return this.builds[i];
    return undefined;
  }

  private onEvent(e: BuildEvent): void {
    const now = Date.now();
    if (e.kind === "start") {
      this.builds.push({ buildId: e.buildId, builder: e.builder, total: e.total, dockerfile: e.dockerfile, tags: e.tags, steps: [], startedAt: now });
      if (this.builds.length > KEEP_BUILDS) this.builds.splice(0, this.builds.length - KEEP_BUILDS);
      return this.emit(e);
    }
    const run = this.run(e.buildId);
    if (!run) return;
    const step = e.kind === "end" ? undefined : run.steps.find((s) => s.step === e.step);
    switch (e.kind) {
      case "step":
        for (const s of run.steps) if (s.status === "running") s.status = "done";
        run.steps.push({ step: e.step, total: e.total, cmd: e.cmd, original: e.original, line: e.line, endLine: e.endLine, ...(e.trigger ? { trigger: true } : {}), output: [], dropped: 0, status: "running", startedAt: now });
        break;
      case "output": {
        if (!step) return;
        const last = step.output.at(-1);
        if (last && last.fd === e.fd) last.text += e.text;
        else step.output.push({ fd: e.fd, text: e.text });
        let kept = step.output.reduce((n, o) => n + o.text.length, 0);
        while (kept > KEEP_OUTPUT && step.output.length) {
          const first = step.output[0]!;
          const cut = Math.min(first.text.length, kept - KEEP_OUTPUT);
          first.text = first.text.slice(cut);
          step.dropped += cut;
          kept -= cut;
          if (!first.text) step.output.shift();
        }
        break;
      }
      case "cached":
        if (step) step.cached = { imageId: e.imageId, reason: e.reason };
        break;
      case "done":
        if (!step) return;
        step.status = "done";
        step.imageId = e.imageId;
        step.endedAt = now;
        if (e.imageId) {
          const origin: LayerOrigin = { buildId: e.buildId, step: step.step, line: step.line, endLine: step.endLine, instruction: step.original, ...(step.cmd === "FROM" ? { from: true } : {}) };
          // A base image keeps the line that made it when a build of this session made it.
          if (!origin.from || !this.origins.get(e.imageId) || this.origins.get(e.imageId)!.from) this.origins.set(e.imageId, origin);
          void this.readLayer(step, e.imageId);
        }
        break;
      case "end":
        run.end = { status: e.status, at: now, ...(e.imageId ? { imageId: e.imageId } : {}), ...(e.error !== undefined ? { error: e.error } : {}), ...(e.lastImageId !== undefined ? { lastImageId: e.lastImageId } : {}), ...(e.failedStep !== undefined ? { failedStep: e.failedStep } : {}) };
        for (const s of run.steps) {
          if (s.status !== "running") continue;
          s.status = e.error ? "failed" : "done";
          s.endedAt = now;
        }
        if (e.error && e.failedStep) {
          const failed = run.steps.find((s) => s.step === e.failedStep);
          if (failed) failed.status = "failed";
        }
        break;
    }
    this.emit(e);
  }

  /** The layer a step's image added, as the explorer counts it (its history entry, Docker's size, the merged changes). */
  private async readLayer(step: BuildStep, imageId: string): Promise<void> {
    try {
      const image = await this.daemon.store.getImage(imageId as never);
      if (!image) return;
      if (step.cmd === "FROM") {
        step.layer = { kind: "base", imageId, layers: image.diffIds.length, size: image.size };
      } else if (image.config.history?.at(-1)?.empty_layer || image.diffIds.length === 0) {
        step.layer = { kind: "none", imageId };
      } else {
        const index = image.diffIds.length - 1;
        const size = (await this.daemon.store.getLayer(image.chainIds[index]!))?.size ?? 0;
        const changes = (await this.daemon.containers.imageLayers(image)).changes[index];
        step.layer = { kind: "layer", imageId, index, size, added: changes?.added ?? [], modified: changes?.modified ?? [], removed: changes?.removed ?? [] };
      }
      const run = this.builds.find((b) => b.steps.includes(step));
      if (run) this.emit({ kind: "layer", buildId: run.buildId, step: step.step });
    } catch (e) {
      console.warn(`build view: layer of ${imageId}: ${(e as Error).message}`);
    }
  }
}

/** Keeps an element subscribed to its `builds` session while it is on the page (as StoreWatch does for the store). */
export class BuildWatch implements ReactiveController {
  private off?: () => void;
  private watched?: BuildSession;

  constructor(
    private readonly host: ReactiveControllerHost & { builds?: BuildSession },
    private readonly onChange: (e: BuildChange) => void,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.hostUpdated();
  }

  hostUpdated(): void {
    if (this.host.builds === this.watched) return;
    this.off?.();
    this.watched = this.host.builds;
    this.off = this.watched?.subscribe(this.onChange);
  }

  hostDisconnected(): void {
    this.off?.();
    this.off = undefined;
    this.watched = undefined;
  }
}
