/**
 * The storage inspector: the store as Docker lays it out under /var/lib/docker — the image database
 * (config by image ID), the layer database (a directory per chain ID with its diff ID, parent and
 * size), container mounts, the distribution mappings (compressed digest ⇄ diff ID) and the overlay2
 * directories. The selected image's (or container's) entries are highlighted; "only the selection"
 * hides the rest.
 */
import { LitElement, css, html } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { Daemon } from "../daemon/daemon.ts";
import { layoutLines, type LayoutEntry } from "../store/docker-layout.ts";
import type { Selection } from "./explorer-source.ts";
import { StoreWatch } from "./store-watch.ts";
import { panelStyles } from "./panel-styles.ts";

/** 64-hex IDs shortened to Docker's 12 (the full value is in the title; `lab storage` prints it). */
function short(s: string): string {
  return s.replace(/[0-9a-f]{64}/g, (h) => `${h.slice(0, 12)}…`);
}

@customElement("storage-pane")
export class StoragePane extends LitElement {
  static override styles = [
    panelStyles,
    css`
      .bar { display: flex; gap: 8px; align-items: center; margin-bottom: 6px; flex-wrap: wrap; }
      .tree { font: 12px/1.45 ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
      .line { white-space: pre-wrap; color: #8a9199; text-indent: -12px; margin-left: 12px; }
      .line.mine { color: #e6e1cf; }
      .line.mine .name { color: #ffcc66; }
      .value { color: #95e6cb; }
      .legend { margin: 0 0 8px; line-height: 1.45; }
    `,
  ];

  @property({ attribute: false }) daemon?: Daemon;
  @property({ attribute: false }) selection?: Selection;
  @state() private all: LayoutEntry[] = [];
  /** The selection's entries (empty when nothing is selected). */
  @state() private mine: LayoutEntry[] = [];
  @state() private only = false;
  constructor() {
    super();
    new StoreWatch(this, () => void this.load());
  }
  private loading = 0;

  override updated(changed: Map<string, unknown>): void {
    if (changed.has("daemon") || changed.has("selection")) void this.load();
  }
  private async load(): Promise<void> {
    if (!this.daemon) return;
    const n = ++this.loading;
    // A selection removed meanwhile shows the whole store.
    const layout = await this.daemon.storageLayout(this.selection?.id).catch(() => this.daemon!.storageLayout());
    if (n !== this.loading) return;
    this.all = layout.all;
    this.mine = layout.selected;
  }

  override render() {
    const highlighted = new Set(this.mine.filter((e) => !e.path.endsWith("repositories.json")));
    const lines = layoutLines(this.only && this.mine.length ? this.mine : this.all);
    return html`<h2 id="h">Storage (/var/lib/docker)</h2>
      <p class="legend muted">
        <b>imagedb</b>: each image's config, named by its ID. <b>layerdb</b>: each layer by <i>chain ID</i>
        (its diff ID hashed with the chain below), with <i>diff</i>, <i>parent</i> and <i>size</i>.
        <b>distribution</b>: which compressed blob (what the registry serves) is which diff ID.
        <b>overlay2</b>: the unpacked files.
      </p>
      <div class="bar">
        <label><input type="checkbox" .checked=${this.only} ?disabled=${!this.mine.length} @change=${(e: Event) => (this.only = (e.target as HTMLInputElement).checked)} /> only the selected ${this.selection?.kind ?? "image"}</label>
      </div>
      ${lines.length <= 1
        ? html`<p class="empty">The store is empty: pull an image.</p>`
        : html`<div class="tree" role="tree" aria-labelledby="h">
            ${lines.map(
              (l) => html`<div class="line ${l.entry && highlighted.has(l.entry) ? "mine" : ""}" role="treeitem" aria-level=${l.depth + 1} style="padding-left:${l.depth * 12}px"><span class="name" title=${l.name}>${short(l.name)}</span>${l.value !== undefined ? html`  <span class="value" title=${l.value}>${short(l.value)}</span>` : ""}</div>`,
            )}
          </div>`}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "storage-pane": StoragePane;
  }
}
