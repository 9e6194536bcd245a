/**
 * The teaching material's favourite way to make an image, with the network off: a learner's first
 * visit pulls the bundled debian:bookworm (the service worker keeps its layer and, with it, the
 * bundled Debian mirror), the browser goes offline and the page reloads; then `docker run -it debian
 * bash`, `apt-get update && apt-get install -y vim-tiny` typed into the terminal (apt's own sources:
 * the page answers deb.debian.org from the mirror), `exit`, `docker commit -m … -a …`, and the new
 * image runs vim.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchLab, type LabDriver } from "../harness/browser.ts";

let lab: LabDriver;
const errors: string[] = [];
const DEBIAN = "layerlab.demo/debian:bookworm";

beforeAll(async () => {
  lab = await launchLab({ serviceWorker: true, onConsoleError: (e) => errors.push(e) });
}, 120_000);
afterAll(async () => {
  await lab?.close();
});

async function ok(line: string): Promise<string> {
  const r = await lab.exec(line);
  if (r.code !== 0) throw new Error(`${line} → ${r.code}\n${r.output.slice(-3000)}`);
  return r.output;
}

async function waitForScreen(re: RegExp, timeoutMs = 240_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await lab.terminalText();
    if (re.test(s.trimEnd() + " ")) return s;
    if (Date.now() > until) throw new Error(`the terminal never showed ${re}:\n${s.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("apt-get with the network off, from the bundled mirror (Chromium)", () => {
  it("a first visit online pulls debian:bookworm; the mirror is kept with its layer", async () => {
    await ok(`docker pull -q ${DEBIAN}`);
    const index = (await (await fetch(`${lab.url}demos/mirror/index.json`)).json()) as { files: { path: string }[] };
    const until = Date.now() + 120_000;
    let missing: string[] = [];
    do {
      const cached = new Set(
        await lab.page.evaluate(async () => {
          const keys = await (await caches.open("layerlab-v1")).keys();
          return keys.map((k) => decodeURIComponent(new URL(k.url).pathname));
        }),
      );
      missing = index.files.map((f) => `/demos/mirror/${f.path}`).filter((p) => !cached.has(p));
      if (missing.length) await new Promise((r) => setTimeout(r, 500));
    } while (missing.length && Date.now() < until);
    expect(missing).toEqual([]);
    await lab.goOffline();
    expect(await lab.page.evaluate(() => navigator.onLine)).toBe(false);
  }, 300_000);

  it("docker run -it debian bash; apt-get update && apt-get install -y vim-tiny; exit; commit; the new image runs vim", async () => {
    await lab.page.click("lab-app");
    await lab.page.keyboard.type(`docker run -it --name vimbox ${DEBIAN} bash\r`, { delay: 5 });
    await waitForScreen(/root@[0-9a-f]{12}:\/# $/);
    await lab.page.keyboard.type("apt-get update && apt-get install -y vim-tiny\r", { delay: 5 });
    const s = await waitForScreen(/Setting up vim-tiny[^]*root@[0-9a-f]{12}:\/# $/, 300_000);
    expect(s).toMatch(/Get:\d+ http:\/\/deb\.debian\.org\/debian bookworm InRelease/);
    expect(s).not.toMatch(/^(W|E|Err):/m);
    await lab.page.keyboard.type("exit\r", { delay: 5 });
    await waitForScreen(/\$ $/);
    expect(await ok("docker ps -a --format '{{.Names}} {{.Status}}'")).toMatch(/^vimbox Exited \(0\)/m);
    const diff = await ok("docker diff vimbox");
    expect(diff).toContain("A /usr/bin/vim.tiny\n");
    expect(diff).not.toMatch(/\/etc\/(hosts|hostname|resolv\.conf)\n/);
    await ok("docker commit -m 'add vim-tiny, offline' -a 'A Learner <learner@example.com>' vimbox lab/vim:offline");
    expect(await ok("docker run --rm lab/vim:offline vim.tiny --version")).toMatch(/^VIM - Vi IMproved 9\.0/);
    expect(await ok("docker history --format '{{.Comment}}' lab/vim:offline")).toMatch(/^add vim-tiny, offline\n/);
    await lab.screenshot("/tmp/layerlab-mirror-offline.png");
  }, 600_000);

  it("a package the mirror lacks is a clear error in apt's words", async () => {
    const r = await lab.exec(`docker run --rm ${DEBIAN} sh -c 'apt-get update -qq && apt-get install -y emacs'`);
    expect(r.code).toBe(100);
    expect(r.output).toContain("E: Unable to locate package emacs");
  }, 300_000);

  it("logged no console errors (but the dev server's reload socket, offline)", () => {
    expect(errors.filter((e) => !/^WebSocket connection to .* failed|^\[vite\]/.test(e))).toEqual([]);
  });
});
