/** Styles the side panels share (dark theme, focus rings, lists of selectable rows). */
import { css } from "lit";

export const panelStyles = css`
  :host { display: block; color: #e6e1cf; font-size: 13px; }
  h2 { margin: 0 0 8px; font-size: 14px; color: #ffcc66; font-weight: 600; }
  ul { list-style: none; margin: 0; padding: 0; }
  button { background: #1f2630; color: inherit; border: 1px solid #2d3640; border-radius: 4px; padding: 4px 10px; font: inherit; cursor: pointer; }
  button:hover { background: #273040; }
  button:focus-visible, input:focus-visible, textarea:focus-visible, [tabindex]:focus-visible { outline: 2px solid #ffcc66; outline-offset: 1px; }
  .row { display: flex; align-items: baseline; gap: 8px; width: 100%; text-align: left; padding: 6px 8px; margin: 2px 0; border-radius: 4px; border: 1px solid transparent; background: transparent; }
  .row[aria-pressed="true"], .row[aria-selected="true"] { border-color: #ffcc66; background: #1a2130; }
  .muted { color: #8a9199; }
  .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
  .empty { color: #8a9199; padding: 6px 0; }
`;
