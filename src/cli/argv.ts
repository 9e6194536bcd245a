/** Shell-like word splitting and Docker-style flag parsing for the in-page CLI. */

export class UsageError extends Error {
  override name = "UsageError";
}

/** A flag Docker's CLI cannot parse (unknown, missing its value, a value its check refuses): Docker exits 125 for these (its FlagErrorFunc's StatusError). */
export class FlagError extends UsageError {
  override name = "FlagError";
}

/** Splits a command line into words: single and double quotes, backslash escapes, no expansion. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new UsageError(`unterminated ${quote === "'" ? "single" : "double"} quote`);
  if (inWord) words.push(word);
  return words;
}

export interface FlagSpec {
  /** Long name without dashes. */
  name: string;
  short?: string;
  /** Takes a value (`--platform linux/386`, `--platform=linux/386`); repeatable values collect. */
  value?: boolean;
  repeat?: boolean;
}

export interface ParsedArgs {
  flags: Map<string, string[]>;
  args: string[];
  /** `--help` (or `-h` where the command has no -h of its own) among the flags, not the arguments. */
  help?: boolean;
}

/**
 * Parses flags the way Docker's cobra/pflag does: flags may come before or between arguments,
 * `--` ends flags, boolean short flags may be combined (`-af`).
 */
export function parseArgs(argv: string[], specs: FlagSpec[], command: string, opts: { interspersed?: boolean } = {}): ParsedArgs {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const flags = new Map<string, string[]>();
  const args: string[] = [];
  let help = false;
  const set = (spec: FlagSpec, v: string) => {
    const list = flags.get(spec.name) ?? [];
    if (spec.repeat) list.push(v);
    else list.splice(0, list.length, v);
    flags.set(spec.name, list);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a === "--help" || (a === "-h" && !byShort.has("h"))) {
      help = true;
      continue;
    }
    if (a.startsWith("--") && a.length > 2) {
      const eq = a.indexOf("=");
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const spec = byLong.get(name);
      if (!spec) throw new FlagError(`unknown flag: --${name}\nSee '${command} --help'.`);
      if (spec.value) {
        const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new FlagError(`flag needs an argument: --${name}\nSee '${command} --help'.`);
        set(spec, v);
      } else set(spec, eq > 0 ? a.slice(eq + 1) : "true");
    } else if (a.startsWith("-") && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const spec = byShort.get(a[j]!);
        if (!spec) throw new FlagError(`unknown shorthand flag: '${a[j]}' in ${a}\nSee '${command} --help'.`);
        if (spec.value) {
          const rest = a.slice(j + 1).replace(/^=/, "");
          const v = rest || argv[++i];
          if (v === undefined) throw new FlagError(`flag needs an argument: '${a[j]}' in ${a}\nSee '${command} --help'.`);
          set(spec, v);
          break;
        }
        set(spec, "true");
      }
    } else if (opts.interspersed === false) {
      // `docker run IMAGE CMD -x`: everything from the first argument on belongs to the command.
      args.push(...argv.slice(i));
      break;
    } else args.push(a);
  }
  return help ? { flags, args, help } : { flags, args };
}

export function flag(p: ParsedArgs, name: string): string | undefined {
  return p.flags.get(name)?.at(-1);
}

export function boolFlag(p: ParsedArgs, name: string): boolean {
  const v = flag(p, name);
  return v !== undefined && v !== "false";
}
