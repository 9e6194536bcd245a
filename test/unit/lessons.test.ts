/** The lessons as data: both languages everywhere, an action for every step, numbered in order; the Markdown ones name only bundled images. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LESSONS, MARKDOWN_LESSONS } from "../../src/lessons/lessons.ts";

describe("lessons", () => {
  it("have unique ids and titles numbered 1…N in both languages", () => {
    expect(new Set(LESSONS.map((l) => l.id)).size).toBe(LESSONS.length);
    LESSONS.forEach((l, i) => {
      expect(l.title.en.startsWith(`${i + 1}. `), l.title.en).toBe(true);
      expect(l.title.zh.startsWith(`${i + 1}. `), l.title.zh).toBe(true);
    });
  });

  it("give every step text in English and 简体中文 and an action (a command or a click)", () => {
    for (const l of LESSONS) {
      expect(l.steps.length, l.id).toBeGreaterThan(0);
      for (const s of l.steps) {
        expect(s.text.en.trim().length, `${l.id}: ${s.text.en}`).toBeGreaterThan(0);
        expect(s.text.zh.trim().length, `${l.id}: ${s.text.en}`).toBeGreaterThan(0);
        expect(/[\u4e00-\u9fff]/.test(s.text.zh), `${l.id}: zh text has Chinese`).toBe(true);
        expect(!!s.command || (!!s.click?.en && !!s.click?.zh), `${l.id}: ${s.text.en}`).toBe(true);
      }
    }
  });

  it("in lessons/*.md parse, and name only images the bundle has (layerlab.demo/NAME[:TAG])", () => {
    expect(MARKDOWN_LESSONS.length).toBeGreaterThanOrEqual(12);
    const index = JSON.parse(readFileSync(new URL("../../public/demos/index.json", import.meta.url), "utf8")) as { manifests: { annotations?: Record<string, string> }[] };
    const bundled = new Set(index.manifests.map((m) => `layerlab.demo/${m.annotations?.["org.opencontainers.image.ref.name"]}`));
    for (const l of MARKDOWN_LESSONS) {
      expect(l.images.length, l.id).toBeGreaterThan(0);
      for (const ref of l.images) expect(bundled.has(ref.includes(":") ? ref : `${ref}:latest`), `${l.id}: ${ref}`).toBe(true);
      for (const s of l.steps) for (const c of s.checks) expect(c, s.at).not.toMatch(/^(seen|ran)$/);
    }
  });

  it("cover the concepts of the seeds", () => {
    expect(LESSONS.map((l) => l.id)).toEqual(["layers", "base", "kernel", "union", "cow", "isolation", "commit", "history", "pull", "storage", "registry", "drivers", "build-layers", "build-cache", "build-debug", "build-scratch"]);
  });
});
