/**
 * The docker build lessons (13–16), followed step by step in Chromium by pressing each step's Run
 * button, as a learner would: before its Run a step is not done, after it its check turns green from
 * the lab's real state (images, tags, parent chains, layers, containers), and the terminal shows what
 * the step's text says it will (the cache hits and misses, the failing step's message, the layer
 * sizes). Lessons 13–15 in English, 16 in 简体中文; screenshots of the panel in both languages go
 * to test/.output/ (LESSON_SHOTS=DIR to put them elsewhere).
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILD_LESSONS } from "../../src/lessons/build-lessons.ts";
import type { LabDriver } from "../harness/browser.ts";
import { launchEnglishLab, lessonPanel } from "../harness/lessons.ts";

const OUT = process.env.LESSON_SHOTS ?? "test/.output";
let lab: LabDriver;
const errors: string[] = [];

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  lab = await launchEnglishLab({ onConsoleError: (e: string) => errors.push(e) });
});
afterAll(async () => {
  await lab?.close();
});

const panel = () => lessonPanel(lab);
const steps = () => panel().locator("ol > li");
const lessonOf = (id: string) => BUILD_LESSONS.find((l) => l.id === id)!;

async function open(id: string, label = "Lesson") {
  await lab.page.getByRole("tab", { name: label === "Lesson" ? "Lessons" : "课程", exact: true }).click();
  await panel().getByLabel(label, { exact: true }).selectOption(id);
  await expect.poll(() => steps().count()).toBe(lessonOf(id).steps.length);
}

/** The terminal as a person reads it: rows a long line wrapped onto are joined back to it. */
async function terminalText(): Promise<string> {
  return lab.page.evaluate(() => {
    type Line = { isWrapped: boolean; translateToString(trim: boolean): string };
    const el = document.querySelector("lab-app")?.shadowRoot?.querySelector("lab-terminal") as unknown as { term: { buffer: { active: { length: number; getLine(i: number): Line | undefined } } } };
    const b = el.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < b.length; i++) {
      const l = b.getLine(i);
      if (!l) continue;
      if (l.isWrapped && lines.length) lines[lines.length - 1] += l.translateToString(true);
      else lines.push(l.translateToString(true));
    }
    return lines.join("\n");
  });
}

/** The terminal is back at its prompt: whatever the last Run started has finished. */
async function idle(): Promise<void> {
  await expect.poll(async () => (await terminalText()).split("\n").filter((l) => l.trim()).at(-1)?.trim(), { timeout: 120_000 }).toBe("$");
}

async function stepState(n: number): Promise<boolean> {
  return (await steps().nth(n).locator(".state.ok").count()) === 1;
}

/**
 * Presses step n's Run button and waits for its check to pass and the command to finish; returns what
 * the command printed (from its echo on).
 */
async function run(id: string, n: number): Promise<string> {
  const command = lessonOf(id).steps[n]!.command!;
  expect(await stepState(n), `${id} step ${n + 1} is done before its Run`).toBe(false);
  await steps().nth(n).getByRole("button").first().click();
  try {
    await steps().nth(n).locator(".state.ok").waitFor({ timeout: 60_000 });
  } catch (e) {
    throw new Error(`${id} step ${n + 1} never passed its check; terminal:\n${(await terminalText()).split("\n").filter(Boolean).slice(-40).join("\n")}\n${(e as Error).message}`);
  }
  await idle();
  const text = await terminalText();
  const out = text.slice(text.lastIndexOf(`$ ${command.split("\n")[0]}`));
  if (process.env.LESSON_LOG) appendFileSync(process.env.LESSON_LOG, `==== ${id} step ${n + 1}\n${out}\n`);
  return out;
}

async function complete(text = "Lesson complete.") {
  await panel().getByRole("status").filter({ hasText: text }).waitFor({ timeout: 30_000 });
  // Every step stays done once the lesson is over (a later step must not undo an earlier one's state).
  for (let i = 0; i < (await steps().count()); i++) expect(await stepState(i), `step ${i + 1}`).toBe(true);
}

const count = (s: string, re: RegExp) => s.match(new RegExp(re.source, `${re.flags}g`))?.length ?? 0;

describe("the docker build lessons, by pressing Run", { timeout: 300_000 }, () => {
  it("13: one layer per instruction; && merges RUNs; a deletion in a later layer saves nothing", async () => {
    const id = "build-layers";
    await open(id);
    let out = await run(id, 0);
    expect(out).toContain("Step 1/1 : FROM layerlab.demo/busybox");
    expect(out).toContain("Successfully tagged lab/layers:1");
    expect(out.trimEnd().split("\n").at(-2)).toBe("2");
    out = await run(id, 1);
    expect(out).toMatch(/Step 2\/2 : RUN dd if=\/dev\/zero of=file1 bs=10M count=1\n ---> Running in [0-9a-f]{12}\n/);
    expect(out).toMatch(/Removing intermediate container [0-9a-f]{12}\n ---> [0-9a-f]{12}\nSuccessfully built/);
    expect(out.trimEnd().split("\n").at(-2)).toBe("3");
    out = await run(id, 2);
    expect(out).toMatch(/Step 2\/3 : RUN dd [^\n]*of=file1[^\n]*\n ---> Using cache\n/);
    expect(out).toMatch(/Step 3\/3 : RUN dd [^\n]*of=file2[^\n]*\n ---> Running in /);
    expect(count(out, /^[0-9a-f]{12} .*10\.5MB/m)).toBe(2);
    expect(count(out, /^(<missing>|[0-9a-f]{12}) +\S.*(B|kB|MB) *$/m)).toBe(5);
    out = await run(id, 3);
    expect(out).toMatch(/^[0-9a-f]{12} .*\/bin\/sh -c dd if=\/dev\/zero of=file1 bs=10M c… +21MB/m);
    expect(count(out, /^(<missing>|[0-9a-f]{12}) +\S.*(B|kB|MB) *$/m)).toBe(4);
    out = await run(id, 4);
    expect(out).toMatch(/Step 2\/3 : RUN dd [^\n]*&& dd [^\n]*\n ---> Using cache\n/);
    expect(out).toMatch(/^[0-9a-f]{12} .*\/bin\/sh -c rm file1 +0B/m);
    out = await run(id, 5);
    expect(out).toMatch(/^lab\/layers +6 .* 12\.6MB$/m);
    expect(out).toMatch(/^lab\/layers +5 .* 23(\.\d)?MB$/m);
    await complete();
    const layers = await lab.page.evaluate(async () => {
      const d = window.layerlab!.daemon!;
      const out: number[] = [];
      for (let i = 1; i <= 6; i++) out.push((await d.images.resolve(`lab/layers:${i}`))!.diffIds.length);
      return out;
    });
    expect(layers).toEqual([2, 3, 4, 3, 4, 3]);
    await lab.screenshot(`${OUT}/lesson13-en-1280x800.png`);
  });

  it("14: the build cache: unchanged, touched, a late line changed, a file changed, --no-cache", async () => {
    const id = "build-cache";
    await open(id);
    let out = await run(id, 0);
    expect(count(out, / ---> Running in /)).toBe(3);
    expect(out).toContain("Successfully tagged lab/cache:1");
    out = await run(id, 1);
    expect(count(out, / ---> Using cache/)).toBe(4);
    expect(out).not.toContain("Running in");
    const firstTime = /^[A-Z][a-z]{2} [A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d UTC \d{4}$/m.exec(out)?.[0];
    expect(firstTime, out).toBeDefined();
    out = await run(id, 2);
    expect(count(out, / ---> Using cache/)).toBe(4);
    out = await run(id, 3);
    expect(count(out, / ---> Using cache/)).toBe(3);
    expect(out).toMatch(/Step 5\/5 : CMD \["head", [^\n]*\n ---> Running in /);
    out = await run(id, 4);
    expect(out).toMatch(/Step 2\/5 : RUN date > \/built-at\n ---> Using cache\n/);
    expect(out).toMatch(/Step 3\/5 : COPY hello.txt \/\n ---> [0-9a-f]{12}\n/);
    expect(out).toMatch(/Step 4\/5 : RUN wc -c \/hello.txt > \/size\n ---> Running in /);
    expect(count(out, / ---> Using cache/)).toBe(1);
    expect(out).toContain("hello, cache");
    expect(out).toContain(firstTime!);
    out = await run(id, 5);
    expect(count(out, / ---> Using cache/)).toBe(0);
    expect(count(out, / ---> Running in /)).toBe(3);
    await complete();
  });

  it("15: a failed build, debugged from its last good step's image, then fixed", async () => {
    const id = "build-debug";
    await open(id);
    let out = await run(id, 0);
    expect(out).toContain("Step 3/4 : RUN /bin/bash -c echo \"continue to build...\"");
    expect(out).toContain("/bin/sh: /bin/bash: not found");
    expect(out).toContain("The command '/bin/sh -c /bin/bash -c echo \"continue to build...\"' returned a non-zero code: 127");
    expect(out).not.toContain("Successfully tagged");
    const good = /Step 2\/4 : RUN touch tmpfile\n ---> Running in [0-9a-f]{12}\nRemoving intermediate container [0-9a-f]{12}\n ---> ([0-9a-f]{12})\n/.exec(out)?.[1];
    expect(good, out).toBeDefined();
    out = await run(id, 1);
    expect(out).toMatch(/ \/tmpfile$/m);
    expect(out).toContain("ls: /bin/bash: No such file or directory");
    // The Run button's $(…) found the very image the build output named.
    expect(await lab.page.evaluate(async () => (await window.layerlab!.daemon!.containers.maybe("debug"))?.imageId)).toMatch(new RegExp(`^sha256:${good}`));
    out = await run(id, 2);
    expect(out).toMatch(/Step 2\/4 : RUN touch tmpfile\n ---> Using cache\n ---> ([0-9a-f]{12})\n/);
    expect(out).toContain(` ---> ${good}\n`);
    expect(out).toMatch(/^continue to build\.\.\.$/m);
    expect(out).toContain("Successfully tagged lab/debug:1");
    out = await run(id, 3);
    expect(out).toMatch(/ \/testfile$/m);
    // touch and COPY made layers; the echo changed no file: a 0B history row, no layer.
    const made = await lab.page.evaluate(async () => {
      const d = window.layerlab!.daemon!;
      const img = (await d.images.resolve("lab/debug:1"))!;
      return { layers: img.diffIds.length, rows: (await d.images.history(img)).slice(0, 3).map((r) => [r.h.created_by, r.h.empty_layer === true]) };
    });
    expect(made.layers).toBe(4);
    expect(made.rows[1]).toEqual([`/bin/sh -c /bin/sh -c 'echo "continue to build..."'`, true]);
    await complete();
    await lab.screenshot(`${OUT}/lesson15-en-1280x800.png`);
  });

  it("16 in 简体中文: export a container, build FROM scratch with ADD, compare the histories", async () => {
    const id = "build-scratch";
    await panel().getByLabel("Language").selectOption("zh");
    await open(id, "课程");
    await steps().first().filter({ hasText: "基础镜像就是一个根文件系统" }).waitFor({ timeout: 10_000 });
    let out = await run(id, 0);
    out = await run(id, 1);
    expect(out).toMatch(/ rootfs\.tar\.gz$/m);
    out = await run(id, 2);
    expect(out).toContain("Step 1/3 : FROM scratch\n ---> \nStep 2/3 : ADD rootfs.tar.gz /\n");
    expect(out).toContain("Successfully tagged lab/scratch:1");
    out = await run(id, 3);
    expect(out).toContain("exported from a container");
    out = await run(id, 4);
    const tables = out.split(/^IMAGE +CREATED +CREATED BY/m).slice(1);
    expect(tables).toHaveLength(2);
    expect(count(tables[0]!, /^[0-9a-f]{12} /m)).toBe(2);
    expect(tables[0]).toMatch(/#\(nop\) ADD file:[0-9a-f]+/);
    expect(count(tables[1]!, /^(<missing>|[0-9a-f]{12}) /m)).toBe(3);
    await complete("本课完成。");
    await lab.screenshot(`${OUT}/lesson16-zh-1280x800.png`);
    expect(errors).toEqual([]);
  });

  it("reads in both languages (screenshots of each new lesson's panel)", async () => {
    // Tall enough that each lesson's panel shows whole, without scrolling.
    await lab.page.setViewportSize({ width: 1280, height: 2200 });
    for (const lang of ["zh", "en"] as const) {
      await panel().locator("select#lang").selectOption(lang);
      for (const l of BUILD_LESSONS) {
        await open(l.id, lang === "zh" ? "课程" : "Lesson");
        await steps().first().filter({ hasText: l.steps[0]!.text[lang].slice(0, 12) }).waitFor({ timeout: 10_000 });
        // In pieces a person (or an image viewer) can read at 1:1.
        const box = (await lab.page.locator("lab-app aside").boundingBox())!;
        const end = box.y + Math.min(box.height, (await panel().boundingBox())!.height + 60);
        for (let y = box.y, k = 1; y < end; y += 600, k++) {
          await lab.page.screenshot({ path: `${OUT}/${l.id}-${lang}-${k}.png`, clip: { x: box.x, y, width: box.width, height: Math.min(600, end - y) } });
        }
      }
    }
    await lab.page.setViewportSize({ width: 1280, height: 800 });
  });
});
