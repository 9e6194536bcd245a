/** Containers (as `docker ps -a` lists them): state, image, and a way to show one in the explorer. */
import { LitElement, html } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { Lab } from "../cli/lab.ts";
import { statusText } from "../cli/containers.ts";
import type { ContainerRecord } from "../store/schema.ts";
import { panelStyles } from "./panel-styles.ts";
import type { Selection } from "./explorer-source.ts";

@customElement("containers-panel")
export class ContainersPanel extends LitElement {
  static override styles = panelStyles;
  @property({ attribute: false }) lab?: Lab;
  @property({ attribute: false }) selection?: Selection;
  @state() private containers: ContainerRecord[] = [];
  private off?: () => void;
  private timer?: ReturnType<typeof setInterval>;

  override updated(changed: Map<string, unknown>): void {
    if (changed.has("lab") && this.lab) {
      this.off?.();
      this.off = this.lab.store.onChange((e) => e.type === "containers" && void this.load());
      void this.load();
      // "Up 5 seconds" ages
      this.timer ??= setInterval(() => this.requestUpdate(), 5000);
    }
  }
  override disconnectedCallback(): void {
    this.off?.();
    clearInterval(this.timer);
    super.disconnectedCallback();
  }

  private async load(): Promise<void> {
    this.containers = (await this.lab!.containers.list()).sort((a, b) => b.createdAt - a.createdAt);
  }

  override render() {
    return html`<h2 id="h">Containers</h2>
      ${this.containers.length === 0 ? html`<p class="empty">No containers: <span class="mono">docker run -it layerlab.demo/alpine:3.15 sh</span></p>` : ""}
      <ul aria-labelledby="h">
        ${this.containers.map(
          (c) => html`<li>
            <button
              class="row"
              aria-pressed=${this.selection?.kind === "container" && this.selection.id === c.id}
              @click=${() => this.dispatchEvent(new CustomEvent<Selection>("select", { detail: { kind: "container", id: c.id }, bubbles: true, composed: true }))}
            >
              <span style="flex:1;min-width:0;overflow-wrap:anywhere">${c.name} <span class="muted">${c.image}</span></span>
              <span class="muted" style="white-space:nowrap">${statusText(c)}</span>
            </button>
          </li>`,
        )}
      </ul>`;
  }
}
