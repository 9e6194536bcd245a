/** The page shell: header, the terminal, and a side panel that later issues fill (images, layers). */
import { LitElement, css, html } from "lit";
import { customElement, state } from "lit/decorators.js";
import { createCommandLine } from "../cli/index.ts";
import type { DockerCli } from "../cli/index.ts";
import type { Lab } from "../cli/lab.ts";
import "./lab-terminal.ts";
import "./registry-layout-pane.ts";
import type { ExecResult, LabTerminal } from "./lab-terminal.ts";

declare global {
  interface Window {
    /** The automation hook (tests, benchmarks, lessons): the page's one Lab and its terminal. */
    layerlab?: { ready: Promise<void>; exec(line: string): Promise<ExecResult>; lab?: Lab };
  }
}

@customElement("lab-app")
export class LabApp extends LitElement {
  static override styles = css`
    :host { display: grid; grid-template-rows: auto 1fr; height: 100vh; height: 100dvh; box-sizing: border-box; }
    header { display: flex; align-items: baseline; gap: 12px; padding: 10px 16px; border-bottom: 1px solid #1f2630; }
    h1 { margin: 0; font-size: 18px; letter-spacing: 0.02em; color: #ffcc66; }
    .tagline { color: #8a9199; font-size: 13px; }
    main { display: grid; grid-template-columns: minmax(0, 1fr) 340px; gap: 12px; padding: 12px; min-height: 0; }
    registry-layout-pane { min-height: 0; overflow: hidden; }
    lab-terminal { min-height: 300px; height: 100%; }
    .status { margin-left: auto; font-size: 12px; color: #8a9199; }
    @media (max-width: 600px) {
      .tagline { display: none; }
      main { padding: 6px; grid-template-columns: 1fr; grid-template-rows: minmax(300px, 1fr) auto; }
      registry-layout-pane { max-height: 40vh; }
    }
  `;

  @state() private status = "starting…";
  private commandLine?: DockerCli;

  override render() {
    return html`
      <header>
        <h1>Layerlab</h1>
        <span class="tagline">container images, layer by layer</span>
        <span class="status" role="status" aria-live="polite">${this.status}</span>
      </header>
      <main>
        <lab-terminal .commandLine=${this.commandLine}></lab-terminal>
        <registry-layout-pane .lab=${this.commandLine?.lab}></registry-layout-pane>
      </main>
    `;
  }

  /** Dropping an image archive anywhere on the page loads it, as `docker load` would. */
  private readonly onDragOver = (e: DragEvent) => {
    if (e.dataTransfer?.types.includes("Files")) e.preventDefault();
  };

  private readonly onDrop = (e: DragEvent) => {
    const file = e.dataTransfer?.files[0];
    if (!file) return;
    e.preventDefault();
    void this.terminal.execWithFile(`docker load -i ${JSON.stringify(file.name).slice(1, -1).replace(/\s/g, "_")}`, file);
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

  override async firstUpdated(): Promise<void> {
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
      this.commandLine = await createCommandLine();
      // One Lab per page: every view of a container's union goes through its snapshotter's mounts.
      window.layerlab.lab = this.commandLine.lab;
      this.status = "ready";
      await this.updateComplete;
      ready();
    } catch (e) {
      this.status = `failed to start: ${(e as Error).message}`;
      throw e;
    }
  }

  private get terminal(): LabTerminal {
    return this.renderRoot.querySelector("lab-terminal")!;
  }
}
