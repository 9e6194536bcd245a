/**
 * Every lesson in lessons/*.md, completed in Chromium in order as a learner would: each step's Run
 * button, and for each `seen EVENT` its check names, the click that makes the event (the Images or
 * Containers panel, a side tab, a layer of the stack, a pane of the explorer). Each step's check —
 * host-shell lines, seen and ran lines — must turn green, then the lesson says it is complete.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { MARKDOWN_LESSONS } from "../../src/lessons/lessons.ts";
import type { LabDriver } from "../harness/browser.ts";
import { launchEnglishLab, lessonPanel, sideTab } from "../harness/lessons.ts";

let lab: LabDriver;

beforeAll(async () => {
  lab = await launchEnglishLab();
});
afterAll(async () => {
  await lab?.close();
});

const panel = () => lessonPanel(lab);
const tab = (name: string) => sideTab(lab, name);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
const title = (s: string) => s[0]!.toUpperCase() + s.slice(1);

async function screen(): Promise<string> {
  return (await lab.terminalText()).split("\n").filter(Boolean).slice(-25).join("\n");
}

async function chooseImage(ref: string) {
  await tab("Images").click();
  await lab.page.locator("images-panel").getByRole("button", { name: new RegExp(escape(ref)) }).first().click();
  // The explorer has the image (a pane chosen before it has would be reset by its arrival).
  const name = ref.slice(ref.lastIndexOf("/") + 1);
  await lab.page.getByRole("heading", { name: new RegExp(escape(name.includes(":") ? name : `${name}:latest`)) }).first().waitFor();
}

/** The click that records `event` (src/ui/lab-app.ts's noteEvent). */
async function perform(event: string) {
  let m: RegExpExecArray | null;
  if ((m = /^tab:(.+)$/.exec(event))) return tab(title(m[1]!)).click();
  if ((m = /^select:image:(.+)$/.exec(event))) return chooseImage(m[1]!);
  if ((m = /^select:container:(.+)$/.exec(event))) {
    await tab("Containers").click();
    return lab.page.locator("containers-panel").getByRole("button", { name: new RegExp(`^${escape(m[1]!)} `) }).click();
  }
  if ((m = /^layer:(\d+):image:(.+)$/.exec(event))) {
    await chooseImage(m[2]!);
    return lab.page.locator("layer-stack").getByRole("button", { name: new RegExp(`^L${m[1]}: `) }).click();
  }
  if ((m = /^pane:(\w+):image:(.+)$/.exec(event))) {
    await chooseImage(m[2]!);
    return lab.page.getByRole("tab", { name: title(m[1]!) }).click();
  }
  throw new Error(`no click for ${event}`);
}

describe("the lessons in lessons/*.md, in order, by their own commands and clicks", () => {
  for (const lesson of MARKDOWN_LESSONS) {
    it(`${lesson.title.en}`, async () => {
      await tab("Lessons").click();
      await panel().getByLabel("Lesson").selectOption(lesson.id);
      for (const [i, step] of lesson.steps.entries()) {
        if (step.command) {
          await tab("Lessons").click();
          await panel().locator("ol > li").nth(i).getByRole("button").first().click();
        }
        for (const c of step.checks) if (c.startsWith("seen ")) await perform(c.slice(5));
        await tab("Lessons").click();
        try {
          await panel().locator("ol > li").nth(i).locator(".state.ok").waitFor({ timeout: 60_000 });
        } catch (e) {
          throw new Error(`${step.at}: step ${i + 1} never passed its check; terminal:\n${await screen()}\n${(e as Error).message}`);
        }
      }
      await panel().getByRole("status").filter({ hasText: "Lesson complete." }).waitFor({ timeout: 30_000 });
    }, 240_000);
  }
});
