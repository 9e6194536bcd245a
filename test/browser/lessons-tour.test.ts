/**
 * The lessons that need no container, followed by clicking as a learner would (in English): base
 * images, history and inspect, the pull flow and shared layers, the local storage layout, the registry
 * layout. Each step's check must turn green from the learner's own actions, and the panes the lesson
 * points at must show what it says.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LabDriver } from "../harness/browser.ts";
import { launchEnglishLab, lessonPanel, sideTab } from "../harness/lessons.ts";

let lab: LabDriver;
const errors: string[] = [];

beforeAll(async () => {
  lab = await launchEnglishLab({ onConsoleError: (e: string) => errors.push(e) });
});
afterAll(async () => {
  await lab?.close();
});

const panel = () => lessonPanel(lab);
const tab = (name: string) => sideTab(lab, name);

async function open(lesson: string) {
  await tab("Lessons").click();
  await panel().getByLabel("Lesson").selectOption(lesson);
}
async function run(n: number) {
  await tab("Lessons").click();
  await panel().locator("ol > li").nth(n).getByRole("button").first().click();
}
async function done(n: number) {
  await tab("Lessons").click();
  await panel().locator("ol > li").nth(n).locator(".state.ok").waitFor({ timeout: 30_000 });
}
async function complete() {
  await tab("Lessons").click();
  await panel().getByRole("status").filter({ hasText: "Lesson complete." }).waitFor({ timeout: 30_000 });
}
async function chooseImage(name: RegExp) {
  await tab("Images").click();
  await lab.page.getByRole("button", { name }).click();
}

describe("lessons without containers, by clicking", () => {
  it("1 and 2: layers, base images and FROM scratch", async () => {
    await open("layers");
    await run(0);
    await done(0);
    await open("base");
    await run(0);
    await done(0);
    // The Run button ran the pull in the terminal: busybox's two layers came with the teaching image.
    await expect.poll(() => lab.terminalText(), { timeout: 10_000 }).toContain("Status: Downloaded newer image for layerlab.demo/busybox:latest");
    const text = await lab.terminalText();
    const pull = text.slice(text.lastIndexOf("docker pull layerlab.demo/busybox"));
    expect(pull).toMatch(/^docker pull layerlab\.demo\/busybox\n/);
    expect(pull.match(/^[a-f0-9]{12}: Already exists$/gm)).toHaveLength(2);
    await run(1);
    await done(1);
    await run(2);
    await complete();
  });

  it("8: history and inspect, in the terminal and in the explorer's tabs", async () => {
    await open("history");
    await run(0);
    await done(0);
    await chooseImage(/layerlab\.demo\/teaching/);
    await lab.page.getByRole("heading", { name: /teaching:latest/ }).waitFor();
    await lab.page.getByRole("tab", { name: "History" }).click();
    const history = lab.page.getByRole("table", { name: "docker history" });
    await expect.poll(() => history.locator("tbody tr").count()).toBe(6);
    // CMD made no layer; the five others are L4…L0, newest first.
    expect(await history.locator("tbody tr td:first-child").allTextContents()).toEqual(["—", "L4", "L3", "L2", "L1", "L0"]);
    await done(1);
    await run(2);
    await done(2);
    await lab.page.getByRole("tab", { name: "Inspect" }).click();
    await expect.poll(async () => JSON.parse((await lab.page.getByLabel("docker inspect", { exact: true }).textContent()) || "{}").RootFS?.Layers?.length).toBe(5);
    await complete();
  });

  it("9: rmi keeps shared layers, a pull downloads nothing new, the stack marks shared layers", async () => {
    await open("pull");
    await run(0);
    await done(0);
    await run(1);
    await done(1);
    await chooseImage(/layerlab\.demo\/teaching/);
    await expect.poll(() => lab.page.locator("layer-stack .shared").count()).toBe(2);
    await complete();
    const out = await lab.page.evaluate(() => window.layerlab!.daemon!.store.listLayers().then((l) => l.length));
    expect(out).toBe(5);
  });

  it("10: the local storage layout, in the terminal and the Storage tab", async () => {
    await open("storage");
    await run(0);
    await done(0);
    await tab("Storage").click();
    const tree = lab.page.getByRole("tree", { name: /Storage/ });
    await expect.poll(() => tree.getByRole("treeitem", { name: /^layerdb\/$/ }).count()).toBe(1);
    // The selected image's five layers are highlighted, busybox's two among them, each listed once.
    await expect.poll(() => tree.locator(".line.mine", { hasText: /^diff +sha256:/ }).count()).toBe(5);
    await complete();
  });

  it("11: the registry layout of an image named for a registry", async () => {
    await open("registry");
    await run(0);
    await done(0);
    await run(1);
    await done(1);
    await tab("Registry").click();
    // The pane first follows the last image with a repo digest; type once it has (it writes the input).
    await expect.poll(() => lab.page.getByLabel("files the registry keeps").textContent()).toContain("_manifests");
    await lab.page.getByLabel("Image (NAME:TAG)").fill("localhost:5000/teaching");
    await lab.page.getByRole("button", { name: "Show" }).click();
    await expect.poll(() => lab.page.getByLabel("files the registry keeps").textContent()).toContain("_manifests");
    await complete();
    expect(errors).toEqual([]);
  });
});
