/**
 * Store changes gathered until the store has been quiet a while (and held no longer than a bound),
 * then delivered once, each kind once: a `docker run --rm` is four container events, and listeners
 * that listed images, tags and containers on each did 12 IndexedDB reads beside the run (measured).
 * The page's panels (ui/store-watch.ts) and the CLI's names for Tab both listen through one.
 */
import type { StoreEvent } from "./images.ts";

export class SettledChanges {
  private readonly pending = new Set<StoreEvent["type"]>();
  private timer?: ReturnType<typeof setTimeout>;
  private since = 0;

  constructor(
    private readonly deliver: (types: StoreEvent["type"][]) => void,
    private readonly quietMs: number,
    private readonly maxWaitMs: number,
  ) {}

  readonly add = (e: StoreEvent): void => {
    if (this.pending.size === 0) this.since = Date.now();
    this.pending.add(e.type);
    clearTimeout(this.timer);
    this.timer = setTimeout(this.flush, Math.max(0, Math.min(this.quietMs, this.since + this.maxWaitMs - Date.now())));
  };

  /** Delivers what is pending now (nothing when nothing is). */
  readonly flush = (): void => {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const types = [...this.pending];
    this.pending.clear();
    this.deliver(types);
  };

  /** Stops waiting; what is pending stays for the next flush(). */
  hold(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
