/**
 * Lessons as Markdown files anyone can write (the format is docs/lessons.md): front matter (id,
 * title per language, the images the lesson needs), one `##` heading per step, the step's text in
 * English with a `::: zh` … `:::` section for 简体中文, an optional ```` ```run ```` command (the Run
 * button types it), `click:` / `show:` lines, and a ```` ```check ```` block: host-shell lines that
 * must each exit 0, `seen EVENT` lines for what the learner did in the interface, and `ran /RE/`
 * lines for what they typed. Parsing is strict and says where: `layers.md:12: …`. The result is
 * data; lessonFromMarkdown makes it a Lesson.
 */
import type { Language, Lesson, LessonContext, Step, Text } from "./types.ts";

export interface MarkdownStep {
  /** The heading's text. */
  heading: string;
  text: Text;
  command?: string;
  click?: Text;
  show?: { image?: string; container?: string };
  /** Host-shell lines, `seen EVENT` and `ran /RE/` lines; all must pass. */
  checks: string[];
  /** Where the step starts (file:line), for messages. */
  at: string;
}

export interface MarkdownLesson {
  id: string;
  title: Text;
  /** The images the lesson uses (a course checks the lab can have them). */
  images: string[];
  steps: MarkdownStep[];
}

export class LessonFormatError extends Error {
  override name = "LessonFormatError";
}

const LANGUAGES: readonly Language[] = ["en", "zh"];
const FRONT_KEYS = new Set(["id", "title", "title.zh", "images"]);

/** Parses one lesson file; `source` names it in errors (`lessons/layers.md`). */
export function parseLessonMarkdown(markdown: string, source: string): MarkdownLesson {
  const lines = markdown.replace(/^\uFEFF/, "").split(/\r?\n/);
  const fail = (line: number, message: string): never => {
    throw new LessonFormatError(`${source}:${line + 1}: ${message}`);
  };
  let i = 0;
  while (i < lines.length && lines[i]!.trim() === "") i++;
  if (lines[i]?.trim() !== "---") fail(i, "a lesson starts with front matter: a line '---', then 'id: …' and 'title: …', then '---'");
  const front = new Map<string, string>();
  const opened = i;
  for (i++; ; i++) {
    if (i >= lines.length) fail(opened, "the front matter has no closing '---'");
    const line = lines[i]!;
    if (line.trim() === "---") break;
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const m = /^([a-z.]+):\s*(.*)$/.exec(line.trim());
    if (!m) fail(i, `front matter lines are 'key: value', not '${line.trim()}'`);
    const [, key, value] = m!;
    if (!FRONT_KEYS.has(key!)) fail(i, `unknown front matter key '${key}' (known: ${[...FRONT_KEYS].join(", ")})`);
    if (front.has(key!)) fail(i, `'${key}' is given twice`);
    front.set(key!, value!.trim());
  }
  const frontEnd = i;
  const id = front.get("id") ?? "";
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id)) fail(frontEnd, id ? `the id '${id}' must be lowercase letters, digits and dashes` : "the front matter needs an 'id'");
  const title = front.get("title");
  if (!title) fail(frontEnd, "the front matter needs a 'title'");
  const images = (front.get("images") ?? "").split(",").map((s) => s.trim()).filter(Boolean);

  const steps: MarkdownStep[] = [];
  interface Draft {
    heading: string;
    start: number;
    text: Record<Language, string[]>;
    command?: string;
    click: Partial<Text>;
    show?: MarkdownStep["show"];
    checks?: string[];
  }
  let step: Draft | undefined;
  let lang: Language = "en";
  let langStart = 0;
  const finish = () => {
    if (!step) return;
    if (lang !== "en") fail(langStart, `the '::: ${lang}' section is not closed with ':::'`);
    const en = paragraphs(step.text.en);
    if (!en) fail(step.start, `step '${step.heading}' has no text`);
    if (!step.checks?.length) fail(step.start, `step '${step.heading}' has no check: add a \`\`\`check block`);
    if (step.click.zh && !step.click.en) fail(step.start, `step '${step.heading}' has 'click.zh' without 'click'`);
    const text = { en, zh: paragraphs(step.text.zh) || en };
    const s: MarkdownStep = { heading: step.heading, text, checks: step.checks!, at: `${source}:${step.start + 1}` };
    if (step.command) s.command = step.command;
    if (step.click.en) s.click = { en: step.click.en, zh: step.click.zh ?? step.click.en };
    if (step.show) s.show = step.show;
    steps.push(s);
  };
  for (i = frontEnd + 1; i < lines.length; i++) {
    const line = lines[i]!;
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading && heading[1]!.length === 1 && !step) continue; // the lesson's own heading
    if (heading && heading[1]!.length === 2) {
      finish();
      step = { heading: heading[2]!, start: i, text: { en: [], zh: [] }, click: {} };
      lang = "en";
      continue;
    }
    if (!step) {
      if (line.trim() !== "" && !heading) fail(i, "text before the first step: each step starts with a '## ' heading");
      continue;
    }
    const fence = /^(`{3,}|~{3,})\s*([\w-]*)\s*(.*)$/.exec(line);
    if (fence) {
      const [, marker, info] = fence;
      const start = i;
      const body: string[] = [];
      for (i++; ; i++) {
        if (i >= lines.length) fail(start, `the \`\`\`${info} block is not closed`);
        if (lines[i]!.trim().startsWith(marker!) && lines[i]!.trim().replace(/[`~]/g, "") === "") break;
        body.push(lines[i]!);
      }
      if (info === "run") {
        const cmd = body.map((l) => l.trim()).filter(Boolean);
        if (cmd.length !== 1) fail(start, `a \`\`\`run block holds one command line (it has ${cmd.length})`);
        if (step.command) fail(start, `step '${step.heading}' has two \`\`\`run blocks`);
        step.command = cmd[0]!;
      } else if (info === "check") {
        const checks = body.map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
        if (checks.length === 0) fail(start, "the ```check block is empty");
        for (const c of checks) {
          if (/^seen\b/.test(c) && !/^seen [\w.-]+:\S+$/.test(c)) fail(start, `'${c}': a seen line is 'seen EVENT', for example 'seen select:image:layerlab.demo/busybox'`);
          if (/^ran\b/.test(c)) {
            try {
              ranLine(c);
            } catch (e) {
              fail(start, `'${c}': ${(e as Error).message}`);
            }
          }
        }
        step.checks = [...(step.checks ?? []), ...checks];
      } else {
        // Any other block (```sh, ```dockerfile, …) is part of the text, shown as it is.
        step.text[lang].push(...[line, ...body, lines[i]!]);
      }
      continue;
    }
    const section = /^:::\s*(\w*)\s*$/.exec(line);
    if (section) {
      const name = section[1]!;
      if (name === "") {
        if (lang === "en") fail(i, "':::' closes a language section, and none is open");
        lang = "en";
      } else {
        if (!LANGUAGES.includes(name as Language) || name === "en") fail(i, `'::: ${name}': the sections are '::: zh' (English is the text outside them)`);
        if (lang !== "en") fail(i, `'::: ${name}' inside '::: ${lang}'`);
        lang = name as Language;
        langStart = i;
      }
      continue;
    }
    const field = /^(click|click\.zh|show):\s*(.*)$/.exec(line);
    if (field && lang === "en") {
      const [, key, value] = field;
      if (!value!.trim()) fail(i, `'${key}:' needs a value`);
      if (key === "show") {
        const m = /^(image|container)\s+(\S+)$/.exec(value!.trim());
        if (!m) fail(i, `'show: ${value}': it is 'show: image REF' or 'show: container NAME'`);
        step.show = m![1] === "image" ? { image: m![2]! } : { container: m![2]! };
      } else step.click[key === "click" ? "en" : "zh"] = value!.trim();
      continue;
    }
    step.text[lang].push(line);
  }
  finish();
  if (steps.length === 0) fail(frontEnd, "the lesson has no steps: each starts with a '## ' heading");
  return { id, title: { en: title!, zh: front.get("title.zh") || title! }, images, steps };
}

/** Lines as text: trimmed at both ends, runs of blank lines as one paragraph break. */
function paragraphs(lines: string[]): string {
  return lines.join("\n").replace(/\n{3,}/g, "\n\n").trim();
}

/**
 * The lesson as the panel runs it: a step is done when every check line passes — `seen EVENT`
 * against the interface's events (an image or container named in the event is matched by its ID),
 * `ran /RE/` against the learner's lines, any other line through the lab's host shell, exit status 0.
 */
export function lessonFromMarkdown(lesson: MarkdownLesson): Lesson {
  return {
    id: lesson.id,
    title: lesson.title,
    steps: lesson.steps.map((s): Step => {
      const step: Step = { text: s.text, check: (ctx) => checkAll(ctx, s.checks) };
      if (s.command) step.command = s.command;
      if (s.click) step.click = s.click;
      if (s.show) step.show = s.show;
      return step;
    }),
  };
}

/** `ran /LATER/` or `ran /LATER/ after /FIRST/`: JavaScript regular expressions over the learner's lines. */
function ranLine(line: string): { later: RegExp; first?: RegExp } {
  const m = /^ran \/(.+?)\/(?: after \/(.+)\/)?$/.exec(line);
  if (!m) throw new Error("a ran line is 'ran /REGEX/' or 'ran /REGEX/ after /REGEX/'");
  return m[2] === undefined ? { later: new RegExp(m[1]!) } : { later: new RegExp(m[1]!), first: new RegExp(m[2]) };
}

/** The learner ran a line matching `later` (after the last line matching `first`, when given). */
function ran(ctx: LessonContext, line: string): boolean {
  const { later, first } = ranLine(line);
  if (!first) return ctx.history.some((l) => later.test(l));
  const i = ctx.history.findLastIndex((l) => first.test(l));
  return i >= 0 && ctx.history.slice(i + 1).some((l) => later.test(l));
}

async function checkAll(ctx: LessonContext, checks: readonly string[]): Promise<boolean> {
  for (const line of checks) {
    if (line.startsWith("ran ")) {
      if (!ran(ctx, line)) return false;
    } else if (line.startsWith("seen ")) {
      if (!(await seen(ctx, line.slice(5)))) return false;
    } else {
      if (!ctx.shell) return false;
      if ((await ctx.shell(line)) !== 0) return false;
    }
  }
  return true;
}

/** `select:image:NAME` is recorded with the image's ID: either spelling passes. */
async function seen(ctx: LessonContext, event: string): Promise<boolean> {
  if (ctx.ui.seen(event)) return true;
  const m = /^((?:select|pane:[\w-]+|layer:\d+):)(image|container):(.+)$/.exec(event);
  if (!m) return false;
  const [, prefix, kind, name] = m;
  if (name!.startsWith("sha256:")) return false; // an ID already, and not seen
  const id = kind === "image" ? (await ctx.daemon.images.resolve(name!))?.id : (await ctx.daemon.containers.maybe(name!))?.id;
  return !!id && ctx.ui.seen(`${prefix}${kind}:${id}`);
}
