/**
 * `docker top` reads a container's processes as `ps` does: from /proc. A runtime with a Linux kernel
 * (the x86 machine) runs PROC_LISTING_SCRIPT there and hands its output to parseProcListing; times
 * are turned into the page's clock from the kernel's uptime, since a restored machine's own clock
 * is the one it was saved with.
 */
import type { ContainerProcess } from "./types.ts";

/** Linux's USER_HZ: /proc's clock ticks per second, on every architecture. */
const USER_HZ = 100;
/** i386 pages. */
const PAGE_KIB = 4;

/**
 * A busybox sh script: its own pid, the uptime, then for every process `\x01` stat `\x02` status's
 * Uid line `\x03` cmdline (NUL-separated). Only busybox applets, so it needs nothing but /proc.
 */
export const PROC_LISTING_SCRIPT =
  'echo $$; busybox cat /proc/uptime; for d in /proc/[0-9]*; do printf "\\001"; busybox cat $d/stat; printf "\\002"; busybox grep "^Uid:" $d/status; printf "\\003"; busybox cat $d/cmdline; done 2>/dev/null';

/** The terminal a stat's tty_nr names, as ps prints it. */
export function ttyName(ttyNr: number): string {
  if (ttyNr === 0) return "?";
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  if (major === 4) return minor < 64 ? `tty${minor}` : `ttyS${minor - 64}`;
  if (major === 5 && minor === 1) return "console";
  return "?";
}

/**
 * The processes in a listing, kernel threads, pid 1 (the machine's /init, not the container's) and
 * the listing's own processes left out; `now` is the page's clock when the listing was taken.
 */
export function parseProcListing(text: string, now: number): ContainerProcess[] {
  const [head = "", ...records] = text.split("\x01");
  const [selfLine = "", uptimeLine = ""] = head.split("\n");
  const self = Number(selfLine.trim());
  const uptime = Number(uptimeLine.trim().split(/\s+/)[0]);
  const out: ContainerProcess[] = [];
  for (const rec of records) {
    const [stat = "", rest = ""] = rec.split("\x02");
    const [status = "", cmdline = ""] = rest.split("\x03");
    const open = stat.indexOf("(");
    const close = stat.lastIndexOf(")");
    if (open < 0 || close < open) continue; // the process ended while it was being read
    const pid = Number(stat.slice(0, open).trim());
    const comm = stat.slice(open + 1, close);
    // Fields after comm, numbered as proc(5) numbers them from 3 (state).
    const f = stat.slice(close + 2).split(" ");
    const field = (n: number) => Number(f[n - 3]);
    const ppid = field(4);
    if (pid === 1 || pid === 2 || ppid === 2 || pid === self || ppid === self) continue;
    const uid = Number(/^Uid:\s+\d+\s+(\d+)/.exec(status)?.[1] ?? 0);
    const argv = cmdline.split("\0");
    if (argv.at(-1) === "") argv.pop();
    const nice = field(19);
    const flags = (pid === field(6) ? "s" : "") + (field(20) > 1 ? "l" : "") + (field(8) === field(5) && field(8) > 0 ? "+" : "");
    out.push({
      pid,
      ppid,
      uid,
      tty: ttyName(field(7)),
      startedAt: now - (uptime - field(22) / USER_HZ) * 1000,
      cpuSeconds: (field(14) + field(15)) / USER_HZ,
      comm,
      argv,
      stat: `${f[0] ?? "?"}${nice < 0 ? "<" : nice > 0 ? "N" : ""}${flags}`,
      nice,
      vszKiB: Math.floor(field(23) / 1024),
      rssKiB: field(24) * PAGE_KIB,
    });
  }
  return out.sort((a, b) => a.pid - b.pid);
}
