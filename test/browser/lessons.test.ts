/**
 * End to end in Chromium, as a newcomer would: load the lab once (the service worker keeps the app,
 * the emulator and the demo images), go offline, reload, and follow lessons by clicking — lesson 1 in
 * English (pull, the layer stack, per-layer changes), lesson 5 in 简体中文 (a container changes a
 * file copy-on-write; docker diff; the explorer shows it in the container layer). Screenshots at
 * 1280×800 and 390×844 go to test/.output/.
 */
import { mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchLab, type LabDriver } from "../harness/browser.ts";
import { lessonPanel } from "../harness/lessons.ts";

const OUT = "test/.output";
let lab: LabDriver;
const errors: string[] = [];

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  lab = await launchLab({ serviceWorker: true, onConsoleError: (e: string) => errors.push(e) });
});
afterAll(async () => {
  await lab?.close();
});

const panel = () => lessonPanel(lab);

async function runStep(n: number) {
  await panel().locator("ol > li").nth(n).getByRole("button").first().click();
}

/** The terminal's last lines as a person sees them (for failure messages). */
async function screen(): Promise<string> {
  return (await lab.terminalText()).split("\n").filter(Boolean).slice(-30).join("\n");
}

async function stepDone(n: number) {
  try {
    await panel().locator("ol > li").nth(n).locator(".state.ok").waitFor({ timeout: 60_000 });
  } catch (e) {
    throw new Error(`step ${n + 1} never passed its check; terminal:\n${await screen()}\n${(e as Error).message}`);
  }
}

describe("a newcomer, offline, following the lessons", () => {
  it("has the app, the emulator and the demo images cached after one online visit", async () => {
    const cached = async () =>
      lab.page.evaluate(async () => {
        const keys = await (await caches.open("layerlab-v1")).keys();
        return keys.map((k) => new URL(k.url).pathname);
      });
    // The emulator's JS (v86.js, a dynamic import of the machine worker) too: without it a container
    // cannot start offline.
    const want = [/vm-worker/, /wasi-worker/, /layer-worker/, /\/deps\/v86\.js/, /v86\.wasm/, /^\/v86\/bzImage$/, /^\/demos\/blobs\/sha256\//];
    const t0 = Date.now();
    let paths: string[] = [];
    while (Date.now() - t0 < 60_000) {
      paths = await cached();
      if (want.every((re) => paths.some((p) => re.test(p)))) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const re of want) expect(paths.some((p) => re.test(p)), String(re)).toBe(true);
    expect(await lab.page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  });

  it("reloads with the network off and completes lesson 1 in English", async () => {
    await lab.page.context().setOffline(true);
    await lab.reload();
    await panel().getByLabel("Language").selectOption("en");
    await panel().getByLabel("Lesson").selectOption("layers");
    await runStep(0);
    await stepDone(0);
    await lab.page.getByRole("tab", { name: "Images" }).click();
    await lab.page.getByRole("button", { name: /layerlab\.demo\/teaching/ }).click();
    await lab.page.getByRole("tab", { name: "Lessons" }).click();
    await stepDone(1);
    await runStep(2);
    await stepDone(2);
    await panel().getByRole("status").filter({ hasText: "Lesson complete." }).waitFor({ timeout: 30_000 });
    await lab.screenshot(`${OUT}/lesson1-1280x800.png`);
  });

  it("switches to 简体中文 and completes lesson 5 (copy-on-write) offline, running a container", async () => {
    await panel().getByLabel("Language").selectOption("zh");
    await panel().getByLabel("课程").selectOption("cow");
    await panel().locator("ol > li").first().filter({ hasText: "容器在镜像之上加一个可写层" }).waitFor({ timeout: 10_000 });
    await runStep(0);
    await stepDone(0);
    await runStep(1);
    await stepDone(1);
    await lab.page.getByRole("tab", { name: "容器" }).click();
    await lab.page.getByRole("button", { name: /^cow / }).click();
    await lab.page.getByRole("heading", { name: "cow: 4 layers" }).waitFor();
    await lab.page.getByRole("button", { name: /[▸▾] etc\/$/ }).click();
    const motd = lab.page.getByRole("button", { name: /motd/ });
    expect((await motd.locator(".badge").textContent())?.trim()).toBe("C");
    await lab.page.getByRole("tab", { name: "课程" }).click();
    await stepDone(2);
    await panel().getByRole("status").filter({ hasText: "本课完成。" }).waitFor({ timeout: 30_000 });
    await lab.screenshot(`${OUT}/lesson5-zh-1280x800.png`);
    await lab.page.setViewportSize({ width: 390, height: 844 });
    await lab.screenshot(`${OUT}/lesson5-zh-390x844.png`);
    // Offline, the dev server's own client (vite's HMR websocket) cannot connect: that is vite's
    // development plumbing, absent from the built app; anything else is the lab's and must not be.
    expect(errors.filter((e) => !/^WebSocket connection to .* failed|^\[vite\]/.test(e))).toEqual([]);
  });
});
