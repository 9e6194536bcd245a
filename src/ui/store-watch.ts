/**
 * Keeps a panel subscribed to its daemon's store changes (this tab's and other tabs') while it is on
 * the page: every panel that shows the store's contents reloads through one of these, once a burst
 * of changes is over (store/settled-changes.ts).
 */
import type { ReactiveController, ReactiveControllerHost } from "lit";
import type { Daemon } from "../daemon/daemon.ts";
import type { StoreEvent } from "../store/images.ts";
import { SettledChanges } from "../store/settled-changes.ts";

/** Quiet time before a burst's changes are delivered, and the longest a change waits. */
const QUIET_MS = 80;
const MAX_WAIT_MS = 300;

export class StoreWatch implements ReactiveController {
  private off?: () => void;
  private watched?: Daemon;
  private readonly changes: SettledChanges;

  constructor(
    private readonly host: ReactiveControllerHost & { daemon?: Daemon },
    onChange: (e: StoreEvent) => void,
  ) {
    this.changes = new SettledChanges((types) => types.forEach((type) => onChange({ type })), QUIET_MS, MAX_WAIT_MS);
    host.addController(this);
  }

  hostConnected(): void {
    this.hostUpdated();
    // Changes that came while it was away (a panel moved in the page) are delivered now.
    this.changes.flush();
  }

  /** Follows the host's daemon: subscribes when it is set or replaced. */
  hostUpdated(): void {
    if (this.host.daemon === this.watched) return;
    this.off?.();
    this.watched = this.host.daemon;
    this.off = this.watched?.store.onChange(this.changes.add);
  }

  hostDisconnected(): void {
    this.off?.();
    this.off = undefined;
    this.watched = undefined;
    this.changes.hold();
  }
}
