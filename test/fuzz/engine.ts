/**
 * The fuzzer shared by `npm run fuzz` (long runs) and `npm test` (a short seeded slice plus every saved
 * regression case): structure-aware mutations of real inputs — byte flips and runs, cuts, duplicated
 * and swapped ranges, splices of another seed, and the target's own tokens (a Dockerfile's `\`, `${`,
 * `<<EOF`…) inserted — each input run with a time bound. An input that ends in anything but a result or
 * the target's own typed error, runs past the time bound or allocates past the memory bound, is a crash:
 * saved under test/fuzz-cases/<target>/ so `npm test` replays it from then on.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";

export interface FuzzTarget {
  name: string;
  /** Real inputs to mutate. */
  seeds(): Uint8Array[];
  /** Runs one input: returns, or throws an error `allowed` accepts. */
  run(input: Uint8Array): void | Promise<void>;
  allowed(e: unknown): boolean;
  /** Pieces of the input language worth inserting. */
  tokens?: readonly string[];
}

export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const enc = new TextEncoder();

export function mutate(seeds: readonly Uint8Array[], tokens: readonly string[], rand: () => number): Uint8Array {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  let out = Array.from(pick(seeds));
  const edits = 1 + Math.floor(rand() * 6);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rand() * (out.length + 1));
    const len = Math.floor(rand() * Math.min(64, out.length + 1));
    switch (Math.floor(rand() * 8)) {
      case 0: // a bit flip
        if (out.length) out[at % out.length] = out[at % out.length]! ^ (1 << Math.floor(rand() * 8));
        break;
      case 1: // a run of one byte
        out.splice(at, 0, ...new Array<number>(1 + Math.floor(rand() * 16)).fill(pick([0, 0xff, 0x20, 0x0a, 0x5c, 0x24, 0x22, 0x27, Math.floor(rand() * 256)])));
        break;
      case 2: // a cut
        out.splice(at, len);
        break;
      case 3: // truncation
        out = out.slice(0, at);
        break;
      case 4: // a duplicated range
        out.splice(at, 0, ...out.slice(Math.max(0, at - len), at));
        break;
      case 5: // a splice of another seed
        {
          const other = pick(seeds);
          const from = Math.floor(rand() * (other.length + 1));
          out.splice(at, len, ...other.slice(from, from + 1 + Math.floor(rand() * 128)));
        }
        break;
      default: // a token of the language
        if (tokens.length) out.splice(at, 0, ...enc.encode(pick(tokens)));
        else if (out.length) out[at % out.length] = Math.floor(rand() * 256);
    }
  }
  return Uint8Array.from(out);
}

export interface Crash {
  input: Uint8Array;
  error: string;
}

/** What one input may allocate: a parser that builds a gigabyte for a few hundred bytes is a crash. */
export const MEMORY_BOUND = 512 << 20;

/** The JS heap and the buffers outside it: what an input's allocations add to (garbage counts until collected). */
function allocated(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Runs one input; undefined when it ended as the target allows, within `boundMs` and MEMORY_BOUND. */
export async function runOne(t: FuzzTarget, input: Uint8Array, boundMs: number, boundBytes = MEMORY_BOUND): Promise<Crash | undefined> {
  const m0 = allocated();
  const t0 = performance.now();
  try {
    await t.run(input);
  } catch (e) {
    if (!t.allowed(e)) return { input, error: (e as Error)?.stack ?? String(e) };
  }
  const ms = performance.now() - t0;
  if (ms > boundMs) return { input, error: `took ${Math.round(ms)} ms (bound ${boundMs} ms)` };
  // A collection during the run can hide some of it; what shows is at least what was allocated.
  const grew = allocated() - m0;
  return grew > boundBytes ? { input, error: `allocated ${Math.round(grew / 2 ** 20)} MiB (bound ${Math.round(boundBytes / 2 ** 20)} MiB)` } : undefined;
}

export const CASES_DIR = new URL("../fuzz-cases/", import.meta.url).pathname;

/** Saves a crashing input as a regression case; returns its path. */
export function saveCase(target: string, input: Uint8Array): string {
  const dir = join(CASES_DIR, target);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${createHash("sha256").update(input).digest("hex").slice(0, 16)}.bin`);
  writeFileSync(path, input);
  return path;
}

/** The saved regression cases of a target. */
export function savedCases(target: string): { path: string; input: Uint8Array }[] {
  const dir = join(CASES_DIR, target);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((f) => ({ path: join(dir, f), input: new Uint8Array(readFileSync(join(dir, f))) }));
}

export interface FuzzReport {
  target: string;
  count: number;
  seed: number;
  seconds: number;
  crashes: { path?: string; error: string }[];
  slowest_ms: number;
}

/** `count` mutated inputs from `seed`; crashes saved when `save`. */
export async function fuzz(t: FuzzTarget, count: number, seed: number, opts: { boundMs?: number; save?: boolean; trace?: (input: Uint8Array) => void } = {}): Promise<FuzzReport> {
  const rand = rng(seed);
  const seeds = t.seeds();
  const tokens = t.tokens ?? [];
  const crashes: FuzzReport["crashes"] = [];
  let slowest = 0;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const input = mutate(seeds, tokens, rand);
    opts.trace?.(input);
    const s = performance.now();
    const crash = await runOne(t, input, opts.boundMs ?? 2000);
    slowest = Math.max(slowest, performance.now() - s);
    if (crash) crashes.push({ ...(opts.save ? { path: saveCase(t.name, input) } : {}), error: crash.error.split("\n").slice(0, 3).join(" | ") });
  }
  return { target: t.name, count, seed, seconds: Math.round((performance.now() - t0) / 10) / 100, crashes, slowest_ms: Math.round(slowest) };
}
