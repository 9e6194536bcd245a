/** Tables and truncation exactly as the Docker CLI does them: tabwriter (minwidth 10, padding 3) and Ellipsis. */

/** Display width of a string (East Asian wide characters count twice, as go-runewidth does). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    w += (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) ? 2 : 1;
  }
  return w;
}

/** Docker's stringutils.Ellipsis: truncate to maxWidth display cells, ending in "…". */
export function ellipsis(s: string, maxWidth: number): string {
  if (displayWidth(s) <= maxWidth) return s;
  let out = "";
  let w = 0;
  for (const ch of s) {
    const cw = displayWidth(ch);
    if (w + cw > maxWidth - 1) break;
    out += ch;
    w += cw;
  }
  return `${out}…`;
}

/**
 * Go's text/tabwriter as the Docker CLI configures it (minwidth 10, tabwidth 1, padding 3): every
 * column but the last is padded to max(width + 3, 10).
 */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      if (i < row.length - 1) widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell));
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i < row.length - 1 ? cell + " ".repeat(Math.max(widths[i]! + 3, 10) - displayWidth(cell)) : cell))
        .join(""),
    )
    .map((l) => `${l}\n`)
    .join("");
}
