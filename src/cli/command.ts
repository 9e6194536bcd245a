/** What a `docker …` command is to the interpreter: its name, flags and argument counts, and what it runs against the daemon. */
import type { Daemon } from "../daemon/daemon.ts";
import type { CliIO } from "../terminal/types.ts";
import type { FlagSpec, ParsedArgs } from "./argv.ts";

export interface DockerCommand {
  name: string;
  aliases?: string[];
  usage: string;
  summary: string;
  flags: FlagSpec[];
  /** Exact argument count bounds, as cobra validates them. */
  minArgs?: number;
  maxArgs?: number;
  /** Flags end at the first argument (`docker create IMAGE CMD -x`: -x belongs to CMD). */
  stopAtFirstArg?: boolean;
  run(daemon: Daemon, args: string[], p: ParsedArgs, io: CliIO): Promise<number>;
}

/** Runs `fn` for each argument, printing Docker's per-item error and going on; 1 if any failed. */
export async function eachArg(args: string[], io: CliIO, fn: (arg: string) => Promise<void>, prefix = ""): Promise<number> {
  let status = 0;
  for (const a of args) {
    try {
      await fn(a);
    } catch (e) {
      if (!(e instanceof Error)) throw e;
      io.stderr(`Error response from daemon: ${prefix}${e.message}\n`);
      status = 1;
    }
  }
  return status;
}
