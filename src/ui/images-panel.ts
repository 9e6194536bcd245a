/** The images in the store (as `docker images` lists them); choosing one shows it in the explorer. */
import { LitElement, html } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { Lab } from "../cli/lab.ts";
import { familiarTag } from "../cli/images.ts";
import { humanSizeWithPrecision } from "../cli/format.ts";
import type { ImageRecord } from "../store/schema.ts";
import { panelStyles } from "./panel-styles.ts";
import type { Selection } from "./explorer-source.ts";

@customElement("images-panel")
export class ImagesPanel extends LitElement {
  static override styles = panelStyles;
  @property({ attribute: false }) lab?: Lab;
  @property({ attribute: false }) selection?: Selection;
  @state() private images: { image: ImageRecord; name: string }[] = [];
  private off?: () => void;

  override updated(changed: Map<string, unknown>): void {
    if (changed.has("lab") && this.lab) {
      this.off?.();
      this.off = this.lab.store.onChange((e) => e.type === "images" && void this.load());
      void this.load();
    }
  }
  override disconnectedCallback(): void {
    this.off?.();
    super.disconnectedCallback();
  }

  private async load(): Promise<void> {
    const lab = this.lab!;
    const list = [];
    for (const image of await lab.store.listImages()) {
      const tags = await lab.store.tagsOf(image.id);
      list.push({ image, name: tags.length ? tags.map((t) => familiarTag(t.name)).join(", ") : "<none>" });
    }
    this.images = list.sort((a, b) => b.image.createdAt - a.image.createdAt);
  }

  private choose(id: string): void {
    this.dispatchEvent(new CustomEvent<Selection>("select", { detail: { kind: "image", id }, bubbles: true, composed: true }));
  }

  override render() {
    return html`<h2 id="h">Images</h2>
      ${this.images.length === 0 ? html`<p class="empty">No images yet: try <span class="mono">docker pull layerlab.demo/alpine:3.15</span></p>` : ""}
      <ul aria-labelledby="h">
        ${this.images.map(
          ({ image, name }) => html`<li>
            <button class="row" aria-pressed=${this.selection?.kind === "image" && this.selection.id === image.id} @click=${() => this.choose(image.id)}>
              <span style="flex:1;min-width:0;overflow-wrap:anywhere">${name}</span>
              <span class="muted" style="white-space:nowrap">${image.diffIds.length} layer${image.diffIds.length === 1 ? "" : "s"} · ${humanSizeWithPrecision(image.size, 3)}</span>
            </button>
          </li>`,
        )}
      </ul>`;
  }
}
