/**
 * The selected image's layers drawn as a stack of blocks, newest on top, each as tall as its bytes
 * make it (square root, so a 1 KB layer stays visible beside a 20 MB one). Layers other images also
 * have are marked shared; a container's writable layer sits on top. Choosing a block shows that
 * layer's own changes in the tree.
 */
import { LitElement, css, html } from "lit";
import { customElement, property } from "lit/decorators.js";
import { humanSizeWithPrecision } from "../daemon/units.ts";
import { colourOf, type LayerInfo } from "./explorer-source.ts";
import type { LayerOrigin } from "./build-session.ts";

@customElement("layer-stack")
export class LayerStack extends LitElement {
  static override styles = css`
    :host { display: block; color: #e6e1cf; font-size: 12px; }
    ol { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column-reverse; gap: 3px; }
    button { all: unset; box-sizing: border-box; display: flex; flex-direction: column; justify-content: center; width: 100%; padding: 2px 8px; border-radius: 4px; cursor: pointer; color: #0b0e14; border: 2px solid transparent; overflow: hidden; }
    button[aria-pressed="true"] { border-color: #ffffff; }
    button:focus-visible { outline: 2px solid #ffcc66; outline-offset: 2px; }
    .top { display: flex; flex-wrap: wrap; column-gap: 6px; align-items: baseline; font-weight: 600; white-space: nowrap; }
    .by { opacity: 0.85; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    .shared { margin-left: auto; background: #0b0e14; color: #e6e1cf; border-radius: 3px; padding: 0 4px; font-weight: 500; }
    .origin { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 11px; line-height: 1.35; overflow: hidden; overflow-wrap: anywhere; display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 2; }
    .origin b { font-family: system-ui, sans-serif; font-weight: 600; }
    .upper { background-image: repeating-linear-gradient(45deg, rgba(0,0,0,0.08) 0 6px, transparent 6px 12px); }
  `;

  @property({ attribute: false }) layers: LayerInfo[] = [];
  @property({ attribute: false }) selected?: number | "C";
  /** Layer index → the Dockerfile line that made it, for images built in this page session. */
  @property({ attribute: false }) origins?: ReadonlyMap<number, LayerOrigin>;

  override render() {
    const max = Math.max(1, ...this.layers.map((l) => l.bytes));
    return html`<ol aria-label="Layers, newest on top">
      ${this.layers.map((l) => {
        const height = 26 + Math.round(60 * Math.sqrt(l.bytes / max));
        const label = l.label;
        const origin = l.index === "C" ? undefined : this.origins?.get(l.index);
        const from = origin ? `Dockerfile line ${origin.line}: ${origin.instruction}` : "";
        return html`<li>
          <button
            class=${l.index === "C" ? "upper" : ""}
            style="min-height:${height}px;background-color:${colourOf(l.index)}"
            aria-pressed=${this.selected === l.index}
            aria-label="${label}: ${humanSizeWithPrecision(l.bytes, 3)}, ${l.added.length} added, ${l.modified.length} modified, ${l.removed.length} removed${l.sharedWith.length ? `, shared with ${l.sharedWith.join(", ")}` : ""}${from ? `, ${from}` : ""}"
            @click=${() => this.dispatchEvent(new CustomEvent("layer", { detail: this.selected === l.index ? undefined : l.index }))}
          >
            <span class="top"
              >${label} <span>${humanSizeWithPrecision(l.bytes, 3)}</span> <span>+${l.added.length} ~${l.modified.length} −${l.removed.length}</span>
              ${l.sharedWith.length ? html`<span class="shared" title="also in ${l.sharedWith.join(", ")}">shared ×${l.sharedWith.length + 1}</span>` : ""}</span
            >
            ${origin
              ? html`<span class="origin" title=${`${from}\n${l.createdBy}`}><b>Dockerfile line ${origin.line}:</b> ${origin.instruction}</span>`
              : height > 34
                ? html`<span class="by">${l.createdBy.replace(/^\/bin\/sh -c (#\(nop\)\s*)?/, "")}</span>`
                : ""}
          </button>
        </li>`;
      })}
    </ol>`;
  }
}
