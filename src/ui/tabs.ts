/** Keyboard for tab lists (WAI-ARIA tabs): ←/→ move to the previous/next tab, wrapping, and focus it. */
import type { LitElement } from "lit";

export function moveTabWithArrows<T extends string>(e: KeyboardEvent, host: LitElement, ids: readonly T[], current: T, show: (id: T) => void, idPrefix: string): void {
  const i = ids.indexOf(current);
  const next = e.key === "ArrowRight" ? (i + 1) % ids.length : e.key === "ArrowLeft" ? (i + ids.length - 1) % ids.length : -1;
  if (next < 0) return;
  e.preventDefault();
  show(ids[next]!);
  void host.updateComplete.then(() => (host.renderRoot.querySelector(`#${idPrefix}${ids[next]}`) as HTMLElement | null)?.focus());
}
