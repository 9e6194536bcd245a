/**
 * `docker top`'s two halves without a machine: /proc as the guest's busybox lists it (procfs.ts), and
 * the ps columns Docker's daemon splits (daemon/top.ts). test/runtime/x86.test.ts reads a real /proc;
 * test/browser/docker-oracle.test.ts compares the whole with real Docker.
 */
import { describe, expect, it } from "vitest";
import { parseProcListing, ttyName } from "../../src/runtime/procfs.ts";
import { topOf } from "../../src/daemon/top.ts";
import type { ContainerProcess } from "../../src/runtime/types.ts";

/** A stat line as Linux writes it: pid (comm) state ppid pgrp session tty_nr tpgid … starttime … */
function stat(pid: number, comm: string, ppid: number, o: { state?: string; session?: number; tty?: number; utime?: number; stime?: number; start?: number; nice?: number; threads?: number; vsize?: number; rss?: number } = {}): string {
  const f = [o.state ?? "S", ppid, pid, o.session ?? pid, o.tty ?? 0, -1, 4194560, 0, 0, 0, 0, o.utime ?? 0, o.stime ?? 0, 0, 0, 20, o.nice ?? 0, o.threads ?? 1, 0, o.start ?? 0, o.vsize ?? 0, o.rss ?? 0];
  return `${pid} (${comm}) ${f.join(" ")}\n`;
}
const rec = (s: string, uid: number, argv: string[]) => `\x01${s}\x02Uid:\t${uid}\t${uid}\t${uid}\t${uid}\n\x03${argv.map((a) => `${a}\0`).join("")}`;

describe("the guest's /proc, read", () => {
  it("leaves out /init, kernel threads and the listing itself; times on the page's clock", () => {
    const now = Date.parse("2026-12-02T10:00:00Z");
    const text = "77\n100.50 90.00\n" +
      rec(stat(1, "init", 0), 0, ["/init"]) + rec(stat(2, "kthreadd", 0), 0, []) + rec(stat(9, "kworker/0:1", 2), 0, []) +
      rec(stat(40, "sleep", 1, { start: 9050, utime: 150, stime: 50, vsize: 1597440, rss: 267 }), 65534, ["sleep", "599"]) +
      rec(stat(41, "my proc) x", 40, { session: 40, tty: (136 << 8) | 1, nice: 5, threads: 2 }), 0, []) +
      rec(stat(77, "sh", 1), 0, ["/bin/busybox", "sh"]) + rec(stat(78, "cat", 77), 0, ["busybox", "cat"]) + "\x01";
    const ps = parseProcListing(text, now);
    expect(ps.map((p) => [p.pid, p.ppid, p.uid, p.comm, p.argv, p.tty, p.stat])).toEqual([
      [40, 1, 65534, "sleep", ["sleep", "599"], "?", "Ss"],
      [41, 40, 0, "my proc) x", [], "pts/1", "SNl"],
    ]);
    expect(ps[0]!.startedAt).toBe(now - 10_000); // booted 100.5 s ago, started at 90.5 s
    expect(ps[0]!.cpuSeconds).toBe(2);
    expect([ps[0]!.vszKiB, ps[0]!.rssKiB]).toEqual([1560, 1068]);
  });

  it("names terminals as ps does", () => {
    expect([ttyName(0), ttyName((136 << 8) | 0), ttyName((4 << 8) | 1), ttyName((4 << 8) | 64)]).toEqual(["?", "pts/0", "tty1", "ttyS0"]);
  });
});

describe("ps columns, split as Docker's daemon splits them", () => {
  const now = Date.parse("2026-12-02T10:00:00Z");
  const p = (o: Partial<ContainerProcess>): ContainerProcess => ({ pid: 40, ppid: 1, uid: 0, tty: "?", startedAt: now - 65_000, cpuSeconds: 0, comm: "sleep", argv: ["sleep", "599"], stat: "Ss", nice: 0, vszKiB: 1560, rssKiB: 1068, ...o });

  it("-ef by default: UID PID PPID C STIME TTY TIME CMD, the command's words joined into the last column", () => {
    const top = topOf([p({}), p({ pid: 41, ppid: 40, uid: 1000, cpuSeconds: 3725, argv: ["sh", "-c", "a  b"] })], undefined, now);
    expect(top.Titles).toEqual(["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]);
    const stime = new Date(now - 65_000);
    const hhmm = `${String(stime.getHours()).padStart(2, "0")}:${String(stime.getMinutes()).padStart(2, "0")}`;
    expect(top.Processes).toEqual([
      ["root", "40", "1", "0", hhmm, "?", "00:00:00", "sleep 599"],
      ["1000", "41", "40", "99", hhmm, "?", "01:02:05", "sh -c a b"],
    ]);
  });

  it("-o lists, headers renamed, and ps's errors", () => {
    expect(topOf([p({})], "-o pid,comm,etime,pcpu,stat,vsz,rss,ni", now)).toEqual({
      Titles: ["PID", "COMMAND", "ELAPSED", "%CPU", "STAT", "VSZ", "RSS", "NI"],
      Processes: [["40", "sleep", "01:05", "0.0", "Ss", "1560", "1068", "0"]],
    });
    expect(topOf([p({})], "-o pid,args=CMDLINE", now)).toEqual({ Titles: ["PID", "CMDLINE"], Processes: [["40", "sleep 599"]] });
    expect(() => topOf([p({})], "-o pid=ID,args", now)).toThrow("Couldn't find PID field in ps output");
    expect(() => topOf([p({})], "-o comm", now)).toThrow("Couldn't find PID field in ps output");
    expect(() => topOf([p({})], "-o nosuch", now)).toThrow('ps: error: unknown user-defined format specifier "nosuch"');
    expect(() => topOf([p({})], "--bogus", now)).toThrow("ps: error: unknown gnu long option");
  });
});
