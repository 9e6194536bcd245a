/**
 * Docker's per-layer progress display (moby's jsonmessage): on a TTY every layer keeps one line that
 * is redrawn in place with cursor movement; without a TTY each status prints once, progress bars never.
 */
import type { CliIO } from "../terminal/types.ts";
import { humanSize } from "../daemon/units.ts";

export interface ProgressUpdate {
  id: string;
  status: string;
  current?: number;
  total?: number;
}

/** JSONProgress.String(): `[=====>     ]  1.049MB/2.219MB`. The bar needs a wide terminal. */
export function progressBar(current: number, total: number, columns: number): string {
  if (current <= 0 && total <= 0) return "";
  if (total <= 0) return humanSize(current).padStart(8);
  const pct = Math.min(50, Math.floor(Math.floor((current / total) * 100) / 2));
  // Docker draws the bar only above 110 columns; the lab's terminal is often narrower, and the bar
  // is the point of the lesson, so it is drawn from 80.
  const bar = columns >= 80 ? `[${"=".repeat(pct)}>${" ".repeat(Math.max(0, 50 - pct))}] ` : "";
  const numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}

/** Statuses that carry a moving progress value: shown only on a TTY, as Docker does. */
const PROGRESS_STATUSES = new Set(["Downloading", "Extracting", "Pushing", "Resuming"]);

/** Statuses after which a layer's bytes are all done. */
const FINISHED = /^(Download complete|Pull complete|Pushed|Layer already exists|Mounted from|Already exists)/;

export class ProgressDisplay {
  private readonly ids: string[] = [];
  private readonly lastPrinted = new Map<string, string>();

  /** Per layer: bytes done and its size, for the overall progress bar. */
  private readonly bytes = new Map<string, { current: number; total: number }>();

  /** `label` names the operation for the overall progress bar (io.activity). */
  constructor(
    private readonly io: CliIO,
    private readonly label?: string,
  ) {}

  /** The operation ended (done or failed): the overall bar goes away. */
  end(): void {
    if (this.label) this.io.activity?.(undefined);
  }

  private reportActivity(u: ProgressUpdate): void {
    if (!this.label || !this.io.activity) return;
    const known = this.bytes.get(u.id);
    if (u.total !== undefined && u.total > 0 && u.status !== "Extracting") this.bytes.set(u.id, { current: Math.min(u.current ?? 0, u.total), total: u.total });
    else if (known && FINISHED.test(u.status)) known.current = known.total;
    let current = 0;
    let total = 0;
    for (const b of this.bytes.values()) {
      current += b.current;
      total += b.total;
    }
    this.io.activity({ label: this.label, current, total });
  }

  update(u: ProgressUpdate): void {
    this.reportActivity(u);
    const hasProgress = u.current !== undefined && u.total !== undefined;
    if (!this.io.tty) {
      if (PROGRESS_STATUSES.has(u.status) && hasProgress && u.status !== "Resuming") return;
      const line = u.status === "Resuming" && u.current !== undefined ? `${u.id}: Resuming from ${humanSize(u.current)}` : `${u.id}: ${u.status}`;
      if (this.lastPrinted.get(u.id) === line) return;
      this.lastPrinted.set(u.id, line);
      this.io.stdout(`${line}\n`);
      return;
    }
    const text = hasProgress && PROGRESS_STATUSES.has(u.status)
      ? `${u.id}: ${u.status} ${progressBar(u.current!, u.total!, this.io.columns)}`
      : `${u.id}: ${u.status}`;
    let index = this.ids.indexOf(u.id);
    if (index < 0) {
      this.ids.push(u.id);
      this.io.stdout(`${text}\n`);
      return;
    }
    const up = this.ids.length - index;
    // Up to the layer's line, clear it, rewrite it, come back down (moby's jsonmessage does the same).
    this.io.stdout(`\x1b[${up}A\x1b[2K\r${text}\x1b[${up}B\r`);
  }
}
