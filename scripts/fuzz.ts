/**
 * `npm run fuzz -- NAME [--count N] [--seed S]` (NAME `all` for every target): mutated inputs through
 * one of the lab's parsers (test/fuzz/targets.ts); each crash is saved under test/fuzz-cases/NAME/ for
 * `npm test` to replay. Prints one JSON line per target.
 */
import { fuzz } from "../test/fuzz/engine.ts";
import { TARGETS, target } from "../test/fuzz/targets.ts";

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith("--")) ?? "all";
const opt = (k: string, d: number) => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const count = opt("count", 100_000);
const seed = opt("seed", 1);
let failed = false;
for (const t of name === "all" ? TARGETS : [target(name)]) {
  const report = await fuzz(t, count, seed, { save: true });
  console.log(JSON.stringify(report));
  if (report.crashes.length) failed = true;
}
process.exit(failed ? 1 : 0);
