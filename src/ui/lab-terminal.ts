/**
 * The terminal: xterm.js with a small line editor (history, cursor keys, Ctrl-C/Ctrl-L, Tab) that
 * hands each line to a CommandLine. The page-level automation hook runs lines through here too.
 * xterm.js (a third of the page's script) is fetched as the element first renders, not with the page:
 * the first screen draws without it, and lines run before it is open wait for it (`opened`).
 */
import { LitElement, css, html } from "lit";
import { customElement, property } from "lit/decorators.js";
import type { Terminal } from "@xterm/xterm";
import type { FitAddon } from "@xterm/addon-fit";
import type { CliIO, CommandLine } from "../terminal/types.ts";

const PROMPT = "\x1b[1;32m$\x1b[0m ";
/** Bash's PS2: the prompt of a command's next line (a here-document, an open quote). */
const CONTINUATION = "> ";
const HISTORY_KEY = "layerlab.history";

export interface ExecResult {
  code: number;
  output: string;
}

@customElement("lab-terminal")
export class LabTerminal extends LitElement {
  static override styles = [
    css`
      :host { display: block; position: relative; min-height: 0; background: #0b0e14; border-radius: 8px; overflow: hidden; }
      .term { position: absolute; inset: 8px; }
    `,
  ];

  @property({ attribute: false }) commandLine?: CommandLine;

  private term?: Terminal;
  private fit?: FitAddon;
  private line = "";
  /** The lines of a command typed so far, when it needs more (see CommandLine.needsMore). */
  private pending = "";
  /** Pasted text after a line that ran: typed once the prompt is back, as a shell reads ahead. */
  private typeahead = "";
  private cursor = 0;
  private history: string[] = [];
  private historyIndex = -1;
  private running?: AbortController;
  private openedResolve!: () => void;
  private openedReject!: (e: unknown) => void;
  /** Resolves once xterm.js is loaded and open in the element; rejects if it could not be loaded. */
  readonly opened = new Promise<void>((resolve, reject) => {
    this.openedResolve = resolve;
    this.openedReject = reject;
  });
  private queue: Promise<unknown> = this.opened;
  private resizeObserver?: ResizeObserver;

  override render() {
    return html`<div class="term" role="application" aria-label="Terminal: type docker commands"></div>`;
  }

  override firstUpdated(): void {
    this.opened.catch(() => {}); // reported by whoever awaits it (the page's start)
    this.openTerminal().catch((e: unknown) => this.openedReject(e));
  }

  private async openTerminal(): Promise<void> {
    const [{ Terminal }, { FitAddon }, { default: xtermCss }] = await Promise.all([
      import("@xterm/xterm"),
      import("@xterm/addon-fit"),
      import("@xterm/xterm/css/xterm.css?inline"),
    ]);
    const style = document.createElement("style");
    style.textContent = xtermCss;
    this.renderRoot.prepend(style); // before the element's own styles' rules take effect on .term
    const host = this.renderRoot.querySelector(".term") as HTMLElement;
    this.term = new Terminal({
      fontFamily: '"DejaVu Sans Mono", "Cascadia Mono", Menlo, monospace',
      // Docker's tables need ~80 columns; on a phone a smaller font keeps them closer to one line each.
      fontSize: window.innerWidth < 600 ? 11 : 14,
      cursorBlink: true,
      convertEol: true,
      scrollback: 5000,
      theme: { background: "#0b0e14", foreground: "#e6e1cf", cursor: "#ffcc66", selectionBackground: "#273747" },
    });
    this.fit = new FitAddon();
    this.term.loadAddon(this.fit);
    this.term.open(host);
    this.fit.fit();
    this.resizeObserver = new ResizeObserver(() => this.fit?.fit());
    this.resizeObserver.observe(host);
    try {
      this.history = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? "[]") as string[];
    } catch {
      this.history = [];
    }
    this.term.writeln("\x1b[1mLayerlab\x1b[0m — a container-image lab in your browser tab. Type \x1b[1mhelp\x1b[0m to start.");
    this.term.write(PROMPT);
    this.term.onData((d) => this.onData(d));
    this.term.focus();
    this.openedResolve();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
    this.term?.dispose();
  }

  override focus(): void {
    this.term?.focus();
  }

  /** The cursor's row counted from the row the prompt is on: a line longer than the terminal is wide wraps. */
  private cursorRow = 0;

  /**
   * Draws the prompt and the line being edited again, from the prompt's first row (all the rows a
   * wrapped line takes are cleared), and puts the cursor at its place in the line.
   */
  private redrawLine(): void {
    const t = this.term!;
    const cols = Math.max(1, t.cols);
    // "$ " and "> " are both two columns wide.
    const end = 2 + this.line.length;
    const at = 2 + this.cursor;
    let s = `${this.cursorRow > 0 ? `\x1b[${this.cursorRow}A` : ""}\r\x1b[J${this.pending ? CONTINUATION : PROMPT}${this.line}`;
    // Text that ends exactly at the right edge leaves the cursor on the last column (xterm wraps at the next character).
    let row = Math.floor(end / cols);
    if (end % cols === 0) {
      if (at === end) s += "\r\n";
      else row--;
    }
    const atRow = Math.floor(at / cols);
    if (row > atRow) s += `\x1b[${row - atRow}A`;
    s += `\r${at % cols ? `\x1b[${at % cols}C` : ""}`;
    t.write(s);
    this.cursorRow = atRow;
  }

  /** Moves the cursor past the end of the line being edited, onto a new row: what comes next starts there. */
  private newRow(): void {
    if (this.cursor !== this.line.length) {
      this.cursor = this.line.length;
      this.redrawLine();
    }
    const cols = Math.max(1, this.term!.cols);
    // A line that ends at the right edge has put the cursor on the next row already.
    if (this.line.length === 0 || (2 + this.line.length) % cols !== 0) this.term!.write("\r\n");
    this.cursorRow = 0;
  }

  /** Who has the keyboard while a command runs (docker run -i). */
  private inputTaker?: (data: string) => void;

  private onData(data: string): void {
    if (this.running && this.inputTaker) {
      this.inputTaker(data);
      return;
    }
    if (this.running) {
      if (data === "\x03") this.typeahead = "";
      if (data === "\x03") this.running.abort(Object.assign(new Error("canceled"), { name: "AbortError" }));
      return;
    }
    // Pasted text arrives as one chunk: insert printable runs, handle control sequences one by one.
    for (let i = 0; i < data.length; i++) {
      const rest = data.slice(i);
      const seq = /^\x1b\[(?:[0-9;]*)[A-Za-z~]|^\x1bO[A-Za-z]/.exec(rest)?.[0];
      if (seq) {
        this.onKeySequence(seq);
        i += seq.length - 1;
        continue;
      }
      const c = data[i]!;
      if (c === "\r" || c === "\n") {
        const text = this.pending + this.line;
        this.newRow();
        this.line = "";
        this.cursor = 0;
        if (this.commandLine?.needsMore?.(text)) {
          this.pending = `${text}\n`;
          this.term!.write(CONTINUATION);
          if (c === "\r" && data[i + 1] === "\n") i++;
          continue;
        }
        this.pending = "";
        // A pasted block runs line by line, each once the one before has finished.
        this.typeahead = data.slice(c === "\r" && data[i + 1] === "\n" ? i + 2 : i + 1);
        void this.submit(text);
        return;
      } else if (c === "\x7f" || c === "\b") {
        if (this.cursor > 0) {
          this.line = this.line.slice(0, this.cursor - 1) + this.line.slice(this.cursor);
          this.cursor--;
          this.redrawLine();
        }
      } else if (c === "\x03") {
        this.cursor = this.line.length;
        this.redrawLine();
        this.term!.write("^C");
        this.line += "^C";
        this.cursor = this.line.length;
        this.newRow();
        this.line = "";
        this.pending = "";
        this.typeahead = "";
        this.cursor = 0;
        this.term!.write(PROMPT);
      } else if (c === "\x0c") {
        this.term!.clear();
        // Only the cursor's row stays: the line is drawn again from there.
        this.cursorRow = 0;
        this.redrawLine();
      } else if (c === "\x01") {
        this.cursor = 0;
        this.redrawLine();
      } else if (c === "\x05") {
        this.cursor = this.line.length;
        this.redrawLine();
      } else if (c === "\x15") {
        this.line = this.line.slice(this.cursor);
        this.cursor = 0;
        this.redrawLine();
      } else if (c === "\t") {
        this.complete();
      } else if (c >= " ") {
        this.line = this.line.slice(0, this.cursor) + c + this.line.slice(this.cursor);
        this.cursor++;
        this.redrawLine();
      }
    }
  }

  private onKeySequence(seq: string): void {
    switch (seq) {
      case "\x1b[A":
      case "\x1bOA":
        if (this.history.length === 0) return;
        this.historyIndex = this.historyIndex < 0 ? this.history.length - 1 : Math.max(0, this.historyIndex - 1);
        this.line = this.history[this.historyIndex]!;
        this.cursor = this.line.length;
        break;
      case "\x1b[B":
      case "\x1bOB":
        if (this.historyIndex < 0) return;
        this.historyIndex++;
        if (this.historyIndex >= this.history.length) {
          this.historyIndex = -1;
          this.line = "";
        } else this.line = this.history[this.historyIndex]!;
        this.cursor = this.line.length;
        break;
      case "\x1b[C":
      case "\x1bOC":
        this.cursor = Math.min(this.line.length, this.cursor + 1);
        break;
      case "\x1b[D":
      case "\x1bOD":
        this.cursor = Math.max(0, this.cursor - 1);
        break;
      case "\x1b[H":
      case "\x1bOH":
      case "\x1b[1~":
        this.cursor = 0;
        break;
      case "\x1b[F":
      case "\x1bOF":
      case "\x1b[4~":
        this.cursor = this.line.length;
        break;
      case "\x1b[3~":
        this.line = this.line.slice(0, this.cursor) + this.line.slice(this.cursor + 1);
        break;
      default:
        return;
    }
    this.redrawLine();
  }

  private complete(): void {
    const candidates = this.commandLine?.complete?.(this.line.slice(0, this.cursor)) ?? [];
    if (candidates.length === 0) return;
    const words = this.line.slice(0, this.cursor).split(/\s+/);
    const partial = words.at(-1) ?? "";
    if (candidates.length === 1) {
      const add = candidates[0]!.slice(partial.length) + " ";
      this.line = this.line.slice(0, this.cursor) + add + this.line.slice(this.cursor);
      this.cursor += add.length;
      this.redrawLine();
    } else {
      const cursor = this.cursor;
      this.newRow();
      this.term!.write(`${candidates.join("  ")}\r\n`);
      this.cursor = cursor;
      this.redrawLine();
    }
  }

  private rememberHistory(line: string): void {
    if (!line.trim() || this.history.at(-1) === line) return;
    this.history.push(line);
    if (this.history.length > 500) this.history.splice(0, this.history.length - 500);
    localStorage.setItem(HISTORY_KEY, JSON.stringify(this.history));
  }

  private async submit(line: string): Promise<void> {
    this.historyIndex = -1;
    await this.runLine(line, true);
    this.term!.write(PROMPT);
    const more = this.typeahead;
    this.typeahead = "";
    if (more) this.onData(more);
  }

  /**
   * Runs one line. Typed lines get a TTY (progress redrawn in place). Lines from the automation hook
   * run without a TTY, so the text they return is Docker's non-TTY output (each status once), and
   * the same text is shown in the terminal.
   */
  /** Every command line run here (typed, or from a lesson's Run button), oldest first. */
  get commandHistory(): readonly string[] {
    return this.history;
  }

  private async runLine(line: string, tty: boolean): Promise<ExecResult> {
    const t = this.term!;
    this.rememberHistory(line);
    if (line.trim() === "clear") {
      t.clear();
      return { code: 0, output: "" };
    }
    if (!this.commandLine) {
      t.writeln("the lab is still starting…");
      return { code: 1, output: "" };
    }
    let output = "";
    const ctrl = new AbortController();
    this.running = ctrl;
    const io: CliIO = {
      tty,
      columns: t.cols,
      rows: t.rows,
      signal: ctrl.signal,
      writeRaw: (data) => {
        output += new TextDecoder().decode(data);
        t.write(data);
      },
      takeInput: (fn) => {
        this.inputTaker = fn;
        return () => {
          if (this.inputTaker === fn) this.inputTaker = undefined;
        };
      },
      onResize: (fn) => {
        const d = t.onResize(({ rows, cols }) => fn(rows, cols));
        return () => d.dispose();
      },
      stdout: (s) => {
        output += s;
        t.write(s);
      },
      stderr: (s) => {
        output += s;
        t.write(`\x1b[31m${s}\x1b[0m`);
      },
      activity: (a) => this.dispatchEvent(new CustomEvent("activity", { detail: a, bubbles: true, composed: true })),
      download: async (name, data) => {
        // Chromium keeps large Blobs on disk, so the archive is not held in the page's memory.
        const blob = await new Response(data).blob();
        const url = URL.createObjectURL(blob);
        const a = document.createElement("a");
        a.href = url;
        a.download = name;
        a.click();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
      },
      upload: (accept) =>
        new Promise((resolve) => {
          const dropped = this.dropped;
          this.dropped = undefined;
          if (dropped) return resolve({ name: dropped.name, data: dropped.stream() as ReadableStream<Uint8Array> });
          const input = document.createElement("input");
          input.type = "file";
          if (accept) input.accept = accept;
          input.onchange = () => {
            const file = input.files?.[0];
            resolve(file ? { name: file.name, data: file.stream() as ReadableStream<Uint8Array> } : undefined);
          };
          input.oncancel = () => resolve(undefined);
          input.click();
        }),
    };
    try {
      const code = await this.commandLine.exec(line, io);
      return { code, output };
    } finally {
      this.running = undefined;
      this.inputTaker = undefined;
      this.dispatchEvent(new CustomEvent("command", { detail: line, bubbles: true, composed: true }));
    }
  }

  /** A file dropped on the page, handed to the next command that asks for one. */
  private dropped?: File;

  /** Runs a command with a dropped file as its upload (a dropped .tar is `docker load`). */
  execWithFile(line: string, file: File): Promise<ExecResult> {
    return this.exec(line, file);
  }

  /** The automation hook's entry: shows the line as typed, runs it, returns code and plain output. */
  exec(line: string, file?: File): Promise<ExecResult> {
    const run = async () => {
      this.dropped = file;
      this.term!.write(`${this.cursorRow > 0 ? `\x1b[${this.cursorRow}A` : ""}\r\x1b[J${PROMPT}${line}\r\n`);
      this.cursorRow = 0;
      const r = await this.runLine(line, false);
      this.term!.write(PROMPT);
      return r;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => {});
    return p;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "lab-terminal": LabTerminal;
  }
}
