/**
 * The explorer: the selected image's or container's layer stack, its union tree (or one layer's
 * changes), and the file viewer/editor. It reloads when the store changes (a pull, a run, a commit).
 */
import { LitElement, css, html } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { Daemon } from "../daemon/daemon.ts";
import { StoreWatch } from "./store-watch.ts";
import { explorerSource, layerLabel, type ExplorerSource, type Selection } from "./explorer-source.ts";
import "./layer-stack.ts";
import "./union-tree.ts";
import "./file-viewer.ts";
import "./details-pane.ts";
import "./port-preview.ts";
import type { PublishedPort } from "../daemon/ports.ts";
import { moveTabWithArrows } from "./tabs.ts";
import type { DetailsMode } from "./details-pane.ts";
import { BuildWatch, type BuildSession, type LayerOrigin } from "./build-session.ts";

type Pane = "file" | DetailsMode | "preview";
const PANES: { id: Pane; label: string }[] = [
  { id: "file", label: "File" },
  { id: "history", label: "History" },
  { id: "inspect", label: "Inspect" },
  { id: "preview", label: "Preview" },
];

@customElement("explorer-view")
export class ExplorerView extends LitElement {
  static override styles = css`
    :host { display: grid; grid-template-columns: minmax(150px, 220px) minmax(0, 1fr) minmax(0, 1fr); gap: 10px; min-height: 0; color: #e6e1cf; font-size: 13px; }
    section { min-height: 0; display: flex; flex-direction: column; gap: 6px; overflow: hidden; }
    h2 { margin: 0; font-size: 13px; color: #ffcc66; font-weight: 600; }
    [role="tablist"] { display: flex; gap: 2px; }
    [role="tab"] { background: transparent; color: #8a9199; border: none; border-bottom: 2px solid transparent; padding: 0 8px 2px; font: inherit; font-size: 13px; font-weight: 600; cursor: pointer; }
    [role="tab"]:first-child { padding-left: 0; }
    [role="tab"][aria-selected="true"] { color: #ffcc66; border-bottom-color: #ffcc66; }
    [role="tab"]:focus-visible { outline: 2px solid #ffcc66; outline-offset: -2px; }
    details-pane, port-preview { flex: 1; min-height: 0; }
    layer-stack, union-tree { overflow: auto; min-height: 0; flex: 1; }
    file-viewer { flex: 1; min-height: 0; }
    .muted { color: #8a9199; }
    @media (max-width: 900px) { :host { grid-template-columns: 1fr; } section { max-height: 45vh; } }
  `;

  @property({ attribute: false }) daemon?: Daemon;
  @property({ attribute: false }) selection?: Selection;
  /** This page session's builds: a built image's layers name the Dockerfile line that made them. */
  @property({ attribute: false }) builds?: BuildSession;
  /** A layer to show with the selection (a new object each time it is asked for). */
  @property({ attribute: false }) focusLayer?: { layer: number | "C" };
  /** A published port to show in the Preview pane (a new object each time it is asked for). */
  @property({ attribute: false }) focusPort?: { port: number };
  /** Layer index → the Dockerfile line that made it (builds of this session). */
  @state() origins?: ReadonlyMap<number, LayerOrigin>;
  @state() source?: ExplorerSource;
  @state() layer?: number | "C";
  @state() path?: string;
  /** What the third column shows: the chosen file, the history, or the inspect JSON. */
  @state() pane: Pane = "file";
  /** The selected container's published ports while it runs (the Preview pane is there only then). */
  @state() ports: readonly PublishedPort[] = [];
  @state() previewPort?: number;
  private loading = 0;
  constructor() {
    super();
    new StoreWatch(this, () => void this.reload());
    new BuildWatch(this, (e) => (e.kind === "done" || e.kind === "end") && this.source && void this.readOrigins(this.source));
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has("selection")) {
      // Never show the previous selection's tree under the new title (or let a click land on it).
      this.source = undefined;
      this.layer = undefined;
      this.path = undefined;
      this.origins = undefined;
      void this.reload();
    }
    if (changed.has("focusLayer") && this.focusLayer) this.showLayer(this.focusLayer.layer);
    if (changed.has("focusPort") && this.focusPort) {
      this.previewPort = this.focusPort.port;
      this.showPane("preview");
    }
  }
  async reload(): Promise<void> {
    if (!this.daemon || !this.selection) return;
    const n = ++this.loading;
    const s = await explorerSource(this.daemon, this.selection);
    if (n !== this.loading) return;
    this.source = s;
    const ports = s?.container ? (await this.daemon.ports.list()).filter((p) => p.container.id === s.container!.id) : [];
    if (n !== this.loading) return;
    this.ports = ports;
    if (!ports.length && this.pane === "preview") this.pane = "file";
    if (s) await this.readOrigins(s);
  }

  private async readOrigins(s: ExplorerSource): Promise<void> {
    const origins = this.builds ? await this.builds.layerOrigins(s.image) : undefined;
    if (s === this.source) this.origins = origins?.size ? origins : undefined;
  }

  private showLayer(layer: number | "C" | undefined): void {
    this.layer = layer;
    this.dispatchEvent(new CustomEvent("layer", { detail: layer, bubbles: true, composed: true }));
  }

  private showPane(p: Pane): void {
    this.pane = p;
    this.dispatchEvent(new CustomEvent("pane", { detail: p, bubbles: true, composed: true }));
  }

  private onPaneKey(e: KeyboardEvent): void {
    moveTabWithArrows(e, this, this.panes.map((p) => p.id), this.pane, (p) => this.showPane(p), "pane-");
  }

  private get panes(): typeof PANES {
    return this.ports.length || this.pane === "preview" ? PANES : PANES.filter((p) => p.id !== "preview");
  }

  override render() {
    if (!this.selection) return html`<p class="muted">Choose an image or a container to see its layers and files.</p>`;
    if (!this.source) return html`<p class="muted" role="status">Loading…</p>`;
    const s = this.source;
    return html`<section aria-label="Layers">
        <h2>${s.title}: ${s.layers.length} layer${s.layers.length === 1 ? "" : "s"}</h2>
        <layer-stack .layers=${s.layers} .origins=${this.origins} .selected=${this.layer} @layer=${(e: CustomEvent) => this.showLayer(e.detail)}></layer-stack>
      </section>
      <section aria-label="Files">
        <h2>${this.layer === undefined ? "Union filesystem" : this.layer === "C" ? "Container layer changes" : `Layer ${layerLabel(s, this.layer)} changes`}</h2>
        <union-tree .source=${s} .layer=${this.layer} .selectedPath=${this.path} @file=${(e: CustomEvent) => e.detail.type !== "dir" && ((this.path = e.detail.path), (this.pane = "file"))}></union-tree>
      </section>
      <section aria-label="Details">
        <div role="tablist" aria-label="Details" @keydown=${this.onPaneKey}>
          ${this.panes.map(
            (p) => html`<button role="tab" id="pane-${p.id}" aria-selected=${this.pane === p.id} tabindex=${this.pane === p.id ? 0 : -1} @click=${() => this.showPane(p.id)}>${p.label}</button>`,
          )}
        </div>
        ${this.pane === "preview"
          ? html`<port-preview role="tabpanel" aria-labelledby="pane-preview" .ports=${this.ports} .port=${this.previewPort}></port-preview>`
          : this.pane === "file"
          ? html`<file-viewer role="tabpanel" aria-labelledby="pane-file" .source=${s} .path=${this.path} @saved=${() => void this.reload()}></file-viewer>`
          : html`<details-pane role="tabpanel" aria-labelledby="pane-${this.pane}" .daemon=${this.daemon} .builds=${this.builds} .source=${s} .mode=${this.pane}></details-pane>`}
      </section>`;
  }
}
