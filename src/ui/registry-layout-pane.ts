/**
 * The registry-layout pane: for a pushed image (the last one pushed unless the learner names another),
 * the files the Distribution registry keeps — blob data by digest, the repository's layer links,
 * manifest revisions and tag links — the same tree `lab registry-layout` prints.
 */
import { LitElement, css, html } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { Daemon } from "../daemon/daemon.ts";
import { StoreWatch } from "./store-watch.ts";

@customElement("registry-layout-pane")
export class RegistryLayoutPane extends LitElement {
  static override styles = css`
    :host { display: flex; flex-direction: column; gap: 8px; min-height: 0; background: #0b0e14; border-radius: 8px; padding: 10px; color: #e6e1cf; font-size: 13px; }
    h2 { margin: 0; font-size: 14px; color: #ffcc66; font-weight: 600; }
    form { display: flex; gap: 6px; }
    label { position: absolute; left: -9999px; }
    input { flex: 1; min-width: 0; background: #0f1419; color: inherit; border: 1px solid #2d3640; border-radius: 4px; padding: 4px 6px; font: inherit; }
    button { background: #1f2630; color: inherit; border: 1px solid #2d3640; border-radius: 4px; padding: 4px 10px; font: inherit; cursor: pointer; }
    button:focus-visible, input:focus-visible { outline: 2px solid #ffcc66; outline-offset: 1px; }
    pre { margin: 0; overflow: auto; flex: 1; min-height: 0; font-size: 12px; line-height: 1.35; color: #b3b1ad; }
    .hint { color: #8a9199; }
  `;

  @property({ attribute: false }) daemon?: Daemon;
  @state() private name = "";
  @state() private tree = "";
  constructor() {
    super();
    new StoreWatch(this, (e) => e.type === "images" && void this.refresh(true));
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has("daemon") && this.daemon) void this.refresh(true);
  }

  /** Follows the most recently pushed image unless the learner typed a name. */
  private async refresh(follow: boolean): Promise<void> {
    if (!this.daemon) return;
    // Refreshes overlap (store changes, the learner's Show): only the latest may write.
    const n = ++this.refreshing;
    let name = this.name;
    if (follow && !this.typed) {
      const pushed = (await this.daemon.images.list()).filter((s) => s.repoDigests.length).sort((a, b) => b.image.createdAt - a.image.createdAt);
      for (const { repoDigests, repoTags } of pushed) {
        const repo = repoDigests.at(-1)!.split("@")[0]!;
        const tag = repoTags.find((t) => t.repository === repo);
        if (tag) {
          name = `${tag.repository}:${tag.tag}`;
          break;
        }
      }
    }
    let tree = "";
    if (name) tree = await this.daemon.images.registryLayout(name).catch((e: Error) => e.message);
    if (n !== this.refreshing || (follow && this.typed)) return;
    this.name = name;
    this.tree = tree;
  }

  private refreshing = 0;
  private typed = false;

  private onSubmit(e: Event): void {
    e.preventDefault();
    const input = this.renderRoot.querySelector("input")!;
    this.name = input.value.trim();
    this.typed = this.name !== "";
    void this.refresh(false);
  }

  override render() {
    return html`
      <h2 id="title">Registry layout</h2>
      <form @submit=${this.onSubmit} aria-labelledby="title">
        <label for="image">Image (NAME:TAG)</label>
        <input id="image" .value=${this.name} @input=${() => (this.typed = true)} placeholder="registry/name:tag" autocomplete="off" spellcheck="false" />
        <button type="submit">Show</button>
      </form>
      ${this.tree ? html`<pre aria-label="files the registry keeps">${this.tree}</pre>` : html`<p class="hint">Push an image (docker push) to see how the registry stores it on disk.</p>`}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "registry-layout-pane": RegistryLayoutPane;
  }
}
