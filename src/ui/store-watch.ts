/**
 * Keeps a panel subscribed to its daemon's store changes (this tab's and other tabs') while it is on
 * the page: every panel that shows the store's contents reloads through one of these. Changes are
 * gathered and delivered once the burst is over (each kind once): a `docker run --rm` is four
 * container events, and every panel re-listing images, tags and containers on each of them was 12
 * IndexedDB reads beside the run, measured, competing with it.
 */
import type { ReactiveController, ReactiveControllerHost } from "lit";
import type { Daemon } from "../daemon/daemon.ts";
import type { StoreEvent } from "../store/images.ts";

/** Quiet time before a burst's changes are delivered, and the longest a change waits. */
const QUIET_MS = 80;
const MAX_WAIT_MS = 300;

export class StoreWatch implements ReactiveController {
  private off?: () => void;
  private watched?: Daemon;
  private readonly pending = new Set<StoreEvent["type"]>();
  private timer?: ReturnType<typeof setTimeout>;
  private since = 0;

  constructor(
    private readonly host: ReactiveControllerHost & { daemon?: Daemon },
    private readonly onChange: (e: StoreEvent) => void,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.hostUpdated();
    // Changes that came while it was away (a panel moved in the page) are delivered now.
    if (this.pending.size) this.flush();
  }

  /** Follows the host's daemon: subscribes when it is set or replaced. */
  hostUpdated(): void {
    if (this.host.daemon === this.watched) return;
    this.off?.();
    this.watched = this.host.daemon;
    this.off = this.watched?.store.onChange(this.receive);
  }

  hostDisconnected(): void {
    this.off?.();
    this.off = undefined;
    this.watched = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly receive = (e: StoreEvent): void => {
    if (this.pending.size === 0) this.since = Date.now();
    this.pending.add(e.type);
    clearTimeout(this.timer);
    this.timer = setTimeout(this.flush, Math.max(0, Math.min(QUIET_MS, this.since + MAX_WAIT_MS - Date.now())));
  };

  private readonly flush = (): void => {
    this.timer = undefined;
    const types = [...this.pending];
    this.pending.clear();
    for (const type of types) this.onChange({ type });
  };
}
