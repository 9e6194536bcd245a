/** The images in the store (as `docker images` lists them); choosing one shows it in the explorer. */
import { LitElement, html } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { Daemon } from "../daemon/daemon.ts";
import { humanSizeWithPrecision } from "../daemon/units.ts";
import type { ImageRecord } from "../store/schema.ts";
import { StoreWatch } from "./store-watch.ts";
import { panelStyles } from "./panel-styles.ts";
import type { Selection } from "./explorer-source.ts";

@customElement("images-panel")
export class ImagesPanel extends LitElement {
  static override styles = panelStyles;
  @property({ attribute: false }) daemon?: Daemon;
  @property({ attribute: false }) selection?: Selection;
  @state() private images: { image: ImageRecord; name: string }[] = [];
  constructor() {
    super();
    new StoreWatch(this, (e) => e.type === "images" && void this.load());
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has("daemon") && this.daemon) void this.load();
  }
  private async load(): Promise<void> {
    const list = (await this.daemon!.images.list()).map(({ image, repoTags }) => ({
      image,
      name: repoTags.length ? repoTags.map((t) => `${t.repository}:${t.tag}`).join(", ") : "<none>",
    }));
    this.images = list.sort((a, b) => b.image.createdAt - a.image.createdAt);
  }

  private choose(id: string): void {
    this.dispatchEvent(new CustomEvent<Selection>("select", { detail: { kind: "image", id }, bubbles: true, composed: true }));
  }

  override render() {
    return html`<h2 id="h">Images</h2>
      ${this.images.length === 0 ? html`<p class="empty">No images yet: try <span class="mono">docker pull layerlab.demo/busybox</span></p>` : ""}
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
