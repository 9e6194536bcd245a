/**
 * The workspace: the host's home directory as a small tree — folders open and close, the shell's
 * working directory is marked, files show their size. Clicking a file asks the page to open it in the
 * editor (`open-file`); each entry has a Download action (`download-entry`: a folder goes as a tar).
 * The page bumps `version` after each command and each drop, and the tree is read again.
 */
import { LitElement, css, html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import { humanSize } from "../daemon/units.ts";
import type { Host, HostFileType, HostFiles } from "../terminal/host-files.ts";
import { panelStyles } from "./panel-styles.ts";

interface Entry {
  name: string;
  path: string;
  /** What a link points at counts: a link to a folder opens like one. */
  type: HostFileType;
  size: number;
}

/** "~/w/a.txt" for paths under the home directory. */
export function tildePath(path: string, home: string): string {
  return path === home ? "~" : path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

@customElement("workspace-panel")
export class WorkspacePanel extends LitElement {
  static override styles = [
    panelStyles,
    css`
      :host { display: flex; flex-direction: column; min-height: 100%; }
      .where { margin: 0 0 8px; }
      .where code { color: #95e6cb; }
      .tree { font: 12px/1.5 ui-monospace, "DejaVu Sans Mono", monospace; }
      .item { display: flex; align-items: center; gap: 4px; border-radius: 4px; }
      .item:hover, .item:focus-within { background: #141a24; }
      .item.open { background: #1a2130; }
      .name { flex: 1; min-width: 0; display: flex; align-items: center; gap: 4px; background: transparent; border: none; padding: 1px 2px; color: #e6e1cf; font: inherit; text-align: left; cursor: pointer; overflow: hidden; }
      .name span.label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .dir > .name .label { color: #73d0ff; }
      .twisty { width: 1.1em; flex: none; color: #8a9199; text-align: center; }
      .size { flex: none; color: #8a9199; font-variant-numeric: tabular-nums; }
      .cwd { flex: none; font-size: 10px; line-height: 1.3; padding: 0 4px; border-radius: 3px; background: #ffcc66; color: #0b0e14; font-weight: 600; }
      .item.here > .name .label { color: #ffcc66; }
      button.dl { flex: none; padding: 0 6px; font-size: 12px; line-height: 1.4; visibility: hidden; }
      .item:hover button.dl, .item:focus-within button.dl { visibility: visible; }
      .hint { margin: 10px 0 0; line-height: 1.45; }
      .tree .none { color: #8a9199; padding: 1px 0; }
    `,
  ];

  @property({ attribute: false }) host?: Host;
  /** Bumped by the page when the files may have changed (a command ran, files were dropped). */
  @property({ type: Number }) version = 0;
  /** The file open in the editor, marked in the tree. */
  @property({ attribute: false }) openPath?: string;

  @state() private listings = new Map<string, Entry[] | string>();
  /** Folders the learner opened (the home directory starts open). */
  @state() private expanded = new Set<string>();
  /** Folders the learner closed: the working directory's ancestors open by themselves otherwise. */
  private closed = new Set<string>();
  private loading = 0;
  private lastCwd?: string;

  override willUpdate(changed: Map<string, unknown>): void {
    const host = this.host;
    if (!host) return;
    if (changed.has("host")) this.expanded = new Set([host.home]);
    if (host.cwd !== this.lastCwd) {
      // A new working directory: open the folders down to it and it, so the mark and what is there show.
      this.lastCwd = host.cwd;
      if (host.cwd === host.home || host.cwd.startsWith(`${host.home}/`)) {
        let at = host.home;
        for (const p of ["", ...host.cwd.slice(host.home.length + 1).split("/").filter(Boolean)]) {
          if (p) at = `${at}/${p}`;
          if (!this.closed.has(at) || at === host.cwd) this.expanded.add(at);
        }
        this.closed.delete(host.cwd);
      }
    }
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has("host") || changed.has("version")) void this.load();
  }

  /** Reads every open folder again. */
  async load(): Promise<void> {
    const host = this.host;
    if (!host) return;
    const n = ++this.loading;
    const listings = new Map<string, Entry[] | string>();
    const read = async (dir: string): Promise<void> => {
      const found = await this.list(host.files, dir);
      listings.set(dir, found);
      if (typeof found === "string") return;
      await Promise.all(found.filter((e) => e.type === "directory" && this.expanded.has(e.path)).map((e) => read(e.path)));
    };
    await read(host.home);
    if (n !== this.loading) return;
    this.listings = listings;
  }

  private async list(files: HostFiles, dir: string): Promise<Entry[] | string> {
    try {
      const names = await files.readdir(dir);
      const entries = await Promise.all(
        names.map(async (d): Promise<Entry> => {
          const path = `${dir === "/" ? "" : dir}/${d.name}`;
          const st = await files.stat(path).catch(() => undefined);
          return { name: d.name, path, type: st?.type ?? d.type, size: st?.size ?? 0 };
        }),
      );
      // Folders first, then files, each by name.
      return entries.sort((a, b) => Number(b.type === "directory") - Number(a.type === "directory") || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (e) {
      return (e as Error).message;
    }
  }

  private toggle(path: string): void {
    const expanded = new Set(this.expanded);
    if (expanded.has(path)) {
      expanded.delete(path);
      this.closed.add(path);
    } else {
      expanded.add(path);
      this.closed.delete(path);
    }
    this.expanded = expanded;
    void this.load();
  }

  private emit(name: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }

  private onKey(e: KeyboardEvent, entry: Entry): void {
    if (entry.type !== "directory") return;
    const open = this.expanded.has(entry.path);
    if ((e.key === "ArrowRight" && !open) || (e.key === "ArrowLeft" && open)) {
      e.preventDefault();
      this.toggle(entry.path);
    }
  }

  override render() {
    const host = this.host;
    if (!host) return html`<h2>Files</h2><p class="empty">The terminal has no host files.</p>`;
    const home = this.listings.get(host.home);
    return html`<h2 id="h">Files</h2>
      <p class="where muted">Home <code>${host.home}</code> · working directory <code>${tildePath(host.cwd, host.home)}</code></p>
      ${home === undefined
        ? html`<p class="empty">Reading…</p>`
        : typeof home === "string"
          ? html`<p class="empty">${home}</p>`
          : html`<div class="tree" role="tree" aria-labelledby="h">
              ${this.renderItem(host, { name: "~", path: host.home, type: "directory", size: 0 }, 0)}
            </div>`}
      <p class="hint muted">Click a file to edit it (or type <code>edit FILE</code>). Drop files or a folder on the page to copy them into the working directory.</p>`;
  }

  private renderItem(host: Host, entry: Entry, depth: number): unknown {
    const isDir = entry.type === "directory";
    const open = isDir && this.expanded.has(entry.path);
    const children = open ? this.listings.get(entry.path) : undefined;
    const here = isDir && entry.path === host.cwd;
    const label = tildePath(entry.path, host.home);
    return html`<div
        class="item ${isDir ? "dir" : "file"} ${here ? "here" : ""} ${entry.path === this.openPath ? "open" : ""}"
        role="treeitem"
        aria-level=${depth + 1}
        aria-expanded=${isDir ? String(open) : nothing}
        aria-current=${here ? "location" : nothing}
        data-path=${entry.path}
        style="padding-left:${depth * 14}px"
      >
        <button class="name" title=${label} @click=${() => (isDir ? this.toggle(entry.path) : this.emit("open-file", entry.path))} @keydown=${(e: KeyboardEvent) => this.onKey(e, entry)}>
          <span class="twisty" aria-hidden="true">${isDir ? (open ? "▾" : "▸") : ""}</span><span class="label">${entry.name}${isDir && depth > 0 ? "/" : ""}</span>
        </button>
        ${here ? html`<span class="cwd" title="the shell's working directory">cwd</span>` : ""}
        ${isDir ? "" : html`<span class="size">${humanSize(entry.size)}</span>`}
        <button class="dl" title=${isDir ? `Download ${label} as a tar` : `Download ${label}`} aria-label=${`Download ${label}`} @click=${() => this.emit("download-entry", { path: entry.path, type: entry.type })}>⤓</button>
      </div>
      ${open
        ? typeof children === "string"
          ? html`<div class="none" style="padding-left:${(depth + 1) * 14 + 19}px">${children}</div>`
          : children?.length === 0
            ? html`<div class="none" style="padding-left:${(depth + 1) * 14 + 19}px">(empty)</div>`
            : children?.map((c) => this.renderItem(host, c, depth + 1))
        : ""}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "workspace-panel": WorkspacePanel;
  }
}
