/** `npm run fixtures`: builds the test/benchmark images (cached under test/fixtures/.cache). */
import { buildFixtures } from "../test/harness/fixtures.ts";

const t0 = performance.now();
const fx = await buildFixtures();
console.log(`fixtures in ${fx.layout} (${Math.round(performance.now() - t0)} ms): ${Object.values(fx.tags).join(", ")}`);
