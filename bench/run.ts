/**
 * `npm run bench -- NAME [args]`: runs bench/NAME.ts, whose default export returns the result object;
 * the runner prints it as one JSON line, last. `npm run bench -- all` runs every one, a line each.
 * Benchmarks never gate tests: targets live here.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here).filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.startsWith("_")).map((f) => f.slice(0, -3));
const [name, ...args] = process.argv.slice(2);
if (!name || (name !== "all" && !available.includes(name))) {
  console.error(`usage: npm run bench -- NAME|all\navailable: ${available.join(", ")}`);
  process.exit(2);
}
// `all`: every benchmark in turn, one JSON line each (a failure is its own line), for the README's table.
let failed = false;
for (const one of name === "all" ? available : [name]) {
  const mod = (await import(join(here, `${one}.ts`))) as { default: (args: string[]) => Promise<Record<string, unknown>> };
  try {
    const result = await mod.default(name === "all" ? [] : args);
    console.log(JSON.stringify({ name: one, ...result }));
  } catch (e) {
    if (name !== "all") throw e;
    failed = true;
    console.log(JSON.stringify({ name: one, error: (e as Error).message.split("\n")[0] }));
  }
}
process.exit(failed ? 1 : 0);
