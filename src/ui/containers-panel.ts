/** Containers (as `docker ps -a` lists them): state, image, and a way to show one in the explorer. */
import { LitElement, html } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { Daemon } from "../daemon/daemon.ts";
import type { ContainerRecord } from "../store/schema.ts";
import { StoreWatch } from "./store-watch.ts";
import { panelStyles } from "./panel-styles.ts";
import type { Selection } from "./explorer-source.ts";

@customElement("containers-panel")
export class ContainersPanel extends LitElement {
  static override styles = panelStyles;
  @property({ attribute: false }) daemon?: Daemon;
  @property({ attribute: false }) selection?: Selection;
  @state() private containers: ContainerRecord[] = [];
  constructor() {
    super();
    new StoreWatch(this, (e) => e.type === "containers" && void this.load());
  }
  private timer?: ReturnType<typeof setInterval>;

  override updated(changed: Map<string, unknown>): void {
    if (changed.has("daemon") && this.daemon) {
      void this.load();
      // "Up 5 seconds" ages
      this.timer ??= setInterval(() => this.requestUpdate(), 5000);
    }
  }
  override disconnectedCallback(): void {
    clearInterval(this.timer);
    super.disconnectedCallback();
  }

  private async load(): Promise<void> {
    this.containers = await this.daemon!.containers.list({ all: true });
  }

  override render() {
    return html`<h2 id="h">Containers</h2>
      ${this.containers.length === 0 ? html`<p class="empty">No containers: <span class="mono">docker run -it layerlab.demo/busybox sh</span></p>` : ""}
      <ul aria-labelledby="h">
        ${this.containers.map(
          (c) => html`<li>
            <button
              class="row"
              aria-pressed=${this.selection?.kind === "container" && this.selection.id === c.id}
              @click=${() => this.dispatchEvent(new CustomEvent<Selection>("select", { detail: { kind: "container", id: c.id }, bubbles: true, composed: true }))}
            >
              <span style="flex:1;min-width:0;overflow-wrap:anywhere">${c.name} <span class="muted">${c.image}</span></span>
              <span class="muted" style="white-space:nowrap">${this.daemon!.containers.status(c)}</span>
            </button>
          </li>`,
        )}
      </ul>`;
  }
}
