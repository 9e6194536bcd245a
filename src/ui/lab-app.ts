/**
 * The page shell: a side panel with tabs (lessons, images, containers, the host's files, the builds
 * of this session, storage, the registry layout), the explorer (layer stack, union tree, file viewer)
 * for what is selected — or the editor while a host file is open — and the terminal.
 */
import { LitElement, css, html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import type { Daemon } from "../daemon/daemon.ts";
import type { Host } from "../terminal/host-files.ts";
import type { Activity, CliIO, CommandLine } from "../terminal/types.ts";
import "./lab-terminal.ts";
import "./registry-layout-pane.ts";
import "./storage-pane.ts";
import "./images-panel.ts";
import "./containers-panel.ts";
import "./explorer-view.ts";
import "./lesson-panel.ts";
import "./workspace-panel.ts";
import { tildePath } from "./workspace-panel.ts";
import type { Selection } from "./explorer-source.ts";
import type { PreviewRequest } from "./containers-panel.ts";
import type { ExplorerView } from "./explorer-view.ts";
import type { LessonPanel } from "./lesson-panel.ts";
import type { Language, Lesson, LessonContext, Step } from "../lessons/types.ts";
import type { ExecResult, LabTerminal } from "./lab-terminal.ts";
import { humanSize } from "../daemon/units.ts";
import { moveTabWithArrows } from "./tabs.ts";
import { BuildSession } from "./build-session.ts";

declare global {
  interface Window {
    /** The automation hook (tests, benchmarks, lessons): the page's one daemon and its terminal. */
    layerlab?: { ready: Promise<void>; exec(line: string): Promise<ExecResult>; daemon?: Daemon; host?: Host };
  }
}

type Tab = "lessons" | "images" | "containers" | "files" | "build" | "storage" | "registry";
const TABS: { id: Tab; label: Record<Language, string> }[] = [
  { id: "lessons", label: { en: "Lessons", zh: "课程" } },
  { id: "images", label: { en: "Images", zh: "镜像" } },
  { id: "containers", label: { en: "Containers", zh: "容器" } },
  { id: "files", label: { en: "Files", zh: "文件" } },
  { id: "build", label: { en: "Build", zh: "构建" } },
  { id: "storage", label: { en: "Storage", zh: "存储" } },
  { id: "registry", label: { en: "Registry", zh: "镜像仓库" } },
];

@customElement("lab-app")
export class LabApp extends LitElement {
  static override styles = css`
    :host { display: grid; grid-template-rows: auto minmax(0, 1fr); height: 100vh; height: 100dvh; box-sizing: border-box; }
    header { display: flex; align-items: baseline; gap: 12px; padding: 10px 16px; border-bottom: 1px solid #1f2630; }
    h1 { margin: 0; font-size: 18px; letter-spacing: 0.02em; color: #ffcc66; }
    .tagline { color: #8a9199; font-size: 13px; }
    .status { margin-left: auto; font-size: 12px; color: #8a9199; }
    .activity { display: flex; align-items: center; gap: 8px; margin-left: auto; font-size: 12px; color: #e6e1cf; min-width: 0; }
    .activity .label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 38vw; }
    .activity .bytes { color: #8a9199; white-space: nowrap; font-variant-numeric: tabular-nums; }
    .activity + .status { margin-left: 12px; }
    progress { width: 140px; height: 8px; accent-color: #ffcc66; }
    main { display: grid; grid-template-columns: 360px minmax(0, 1fr); gap: 12px; padding: 12px; min-height: 0; }
    aside { display: flex; flex-direction: column; min-height: 0; background: #0b0e14; border-radius: 8px; }
    /* Seven tabs fit the 360px panel at 12px (DejaVu Sans, the widest of the usual fonts); narrower screens scroll them. */
    [role="tablist"] { display: flex; gap: 0; padding: 6px 2px 0; border-bottom: 1px solid #1f2630; overflow-x: auto; scrollbar-width: none; }
    [role="tab"] { flex: none; background: transparent; color: #8a9199; border: none; border-bottom: 2px solid transparent; padding: 6px 3px; font: inherit; font-size: 12px; cursor: pointer; }
    [role="tab"][aria-selected="true"] { color: #ffcc66; border-bottom-color: #ffcc66; }
    [role="tab"] .live { display: inline-block; width: 6px; height: 6px; margin-left: 4px; border-radius: 50%; background: #ffcc66; vertical-align: middle; animation: pulse 1s ease-in-out infinite alternate; }
    @keyframes pulse { from { opacity: 1; } to { opacity: 0.3; } }
    [role="tab"]:focus-visible { outline: 2px solid #ffcc66; outline-offset: -2px; }
    [role="tabpanel"] { flex: 1; min-height: 0; overflow: auto; padding: 10px; }
    registry-layout-pane { height: 100%; padding: 0; }
    .work { display: grid; grid-template-rows: minmax(180px, 42%) minmax(0, 1fr); gap: 12px; min-height: 0; }
    explorer-view, file-editor { background: #0b0e14; border-radius: 8px; padding: 10px; min-height: 0; }
    explorer-view[hidden] { display: none; }
    lab-terminal { min-height: 260px; height: 100%; }
    @media (max-width: 900px) {
      :host { height: auto; min-height: 100dvh; }
      .tagline { display: none; }
      main { grid-template-columns: 1fr; padding: 6px; gap: 8px; }
      aside { max-height: 45vh; }
      .work { grid-template-rows: auto 420px; }
      explorer-view { max-height: none; }
      file-editor { height: 50vh; }
    }
  `;

  @state() private status = "starting…";
  /** The pull or push under way, drawn as a progress bar in the header. */
  @state() private activity?: Activity;
  @state() private tab: Tab = "lessons";
  /** The lessons' language also names the side panel's tabs (the lessons refer to them). */
  @state() private language: Language = (localStorage.getItem("layerlab.lang") as Language | null) ?? (navigator.language.startsWith("zh") ? "zh" : "en");
  @state() private selection?: Selection;
  private daemon?: Daemon;
  private commandLine?: CommandLine;
  private lessons: readonly Lesson[] = [];
  /** The host the terminal's shell runs on (its files, working directory, home), when it has one. */
  @state() private host?: Host;
  /** Bumped when the host's files may have changed: the Files tab reads them again. */
  @state() private filesVersion = 0;
  /** The host file open in the editor (in place of the explorer). */
  @state() private editing?: string;
  /** This page session's builds (the Build tab, and the explorer's Dockerfile lines). */
  @state() private builds?: BuildSession;
  /** A build is running (the Build tab shows a dot). */
  @state() private building = false;
  /** A layer to show once the explorer has the selection (a click on a build step's layer). */
  @state() private explorerLayer?: { layer: number };
  /** A published port to show in the explorer's Preview pane. */
  @state() private explorerPort?: { port: number };

  private lessonContext = (): LessonContext | undefined => {
    const daemon = this.daemon;
    if (!daemon) return undefined;
    const history: string[] = [];
    // Terminal lines and interface events, merged in the order they happened.
    const lines = this.terminal?.commandHistory ?? [];
    let e = 0;
    lines.forEach((line, i) => {
      while (e < this.uiEvents.length && this.uiEvents[e]!.afterLines <= i) history.push(`ui ${this.uiEvents[e++]!.event}`);
      history.push(line);
    });
    while (e < this.uiEvents.length) history.push(`ui ${this.uiEvents[e++]!.event}`);
    const ctx: LessonContext = { daemon, history, ui: { seen: (ev) => history.includes(`ui ${ev}`) } };
    if (this.checkShell) ctx.shell = this.checkShell;
    return ctx;
  };

  /** Runs a lesson's check line in a host shell of its own (src/main.ts). */
  private checkShell?: LessonContext["shell"];

  /** What the learner did in the interface, each with how many command lines had run before it. */
  private uiEvents: { event: string; afterLines: number }[] = [];

  private noteEvent(event: string): void {
    this.uiEvents.push({ event, afterLines: this.terminal?.commandHistory.length ?? 0 });
    this.recheckSoon();
  };

  private onTabKey(e: KeyboardEvent) {
    moveTabWithArrows(e, this, TABS.map((t) => t.id), this.tab, (t) => this.showTab(t), "tab-");
  }

  override render() {
    const daemon = this.daemon;
    return html`
      <header>
        <h1>Layerlab</h1>
        <span class="tagline">container images, layer by layer</span>
        ${this.activity
          ? html`<span class="activity"
              ><span class="label">${this.activity.label}</span>
              <progress max=${Math.max(1, this.activity.total)} value=${this.activity.current} aria-label=${this.activity.label}></progress>
              <span class="bytes">${this.activity.total ? `${humanSize(this.activity.current)} / ${humanSize(this.activity.total)}` : ""}</span></span
            >`
          : ""}
        <span class="status" role="status" aria-live="polite">${this.status}</span>
      </header>
      <main>
        <aside>
          <div role="tablist" aria-label="Panels" @keydown=${this.onTabKey}>
            ${TABS.map(
              (t) => html`<button role="tab" id="tab-${t.id}" aria-controls="panel" aria-selected=${this.tab === t.id} tabindex=${this.tab === t.id ? 0 : -1} title=${t.id === "build" && this.building ? "a build is running" : nothing} @click=${() => this.showTab(t.id)}>${t.label[this.language]}${t.id === "build" && this.building ? html`<span class="live" aria-hidden="true"></span>` : ""}</button>`,
            )}
          </div>
          <div role="tabpanel" id="panel" aria-labelledby="tab-${this.tab}" @select=${(e: CustomEvent<Selection>) => this.select(e.detail)} @preview=${(e: CustomEvent<PreviewRequest>) => this.preview(e.detail)}>
            ${this.tab === "lessons"
              ? html`<lesson-panel .lessons=${this.lessons} @language=${(e: CustomEvent<Language>) => (this.language = e.detail)} .daemon=${daemon} .context=${this.lessonContext} @run-command=${(e: CustomEvent<{ command: string; show?: Step["show"] }>) => void this.runFromLesson(e.detail.command, e.detail.show)}></lesson-panel>`
              : this.tab === "images"
                ? html`<images-panel .daemon=${daemon} .selection=${this.selection}></images-panel>`
                : this.tab === "containers"
                  ? html`<containers-panel .daemon=${daemon} .selection=${this.selection}></containers-panel>`
                  : this.tab === "build"
                    ? html`<build-view .builds=${this.builds} @open-layer=${(e: CustomEvent<{ imageId: string; layer?: number }>) => this.openLayer(e.detail.imageId, e.detail.layer)} @debug=${(e: CustomEvent<{ command: string }>) => void this.runInTerminal(e.detail.command)}></build-view>`
                  : this.tab === "files"
                    ? html`<workspace-panel .host=${this.host} .version=${this.filesVersion} .openPath=${this.editing} @open-file=${(e: CustomEvent<string>) => void this.openEditor(e.detail)} @download-entry=${(e: CustomEvent<{ path: string }>) => void this.downloadEntry(e.detail.path)}></workspace-panel>`
                  : this.tab === "storage"
                    ? html`<storage-pane .daemon=${daemon} .selection=${this.selection}></storage-pane>`
                    : html`<registry-layout-pane .daemon=${daemon}></registry-layout-pane>`}
          </div>
        </aside>
        <div class="work">
          ${this.editing && this.host
            ? html`<file-editor .files=${this.host.files} .path=${this.editing} .home=${this.host.home} .version=${this.filesVersion} @saved=${() => this.filesChanged()} @close=${() => this.closeEditor()}></file-editor>`
            : ""}
          <explorer-view ?hidden=${this.editing !== undefined && this.host !== undefined} .daemon=${daemon} .builds=${this.builds} .selection=${this.selection} .focusLayer=${this.explorerLayer} .focusPort=${this.explorerPort} @layer=${(e: CustomEvent) => e.detail !== undefined && this.noteEvent(`layer:${e.detail}:${this.selected}`)} @pane=${(e: CustomEvent) => this.noteEvent(`pane:${e.detail}:${this.selected}`)} @click=${() => this.recheckSoon()}></explorer-view>
          <lab-terminal .commandLine=${this.commandLine} @command=${() => (this.recheckSoon(), this.filesChanged())} @activity=${(e: CustomEvent<Activity | undefined>) => (this.activity = e.detail)}></lab-terminal>
        </div>
      </main>
    `;
  }

  private showTab(t: Tab): void {
    if (t === "build") void import("./build-view.ts");
    this.tab = t;
    this.noteEvent(`tab:${t}`);
  }

  private select(sel: Selection): void {
    this.selection = sel;
    this.explorerLayer = undefined;
    this.noteEvent(`select:${sel.kind}:${sel.id}`);
    const pane = this.explorer?.pane;
    if (pane && pane !== "file") this.noteEvent(`pane:${pane}:${this.selected}`);
  }

  /** A published port's page, in the explorer beside the container that serves it. */
  private preview(p: PreviewRequest): void {
    if (this.editing !== undefined) this.renderRoot.querySelector("file-editor")?.close();
    if (this.selection?.kind !== "container" || this.selection.id !== p.containerId) this.select({ kind: "container", id: p.containerId });
    this.explorerPort = { port: p.port };
    this.noteEvent(`preview:${p.port}`);
  }

  private get selected(): string {
    return this.selection ? `${this.selection.kind}:${this.selection.id}` : "none";
  }

  private recheckSoon(): void {
    setTimeout(() => void this.lessonPanel?.recheck(), 50);
  }

  private async runFromLesson(line: string, show?: Step["show"]): Promise<void> {
    await this.terminal.exec(line);
    // Not a learner's click: the lesson's own click steps still wait for one.
    const daemon = this.daemon;
    if (daemon && show?.image) {
      const image = await daemon.images.resolve(show.image);
      if (image) this.selection = { kind: "image", id: image.id };
    } else if (daemon && show?.container) {
      const c = await daemon.containers.maybe(show.container);
      if (c) this.selection = { kind: "container", id: c.id };
    }
    this.recheckSoon();
  }

  /**
   * Follows the builds of the page session: the first one loads the build view, and a build that
   * starts brings the Build tab forward (not over the lessons, whose steps the learner is reading;
   * the tab's dot says a build runs). Changing the tab moves no focus: the terminal keeps the keyboard.
   */
  private watchBuilds(daemon: Daemon): void {
    this.builds?.dispose();
    const builds = (this.builds = new BuildSession(daemon));
    builds.subscribe((e) => {
      if (e.kind === "start") {
        this.building = true;
        void import("./build-view.ts");
        // Not the learner's click: a lesson step that asks them to open the tab still waits for one.
        if (this.tab !== "build" && this.tab !== "lessons") this.tab = "build";
      } else if (e.kind === "end") this.building = builds.builds.some((b) => !b.end);
    });
  }

  /** A build step's layer (or a FROM's base image), opened in the explorer in place of the editor. */
  private openLayer(imageId: string, layer?: number): void {
    if (this.editing !== undefined) {
      this.renderRoot.querySelector("file-editor")?.close();
      if (this.editing !== undefined) return;
    }
    this.select({ kind: "image", id: imageId });
    if (layer !== undefined) this.explorerLayer = { layer };
  }

  /** Runs a line in the terminal as if typed there (the build view's debug action), and gives it the keyboard. */
  private async runInTerminal(line: string): Promise<void> {
    this.terminal.focus();
    await this.terminal.exec(line);
    this.recheckSoon();
  }

  private get lessonPanel(): LessonPanel | null {
    return this.renderRoot.querySelector("lesson-panel");
  }

  private get explorer(): ExplorerView | null {
    return this.renderRoot.querySelector("explorer-view");
  }

  /**
   * Files or folders dropped anywhere on the page are copied into the shell's working directory, the
   * folders' structure kept: a build context arrives as it is on disk, and a dropped image archive is
   * then one `docker load -i FILE` away, as on a host. (A page whose terminal has no host files loads
   * a dropped archive, as `docker load` would.)
   */
  private readonly onDragOver = (e: DragEvent) => {
    if (e.dataTransfer?.types.includes("Files")) e.preventDefault();
  };

  private readonly onDrop = (e: DragEvent) => {
    const dt = e.dataTransfer;
    if (!dt || !dt.types.includes("Files")) return;
    e.preventDefault();
    const host = this.host;
    if (!host) {
      const file = dt.files[0];
      if (file) void this.terminal.execWithFile(`docker load -i ${JSON.stringify(file.name).slice(1, -1).replace(/\s/g, "_")}`, file);
      return;
    }
    // Entries must be taken while the event is dispatched; their contents may be read later.
    const dropped: (FileSystemEntry | File)[] = [];
    for (const item of [...dt.items]) {
      if (item.kind !== "file") continue;
      const entry = item.webkitGetAsEntry?.() ?? null;
      const file = entry ? null : item.getAsFile();
      if (entry) dropped.push(entry);
      else if (file) dropped.push(file);
    }
    if (dropped.length === 0) dropped.push(...dt.files);
    void this.copyDropped(host, host.cwd, dropped);
  };

  /** Copies dropped files and folders into `dir`, and says in the header how many landed. */
  private async copyDropped(host: Host, dir: string, dropped: (FileSystemEntry | File)[]): Promise<void> {
    let count = 0;
    const failed: string[] = [];
    const write = async (path: string, file: File) => {
      try {
        await host.files.writeFile(path, new Uint8Array(await file.arrayBuffer()));
        count++;
      } catch (e) {
        failed.push(`${tildePath(path, host.home)}: ${(e as Error).message}`);
      }
    };
    const walk = async (entry: FileSystemEntry, into: string): Promise<void> => {
      const path = `${into}/${entry.name}`;
      if (entry.isFile) {
        const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
        await write(path, file);
      } else if (entry.isDirectory) {
        await host.files.mkdir(path, { recursive: true });
        const reader = (entry as FileSystemDirectoryEntry).createReader();
        // readEntries gives a directory's entries a batch at a time, then an empty batch.
        for (;;) {
          const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
          if (batch.length === 0) break;
          for (const child of batch) await walk(child, path);
        }
      }
    };
    this.status = `copying into ${tildePath(dir, host.home)}…`;
    try {
      for (const d of dropped) {
        if (d instanceof File) await write(`${dir}/${d.name}`, d);
        else await walk(d, dir);
      }
      const n = `${count} file${count === 1 ? "" : "s"}`;
      this.status = failed.length ? `copied ${n}; failed: ${failed.join("; ")}` : `copied ${n} into ${tildePath(dir, host.home)}`;
    } catch (e) {
      this.status = `drop failed: ${(e as Error).message}`;
    }
    this.filesChanged();
    this.noteEvent("drop");
    if (this.tab !== "files") this.showTab("files");
  }

  private filesChanged(): void {
    this.filesVersion++;
  }

  /**
   * Opens a host file in the editor, in place of the explorer (`edit FILE`, and a click in the Files
   * tab). A file that does not exist yet opens empty; saving creates it.
   */
  async openEditor(path: string): Promise<void> {
    if (!this.host) throw new Error("this terminal has no host files");
    await import("./file-editor.ts");
    this.editing = path;
    this.noteEvent(`edit:${path}`);
  }

  closeEditor(): void {
    this.editing = undefined;
  }

  /** The host file open in the editor (tests). */
  get editorPath(): string | undefined {
    return this.editing;
  }

  /** The Files tab's Download: the shell's own `download` (a folder as a tar), shown in the terminal. */
  private downloadEntry(path: string): void {
    const home = this.host?.home ?? "";
    const shown = path === home ? "~" : path.startsWith(`${home}/`) ? `~/${quoteWord(path.slice(home.length + 1))}` : quoteWord(path);
    void this.terminal.exec(`download ${shown}`);
  }

  /**
   * `edit FILE`: a host command for the shell (src/main.ts gives it to HostShell as `edit`) that opens
   * FILE, relative to the shell's working directory, in the page's editor.
   */
  readonly editCommand: CommandLine = {
    exec: async (line: string, io: CliIO): Promise<number> => {
      const args = splitWords(line).slice(1);
      if (args.length !== 1 || args[0] === "--help" || args[0] === "-h") {
        const help = args.length === 1;
        (help ? io.stdout : io.stderr)("Usage: edit FILE\n\nOpens FILE in the page's editor (a new file opens empty; Save creates it).\n");
        return help ? 0 : 2;
      }
      const path = io.files ? io.files.resolve(args[0]!) : args[0]!;
      const st = await io.files?.stat(path).catch(() => undefined);
      if (st?.type === "directory") {
        io.stderr(`edit: ${args[0]}: Is a directory\n`);
        return 1;
      }
      try {
        await this.openEditor(path);
      } catch (e) {
        io.stderr(`edit: ${(e as Error).message}\n`);
        return 1;
      }
      return 0;
    },
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener("dragover", this.onDragOver);
    window.addEventListener("drop", this.onDrop);
  }

  override disconnectedCallback(): void {
    window.removeEventListener("dragover", this.onDragOver);
    window.removeEventListener("drop", this.onDrop);
    super.disconnectedCallback();
  }

  /**
   * Runs the page on what `open` makes (src/main.ts composes the daemon and its command line): one
   * daemon per page, so every view of a container's union goes through its snapshotter's mounts.
   */
  async start(open: () => Promise<{ daemon: Daemon; commandLine: CommandLine; lessons: readonly Lesson[]; host?: Host; checkShell?: LessonContext["shell"] }>): Promise<void> {
    let ready!: () => void;
    const readyPromise = new Promise<void>((r) => (ready = r));
    window.layerlab = {
      ready: readyPromise,
      exec: async (line: string) => {
        await readyPromise;
        return this.terminal.exec(line);
      },
    };
    try {
      const { daemon, commandLine, lessons, host, checkShell } = await open();
      this.checkShell = checkShell;
      this.daemon = daemon;
      this.watchBuilds(daemon);
      this.host = host;
      // Another tab changed the host's files: this tab's Files panel and editor follow.
      host?.files.onChange?.(() => this.filesChanged());
      this.commandLine = commandLine;
      this.lessons = lessons;
      window.layerlab.daemon = daemon;
      window.layerlab.host = host;
      this.status = "ready";
      await this.updateComplete;
      await this.terminal.opened;
      ready();
    } catch (e) {
      this.status = `failed to start: ${(e as Error).message}`;
      throw e;
    }
  }

  private get terminal(): LabTerminal {
    return this.renderRoot.querySelector("lab-terminal")!;
  }

  /** For tests and lessons: what the explorer shows. */
  get explorerSelection(): { selection?: Selection; layer?: number | "C" } {
    return { selection: this.selection, layer: this.explorer?.layer };
  }
}

/** A word as the shell reads it back (single quotes where needed). */
function quoteWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/** Splits a host command's line into words ('…', "…" and backslashes, as the shell quotes them). */
function splitWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? "") + line.slice(i + 1, end < 0 ? undefined : end);
      i = end < 0 ? line.length : end;
    } else if (c === '"') {
      let j = i + 1;
      let s = "";
      for (; j < line.length && line[j] !== '"'; j++) s += line[j] === "\\" && j + 1 < line.length ? line[++j] : line[j];
      word = (word ?? "") + s;
      i = j;
    } else if (c === "\\" && i + 1 < line.length) word = (word ?? "") + line[++i];
    else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? "") + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

declare global {
  interface HTMLElementTagNameMap {
    "lab-app": LabApp;
  }
}
