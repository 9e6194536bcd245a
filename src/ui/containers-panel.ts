/** Containers (as `docker ps -a` lists them): state, image, and a way to show one in the explorer. */
import { LitElement, css, html } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { Daemon } from "../daemon/daemon.ts";
import type { ContainerRecord } from "../store/schema.ts";
import { StoreWatch } from "./store-watch.ts";
import { panelStyles } from "./panel-styles.ts";
import type { Selection } from "./explorer-source.ts";
import type { PublishedPort } from "../daemon/ports.ts";
import { portUrl } from "./published-ports.ts";

/** Asks the page to show a published port in the explorer's Preview pane. */
export interface PreviewRequest {
  containerId: string;
  port: number;
}

@customElement("containers-panel")
export class ContainersPanel extends LitElement {
  static override styles = [
    panelStyles,
    css`
      .ports { display: flex; flex-wrap: wrap; gap: 4px; margin: 0 0 4px 8px; }
      .port { display: inline-flex; align-items: center; gap: 2px; }
      .port button { padding: 1px 6px; font-size: 11px; }
      .port a { color: #ffcc66; text-decoration: none; padding: 0 4px; }
    `,
  ];
  @property({ attribute: false }) daemon?: Daemon;
  @property({ attribute: false }) selection?: Selection;
  @state() private containers: ContainerRecord[] = [];
  @state() private ports: PublishedPort[] = [];
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
    const [containers, ports] = await Promise.all([this.daemon!.containers.list({ all: true }), this.daemon!.ports.list()]);
    this.containers = containers;
    this.ports = ports;
  }

  private renderPorts(c: ContainerRecord) {
    const ports = this.ports.filter((p) => p.container.id === c.id);
    if (!ports.length) return "";
    return html`<div class="ports">
      ${ports.map(
        (p) => html`<span class="port"
          ><button class="mono" title="Show the page served on localhost:${p.hostPort}" @click=${() => this.dispatchEvent(new CustomEvent<PreviewRequest>("preview", { detail: { containerId: c.id, port: p.hostPort }, bubbles: true, composed: true }))}>localhost:${p.hostPort} → ${p.containerPort}</button
          ><a href=${portUrl(c.name, p.hostPort)} target="_blank" rel="noopener" title="Open localhost:${p.hostPort} in a new tab" aria-label="Open localhost:${p.hostPort} in a new tab">↗</a></span
        >`,
      )}
    </div>`;
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
            ${this.renderPorts(c)}
          </li>`,
        )}
      </ul>`;
  }
}
