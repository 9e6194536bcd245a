/** Linux signal numbers (i386), the one table the engine, the runtimes and the CLI use. */
import { EngineError } from "./types.ts";

export const SIGNALS = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, USR1: 10, USR2: 12, TERM: 15, CONT: 18, STOP: 19, WINCH: 28 } as const;

/** A signal as Docker's flags take it (`9`, `KILL`, `SIGKILL`); `fallback` when none is given. */
export function signalNumber(s: string | undefined, fallback: number = SIGNALS.TERM): number {
  if (!s) return fallback;
  if (/^\d+$/.test(s)) return Number(s);
  const n = (SIGNALS as Record<string, number>)[s.toUpperCase().replace(/^SIG/, "")];
  if (n === undefined) throw new EngineError(`Invalid signal: ${s}`);
  return n;
}
