/** A lesson: steps, each with text, an action (a command to run or something to click) and a check. */
import type { Daemon } from "../daemon/daemon.ts";

export type Language = "en" | "zh";
export type Text = Record<Language, string>;

export interface LessonContext {
  daemon: Daemon;
  /**
   * Command lines the learner ran in the terminal, oldest first, with the interface's events among
   * them as `ui EVENT` lines (so a check can ask what came after what).
   */
  history: string[];
  /**
   * Runs a line in a host shell of its own (the learner's working directory, history and variables
   * untouched), its output discarded: resolves with the exit status. Absent where there is none.
   */
  shell?(line: string): Promise<number>;
  /** The interface. */
  ui: {
    /**
     * Whether the learner has done something in the interface since the page loaded — once done, a
     * click step stays done when they move on. Events: `select:image:ID`, `select:container:ID`,
     * `tab:NAME`, `pane:NAME:image:ID` / `pane:NAME:container:ID`, `layer:N:image:ID`.
     */
    seen(event: string): boolean;
  };
}

export interface Step {
  text: Text;
  /** A command the "Run" button types into the terminal. */
  command?: string;
  /**
   * What the explorer shows once the command has run, so the layer-stack picture changes as the
   * learner acts (an image reference or a container name).
   */
  show?: { image?: string; container?: string };
  /** Something to click instead of a command. */
  click?: Text;
  /** True when the lab's state shows the step is done. */
  check(ctx: LessonContext): Promise<boolean>;
}

export interface Lesson {
  id: string;
  title: Text;
  steps: Step[];
}
