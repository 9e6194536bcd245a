/**
 * The guided lessons: pick one, follow its steps. Each step says what to do (a command the Run
 * button types into the terminal, or something to click) and turns green when its check, evaluated
 * against the lab's state, passes. English and 简体中文, switchable; the choice is remembered.
 */
import { LitElement, css, html } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { Daemon } from "../daemon/daemon.ts";
import type { Language, Lesson, LessonContext } from "../lessons/types.ts";
import { StoreWatch } from "./store-watch.ts";
import { panelStyles } from "./panel-styles.ts";

const UI_TEXT = {
  en: { lessons: "Lessons", language: "Language", run: "Run", done: "done", todo: "to do", step: "Step", finished: "Lesson complete.", next: "Next lesson", pick: "Lesson" },
  zh: { lessons: "课程", language: "语言", run: "运行", done: "已完成", todo: "待完成", step: "步骤", finished: "本课完成。", next: "下一课", pick: "课程" },
};

@customElement("lesson-panel")
export class LessonPanel extends LitElement {
  static override styles = [
    panelStyles,
    css`
      .bar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin-bottom: 8px; }
      select { background: #0f1419; color: inherit; border: 1px solid #2d3640; border-radius: 4px; padding: 3px 6px; font: inherit; max-width: 100%; }
      ol { margin: 0; padding-left: 20px; display: flex; flex-direction: column; gap: 10px; }
      li.done::marker { color: #bae67e; }
      li.current { color: #ffffff; }
      li.later { color: #8a9199; }
      p { margin: 0 0 4px; line-height: 1.45; }
      code { display: block; white-space: pre-wrap; word-break: break-all; background: #0f1419; border: 1px solid #2d3640; border-radius: 4px; padding: 4px 6px; margin: 4px 0; font: 12px ui-monospace, monospace; }
      .state { font-size: 11px; }
      .ok { color: #bae67e; }
      .finished { color: #bae67e; margin-top: 10px; }
    `,
  ];

  @property({ attribute: false }) daemon?: Daemon;
  @property({ attribute: false }) context?: () => LessonContext | undefined;
  @state() language: Language = (localStorage.getItem("layerlab.lang") as Language | null) ?? (navigator.language.startsWith("zh") ? "zh" : "en");
  /** The course (src/main.ts gives the built-in lessons). */
  @property({ attribute: false }) lessons: readonly Lesson[] = [];
  @state() lessonId: string = localStorage.getItem("layerlab.lesson") ?? "";
  @state() private done: boolean[] = [];
  constructor() {
    super();
    new StoreWatch(this, () => void this.recheck());
  }
  private checking = 0;

  override updated(changed: Map<string, unknown>): void {
    if (changed.has("daemon") && this.daemon) void this.recheck();
  }
  /** Re-evaluates every step of the current lesson (after a command, a click, a store change). */
  async recheck(): Promise<void> {
    const ctx = this.context?.();
    if (!ctx) return;
    const n = ++this.checking;
    const lesson = this.lessons.find((l) => l.id === this.lessonId) ?? this.lessons[0];
    if (!lesson) return;
    const results: boolean[] = [];
    for (const s of lesson.steps) {
      let ok = false;
      try {
        ok = await s.check(ctx);
      } catch {
        ok = false;
      }
      results.push(ok);
    }
    if (n === this.checking) this.done = results;
  }

  private setLang(lang: Language) {
    this.language = lang;
    localStorage.setItem("layerlab.lang", lang);
    this.dispatchEvent(new CustomEvent("language", { detail: lang, bubbles: true, composed: true }));
    document.documentElement.lang = lang === "zh" ? "zh-Hans" : "en";
  }

  private setLesson(id: string) {
    this.lessonId = id;
    localStorage.setItem("layerlab.lesson", id);
    this.done = [];
    void this.recheck();
  }

  override render() {
    const t = UI_TEXT[this.language];
    const lesson = this.lessons.find((l) => l.id === this.lessonId) ?? this.lessons[0];
    if (!lesson) return html``;
    const current = this.done.findIndex((d) => !d);
    const allDone = this.done.length === lesson.steps.length && current === -1;
    const nextLesson = this.lessons[this.lessons.indexOf(lesson) + 1];
    return html`<div class="bar">
        <h2 style="margin:0">${t.lessons}</h2>
        <label class="muted" for="lang">${t.language}</label>
        <select id="lang" .value=${this.language} @change=${(e: Event) => this.setLang((e.target as HTMLSelectElement).value as Language)}>
          <option value="en" ?selected=${this.language === "en"}>English</option>
          <option value="zh" ?selected=${this.language === "zh"}>简体中文</option>
        </select>
      </div>
      <div class="bar">
        <label class="muted" for="lesson">${t.pick}</label>
        <select id="lesson" @change=${(e: Event) => this.setLesson((e.target as HTMLSelectElement).value)}>
          ${this.lessons.map((l) => html`<option value=${l.id} ?selected=${l.id === lesson.id}>${l.title[this.language]}</option>`)}
        </select>
      </div>
      <ol aria-label=${lesson.title[this.language]}>
        ${lesson.steps.map((s, i) => {
          const isDone = this.done[i] === true;
          const cls = isDone ? "done" : i === current ? "current" : "later";
          return html`<li class=${cls} aria-current=${i === current ? "step" : "false"}>
            <p>${s.text[this.language]}</p>
            ${s.command
              ? html`<code>${s.command}</code><button @click=${() => this.dispatchEvent(new CustomEvent("run-command", { detail: { command: s.command, show: s.show }, bubbles: true, composed: true }))} aria-label="${t.run}: ${s.command}">${t.run}</button>`
              : ""}
            ${s.click ? html`<p class="muted">→ ${s.click[this.language]}</p>` : ""}
            <span class="state ${isDone ? "ok" : "muted"}">${isDone ? `✓ ${t.done}` : t.todo}</span>
          </li>`;
        })}
      </ol>
      ${allDone
        ? html`<p class="finished" role="status">${t.finished} ${nextLesson ? html`<button @click=${() => this.setLesson(nextLesson.id)}>${t.next}: ${nextLesson.title[this.language]}</button>` : ""}</p>`
        : ""}`;
  }
}
