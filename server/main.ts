/** `npm start`: the lab (app + registry proxy) on one port, in one process. */
import { AllowList } from "../proxy/allowlist.ts";
import { NetAllowList } from "../proxy/wisp.ts";
import { startLabServer } from "../proxy/node.ts";
import { parseStartArgs, UsageError } from "./args.ts";

let opts;
try {
  opts = parseStartArgs(process.argv.slice(2), process.env);
  new AllowList(opts.allowRegistries, opts.allowDownloads); // a malformed --allow-registry/--allow-download fails here, with its message
  new NetAllowList(opts.allowNet); // and a malformed --allow-net
} catch (e) {
  console.error((e as Error).message);
  process.exit(e instanceof UsageError ? 2 : 1);
}

const server = await startLabServer({
  port: opts.port,
  host: opts.host,
  allowRegistries: opts.allowRegistries,
  allowedHosts: opts.allowedHosts,
  dev: opts.dev,
  root: opts.root,
  hmr: true,
  allowNet: opts.allowNet,
  proxy: { allowDownloads: opts.allowDownloads },
  // Request lines only on demand; they are redacted (no credentials, no query strings) either way.
  log: process.env.LAYERLAB_LOG ? (line) => console.log(line) : undefined,
}).catch((e: Error & { code?: string }) => {
  console.error(e.code === "EADDRINUSE" ? `port ${opts.port} is in use: try --port N` : `cannot start the lab: ${e.message}`);
  process.exit(1);
});

const extra = new AllowList(opts.allowRegistries).describeExtra();
console.log(`Layerlab on ${server.url} (proxy at /proxy/, allowed extra registries: ${extra})${opts.dev ? "" : " serving dist/"}`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) process.exit(130); // a second Ctrl-C does not wait for connections to drain
  stopping = true;
  console.log(`${signal}: stopping`);
  await server.close();
  process.exit(0);
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
