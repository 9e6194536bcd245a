/**
 * Drives the lab in headless Chromium: starts the lab server (app + proxy), opens the page with Debian's
 * chromium through playwright-core, and runs command lines in the in-page terminal.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { startLabServer, type LabServer } from "../proxy/node.ts";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Flags that keep Chromium from reaching out to the network this machine does not have. */
export const CHROMIUM_ARGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
];

export interface LabDriverOptions {
  allowRegistries?: string[];
  /** A persistent profile (IndexedDB survives between launches); a fresh temporary one otherwise. */
  profileDir?: string;
  serverUrl?: string;
  viewport?: { width: number; height: number };
  /** Called with console errors and page errors. */
  onConsoleError?: (text: string) => void;
  /**
   * Register the service worker (offline use). Off by default: it would warm every worker in the
   * background of unrelated tests and benchmarks.
   */
  serviceWorker?: boolean;
}

export class LabDriver {
  readonly consoleErrors: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly url: string,
    private readonly server: LabServer | undefined,
    private readonly tempProfile: string | undefined,
  ) {}

  static async launch(opts: LabDriverOptions = {}): Promise<LabDriver> {
    const server = opts.serverUrl ? undefined : await startLabServer({ allowRegistries: opts.allowRegistries ?? [] });
    const url = opts.serverUrl ?? server!.url;
    const tempProfile = opts.profileDir ? undefined : mkdtempSync(join(tmpdir(), "layerlab-profile-"));
    const context = await chromium.launchPersistentContext(opts.profileDir ?? tempProfile!, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: opts.viewport ?? { width: 1280, height: 800 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const driver = new LabDriver(context, page, url, server, tempProfile);
    driver.pageUrl = opts.serviceWorker ? url : `${url}?sw=0`;
    const report = (text: string) => {
      driver.consoleErrors.push(text);
      opts.onConsoleError?.(text);
    };
    page.on("console", (m) => {
      if (m.type() === "error") report(m.text());
    });
    page.on("pageerror", (e) => report(String(e)));
    await driver.reload();
    return driver;
  }

  /** The page's address as the driver opens it (`?sw=0` unless the service worker was asked for). */
  pageUrl = "";

  /** (Re)loads the page and waits until the lab is ready. */
  async reload(): Promise<void> {
    await this.page.goto(this.pageUrl);
    await this.page.waitForFunction(() => window.layerlab !== undefined, undefined, { timeout: 60_000 });
    await this.page.evaluate(() => window.layerlab!.ready);
  }

  async exec(line: string): Promise<{ code: number; output: string }> {
    return this.page.evaluate((l) => window.layerlab!.exec(l), line);
  }

  /** The terminal's buffer as a person sees it, one line per row. */
  async terminalText(): Promise<string> {
    return this.page.evaluate(() => {
      const el = document.querySelector("lab-app")?.shadowRoot?.querySelector("lab-terminal") as unknown as { term: { buffer: { active: { length: number; getLine(i: number): { translateToString(trim: boolean): string } | undefined } } } };
      const b = el.term.buffer.active;
      const lines: string[] = [];
      for (let i = 0; i < b.length; i++) lines.push(b.getLine(i)?.translateToString(true) ?? "");
      return lines.join("\n");
    });
  }

  async screenshot(path: string): Promise<void> {
    await this.page.screenshot({ path });
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => {});
    await this.server?.close();
    if (this.tempProfile) rmSync(this.tempProfile, { recursive: true, force: true });
  }
}
