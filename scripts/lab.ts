/**
 * `npm run lab -- [--allow-registry HOST:PORT]… [--profile DIR] [--screenshot FILE] 'CMD' 'CMD' …`
 * Runs each command in the in-page terminal of a headless lab, prints its output, exits with the
 * last command's status.
 */
import { LabDriver } from "./lab-driver.ts";

const args = process.argv.slice(2);
const allowRegistries: string[] = [];
const commands: string[] = [];
let profileDir: string | undefined;
let screenshot: string | undefined;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === "--allow-registry") allowRegistries.push(args[++i]!);
  else if (a.startsWith("--allow-registry=")) allowRegistries.push(a.slice(17));
  else if (a === "--profile") profileDir = args[++i];
  else if (a === "--screenshot") screenshot = args[++i];
  else commands.push(a);
}
if (commands.length === 0) {
  console.error("usage: npm run lab -- [--allow-registry HOST:PORT]… [--profile DIR] [--screenshot FILE] 'CMD' …");
  process.exit(2);
}
const driver = await LabDriver.launch({ allowRegistries, profileDir, onConsoleError: (t) => console.error(`[page] ${t}`) });
let code = 0;
try {
  for (const cmd of commands) {
    const r = await driver.exec(cmd);
    process.stdout.write(r.output);
    code = r.code;
  }
  if (screenshot) await driver.screenshot(screenshot);
} finally {
  await driver.close();
}
process.exit(code);
