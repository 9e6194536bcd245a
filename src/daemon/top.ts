/**
 * `docker top CONTAINER [ps OPTIONS]`: Docker's daemon runs the host's procps `ps` with the options
 * given (`-ef` by default) and keeps the lines of the container's processes, split on white space
 * with the overhang joined into the last column (moby daemon/top_unix.go). The lab has no host ps:
 * this formats the container's /proc the way procps would for the options tutorials use, then splits
 * it as Docker does, so `args` with spaces spill over the columns exactly as they do there.
 */
import type { ContainerProcess } from "../runtime/types.ts";
import { DaemonError } from "./errors.ts";

/** What the API returns (container.ContainerTopOKBody). */
export interface ContainerTop {
  Titles: string[];
  Processes: string[][];
}

/** User names as the host's passwd knows them (the lab's host has root, nobody and the learner). */
const HOST_USERS: Readonly<Record<number, string>> = { 0: "root", 65534: "nobody" };

const pad2 = (n: number) => String(n).padStart(2, "0");
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** procps's cumulative TIME: [DD-]HH:MM:SS. */
function cpuTime(seconds: number): string {
  const s = Math.floor(seconds);
  const days = Math.floor(s / 86400);
  const hms = `${pad2(Math.floor((s % 86400) / 3600))}:${pad2(Math.floor((s % 3600) / 60))}:${pad2(s % 60)}`;
  return days ? `${days}-${hms}` : hms;
}

/** procps's ELAPSED: [[DD-]HH:]MM:SS. */
function elapsed(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const days = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const ms = `${pad2(Math.floor((s % 3600) / 60))}:${pad2(s % 60)}`;
  if (days) return `${days}-${pad2(h)}:${ms}`;
  return h ? `${pad2(h)}:${ms}` : ms;
}

/** procps's STIME: the time of day within a day, else month and day, else the year (local time). */
function startTime(at: number, now: number): string {
  const d = new Date(at);
  if (now - at < 86400_000) return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  if (d.getFullYear() === new Date(now).getFullYear()) return `${MONTHS[d.getMonth()]}${pad2(d.getDate())}`;
  return String(d.getFullYear());
}

/** CPU use over the process's life in tenths of a percent, as procps computes it. */
function pcpuTenths(p: ContainerProcess, now: number): number {
  const life = (now - p.startedAt) / 1000;
  return life > 0 ? Math.floor((p.cpuSeconds * 1000) / life) : 0;
}

type Column = { title: string; value: (p: ContainerProcess, now: number) => string };

const args = (p: ContainerProcess) => (p.argv.length ? p.argv.join(" ") : `[${p.comm}]`);
const user = (p: ContainerProcess) => HOST_USERS[p.uid] ?? String(p.uid);

/** procps's format specifiers (the ones tutorials use), with their default headers. */
const SPECIFIERS: Readonly<Record<string, Column>> = {
  pid: { title: "PID", value: (p) => String(p.pid) },
  ppid: { title: "PPID", value: (p) => String(p.ppid) },
  uid: { title: "UID", value: (p) => String(p.uid) },
  euid: { title: "EUID", value: (p) => String(p.uid) },
  user: { title: "USER", value: user },
  euser: { title: "EUSER", value: user },
  uname: { title: "USER", value: user },
  comm: { title: "COMMAND", value: (p) => p.comm },
  ucmd: { title: "CMD", value: (p) => p.comm },
  args: { title: "COMMAND", value: args },
  command: { title: "COMMAND", value: args },
  cmd: { title: "CMD", value: args },
  tty: { title: "TT", value: (p) => p.tty },
  tt: { title: "TT", value: (p) => p.tty },
  time: { title: "TIME", value: (p) => cpuTime(p.cpuSeconds) },
  cputime: { title: "TIME", value: (p) => cpuTime(p.cpuSeconds) },
  stime: { title: "STIME", value: (p, now) => startTime(p.startedAt, now) },
  etime: { title: "ELAPSED", value: (p, now) => elapsed((now - p.startedAt) / 1000) },
  pcpu: { title: "%CPU", value: (p, now) => { const t = pcpuTenths(p, now); return `${Math.floor(t / 10)}.${t % 10}`; } },
  "%cpu": { title: "%CPU", value: (p, now) => { const t = pcpuTenths(p, now); return `${Math.floor(t / 10)}.${t % 10}`; } },
  c: { title: "C", value: (p, now) => String(Math.min(99, Math.floor(pcpuTenths(p, now) / 10))) },
  stat: { title: "STAT", value: (p) => p.stat },
  s: { title: "S", value: (p) => p.stat[0] ?? "?" },
  vsz: { title: "VSZ", value: (p) => String(p.vszKiB) },
  rss: { title: "RSS", value: (p) => String(p.rssKiB) },
  nice: { title: "NI", value: (p) => String(p.nice) },
  ni: { title: "NI", value: (p) => String(p.nice) },
};

const col = (key: string): Column => SPECIFIERS[key]!;

/** The columns ps prints for these options, or ps's own error. */
function columns(psArgs: string): Column[] {
  let every = false;
  let full = false;
  const custom: Column[] = [];
  const words = psArgs.split(" ").filter((w) => w !== "");
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith("--")) throw new DaemonError("ps: error: unknown gnu long option");
    if (!w.startsWith("-")) throw new DaemonError("ps: error: unsupported option (BSD syntax)");
    for (let j = 1; j < w.length; j++) {
      const ch = w[j]!;
      if (ch === "e" || ch === "A") every = true;
      else if (ch === "f") full = true;
      else if (ch === "o") {
        const list = w.slice(j + 1) || words[++i];
        if (!list) throw new DaemonError("ps: error: format specification must follow -o");
        // `key=HEADER` names the column; the header runs to the end of the list, commas and all.
        for (let rest = list; rest !== ""; ) {
          const m = /^([^,=]*)(=|,|$)/.exec(rest)!;
          const key = m[1]!.replace(/:\d+$/, "");
          const c = SPECIFIERS[key];
          if (!c) throw new DaemonError(`ps: error: unknown user-defined format specifier "${key}"`);
          if (m[2] === "=") {
            custom.push({ title: rest.slice(m[0].length), value: c.value });
            break;
          }
          custom.push(c);
          rest = rest.slice(m[0].length);
        }
        break;
      } else throw new DaemonError("ps: error: unsupported SysV option");
    }
  }
  void every; // the container's processes are all there is to list
  if (custom.length) return custom;
  const tty: Column = { title: "TTY", value: (p) => p.tty };
  if (full) return [{ title: "UID", value: user }, col("pid"), col("ppid"), col("c"), col("stime"), tty, col("time"), col("cmd")];
  return [col("pid"), tty, col("time"), col("ucmd")];
}

/** The `docker top` answer for a container's processes; `psArgs` as the client sends it (default `-ef`). */
export function topOf(processes: readonly ContainerProcess[], psArgs = "-ef", now = Date.now()): ContainerTop {
  const cols = columns(psArgs);
  const Titles = cols.flatMap((c) => c.title.split(/\s+/).filter(Boolean));
  if (!Titles.includes("PID")) throw new DaemonError("Couldn't find PID field in ps output");
  const Processes = processes.map((p) => {
    const fields = cols.flatMap((c) => c.value(p, now).split(/\s+/).filter(Boolean));
    return [...fields.slice(0, Titles.length - 1), fields.slice(Titles.length - 1).join(" ")];
  });
  return { Titles, Processes };
}
