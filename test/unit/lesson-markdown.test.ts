/**
 * Lessons as Markdown (src/lessons/markdown.ts, docs/lessons.md): the format parses into steps with
 * both languages, commands, clicks and checks; malformed files are refused saying which line; and a
 * parsed lesson's checks run in a real host shell (just-bash over memory files) and against the
 * interface's events.
 */
import { describe, expect, it } from "vitest";
import { lessonFromMarkdown, LessonFormatError, parseLessonMarkdown } from "../../src/lessons/markdown.ts";
import type { LessonContext } from "../../src/lessons/types.ts";
import { MemoryFiles } from "../../src/shell/files.ts";
import { HostShell } from "../../src/shell/host-shell.ts";

const LESSON = `---
id: first-image
title: 1. Your first Dockerfile
title.zh: 1. 第一个 Dockerfile
images: layerlab.demo/busybox, layerlab.demo/teaching
---

# Your first Dockerfile

## Write it

Write a Dockerfile in ~/demo.
It has two lines:

\`\`\`dockerfile
FROM layerlab.demo/busybox
RUN echo hi > /hi
\`\`\`

::: zh
在 ~/demo 里写一个 Dockerfile。
:::

\`\`\`run
mkdir -p ~/demo && printf 'FROM layerlab.demo/busybox\\n' > ~/demo/Dockerfile
\`\`\`

\`\`\`check
# the file is there
test -f ~/demo/Dockerfile
grep -q '^FROM ' ~/demo/Dockerfile
\`\`\`

## Look at the image

Choose the image.

click: Click layerlab.demo/busybox in the Images panel
click.zh: 在“镜像”面板中点击 layerlab.demo/busybox
show: image layerlab.demo/busybox

\`\`\`check
seen select:image:sha256:abc
\`\`\`
`;

function parseError(text: string): string {
  try {
    parseLessonMarkdown(text, "lessons/x.md");
  } catch (e) {
    expect(e).toBeInstanceOf(LessonFormatError);
    return (e as Error).message;
  }
  throw new Error("parsed");
}

describe("lessons as Markdown", () => {
  it("parses front matter, steps, both languages, run, click, show and checks", () => {
    const l = parseLessonMarkdown(LESSON, "lessons/first-image.md");
    expect(l.id).toBe("first-image");
    expect(l.title).toEqual({ en: "1. Your first Dockerfile", zh: "1. 第一个 Dockerfile" });
    expect(l.images).toEqual(["layerlab.demo/busybox", "layerlab.demo/teaching"]);
    expect(l.steps).toHaveLength(2);
    const [write, look] = l.steps;
    expect(write!.heading).toBe("Write it");
    expect(write!.text.en).toBe("Write a Dockerfile in ~/demo.\nIt has two lines:\n\n```dockerfile\nFROM layerlab.demo/busybox\nRUN echo hi > /hi\n```");
    expect(write!.text.zh).toBe("在 ~/demo 里写一个 Dockerfile。");
    expect(write!.command).toBe("mkdir -p ~/demo && printf 'FROM layerlab.demo/busybox\\n' > ~/demo/Dockerfile");
    expect(write!.checks).toEqual(["test -f ~/demo/Dockerfile", "grep -q '^FROM ' ~/demo/Dockerfile"]);
    expect(write!.at).toBe("lessons/first-image.md:10");
    expect(look!.click).toEqual({ en: "Click layerlab.demo/busybox in the Images panel", zh: "在“镜像”面板中点击 layerlab.demo/busybox" });
    expect(look!.show).toEqual({ image: "layerlab.demo/busybox" });
    expect(look!.text).toEqual({ en: "Choose the image.", zh: "Choose the image." });
  });

  it("refuses malformed lessons saying what and where", () => {
    expect(parseError("id: x\n")).toBe("lessons/x.md:1: a lesson starts with front matter: a line '---', then 'id: …' and 'title: …', then '---'");
    expect(parseError("---\nid: x\ntitle: T\n")).toBe("lessons/x.md:1: the front matter has no closing '---'");
    expect(parseError("---\nid: X y\ntitle: T\n---\n")).toBe("lessons/x.md:4: the id 'X y' must be lowercase letters, digits and dashes");
    expect(parseError("---\nid: x\ntitle: T\nauthor: me\n---\n")).toBe("lessons/x.md:4: unknown front matter key 'author' (known: id, title, title.zh, images)");
    expect(parseError("---\nid: x\ntitle: T\n---\nHello\n")).toBe("lessons/x.md:5: text before the first step: each step starts with a '## ' heading");
    expect(parseError("---\nid: x\ntitle: T\n---\n")).toBe("lessons/x.md:4: the lesson has no steps: each starts with a '## ' heading");
    expect(parseError("---\nid: x\ntitle: T\n---\n## A\ntext\n")).toBe("lessons/x.md:5: step 'A' has no check: add a ```check block");
    expect(parseError("---\nid: x\ntitle: T\n---\n## A\n```check\ntrue\n```\n")).toBe("lessons/x.md:5: step 'A' has no text");
    expect(parseError("---\nid: x\ntitle: T\n---\n## A\ntext\n```run\na\nb\n```\n```check\ntrue\n```\n")).toBe("lessons/x.md:7: a ```run block holds one command line (it has 2)");
    expect(parseError("---\nid: x\ntitle: T\n---\n## A\ntext\n```check\ntrue\n")).toBe("lessons/x.md:7: the ```check block is not closed");
    expect(parseError("---\nid: x\ntitle: T\n---\n## A\ntext\n::: fr\n")).toBe("lessons/x.md:7: '::: fr': the sections are '::: zh' (English is the text outside them)");
    expect(parseError("---\nid: x\ntitle: T\n---\n## A\ntext\n::: zh\n文字\n```check\ntrue\n```\n")).toBe("lessons/x.md:7: the '::: zh' section is not closed with ':::'");
    expect(parseError("---\nid: x\ntitle: T\n---\n## A\ntext\nshow: volume v\n```check\ntrue\n```\n")).toBe("lessons/x.md:7: 'show: volume v': it is 'show: image REF' or 'show: container NAME'");
    expect(parseError("---\nid: x\ntitle: T\n---\n## A\ntext\n```check\nseen\n```\n")).toBe("lessons/x.md:7: 'seen': a seen line is 'seen EVENT', for example 'seen select:image:layerlab.demo/busybox'");
  });

  it("checks pass when every line exits 0 in a host shell of its own, and seen lines match the interface's events", async () => {
    const files = new MemoryFiles();
    const learner = new HostShell({ files });
    const checker = new HostShell({ files });
    const discard = { stdout() {}, stderr() {}, tty: false, columns: 80 };
    const events = new Set<string>();
    const ctx = { history: [], shell: (line: string) => checker.exec(line, discard), ui: { seen: (e: string) => events.has(e) } } as unknown as LessonContext;
    const lesson = lessonFromMarkdown(parseLessonMarkdown(LESSON, "lessons/first-image.md"));
    const [write, look] = lesson.steps;
    expect(await write!.check(ctx)).toBe(false);
    expect(await learner.exec(write!.command!, discard)).toBe(0);
    expect(await write!.check(ctx)).toBe(true);
    expect(learner.history).toEqual([write!.command]);
    expect(checker.cwd).toBe("/home/lab");
    expect(await look!.check(ctx)).toBe(false);
    events.add("select:image:sha256:abc");
    expect(await look!.check(ctx)).toBe(true);
    // Without a shell to run them in, shell checks never pass.
    expect(await write!.check({ ...ctx, shell: undefined })).toBe(false);
  });
});
