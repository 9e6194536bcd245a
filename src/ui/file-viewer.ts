/**
 * A file of the selected image or container: text, or a hex dump for binary. In a container it can
 * be edited; saving writes into the container layer (a file from an image layer is copied up first,
 * as overlay2 does), and the tree then shows it as the container's.
 */
import { LitElement, css, html } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { ExplorerSource } from "./explorer-source.ts";

const SHOWN = 64 * 1024;

function isText(b: Uint8Array): boolean {
  if (b.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

function hexDump(b: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < Math.min(b.length, 4096); i += 16) {
    const row = b.subarray(i, i + 16);
    const hex = Array.from(row, (x) => x.toString(16).padStart(2, "0")).join(" ");
    const ascii = Array.from(row, (x) => (x >= 32 && x < 127 ? String.fromCharCode(x) : ".")).join("");
    lines.push(`${i.toString(16).padStart(8, "0")}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (b.length > 4096) lines.push(`… ${b.length - 4096} more bytes`);
  return lines.join("\n");
}

@customElement("file-viewer")
export class FileViewer extends LitElement {
  static override styles = css`
    :host { display: flex; flex-direction: column; gap: 6px; min-height: 0; color: #e6e1cf; font-size: 12px; }
    header { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
    .path { font-family: ui-monospace, monospace; }
    .muted { color: #8a9199; }
    pre, textarea { flex: 1; min-height: 120px; margin: 0; overflow: auto; background: #0f1419; color: #e6e1cf; border: 1px solid #2d3640; border-radius: 4px; padding: 6px; font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; box-sizing: border-box; width: 100%; resize: vertical; }
    button { background: #1f2630; color: inherit; border: 1px solid #2d3640; border-radius: 4px; padding: 3px 10px; font: inherit; cursor: pointer; }
    button:focus-visible, textarea:focus-visible { outline: 2px solid #ffcc66; outline-offset: 1px; }
    label { position: absolute; left: -9999px; }
  `;

  @property({ attribute: false }) source?: ExplorerSource;
  @property() path?: string;
  @state() private bytes?: Uint8Array;
  @state() private error = "";
  @state() private draft?: string;
  @state() private note = "";

  override async willUpdate(changed: Map<string, unknown>): Promise<void> {
    if ((changed.has("path") || changed.has("source")) && this.source && this.path) {
      const path = this.path;
      this.bytes = undefined;
      this.draft = undefined;
      this.error = "";
      // A reload of the same file after a save keeps the note saying where the save went.
      if (changed.has("path")) this.note = "";
      try {
        const b = await this.source.read(path);
        if (path === this.path) this.bytes = b;
      } catch (e) {
        this.error = (e as Error).message;
      }
    }
  }

  private async save(): Promise<void> {
    if (!this.source?.write || !this.path || this.draft === undefined) return;
    const origin = this.source.list(this.path.includes("/") ? this.path.slice(0, this.path.lastIndexOf("/")) : "").find((e) => e.path === this.path)?.origin;
    await this.source.write(this.path, new TextEncoder().encode(this.draft));
    this.note = origin !== undefined && origin !== "C" ? `copied up from L${origin} into the container layer` : "saved in the container layer";
    this.dispatchEvent(new CustomEvent("saved", { detail: this.path, bubbles: true, composed: true }));
  }

  override render() {
    if (!this.path) return html`<p class="muted">Choose a file in the tree.</p>`;
    const b = this.bytes;
    const text = b && b.length <= SHOWN && isText(b) ? new TextDecoder().decode(b) : undefined;
    const editable = !!this.source?.write && text !== undefined;
    return html`<header>
        <span class="path">/${this.path}</span>
        ${b ? html`<span class="muted">${b.length} bytes${text === undefined ? " · binary (hex)" : ""}</span>` : ""}
        ${editable ? html`<button @click=${this.save} ?disabled=${this.draft === undefined}>Save to container layer</button>` : ""}
        <span class="muted" role="status">${this.note}</span>
      </header>
      ${this.error ? html`<p class="muted">${this.error}</p>` : ""}
      ${b === undefined
        ? ""
        : editable
          ? html`<label for="t">Contents of /${this.path}</label><textarea id="t" spellcheck="false" .value=${this.draft ?? text!} @input=${(e: Event) => (this.draft = (e.target as HTMLTextAreaElement).value)}></textarea>`
          : html`<pre aria-label="Contents of /${this.path}">${text ?? hexDump(b)}</pre>`}`;
  }
}
