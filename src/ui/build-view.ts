/**
 * The Build tab: the latest `docker build` of this page session, live, step by step — each
 * instruction as written (Step N/M, its Dockerfile line), what it printed (stderr in red), whether it
 * came from the cache and why, and the layer its image added (size; files added, changed, removed),
 * which opens in the explorer; or "no layer" for a step that only changed the config. A failed step
 * is marked, with its error and a "Debug from the last good step" action (a shell in a container of
 * the last image a step left). Earlier builds of the session are listed under it. Loaded on demand
 * (the first build, or the tab); the facts come from ./build-session.ts, which hears every build.
 */
import { LitElement, css, html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import { dockerfileInstructions } from "../build/dockerfile-instructions.ts";
import { humanSizeWithPrecision } from "../daemon/units.ts";
import { BuildWatch, type BuildChange, type BuildRun, type BuildSession, type BuildStep } from "./build-session.ts";
import { colourOf } from "./explorer-source.ts";
import { panelStyles } from "./panel-styles.ts";

/** Paths of a step's layer listed under it; the explorer has them all. */
const PATHS_SHOWN = 6;

/** What a build's output shows as text: colours and cursor moves dropped, a line redrawn with \r kept as its last version. */
export function plainOutput(text: string): string {
  return text
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Z0-9]|\x1b[=>78]/g, "")
    .replace(/\r\n/g, "\n")
    .replace(/[^\n]*\r(?=[^\n])/g, "")
    .replace(/\r/g, "");
}

/** An image ID as Docker shows it: 12 hex digits. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, "").slice(0, 12);
}

function seconds(ms: number): string {
  return ms < 100 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

@customElement("build-view")
export class BuildView extends LitElement {
  static override styles = [
    panelStyles,
    css`
      :host { display: flex; flex-direction: column; gap: 8px; min-height: 100%; }
      .top { display: flex; align-items: baseline; gap: 8px; flex-wrap: wrap; }
      .top h2 { margin: 0; }
      .tag { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; color: #95e6cb; overflow-wrap: anywhere; }
      .summary { margin: 0; line-height: 1.45; }
      .summary.ok { color: #bae67e; }
      .summary.bad { color: #f28779; }
      .summary.live { color: #ffcc66; }
      .back { margin-left: auto; padding: 1px 8px; font-size: 12px; }
      ol.steps { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 6px; }
      .step { border: 1px solid #1f2630; border-left: 3px solid #2d3640; border-radius: 4px; padding: 5px 7px; background: #0f1419; display: flex; flex-direction: column; gap: 4px; min-width: 0; }
      .step.running { border-left-color: #ffcc66; }
      .step.done { border-left-color: #bae67e; }
      .step.cached { border-left-color: #73d0ff; }
      .step.failed { border-color: #f28779; border-left-color: #f28779; background: #1d1214; }
      .head { display: flex; align-items: baseline; gap: 6px; min-width: 0; }
      .n { flex: none; color: #8a9199; font-size: 11px; font-variant-numeric: tabular-nums; }
      .ins { flex: 1; min-width: 0; font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; color: #e6e1cf; overflow-wrap: anywhere; white-space: pre-wrap; }
      .state { flex: none; font-size: 11px; color: #8a9199; white-space: nowrap; }
      .state.chip { font-size: 10px; color: #0b0e14; }
      .step.pending { border-left-color: #1f2630; background: transparent; padding-top: 3px; padding-bottom: 3px; }
      .step.pending .ins, .step.pending .n { color: #5c6773; }
      .running .state { color: #ffcc66; }
      .failed .state { color: #f28779; font-weight: 600; }
      .line { color: #8a9199; font-size: 11px; }
      .line .id { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
      .chip { display: inline-block; font-size: 10px; font-weight: 700; letter-spacing: 0.04em; padding: 0 4px; border-radius: 3px; background: #73d0ff; color: #0b0e14; margin-right: 4px; }
      .cached-reason { margin: 0; font-size: 11px; color: #8a9199; overflow-wrap: anywhere; line-height: 1.4; }
      pre.out { margin: 0; max-height: 11em; overflow: auto; background: #0b0e14; border: 1px solid #1f2630; border-radius: 3px; padding: 3px 5px; font: 11px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap; overflow-wrap: anywhere; color: #b3b1ad; }
      pre.out .err { color: #f28779; }
      pre.out .cut { color: #8a9199; font-style: italic; }
      .layer { display: flex; align-items: center; gap: 6px; flex-wrap: wrap; font-size: 12px; }
      button.open { all: unset; box-sizing: border-box; cursor: pointer; display: inline-flex; gap: 6px; align-items: baseline; padding: 1px 7px; border-radius: 4px; color: #0b0e14; font-weight: 600; font-size: 12px; }
      button.open:hover { filter: brightness(1.12); }
      button.open:focus-visible { outline: 2px solid #ffcc66; outline-offset: 1px; }
      button.open.base { background: #2d3640; color: #e6e1cf; font-weight: 500; }
      .nolayer { color: #8a9199; font-style: italic; }
      ul.paths { font: 11px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; padding-left: 2px; }
      ul.paths .k { display: inline-block; width: 1.3em; font-weight: 700; }
      .A { color: #bae67e; } .C { color: #ffd580; } .D { color: #f28779; }
      .error { display: flex; flex-direction: column; gap: 5px; }
      .error p { margin: 0; color: #f28779; overflow-wrap: anywhere; font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
      .debug { align-self: flex-start; border-color: #f28779; }
      .debug-cmd { font-size: 11px; }
      details { border-top: 1px solid #1f2630; padding-top: 6px; }
      summary { cursor: pointer; color: #8a9199; }
      pre.dockerfile { margin: 4px 0 0; font: 11px/1.5 ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
      pre.dockerfile span { display: block; padding-left: 3.2em; text-indent: -3.2em; border-radius: 2px; }
      pre.dockerfile .no { display: inline-block; width: 2.6em; text-indent: 0; text-align: right; margin-right: 0.6em; color: #5c6773; }
      pre.dockerfile .now { background: #2a2616; }
      pre.dockerfile .bad { background: #3a1c1f; }
      h3 { margin: 4px 0 2px; font-size: 12px; color: #8a9199; font-weight: 600; }
      .earlier .row { font-size: 12px; }
      .earlier .ok { color: #bae67e; }
      .earlier .bad { color: #f28779; }
      .hint { line-height: 1.5; }
      .hint code { display: block; white-space: pre-wrap; word-break: break-all; background: #0f1419; border: 1px solid #2d3640; border-radius: 4px; padding: 4px 6px; margin: 4px 0; font: 12px ui-monospace, monospace; color: #e6e1cf; }
    `,
  ];

  @property({ attribute: false }) builds?: BuildSession;
  /** The build shown: undefined follows the latest. */
  @state() private shown?: string;
  private pendingRender?: ReturnType<typeof setTimeout>;
  /** Each output piece as shown, kept until more text is added to it. */
  private readonly clean = new WeakMap<object, { length: number; text: string }>();
  /** Each build's instructions, read from its Dockerfile (the steps still to come, or not run after a failure). */
  private readonly plans = new WeakMap<BuildRun, { cmd: string; original: string }[] | null>();

  constructor() {
    super();
    new BuildWatch(this, (e) => this.changed(e));
  }

  /** Output comes in many small pieces: drawn at most every 60 ms; everything else at once. */
  private changed(e: BuildChange): void {
    if (e.kind === "output") {
      this.pendingRender ??= setTimeout(() => {
        this.pendingRender = undefined;
        this.requestUpdate();
      }, 60);
      return;
    }
    if (e.kind === "start") this.shown = undefined;
    this.requestUpdate();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.pendingRender) clearTimeout(this.pendingRender);
    this.pendingRender = undefined;
  }

  private get run(): BuildRun | undefined {
    const builds = this.builds?.builds ?? [];
    return (this.shown ? builds.find((b) => b.buildId === this.shown) : undefined) ?? builds.at(-1);
  }

  override updated(): void {
    // The running step's output follows what it prints unless the learner scrolled up in it.
    for (const pre of this.renderRoot.querySelectorAll<HTMLElement>(".running pre.out")) {
      if (pre.dataset.scrolled !== "1") pre.scrollTop = pre.scrollHeight;
    }
  }

  private onOutScroll(e: Event): void {
    const pre = e.target as HTMLElement;
    pre.dataset.scrolled = pre.scrollTop + pre.clientHeight < pre.scrollHeight - 4 ? "1" : "";
  }

  private openLayer(imageId: string, layer?: number): void {
    this.dispatchEvent(new CustomEvent("open-layer", { detail: { imageId, layer }, bubbles: true, composed: true }));
  }

  private debug(command: string): void {
    this.dispatchEvent(new CustomEvent("debug", { detail: { command }, bubbles: true, composed: true }));
  }

  override render() {
    const builds = this.builds?.builds ?? [];
    const run = this.run;
    if (!run) {
      return html`<div class="top"><h2>Build</h2></div>
        <div class="hint muted">
          <p>Build an image in the terminal and follow it here, step by step: each instruction, what it printed, the layer it made (or the cache it used).</p>
          <code>mkdir -p ~/b && cd ~/b && printf 'FROM layerlab.demo/busybox\\nRUN echo hi > /x\\nCMD ["sh"]\\n' > Dockerfile && docker build -t v:1 .</code>
        </div>`;
    }
    const latest = builds.at(-1)!;
    const earlier = builds.filter((b) => b !== run).reverse();
    return html`<div class="top">
        <h2>Build</h2>
        ${run.tags.length ? html`<span class="tag">${run.tags.join(", ")}</span>` : html`<span class="muted">untagged</span>`}
        ${run !== latest ? html`<button class="back" @click=${() => (this.shown = undefined)}>Latest build</button>` : nothing}
      </div>
      ${this.renderSummary(run)}
      <ol class="steps" aria-label="Build steps">
        ${run.steps.map((s) => this.renderStep(run, s))} ${this.renderRest(run)}
      </ol>
      ${run.end?.error && !run.steps.some((s) => s.status === "failed") ? this.renderError(run, undefined) : nothing}
      ${run.dockerfile ? this.renderDockerfile(run) : nothing}
      ${earlier.length
        ? html`<h3 id="earlier">${run === latest ? "Earlier builds" : "Other builds"}</h3>
            <ul class="earlier" aria-labelledby="earlier">
              ${earlier.map(
                (b) => html`<li>
                  <button class="row" @click=${() => (this.shown = b === latest ? undefined : b.buildId)}>
                    <span class=${b.end ? (b.end.error ? "bad" : "ok") : "muted"}>${b.end ? (b.end.error ? "✗" : "✓") : "…"}</span>
                    <span style="flex:1;min-width:0;overflow-wrap:anywhere">${b.tags.join(", ") || (b.end?.imageId ? shortId(b.end.imageId) : "untagged")}</span>
                    <span class="muted" style="white-space:nowrap">${b.end?.error ? `failed at step ${b.end.failedStep ?? "?"}` : `${b.steps.length} step${b.steps.length === 1 ? "" : "s"}`}${b.steps.some((s) => s.cached) ? `, ${b.steps.filter((s) => s.cached).length} cached` : ""} · ${new Date(b.startedAt).toLocaleTimeString()}</span>
                  </button>
                </li>`,
              )}
            </ul>`
        : nothing}`;
  }

  private renderSummary(run: BuildRun) {
    const end = run.end;
    if (!end) {
      const cur = run.steps.at(-1);
      return html`<p class="summary live" role="status">${cur ? `Running step ${cur.step}/${cur.total}…` : "Starting…"}</p>`;
    }
    const took = seconds(end.at - run.startedAt);
    if (end.error) return html`<p class="summary bad" role="status">Failed${end.failedStep ? ` at step ${end.failedStep}/${run.steps.find((s) => s.step === end.failedStep)?.total ?? run.total}` : ""} after ${took} (exit status ${end.status})</p>`;
    const cached = run.steps.filter((s) => s.cached).length;
    return html`<p class="summary ok" role="status">Built <span class="mono">${end.imageId ? shortId(end.imageId) : ""}</span> in ${took}${cached ? ` · ${cached} of ${run.steps.length} steps from the cache` : ""}</p>`;
  }

  private renderStep(run: BuildRun, s: BuildStep) {
    const failed = s.status === "failed";
    const cls = failed ? "failed" : s.status === "running" ? "running" : s.cached ? "cached" : "done";
    const state = failed ? "✗ failed" : s.status === "running" ? "running…" : s.endedAt !== undefined ? `✓ ${seconds(s.endedAt - s.startedAt)}` : "✓";
    return html`<li class="step ${cls}" aria-label="Step ${s.step}/${s.total}: ${s.original}" aria-current=${s.status === "running" ? "step" : "false"}>
      <div class="head">
        <span class="n">Step ${s.step}/${s.total}</span>
        <span class="ins">${s.original}</span>
        ${s.cached && !failed ? html`<span class="state chip" title="from the build cache">CACHED</span>` : html`<span class="state">${state}</span>`}
      </div>
      <div class="line">${s.trigger ? "ONBUILD trigger of the base image" : s.endLine > s.line ? `Dockerfile lines ${s.line}–${s.endLine}` : `Dockerfile line ${s.line}`}${s.imageId ? html` · <span class="id" title=${s.imageId}>---> ${shortId(s.imageId)}</span>` : nothing}</div>
      ${s.cached ? html`<p class="cached-reason">${s.cached.reason}</p>` : nothing}
      ${this.renderOutput(s)}
      ${this.renderLayer(s)}
      ${failed ? this.renderError(run, s) : nothing}
    </li>`;
  }

  private cleaned(seg: { fd: 1 | 2; text: string }): string {
    const c = this.clean.get(seg);
    if (c && c.length === seg.text.length) return c.text;
    const text = plainOutput(seg.text);
    this.clean.set(seg, { length: seg.text.length, text });
    return text;
  }

  private renderOutput(s: BuildStep) {
    if (!s.output.length) return nothing;
    return html`<pre class="out" aria-label="Output of step ${s.step}" tabindex="0" @scroll=${this.onOutScroll}>${s.dropped ? html`<span class="cut">… ${humanSizeWithPrecision(s.dropped, 3)} of earlier output (all of it is in the terminal)\n</span>` : nothing}${s.output.map((o) => (o.fd === 2 ? html`<span class="err">${this.cleaned(o)}</span>` : this.cleaned(o)))}</pre>`;
  }

  private renderLayer(s: BuildStep) {
    if (s.status === "running" || (s.status === "failed" && !s.imageId)) return nothing;
    const l = s.layer;
    if (!l) return s.imageId ? html`<div class="layer muted">reading the layer…</div>` : s.cmd === "ARG" ? html`<div class="layer"><span class="nolayer">no image</span></div>` : nothing;
    if (l.kind === "base") {
      return html`<div class="layer">
        <button class="open base" aria-label="Open the base image ${shortId(l.imageId)} in the explorer" @click=${() => this.openLayer(l.imageId)}>base image ${shortId(l.imageId)} · ${l.layers} layer${l.layers === 1 ? "" : "s"} · ${humanSizeWithPrecision(l.size, 3)}</button>
      </div>`;
    }
    if (l.kind === "none") {
      return html`<div class="layer"><span class="nolayer">no layer</span><span class="muted">(only the config changed)</span></div>`;
    }
    const rows: [string, string][] = [...l.added.map((p): [string, string] => ["A", p]), ...l.modified.map((p): [string, string] => ["C", p]), ...l.removed.map((p): [string, string] => ["D", p])];
    rows.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    const size = humanSizeWithPrecision(l.size, 3);
    return html`<div class="layer">
        <button class="open" style="background:${colourOf(l.index)}" aria-label="Open layer L${l.index} (${size}, ${l.added.length} added, ${l.modified.length} changed, ${l.removed.length} removed) in the explorer" @click=${() => this.openLayer(l.imageId, l.index)}>
          <span>L${l.index}</span><span>${size}</span><span>+${l.added.length} ~${l.modified.length} −${l.removed.length}</span><span aria-hidden="true">→</span>
        </button>
        <span class="muted">${l.added.length} added, ${l.modified.length} changed, ${l.removed.length} removed</span>
      </div>
      ${rows.length
        ? html`<ul class="paths" aria-label="Files of layer L${l.index}">
            ${rows.slice(0, PATHS_SHOWN).map(([k, p]) => html`<li><span class="k ${k}">${k}</span><span class=${k}>/${p}</span></li>`)}
            ${rows.length > PATHS_SHOWN ? html`<li class="muted">… ${rows.length - PATHS_SHOWN} more (open the layer)</li>` : nothing}
          </ul>`
        : nothing}`;
  }

  /** The instructions after the last step announced: still to come, or not run after a failure. */
  private renderRest(run: BuildRun) {
    let plan = this.plans.get(run);
    if (plan === undefined) {
      try {
        plan = dockerfileInstructions(run.dockerfile, { classic: run.builder === "classic" }).map((i) => ({ cmd: i.cmd, original: i.original }));
      } catch {
        plan = null;
      }
      this.plans.set(run, plan);
    }
    const total = run.steps[0]?.total ?? run.total;
    const done = run.steps.at(-1)?.step ?? 0;
    // --target builds fewer steps than the file has: then only what was announced is drawn.
    if (!plan || plan.length !== total || done >= total || (run.end && !run.end.error)) return nothing;
    const why = run.end ? "not run" : "waiting";
    return plan.slice(done).map((p, i) => html`<li class="step pending" aria-label="Step ${done + i + 1}/${total}: ${p.original} (${why})">
      <div class="head"><span class="n">Step ${done + i + 1}/${total}</span><span class="ins">${p.original}</span><span class="state">${why}</span></div>
    </li>`);
  }

  private renderError(run: BuildRun, s: BuildStep | undefined) {
    const end = run.end;
    if (!end?.error) return nothing;
    const last = end.lastImageId;
    const command = last ? `docker run -it ${shortId(last)} sh` : undefined;
    const from = last ? run.steps.find((x) => x.imageId === last) : undefined;
    return html`<div class="error" role="alert">
      <p>${end.error}</p>
      ${command
        ? html`<button class="debug" @click=${() => this.debug(command)} title=${command}>Debug from the last good step</button>
            <span class="muted debug-cmd">Runs <span class="mono">${command}</span> in the terminal: a shell in the image ${from ? `step ${from.step} left` : "the last good step left"}${s ? `, before ${s.cmd}` : ""}.</span>`
        : html`<span class="muted debug-cmd">No step finished, so there is no image to debug from.</span>`}
    </div>`;
  }

  private renderDockerfile(run: BuildRun) {
    const lines = run.dockerfile.replace(/\n$/, "").split("\n");
    const cur = run.end ? undefined : run.steps.at(-1);
    const failed = run.steps.find((s) => s.status === "failed");
    const within = (s: BuildStep | undefined, n: number) => s !== undefined && s.line > 0 && n >= s.line && n <= s.endLine;
    // Open by itself when the build failed: the failed step's lines are marked in it.
    return html`<details ?open=${failed !== undefined}>
      <summary>Dockerfile (${lines.length} line${lines.length === 1 ? "" : "s"})</summary>
      <pre class="dockerfile" aria-label="Dockerfile">${lines.map((t, i) => html`<span class=${within(failed, i + 1) ? "bad" : within(cur, i + 1) ? "now" : ""}><span class="no">${i + 1}</span>${t}</span>`)}</pre>
    </details>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "build-view": BuildView;
  }
}
