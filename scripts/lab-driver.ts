/**
 * Drives the lab in headless Chromium: starts the lab server (app + proxy), opens the page with Debian's
 * chromium through playwright-core, and runs command lines in the in-page terminal.
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
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
  /** Web servers `ADD <url>` may download from beyond the built-in ones. */
  allowDownloads?: string[];
  /** Hosts containers may reach through the lab's relay beyond the package mirrors ("HOST[:PORT]"). */
  allowNet?: string[];
  /** Name resolution for the relay (tests point names such as host.docker.internal at 127.0.0.1). */
  netResolve?: (host: string) => Promise<string[]>;
  /** A persistent profile (IndexedDB survives between launches); a fresh temporary one otherwise. */
  profileDir?: string;
  serverUrl?: string;
  viewport?: { width: number; height: number };
  /** Chromium flags beyond CHROMIUM_ARGS (such as --disk-cache-dir). */
  chromiumArgs?: string[];
  /** Called with console errors and page errors. */
  onConsoleError?: (text: string) => void;
  /**
   * Register the service worker (offline use). Off by default: it would warm every worker in the
   * background of unrelated tests and benchmarks.
   */
  serviceWorker?: boolean;
  /**
   * A learner's offline visit: the page is loaded once online (the service worker keeps the app, the
   * emulator and the demo images), then the browser goes offline and the page is reloaded.
   */
  offline?: boolean;
}

/** One entry of a directory handed to (or taken from) the host's files. */
interface HostEntry {
  path: string;
  type: "file" | "directory" | "symlink";
  mode: number;
  target?: string;
  /** base64 */
  data?: string;
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
    const server = opts.serverUrl ? undefined : await startLabServer({
          allowRegistries: opts.allowRegistries ?? [],
          ...(opts.allowDownloads ? { proxy: { allowDownloads: opts.allowDownloads } } : {}),
          ...(opts.allowNet ? { allowNet: opts.allowNet } : {}),
          ...(opts.netResolve ? { netResolve: opts.netResolve } : {}),
        });
    const url = opts.serverUrl ?? server!.url;
    const tempProfile = opts.profileDir ? undefined : mkdtempSync(join(tmpdir(), "layerlab-profile-"));
    const context = await chromium.launchPersistentContext(opts.profileDir ?? tempProfile!, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS, ...(opts.chromiumArgs ?? [])],
      viewport: opts.viewport ?? { width: 1280, height: 800 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const driver = new LabDriver(context, page, url, server, tempProfile);
    driver.pageUrl = opts.serviceWorker || opts.offline ? url : `${url}?sw=0`;
    const report = (text: string) => {
      driver.consoleErrors.push(text);
      opts.onConsoleError?.(text);
    };
    page.on("console", (m) => {
      if (m.type() === "error") report(m.text());
    });
    page.on("pageerror", (e) => report(String(e)));
    await driver.reload();
    if (opts.offline) await driver.goOffline();
    return driver;
  }

  /** Waits until the service worker holds what an offline start needs, then reloads offline. */
  async goOffline(timeoutMs = 120_000): Promise<void> {
    const want = [/vm-worker/, /wasi-worker/, /layer-worker/, /\/deps\/v86\.js|\/assets\/libv86/, /v86\.wasm/, /^\/v86\/bzImage$/, /^\/demos\/blobs\/sha256\//];
    const until = Date.now() + timeoutMs;
    for (;;) {
      const paths = await this.page.evaluate(async () => {
        if (!navigator.serviceWorker.controller) return [];
        const names = await caches.keys();
        const all = await Promise.all(names.map(async (n) => (await (await caches.open(n)).keys()).map((k) => new URL(k.url).pathname)));
        return all.flat();
      });
      const missing = want.filter((re) => !paths.some((p) => re.test(p)));
      if (!missing.length) break;
      if (Date.now() > until) throw new Error(`the page's offline cache is incomplete after ${timeoutMs / 1000} s: nothing matches ${missing.join(", ")}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    await this.context.setOffline(true);
    await this.reload();
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

  /**
   * Copies the local directory `dir` (files, folders, symlinks, modes) into the host's home as
   * ~/NAME and makes it the shell's working directory: a build context handed to the lab.
   */
  async workIn(dir: string): Promise<string> {
    const root = resolve(dir);
    const entries: HostEntry[] = [];
    const walk = (rel: string) => {
      for (const name of readdirSync(join(root, rel)).sort()) {
        const path = rel ? `${rel}/${name}` : name;
        const st = lstatSync(join(root, path));
        const mode = st.mode & 0o7777;
        if (st.isSymbolicLink()) entries.push({ path, type: "symlink", mode, target: readlinkSync(join(root, path)) });
        else if (st.isDirectory()) {
          entries.push({ path, type: "directory", mode });
          walk(path);
        } else entries.push({ path, type: "file", mode, data: readFileSync(join(root, path)).toString("base64") });
      }
    };
    walk("");
    const home = await this.page.evaluate(async ({ name, entries }) => {
      const host = window.layerlab!.host!;
      const base = `${host.home}/${name}`;
      await host.files.mkdir(base, { recursive: true });
      for (const e of entries) {
        const at = `${base}/${e.path}`;
        if (e.type === "directory") await host.files.mkdir(at, { recursive: true, mode: e.mode });
        else if (e.type === "symlink") await host.files.symlink(e.target!, at);
        else {
          await host.files.writeFile(at, Uint8Array.from(atob(e.data!), (c) => c.charCodeAt(0)), { mode: e.mode });
          await host.files.chmod(at, e.mode);
        }
      }
      return base;
    }, { name: basename(root), entries });
    const cd = await this.exec(`cd ${home}`);
    if (cd.code !== 0) throw new Error(`cd ${home}: ${cd.output}`);
    return home;
  }

  /** Copies the shell's working directory out into the local directory `dir` (created if missing). */
  async copyOut(dir: string): Promise<void> {
    // A string, not a function: tsx's name-keeping helpers do not exist in the page.
    const entries = (await this.page.evaluate(`(async () => {
      const host = window.layerlab.host;
      const out = [];
      const walk = async (abs, rel) => {
        for (const e of await host.files.readdir(abs)) {
          const at = (abs + "/" + e.name).replace(/^\\/\\//, "/");
          const path = rel ? rel + "/" + e.name : e.name;
          const st = await host.files.lstat(at);
          if (st.type === "symlink") out.push({ path, type: "symlink", mode: st.mode, target: await host.files.readlink(at) });
          else if (st.type === "directory") {
            out.push({ path, type: "directory", mode: st.mode });
            await walk(at, path);
          } else {
            const bytes = await host.files.readFile(at);
            let s = "";
            for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
            out.push({ path, type: "file", mode: st.mode, data: btoa(s) });
          }
        }
      };
      await walk(host.cwd, "");
      return out;
    })()`)) as HostEntry[];
    mkdirSync(dir, { recursive: true });
    for (const e of entries) {
      const at = join(dir, e.path);
      if (e.type === "directory") mkdirSync(at, { recursive: true, mode: e.mode });
      else if (e.type === "symlink") symlinkSync(e.target!, at);
      else {
        writeFileSync(at, Buffer.from(e.data!, "base64"));
        chmodSync(at, e.mode);
      }
    }
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
