/**
 * Keeps a panel subscribed to its daemon's store changes (this tab's and other tabs') while it is on
 * the page: every panel that shows the store's contents reloads through one of these.
 */
import type { ReactiveController, ReactiveControllerHost } from "lit";
import type { Daemon } from "../daemon/daemon.ts";
import type { StoreEvent } from "../store/images.ts";

export class StoreWatch implements ReactiveController {
  private off?: () => void;
  private watched?: Daemon;

  constructor(
    private readonly host: ReactiveControllerHost & { daemon?: Daemon },
    private readonly onChange: (e: StoreEvent) => void,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.hostUpdated();
  }

  /** Follows the host's daemon: subscribes when it is set or replaced. */
  hostUpdated(): void {
    if (this.host.daemon === this.watched) return;
    this.off?.();
    this.watched = this.host.daemon;
    this.off = this.watched?.store.onChange(this.onChange);
  }

  hostDisconnected(): void {
    this.off?.();
    this.off = undefined;
    this.watched = undefined;
  }
}
