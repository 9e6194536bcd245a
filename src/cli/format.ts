/**
 * Output formatting exactly as the Docker CLI does it: go-units sizes and durations, tabwriter
 * tables (minwidth 10, padding 3), and Ellipsis truncation.
 */

const DECIMAL_UNITS = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

/** Go's %.*g: `precision` significant digits, trailing zeros dropped. */
function goG(value: number, precision: number): string {
  if (value === 0) return "0";
  const exp = Math.floor(Math.log10(Math.abs(value)));
  if (exp < -4 || exp >= precision) {
    const [m, e] = value.toExponential(precision - 1).split("e");
    const mant = m!.includes(".") ? m!.replace(/\.?0+$/, "") : m!;
    const n = Number(e);
    return `${mant}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  const fixed = value.toFixed(Math.max(0, precision - 1 - exp));
  return fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
}

/** go-units HumanSizeWithPrecision (decimal units): `docker images` and `docker history` use 3. */
export function humanSizeWithPrecision(size: number, precision: number): string {
  let i = 0;
  while (size >= 1000 && i < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  return `${goG(size, precision)}${DECIMAL_UNITS[i]}`;
}

/** go-units HumanSize (4 significant digits): pull/push progress. */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

/** go-units HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(ms / 3_600_000 + 0.5);
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

/** "2 weeks ago", or "N/A" when the time is unknown (Docker prints N/A for a zero time). */
export function timeAgo(iso: string | undefined, now = Date.now()): string {
  if (!iso) return "N/A";
  const t = Date.parse(iso);
  if (Number.isNaN(t) || t <= 0) return "N/A";
  return `${humanDuration(Math.max(0, now - t))} ago`;
}

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
