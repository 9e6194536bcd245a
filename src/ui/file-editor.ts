/**
 * The editor for a host file (the workspace's click, or `edit FILE` in the terminal): CodeMirror 6,
 * Dockerfile highlighting for Dockerfile / *.dockerfile / Dockerfile.*, plain text otherwise. Save
 * (the button or Ctrl-S) writes the file back through the host's files. The page imports this module
 * only when a file is first opened, so CodeMirror is not on the first page.
 */
import { LitElement, css, html } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { StreamLanguage, bracketMatching, syntaxHighlighting } from "@codemirror/language";
import { dockerFile } from "@codemirror/legacy-modes/mode/dockerfile";
import { EditorState, type Extension } from "@codemirror/state";
import { EditorView, drawSelection, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";
import { humanSize } from "../daemon/units.ts";
import type { HostFiles } from "../terminal/host-files.ts";
import { tildePath } from "./workspace-panel.ts";

/** Larger files are not opened (the editor holds the whole text). */
const MAX_EDIT_BYTES = 4 << 20;

export function isDockerfileName(path: string): boolean {
  const base = path.slice(path.lastIndexOf("/") + 1).toLowerCase();
  return base === "dockerfile" || base.startsWith("dockerfile.") || base.endsWith(".dockerfile") || base === "containerfile";
}

const dockerfileLanguage = StreamLanguage.define(dockerFile);

const theme = EditorView.theme(
  {
    "&": { height: "100%", backgroundColor: "#0b0e14", color: "#e6e1cf", fontSize: "13px" },
    ".cm-scroller": { fontFamily: 'ui-monospace, "DejaVu Sans Mono", monospace', lineHeight: "1.5" },
    ".cm-content": { caretColor: "#ffcc66" },
    ".cm-cursor, .cm-dropCursor": { borderLeftColor: "#ffcc66" },
    "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection": { backgroundColor: "#273747" },
    ".cm-gutters": { backgroundColor: "#0b0e14", color: "#4d5566", border: "none" },
    ".cm-activeLine": { backgroundColor: "#131721" },
    ".cm-activeLineGutter": { backgroundColor: "#131721", color: "#8a9199" },
    "&.cm-focused": { outline: "none" },
  },
  { dark: true },
);

@customElement("file-editor")
export class FileEditor extends LitElement {
  static override styles = css`
    :host { display: flex; flex-direction: column; gap: 6px; min-height: 0; color: #e6e1cf; font-size: 13px; }
    .bar { display: flex; align-items: center; gap: 8px; min-width: 0; }
    h2 { margin: 0; font-size: 13px; color: #ffcc66; font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; }
    .meta { color: #8a9199; font-size: 12px; white-space: nowrap; }
    .state { color: #8a9199; font-size: 12px; white-space: nowrap; }
    .state.dirty { color: #ffcc66; }
    .state.error { color: #f28779; }
    .spacer { flex: 1; }
    button { background: #1f2630; color: inherit; border: 1px solid #2d3640; border-radius: 4px; padding: 3px 10px; font: inherit; font-size: 12px; cursor: pointer; }
    button:hover { background: #273040; }
    button:disabled { opacity: 0.5; cursor: default; }
    button:focus-visible { outline: 2px solid #ffcc66; outline-offset: 1px; }
    .cm-host { flex: 1; min-height: 0; border: 1px solid #1f2630; border-radius: 4px; overflow: hidden; }
    .message { color: #8a9199; padding: 8px 0; }
    /* Token colours (classHighlighter's tok-* classes): ayu dark, as the terminal. */
    .tok-keyword { color: #ff8f40; font-weight: 600; }
    .tok-string, .tok-string2 { color: #aad94c; }
    .tok-comment { color: #5c6773; font-style: italic; }
    .tok-variableName, .tok-variableName2 { color: #73d0ff; }
    .tok-number, .tok-atom, .tok-bool { color: #d2a6ff; }
    .tok-operator, .tok-punctuation { color: #f29668; }
    .tok-meta { color: #e6b673; }
  `;

  @property({ attribute: false }) files?: HostFiles;
  /** The absolute path of the file. */
  @property() path = "";
  /** The home directory, for showing `~/…`. */
  @property() home = "";
  /** Bumped by the page when the host's files may have changed (a command ran): an unmodified buffer follows the file. */
  @property({ type: Number }) version = 0;

  @state() private phase: "loading" | "ready" | "error" = "loading";
  @state() private message = "";
  @state() private dirty = false;
  @state() private saving = false;
  @state() private savedAt?: Date;
  @state() private isNew = false;
  @state() private bytes = 0;
  private view?: EditorView;
  private loaded?: string;
  private loads = 0;
  /** Set while the file's new contents replace the buffer (not the user's edit). */
  private following = false;

  /** The text in the editor (tests, and the page). */
  get text(): string | undefined {
    return this.view?.state.doc.toString();
  }

  override updated(changed: Map<string, unknown>): void {
    if ((changed.has("path") || changed.has("files")) && this.files && this.path && this.path !== this.loaded) void this.load();
    else if (changed.has("version") && changed.get("version") !== undefined) void this.follow();
  }

  /** Reads the file again; an unmodified buffer takes what a command wrote to it meanwhile. */
  private async follow(): Promise<void> {
    const view = this.view;
    if (!view || !this.files || this.dirty || this.saving) return;
    const n = this.loads;
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(await this.files.readFile(this.path));
    } catch {
      return; // gone or binary now: the buffer stays, Save writes it back
    }
    if (n !== this.loads || view !== this.view || this.dirty || text === view.state.doc.toString()) return;
    this.following = true;
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    this.following = false;
    this.bytes = new TextEncoder().encode(text).length;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.view?.destroy();
    this.view = undefined;
    this.loaded = undefined;
  }

  private async load(): Promise<void> {
    const files = this.files!;
    const path = this.path;
    const n = ++this.loads;
    this.loaded = path;
    this.view?.destroy();
    this.view = undefined;
    this.phase = "loading";
    this.dirty = false;
    this.savedAt = undefined;
    let text = "";
    try {
      const st = await files.stat(path).catch((e: { code?: string }) => {
        if (e.code === "ENOENT") return undefined;
        throw e;
      });
      if (n !== this.loads) return;
      this.isNew = !st;
      if (st?.type === "directory") throw new Error("is a directory");
      if (st && st.size > MAX_EDIT_BYTES) throw new Error(`${humanSize(st.size)}: too large to edit here`);
      const data = st ? await files.readFile(path) : new Uint8Array();
      if (n !== this.loads) return;
      this.bytes = data.length;
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(data);
      } catch {
        throw new Error(`a binary file (${humanSize(data.length)}): not text`);
      }
    } catch (e) {
      if (n !== this.loads) return;
      this.phase = "error";
      this.message = (e as Error).message.replace(/^E[A-Z]+: /, "").replace(/, \w+ '.*'$/, "");
      return;
    }
    this.phase = "ready";
    await this.updateComplete;
    if (n !== this.loads) return;
    const parent = this.renderRoot.querySelector<HTMLElement>(".cm-host")!;
    const extensions: Extension[] = [
      lineNumbers(),
      highlightActiveLineGutter(),
      highlightActiveLine(),
      drawSelection(),
      history(),
      bracketMatching(),
      syntaxHighlighting(classHighlighter),
      keymap.of([{ key: "Mod-s", preventDefault: true, run: () => (void this.save(), true) }, indentWithTab, ...defaultKeymap, ...historyKeymap]),
      EditorView.updateListener.of((u) => {
        if (u.docChanged && !this.following) this.dirty = true;
      }),
      theme,
      ...(isDockerfileName(path) ? [dockerfileLanguage] : []),
    ];
    const state = EditorState.create({ doc: text, extensions });
    this.view = new EditorView({ state, parent, root: this.renderRoot as ShadowRoot });
    this.view.focus();
  }

  /** Writes the editor's text to the file. */
  async save(): Promise<void> {
    const view = this.view;
    if (!view || !this.files || this.saving) return;
    this.saving = true;
    const data = new TextEncoder().encode(view.state.doc.toString());
    try {
      await this.files.writeFile(this.path, data);
      this.dirty = false;
      this.isNew = false;
      this.bytes = data.length;
      this.savedAt = new Date();
      this.message = "";
      this.dispatchEvent(new CustomEvent("saved", { detail: this.path, bubbles: true, composed: true }));
    } catch (e) {
      this.message = `not saved: ${(e as Error).message}`;
    } finally {
      this.saving = false;
    }
  }

  /** Asks the page to close the editor (after a confirm when there are unsaved changes). */
  close(): void {
    if (this.dirty && !confirm(`Close ${tildePath(this.path, this.home)} without saving?`)) return;
    this.dispatchEvent(new CustomEvent("close", { bubbles: true, composed: true }));
  }

  override render() {
    const name = tildePath(this.path, this.home);
    const status = this.message
      ? html`<span class="state error" role="alert">${this.message}</span>`
      : this.dirty
        ? html`<span class="state dirty">modified</span>`
        : this.savedAt
          ? html`<span class="state" role="status">saved</span>`
          : this.isNew
            ? html`<span class="state">new file</span>`
            : "";
    return html`<div class="bar">
        <h2 title=${this.path}>${name}</h2>
        <span class="meta">${this.phase === "ready" ? `${humanSize(this.bytes)}${isDockerfileName(this.path) ? " · Dockerfile" : ""}` : ""}</span>
        ${this.phase === "ready" ? status : ""}
        <span class="spacer"></span>
        <button class="save" ?disabled=${this.phase !== "ready" || this.saving} @click=${() => void this.save()} title="Save (Ctrl-S)">Save</button>
        <button class="close" @click=${() => this.close()} title="Close the editor (back to the explorer)">Close</button>
      </div>
      ${this.phase === "error"
        ? html`<p class="message">${name}: ${this.message}</p>`
        : this.phase === "loading"
          ? html`<p class="message">Opening ${name}…</p>`
          : html`<div class="cm-host"></div>`}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "file-editor": FileEditor;
  }
}
