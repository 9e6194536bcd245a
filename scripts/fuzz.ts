/**
 * `npm run fuzz -- NAME [--count N] [--seed S]` (NAME `all` for every target): mutated inputs through
 * one of the lab's parsers (test/fuzz/targets.ts); each crash is saved under test/fuzz-cases/NAME/ for
 * `npm test` to replay. Prints one JSON line per target.
 *
 * Each target runs in a child process that writes every input to a trace file before running it, so
 * what kills a process rather than throwing is caught too: running out of memory (the child's heap is
 * capped) and hanging (no new input for HANG_MS: the child is killed). The parent then saves the input
 * the child was on as a case.
 */
import { spawn } from "node:child_process";
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fuzz, saveCase, type FuzzReport } from "../test/fuzz/engine.ts";
import { TARGETS, target } from "../test/fuzz/targets.ts";

const HANG_MS = 30_000;
const HEAP_MB = 2048;

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith("--") && !/^\d+$/.test(a)) ?? "all";
const value = (k: string) => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const count = Number(value("count") ?? 100_000);
const seed = Number(value("seed") ?? 1);
const trace = value("trace");

if (trace) {
  // The child: one target, every input written to the trace file (one open file, rewritten in place).
  const fd = openSync(trace, "w");
  const report = await fuzz(target(name), count, seed, {
    save: true,
    trace: (input) => {
      ftruncateSync(fd, 0);
      writeSync(fd, input, 0, input.length, 0);
    },
  });
  closeSync(fd);
  console.log(JSON.stringify(report));
  process.exit(0);
}

/** Runs one target in a child; a child that dies or hangs leaves its last input as the crash. */
function runChild(targetName: string): Promise<FuzzReport> {
  const dir = mkdtempSync(join(tmpdir(), "layerlab-fuzz-"));
  const traceFile = join(dir, "input.bin");
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, "--import", "tsx", script, targetName, "--count", String(count), "--seed", String(seed), "--trace", traceFile], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  let hung = false;
  let last = Date.now();
  let lastSize = -1;
  const watchdog = setInterval(() => {
    let mtime = 0;
    try {
      mtime = statSync(traceFile).mtimeMs;
    } catch {
      return; // not started yet
    }
    if (mtime !== lastSize) {
      lastSize = mtime;
      last = Date.now();
    } else if (Date.now() - last > HANG_MS) {
      hung = true;
      child.kill("SIGKILL");
    }
  }, 1000);
  const started = performance.now();
  return new Promise((resolve) => {
    // "close", not "exit": the report on stdout may still be unread when the process exits.
    child.on("close", (code, signal) => {
      clearInterval(watchdog);
      const line = out.trim().split("\n").at(-1) ?? "";
      try {
        if (code === 0 && !hung) {
          resolve(JSON.parse(line) as FuzzReport);
          return;
        }
      } catch {
        // fall through: no report
      }
      let path: string | undefined;
      try {
        path = saveCase(targetName, new Uint8Array(readFileSync(traceFile)));
      } catch {
        // no input written
      }
      const why = hung ? `hung: no new input for ${HANG_MS / 1000} s` : `the process died (${signal ?? `exit ${code}`})${/heap out of memory/.test(err) ? `: out of memory (heap capped at ${HEAP_MB} MB)` : ""}`;
      resolve({ target: targetName, count, seed, seconds: Math.round((performance.now() - started) / 10) / 100, crashes: [{ ...(path ? { path } : {}), error: why }], slowest_ms: -1 });
    });
  }).finally(() => rmSync(dir, { recursive: true, force: true })) as Promise<FuzzReport>;
}

let failed = false;
for (const t of name === "all" ? TARGETS : [target(name)]) {
  const report = await runChild(t.name);
  console.log(JSON.stringify(report));
  if (report.crashes.length) failed = true;
}
process.exit(failed ? 1 : 0);
