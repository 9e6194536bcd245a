/**
 * The union filesystem as a tree: each entry coloured by the layer it comes from (C = the container
 * layer). With a layer chosen, that layer's own changes instead: added, modified, and removed
 * (whiteouts and what an opaque directory hides) entries, each marked as such.
 */
import { LitElement, css, html } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import { humanSizeWithPrecision } from "../daemon/units.ts";
import { colourOf, layerLabel, type ExplorerEntry, type ExplorerSource } from "./explorer-source.ts";

@customElement("union-tree")
export class UnionTree extends LitElement {
  static override styles = css`
    :host { display: block; color: #e6e1cf; font: 12px/1.5 ui-monospace, "DejaVu Sans Mono", monospace; overflow: auto; }
    ul { list-style: none; margin: 0; padding-left: 14px; }
    :host > ul { padding-left: 0; }
    button { all: unset; cursor: pointer; display: inline-flex; gap: 6px; align-items: baseline; padding: 0 4px; border-radius: 3px; }
    button:focus-visible { outline: 2px solid #ffcc66; }
    button[aria-selected="true"] { background: #273040; }
    .badge { font-size: 10px; padding: 0 3px; border-radius: 3px; color: #0b0e14; }
    .size { color: #8a9199; }
    .kind { display: inline-block; width: 1.6em; font-weight: 700; }
    .A { color: #bae67e; } .M { color: #ffd580; } .D { color: #f28779; text-decoration: line-through; }
    p { margin: 4px 0; color: #8a9199; font-family: system-ui, sans-serif; }
  `;

  @property({ attribute: false }) source?: ExplorerSource;
  @property({ attribute: false }) layer?: number | "C";
  @property({ attribute: false }) selectedPath?: string;
  @state() private open = new Set<string>([""]);

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has("source") && changed.get("source") !== undefined) {
      const prev = changed.get("source") as ExplorerSource | undefined;
      if (prev?.title !== this.source?.title) this.open = new Set([""]);
    }
  }

  private pick(path: string, type: string): void {
    if (type === "dir") {
      const next = new Set(this.open);
      if (next.has(path)) next.delete(path);
      else next.add(path);
      this.open = next;
    }
    this.dispatchEvent(new CustomEvent("file", { detail: { path, type } }));
  }

  private renderDir(dir: string): unknown {
    let entries: ExplorerEntry[];
    try {
      entries = this.source!.list(dir);
    } catch {
      return "";
    }
    return html`<ul role=${dir ? "group" : "tree"} aria-label=${dir ? "" : "Union filesystem"}>
      ${entries.map((e) => {
        const isDir = e.type === "dir";
        const expanded = isDir && this.open.has(e.path);
        const badge = layerLabel(this.source!, e.origin);
        return html`<li role="treeitem" aria-expanded=${isDir ? String(expanded) : "undefined"}>
          <button aria-selected=${this.selectedPath === e.path} @click=${() => this.pick(e.path, e.type)}>
            <span class="badge" style="background:${colourOf(e.origin)}" title=${e.origin === "C" ? "container layer" : badge === "init" ? "Docker's init layer" : `layer ${e.origin}`}>${badge}</span>
            <span style="color:${colourOf(e.origin)}">${isDir ? (expanded ? "▾ " : "▸ ") : ""}${e.name}${isDir ? "/" : e.type === "symlink" ? "@" : ""}</span>
            ${e.type === "file" ? html`<span class="size">${humanSizeWithPrecision(e.size, 3)}</span>` : ""}
          </button>
          ${expanded ? this.renderDir(e.path) : ""}
        </li>`;
      })}
    </ul>`;
  }

  override render() {
    if (!this.source) return html`<p>Choose an image or a container.</p>`;
    if (this.layer !== undefined) {
      const l = this.source.layers.find((x) => x.index === this.layer);
      if (!l) return "";
      const rows = [...l.added.map((p) => ["A", p]), ...l.modified.map((p) => ["M", p]), ...l.removed.map((p) => ["D", p])].sort((a, b) => (a[1]! < b[1]! ? -1 : 1));
      return html`<p>${l.index === "C" ? "The container layer" : `Layer L${l.index}`}: ${l.added.length} added, ${l.modified.length} modified, ${l.removed.length} removed (whiteouts)</p>
        <ul aria-label="Changes in this layer">
          ${rows.map(([k, p]) => html`<li><button aria-selected=${this.selectedPath === p} @click=${() => k !== "D" && this.pick(p!, "file")}><span class="kind ${k}">${k}</span><span class=${k!}>/${p}</span></button></li>`)}
        </ul>`;
    }
    return this.renderDir("");
  }
}
