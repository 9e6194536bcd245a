/**
 * A published port in the page: the address a learner would type (`localhost:8080`), the container
 * port it leads to, and the page served there (through /ports/<container>/<port>/, see
 * published-ports.ts), with reload and open-in-a-tab. Scripts do not run in it (public/sw.js says why).
 */
import { LitElement, css, html } from "lit";
import { customElement, property, query, state } from "lit/decorators.js";
import type { PublishedPort } from "../daemon/ports.ts";
import { portUrl } from "./published-ports.ts";

@customElement("port-preview")
export class PortPreview extends LitElement {
  static override styles = css`
    :host { display: flex; flex-direction: column; gap: 6px; min-height: 0; color: #e6e1cf; font-size: 12px; }
    .bar { display: flex; align-items: center; gap: 6px; flex-wrap: wrap; }
    .address { flex: 1; min-width: 120px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; font-family: ui-monospace, "DejaVu Sans Mono", monospace; background: #1f2630; border: 1px solid #2d3640; border-radius: 4px; padding: 3px 8px; color: #e6e1cf; }
    select, button, a.open { background: #1f2630; color: inherit; border: 1px solid #2d3640; border-radius: 4px; padding: 3px 8px; font: inherit; cursor: pointer; text-decoration: none; }
    button:hover, a.open:hover { background: #273040; }
    button:focus-visible, select:focus-visible, a:focus-visible { outline: 2px solid #ffcc66; outline-offset: 1px; }
    iframe { flex: 1; min-height: 120px; width: 100%; border: 1px solid #2d3640; border-radius: 4px; background: #fff; }
    .note { color: #8a9199; font-size: 11px; }
  `;

  /** The ports the container publishes (TCP, one per host port). */
  @property({ attribute: false }) ports: readonly PublishedPort[] = [];
  /** The host port shown (default: the first). */
  @property({ type: Number }) port?: number;
  @state() private reloads = 0;
  @query("iframe") private frame?: HTMLIFrameElement;

  private get current(): PublishedPort | undefined {
    return this.ports.find((p) => p.hostPort === this.port) ?? this.ports[0];
  }

  override render() {
    const p = this.current;
    if (!p) return html`<p class="note">This container publishes no TCP port while it runs: <span class="address">docker run -d -p 8080:80 …</span></p>`;
    const url = portUrl(p.container.name, p.hostPort);
    return html`<div class="bar">
        ${this.ports.length > 1
          ? html`<select aria-label="Published port" @change=${(e: Event) => (this.port = Number((e.target as HTMLSelectElement).value))}>
              ${this.ports.map((q) => html`<option value=${q.hostPort} ?selected=${q === p}>localhost:${q.hostPort} → ${q.containerPort}</option>`)}
            </select>`
          : ""}
        <span class="address" aria-label="Address" title="${p.container.name}'s ${p.containerPort}">http://localhost:${p.hostPort}/</span>
        <button @click=${() => this.reload()} title="Load the page again" aria-label="Reload">⟳</button>
        <a class="open" href=${url} target="_blank" rel="noopener" title="Open in a new tab" aria-label="Open in a new tab">↗</a>
      </div>
      <iframe sandbox="allow-same-origin allow-forms allow-popups" referrerpolicy="same-origin" title="Page served by ${p.container.name} on port ${p.containerPort}" src=${`${url}${this.reloads ? `?layerlab-reload=${this.reloads}` : ""}`}></iframe>
      <span class="note">${p.container.name}'s ${p.containerPort}, forwarded from localhost:${p.hostPort} as docker-proxy does. Its scripts do not run in the lab.</span>`;
  }

  private reload(): void {
    try {
      this.frame?.contentWindow?.location.reload();
    } catch {
      this.reloads++;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "port-preview": PortPreview;
  }
}
