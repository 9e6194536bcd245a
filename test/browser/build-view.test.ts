/**
 * The Build tab in real Chromium: a Dockerfile written with the host shell and built by typing
 * `docker build` into the terminal, followed live in the page — each step as written (Step N/M, its
 * Dockerfile line), its output (stderr marked), the layer it made with Docker's size (the same as
 * `docker history` prints) and its files, "no layer" for a config-only step; a click on a layer opens
 * it in the explorer, whose layer stack names the Dockerfile line of each layer; a rebuild's CACHED
 * steps with their reasons; a failing build's step highlighted, and its "Debug from the last good
 * step" action starting `docker run -it <last image> sh` in the terminal. Screenshots go to /tmp.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Locator } from "playwright-core";
import { launchLab, type LabDriver } from "../harness/browser.ts";

const SHOTS = "/tmp/layerlab-build-view";
let lab: LabDriver;
const errors: string[] = [];

beforeAll(async () => {
  lab = await launchLab({ onConsoleError: (e: string) => errors.push(e) });
});
afterAll(async () => {
  await lab?.close();
});

const app = () => lab.page.locator("lab-app");
const tab = (name: string) => lab.page.getByRole("tab", { name, exact: true });
/** The steps a build announced (not the instructions still to come or not run). */
const steps = () => app().locator("build-view li.step:not(.pending)");
const step = (n: number) => steps().nth(n - 1);

/** An element's text with its white space collapsed, as it reads. */
async function text(l: Locator): Promise<string> {
  return ((await l.textContent()) ?? "").replace(/\s+/g, " ").trim();
}

function commandCount(): Promise<number> {
  return lab.page.evaluate(() => (document.querySelector("lab-app")!.shadowRoot!.querySelector("lab-terminal") as unknown as { commandHistory: string[] }).commandHistory.length);
}

/** Types a line into the terminal as a person would; returns a wait for its prompt to come back. */
async function typeLine(line: string): Promise<() => Promise<void>> {
  const before = await commandCount();
  await app().locator("lab-terminal .xterm").click();
  await lab.page.keyboard.type(`${line}\r`, { delay: 1 });
  return async () => {
    await lab.page.waitForFunction(
      (n) => {
        const t = document.querySelector("lab-app")!.shadowRoot!.querySelector("lab-terminal") as unknown as { commandHistory: string[]; running?: unknown };
        return t.commandHistory.length > n && !t.running;
      },
      before,
      { timeout: 120_000 },
    );
  };
}

async function type(line: string): Promise<void> {
  await (await typeLine(line))();
}

/** What the page's terminal has the keyboard in (the build view must not take it). */
function focusedInApp(): Promise<string | undefined> {
  return lab.page.evaluate(() => document.querySelector("lab-app")!.shadowRoot!.activeElement?.tagName.toLowerCase());
}

/** `docker history` sizes of an image, newest first, as the CLI prints them. */
async function historySizes(ref: string): Promise<string[]> {
  const r = await lab.exec(`docker history --format '{{.Size}}' ${ref}`);
  expect(r.code).toBe(0);
  return r.output.trim().split("\n");
}

async function imageId(ref: string): Promise<string> {
  const r = await lab.exec(`docker image inspect -f '{{.Id}}' ${ref}`);
  expect(r.code).toBe(0);
  return r.output.trim();
}

const DOCKERFILE = [
  "FROM layerlab.demo/busybox",
  "RUN echo hi > /x && echo out-line && echo to-stderr >&2 && sleep 1",
  "ENV GREETING=hello",
  "RUN mkdir /d && echo two > /d/f && rm /bin/true",
  'CMD ["sh"]',
];

/** A printf that writes these lines, as typed into the shell. */
function printf(lines: string[]): string {
  return `printf '${lines.map((l) => l.replace(/%/g, "%%")).join("\\n")}\\n'`;
}

describe("the Build tab follows docker build", () => {
  it("shows each step live as it runs, without taking the terminal's keyboard", async () => {
    await tab("Images").click();
    const done = await typeLine(`mkdir b && cd b && ${printf(DOCKERFILE)} > Dockerfile && docker build -t v:1 .`);
    // The tab comes forward by itself when the build starts; the terminal keeps the focus.
    await expect.poll(() => tab("Build").getAttribute("aria-selected"), { timeout: 60_000 }).toBe("true");
    await app().locator("build-view li.step.running").filter({ hasText: "RUN echo hi > /x" }).waitFor({ timeout: 60_000 });
    expect(await focusedInApp()).toBe("lab-terminal");
    await expect.poll(() => app().locator("build-view .summary").textContent()).toMatch(/Running step 2\/5/);
    // The instructions still to come are listed under it.
    expect(await app().locator("build-view li.step.pending").evaluateAll((els) => els.map((e) => e.getAttribute("aria-label")))).toEqual(DOCKERFILE.slice(2).map((d, i) => `Step ${i + 3}/5: ${d} (waiting)`));
    expect(await tab("Build").getAttribute("title")).toBe("a build is running");
    await lab.screenshot(`${SHOTS}-1-running.png`);
    await done();
    expect(await focusedInApp()).toBe("lab-terminal");
    await expect.poll(() => tab("Build").getAttribute("title")).toBe(null);
  });

  it("lists the steps as written, their output, and the layer each made (sizes as docker history gives them)", async () => {
    await expect.poll(() => app().locator("build-view .summary").textContent()).toMatch(/^Built [0-9a-f]{12} in /);
    expect(await steps().count()).toBe(5);
    // Each step's image as `docker history -q` lists them (newest first: steps 5…2, then FROM's base).
    const ids = (await lab.exec("docker history -q v:1")).output.trim().split("\n").slice(0, 5).reverse();
    for (let i = 0; i < DOCKERFILE.length; i++) {
      await expect.poll(() => step(i + 1).getAttribute("aria-label")).toBe(`Step ${i + 1}/5: ${DOCKERFILE[i]}`);
      expect(await text(step(i + 1).locator(".line"))).toBe(`Dockerfile line ${i + 1} · ---> ${ids[i]}`);
    }
    // Output: stdout as is, stderr marked.
    const out = step(2).getByLabel("Output of step 2");
    expect(await out.textContent()).toBe("out-line\nto-stderr\n");
    expect(await out.locator(".err").textContent()).toBe("to-stderr\n");
    // Layers, with Docker's sizes: history rows, newest first, are CMD, RUN, ENV, RUN, then the base's (two layers).
    const sizes = await historySizes("v:1");
    expect(sizes.slice(0, 4)).toEqual(["0B", sizes[1], "0B", sizes[3]]);
    await expect.poll(() => step(2).locator("button.open").getAttribute("aria-label")).toBe(`Open layer L2 (${sizes[3]}, 1 added, 0 changed, 0 removed) in the explorer`);
    expect(sizes[3]).toBe("3B");
    expect(await text(step(2).getByRole("list", { name: "Files of layer L2" }))).toBe("A/x");
    expect(await step(4).locator("button.open").getAttribute("aria-label")).toBe(`Open layer L3 (${sizes[1]}, 2 added, 1 changed, 1 removed) in the explorer`);
    expect(sizes[1]).toBe("4B");
    const files = (await step(4).getByRole("list", { name: "Files of layer L3" }).locator("li").allTextContents()).map((t) => t.replace(/\s+/g, ""));
    expect(files).toEqual(["C/bin", "D/bin/true", "A/d", "A/d/f"]);
    expect(await step(3).locator(".layer").textContent()).toContain("no layer");
    expect(await step(5).locator(".layer").textContent()).toContain("no layer");
    expect(await step(1).locator("button.open").textContent()).toMatch(/^base image [0-9a-f]{12} · 2 layers · [\d.]+MB$/);
    await lab.screenshot(`${SHOTS}-2-built.png`);
  });

  it("opens a step's layer in the explorer, whose layer stack names the Dockerfile line of each layer", async () => {
    await step(4).locator("button.open").click();
    await lab.page.getByRole("heading", { name: "Layer L3 changes" }).waitFor();
    const top = await imageId("v:1");
    // The step's own image (v:1 is the CMD step's child of it), at its top layer.
    const shown = await lab.page.evaluate(() => (document.querySelector("lab-app") as unknown as { explorerSelection: { selection?: { id: string }; layer?: number } }).explorerSelection);
    expect(shown.layer).toBe(3);
    expect(shown.selection?.id).not.toBe(top);
    const stack = app().locator("explorer-view layer-stack");
    await expect.poll(() => stack.getByRole("button", { name: /^L3: / }).getAttribute("aria-label")).toContain(`Dockerfile line 4: ${DOCKERFILE[3]}`);
    expect(await stack.getByRole("button", { name: /^L2: / }).getAttribute("aria-label")).toContain(`Dockerfile line 2: ${DOCKERFILE[1]}`);
    for (const l of ["L1", "L0"]) expect(await stack.getByRole("button", { name: new RegExp(`^${l}: `) }).getAttribute("aria-label")).toContain(`Dockerfile line 1: ${DOCKERFILE[0]}`);
    // The tagged image, chosen in the Images tab, says the same.
    await tab("Images").click();
    await lab.page.getByRole("button", { name: /^v:1 / }).click();
    await lab.page.getByRole("heading", { name: "v:1: 4 layers" }).waitFor();
    await expect.poll(() => stack.locator(".origin").allTextContents()).toEqual([1, 1, 2, 4].map((n) => `Dockerfile line ${n}: ${DOCKERFILE[n - 1]}`));
    await lab.page.getByRole("tab", { name: "History" }).click();
    await expect.poll(() => lab.page.getByRole("table", { name: "docker history" }).locator("tbody tr").nth(1).textContent()).toContain("Dockerfile line 4");
    await lab.screenshot(`${SHOTS}-3-explorer.png`);
  });

  it("a rebuild shows each step CACHED with the reason the builder gives", async () => {
    await type("docker build -t v:2 .");
    await expect.poll(() => tab("Build").getAttribute("aria-selected")).toBe("true");
    await expect.poll(() => app().locator("build-view .summary").textContent()).toMatch(/^Built [0-9a-f]{12} in .* · 4 of 5 steps from the cache$/);
    for (let n = 2; n <= 5; n++) {
      expect(await step(n).getAttribute("class")).toContain("cached");
      expect(await step(n).locator(".head .state").textContent()).toBe("CACHED");
      expect(await step(n).locator(".cached-reason").textContent()).toMatch(/^[0-9a-f]{12}, a child of [0-9a-f]{12}, was made with the same run config \(.+\)$/);
    }
    expect(await step(2).locator(".cached-reason").textContent()).toContain("echo hi > /x");
    expect(await step(1).locator(".cached-reason").count()).toBe(0);
    // A cached step still shows the layer it stands for; no output, since nothing ran.
    await expect.poll(() => step(2).locator("button.open").getAttribute("aria-label")).toBe("Open layer L2 (3B, 1 added, 0 changed, 0 removed) in the explorer");
    expect(await step(2).locator("pre.out").count()).toBe(0);
    // The first build is listed as an earlier one, and can be shown again.
    const earlier = app().locator("build-view").getByRole("list", { name: "Earlier builds" }).getByRole("button");
    expect(await earlier.count()).toBe(1);
    expect(await text(earlier)).toMatch(/^✓ v:1 5 steps · /);
    await lab.screenshot(`${SHOTS}-4-cached.png`);
    await earlier.click();
    await expect.poll(() => step(2).locator(".cached-reason").count()).toBe(0);
    await app().locator("build-view").getByRole("button", { name: "Latest build" }).click();
    await expect.poll(() => step(2).locator(".cached-reason").count()).toBe(1);
  });

  it("a failing build highlights its step; Debug from the last good step starts a shell in that step's image", async () => {
    const bad = ["FROM layerlab.demo/busybox", "RUN echo ok > /ok", "RUN echo about to fail && exit 3", "CMD [\"sh\"]"];
    await type(`mkdir ../c && cd ../c && ${printf(bad)} > Dockerfile && docker build -t bad:1 .`);
    await expect.poll(() => app().locator("build-view .summary").textContent()).toMatch(/^Failed at step 3\/4 after .* \(exit status 3\)$/);
    expect(await steps().count()).toBe(3);
    expect(await app().locator("build-view li.step.pending").getAttribute("aria-label")).toBe(`Step 4/4: ${bad[3]} (not run)`);
    expect(await app().locator("build-view li.step.failed").count()).toBe(1);
    const failed = step(3);
    expect(await failed.getAttribute("class")).toContain("failed");
    expect(await failed.getByRole("alert").textContent()).toContain("The command '/bin/sh -c echo about to fail && exit 3' returned a non-zero code: 3");
    expect(await failed.getByLabel("Output of step 3").textContent()).toBe("about to fail\n");
    await lab.screenshot(`${SHOTS}-5-failed.png`);
    // The last good step is step 2: its image.
    const last = await lab.page.evaluate(() => {
      const b = (document.querySelector("lab-app")!.shadowRoot!.querySelector("build-view") as unknown as { builds: { latest: { end: { lastImageId: string }; steps: { imageId?: string }[] } } }).builds.latest;
      return { last: b.end.lastImageId, step2: b.steps[1]!.imageId };
    });
    expect(last.last).toBe(last.step2);
    const short = last.last.replace(/^sha256:/, "").slice(0, 12);
    expect(await failed.getByText(`docker run -it ${short} sh`).count()).toBe(1);
    const before = await commandCount();
    await failed.getByRole("button", { name: "Debug from the last good step" }).click();
    await expect.poll(() => commandCount()).toBe(before + 1);
    expect(await lab.page.evaluate(() => (document.querySelector("lab-app")!.shadowRoot!.querySelector("lab-terminal") as unknown as { commandHistory: string[] }).commandHistory.at(-1))).toBe(`docker run -it ${short} sh`);
    await expect
      .poll(async () => lab.page.evaluate(async (id) => (await window.layerlab!.daemon!.containers.list()).filter((c) => c.imageId === id && c.state === "running").length, last.last), { timeout: 60_000 })
      .toBe(1);
    // The terminal has the keyboard: the shell answers, with the last good step's file in place.
    expect(await focusedInApp()).toBe("lab-terminal");
    await expect.poll(() => lab.terminalText(), { timeout: 30_000 }).toMatch(/# $/m);
    await lab.page.keyboard.type("cat /ok\r", { delay: 5 });
    await expect.poll(() => lab.terminalText()).toMatch(/cat \/ok\s*\nok\s*$/m);
    await lab.screenshot(`${SHOTS}-6-debug.png`);
    await lab.page.keyboard.type("exit\r", { delay: 5 });
    await expect
      .poll(async () => lab.page.evaluate(async (id) => (await window.layerlab!.daemon!.containers.list()).filter((c) => c.imageId === id && c.state === "running").length, last.last), { timeout: 30_000 })
      .toBe(0);
    // The failed step's line is marked in the Dockerfile, which opened by itself.
    expect(await app().locator("build-view pre.dockerfile .bad").textContent()).toBe(`3${bad[2]}`);
    await lab.page.setViewportSize({ width: 390, height: 844 });
    await lab.screenshot(`${SHOTS}-7-failed-390x844.png`);
    expect(errors).toEqual([]);
  });

  it("Ctrl-C cancels a build: the running step's container goes, the finished steps' images stay", async () => {
    await lab.page.setViewportSize({ width: 1280, height: 800 });
    const done = await typeLine(`mkdir -p ~/cancel && cd ~/cancel && ${printf(["FROM layerlab.demo/busybox", "RUN echo first > /first", "RUN sleep 600"])} > Dockerfile && docker build -t cancel:1 .`);
    await app().locator("build-view li.step.running").filter({ hasText: "RUN sleep 600" }).waitFor({ timeout: 60_000 });
    await lab.page.keyboard.press("Control+C");
    await done();
    expect((await lab.exec("echo $?")).output).toBe("130\n");
    // As with Docker, the client is gone at once and the daemon's cleanup follows: the container goes shortly.
    await expect.poll(async () => (await lab.exec("docker ps -a --no-trunc --format '{{.Command}}' | grep -c sleep")).output, { timeout: 10_000 }).toBe("0\n");
    expect((await lab.exec("docker images -q cancel:1 | wc -l")).output.trim()).toBe("0");
    // The first RUN's image is there: a rebuild takes it from the cache.
    const again = await lab.exec(`cd ~/cancel && ${printf(["FROM layerlab.demo/busybox", "RUN echo first > /first", "RUN true"])} > Dockerfile && docker build -t cancel:1 .`);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toMatch(/Step 2\/3 : RUN echo first > \/first\n ---> Using cache\n/);
  });
});
