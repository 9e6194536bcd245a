/**
 * History and inspect for what the explorer shows: `docker history` as a table whose rows carry the
 * colour of the layer they made (empty-layer steps such as ENV or CMD made none), and
 * `docker inspect`'s JSON for the image or the container.
 */
import { LitElement, css, html } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { Daemon } from "../daemon/daemon.ts";
import type { HistoryRow } from "../daemon/images.ts";
import { humanSizeWithPrecision, timeAgo } from "../daemon/units.ts";
import { colourOf, type ExplorerSource } from "./explorer-source.ts";
import type { BuildSession } from "./build-session.ts";

export type DetailsMode = "history" | "inspect";

@customElement("details-pane")
export class DetailsPane extends LitElement {
  static override styles = css`
    :host { display: block; overflow: auto; min-height: 0; color: #e6e1cf; font-size: 12px; }
    table { border-collapse: collapse; width: 100%; }
    th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #1f2630; vertical-align: top; }
    th { color: #8a9199; font-weight: 500; position: sticky; top: 0; background: #0b0e14; }
    td.by { font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
    td.size { white-space: nowrap; text-align: right; }
    .badge { font-size: 10px; padding: 0 3px; border-radius: 3px; color: #0b0e14; font-family: ui-monospace, monospace; }
    .none { color: #8a9199; }
    .when { color: #8a9199; font-family: system-ui, sans-serif; font-size: 11px; }
    .comment { color: #e6e1cf; }
    pre { margin: 0; font: 11px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap; overflow-wrap: anywhere; color: #b3b1ad; }
  `;

  @property({ attribute: false }) daemon?: Daemon;
  @property({ attribute: false }) source?: ExplorerSource;
  /** This page session's builds: rows of images they made name their Dockerfile line. */
  @property({ attribute: false }) builds?: BuildSession;
  @property() mode: DetailsMode = "history";
  @state() private rows: HistoryRow[] = [];
  @state() private json = "";

  override updated(changed: Map<string, unknown>): void {
    if (changed.has("source") || changed.has("mode")) void this.load();
  }

  private async load(): Promise<void> {
    const { daemon, source } = this;
    if (!daemon || !source) return;
    if (this.mode === "history") this.rows = await daemon.images.history(source.image);
    else this.json = JSON.stringify(source.container ? await daemon.containers.inspect(source.container) : await daemon.images.inspect(source.image), null, 2);
  }

  private originText(id: string | undefined): string {
    const o = id ? this.builds?.originOf(id) : undefined;
    return o ? ` · Dockerfile line ${o.line}${o.from ? " (FROM)" : ""}` : "";
  }

  override render() {
    if (this.mode === "inspect") return html`<pre aria-label="docker inspect">${this.json}</pre>`;
    return html`<table aria-label="docker history">
      <thead><tr><th scope="col">Layer</th><th scope="col">Created by</th><th scope="col">Size</th></tr></thead>
      <tbody>
        ${this.rows.map(
          ({ h, size, layer, id }) => html`<tr>
            <td>${layer === undefined ? html`<span class="none" title="no layer: only the config changed">—</span>` : html`<span class="badge" style="background:${colourOf(layer)}">L${layer}</span>`}</td>
            <td class="by">${h.created_by ?? ""}<div class="when">${timeAgo(h.created)}${h.comment ? html` · <span class="comment">${h.comment}</span>` : ""}${this.originText(id)}</div></td>
            <td class="size">${humanSizeWithPrecision(size, 3)}</td>
          </tr>`,
        )}
      </tbody>
    </table>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "details-pane": DetailsPane;
  }
}
