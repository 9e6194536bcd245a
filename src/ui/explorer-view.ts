/**
 * The explorer: the selected image's or container's layer stack, its union tree (or one layer's
 * changes), and the file viewer/editor. It reloads when the store changes (a pull, a run, a commit).
 */
import { LitElement, css, html } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { Lab } from "../cli/lab.ts";
import { explorerSource, type ExplorerSource, type Selection } from "./explorer-source.ts";
import "./layer-stack.ts";
import "./union-tree.ts";
import "./file-viewer.ts";

@customElement("explorer-view")
export class ExplorerView extends LitElement {
  static override styles = css`
    :host { display: grid; grid-template-columns: minmax(150px, 220px) minmax(0, 1fr) minmax(0, 1fr); gap: 10px; min-height: 0; color: #e6e1cf; font-size: 13px; }
    section { min-height: 0; display: flex; flex-direction: column; gap: 6px; overflow: hidden; }
    h2 { margin: 0; font-size: 13px; color: #ffcc66; font-weight: 600; }
    layer-stack, union-tree { overflow: auto; min-height: 0; flex: 1; }
    file-viewer { flex: 1; min-height: 0; }
    .muted { color: #8a9199; }
    @media (max-width: 900px) { :host { grid-template-columns: 1fr; } section { max-height: 45vh; } }
  `;

  @property({ attribute: false }) lab?: Lab;
  @property({ attribute: false }) selection?: Selection;
  @state() source?: ExplorerSource;
  @state() layer?: number | "C";
  @state() path?: string;
  private off?: () => void;
  private loading = 0;

  override updated(changed: Map<string, unknown>): void {
    if (changed.has("lab") && this.lab) {
      this.off?.();
      this.off = this.lab.store.onChange(() => void this.reload());
    }
    if (changed.has("selection")) {
      // Never show the previous selection's tree under the new title (or let a click land on it).
      this.source = undefined;
      this.layer = undefined;
      this.path = undefined;
      void this.reload();
    }
  }
  override disconnectedCallback(): void {
    this.off?.();
    super.disconnectedCallback();
  }

  async reload(): Promise<void> {
    if (!this.lab || !this.selection) return;
    const n = ++this.loading;
    const s = await explorerSource(this.lab, this.selection);
    if (n === this.loading) this.source = s;
  }

  override render() {
    if (!this.selection) return html`<p class="muted">Choose an image or a container to see its layers and files.</p>`;
    if (!this.source) return html`<p class="muted" role="status">Loading…</p>`;
    const s = this.source;
    return html`<section aria-label="Layers">
        <h2>${s.title}: ${s.layers.length} layer${s.layers.length === 1 ? "" : "s"}</h2>
        <layer-stack .layers=${s.layers} .selected=${this.layer} @layer=${(e: CustomEvent) => (this.layer = e.detail)}></layer-stack>
      </section>
      <section aria-label="Files">
        <h2>${this.layer === undefined ? "Union filesystem" : this.layer === "C" ? "Container layer changes" : `Layer L${this.layer} changes`}</h2>
        <union-tree .source=${s} .layer=${this.layer} .selectedPath=${this.path} @file=${(e: CustomEvent) => e.detail.type !== "dir" && (this.path = e.detail.path)}></union-tree>
      </section>
      <section aria-label="File">
        <h2>File</h2>
        <file-viewer .source=${s} .path=${this.path} @saved=${() => void this.reload()}></file-viewer>
      </section>`;
  }
}
