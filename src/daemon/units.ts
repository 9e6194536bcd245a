/**
 * Sizes and durations as Docker's go-units writes them ("4.26MB", "About a minute"): what the daemon
 * reports (a container's status) and every client shows (the terminal, the page).
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
