/**
 * `npm run lab -- [--allow-registry HOST:PORT]… [--allow-net HOST[:PORT]]… [--offline] [--profile DIR] [--workdir DIR] [--out DIR] [--screenshot FILE] 'CMD' 'CMD' …`
 * Runs each command as one line of the in-page host shell of a headless lab (pipes and redirections
 * work), prints its output, exits with the last line's status. `--workdir DIR`: the shell starts in a
 * copy of the local DIR (~/NAME); `--out DIR`: at exit the shell's working directory is copied out to DIR.
 * `--offline`: the page is loaded once online, then the browser goes offline before the commands run.
 * `--allow-net`: containers may reach HOST (as `npm start -- --allow-net`).
 */
import { LabDriver } from "./lab-driver.ts";

const args = process.argv.slice(2);
const allowRegistries: string[] = [];
const allowNet: string[] = [];
const commands: string[] = [];
let offline = false;
let profileDir: string | undefined;
let screenshot: string | undefined;
let workdir: string | undefined;
let outDir: string | undefined;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === "--allow-registry") allowRegistries.push(args[++i]!);
  else if (a.startsWith("--allow-registry=")) allowRegistries.push(a.slice(17));
  else if (a === "--allow-net") allowNet.push(args[++i]!);
  else if (a.startsWith("--allow-net=")) allowNet.push(a.slice(12));
  else if (a === "--offline") offline = true;
  else if (a === "--profile") profileDir = args[++i];
  else if (a === "--screenshot") screenshot = args[++i];
  else if (a === "--workdir") workdir = args[++i];
  else if (a === "--out") outDir = args[++i];
  else commands.push(a);
}
if (commands.length === 0) {
  console.error("usage: npm run lab -- [--allow-registry HOST:PORT]… [--allow-net HOST[:PORT]]… [--offline] [--profile DIR] [--workdir DIR] [--out DIR] [--screenshot FILE] 'CMD' …");
  process.exit(2);
}
const driver = await LabDriver.launch({ allowRegistries, allowNet, offline, profileDir, onConsoleError: (t) => console.error(`[page] ${t}`) });
let code = 0;
try {
  if (workdir) await driver.workIn(workdir);
  for (const cmd of commands) {
    const r = await driver.exec(cmd);
    process.stdout.write(r.output);
    code = r.code;
  }
  if (outDir) await driver.copyOut(outDir);
  if (screenshot) await driver.screenshot(screenshot);
} finally {
  await driver.close();
}
process.exit(code);
