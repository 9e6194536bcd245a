/**
 * The guided lessons, in English and Simplified Chinese. Lessons 1–12 are Markdown files in
 * lessons/ (the format of docs/lessons.md), parsed and checked as anyone's lessons are; lessons
 * 13–16, on docker build, are still in build-lessons.ts. They use the bundled demo images
 * (layerlab.demo/…), so every lesson works offline.
 */
import { BUILD_LESSONS } from "./build-lessons.ts";
import { lessonFromMarkdown, parseLessonMarkdown, type MarkdownLesson } from "./markdown.ts";
import type { Lesson } from "./types.ts";

/** lessons/*.md, in file-name order (bundled with the lessons' code, so they work offline). */
const files = import.meta.glob("../../lessons/*.md", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

export const MARKDOWN_LESSONS: MarkdownLesson[] = Object.keys(files)
  .sort()
  .map((path) => parseLessonMarkdown(files[path]!, path.replace(/^(\.\.\/)+/, "")));

export const LESSONS: Lesson[] = [...MARKDOWN_LESSONS.map(lessonFromMarkdown), ...BUILD_LESSONS];
