/**
 * `npm run bench -- NAME [args]`: runs bench/NAME.ts, whose default export returns the result object;
 * the runner prints it as one JSON line, last. Benchmarks never gate tests: targets live here.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here).filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.startsWith("_")).map((f) => f.slice(0, -3));
const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME\navailable: ${available.join(", ")}`);
  process.exit(2);
}
const mod = (await import(join(here, `${name}.ts`))) as { default: (args: string[]) => Promise<Record<string, unknown>> };
const result = await mod.default(args);
console.log(JSON.stringify({ name, ...result }));
process.exit(0);
