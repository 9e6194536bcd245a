/** Command line of `npm start` (server/main.ts), kept apart so it can be tested without starting anything. */
import { splitAllowList } from "../proxy/allowlist.ts";

export interface StartOptions {
  port: number;
  host: string;
  allowRegistries: string[];
  /** Web servers `ADD <url>` may download from beyond the built-in ones. */
  allowDownloads: string[];
  /** Hosts containers may reach through the lab's relay beyond the built-in package mirrors. */
  allowNet: string[];
  allowedHosts: string[];
  /** false with --build: serve dist/ instead of the vite dev middleware. */
  dev: boolean;
  /** --root: the project to serve (index.html, vite.config.ts, dist/); default this repository. */
  root?: string;
}

export const USAGE = "usage: npm start -- [--port N] [--host ADDR] [--allow-registry HOST[:PORT]]… [--allow-download HOST[:PORT]]… [--allow-net HOST[:PORT]]… [--allow-host NAME]… [--build] [--root DIR]";

export class UsageError extends Error {}

/** Parses argv (without node and script); env supplies PORT and LAYERLAB_ALLOW_REGISTRIES. Throws UsageError. */
export function parseStartArgs(argv: string[], env: Record<string, string | undefined> = {}): StartOptions {
  const opts: StartOptions = {
    port: 8080,
    host: "127.0.0.1",
    allowRegistries: splitAllowList(env.LAYERLAB_ALLOW_REGISTRIES),
    allowDownloads: splitAllowList(env.LAYERLAB_ALLOW_DOWNLOADS),
    allowNet: splitAllowList(env.LAYERLAB_ALLOW_NET),
    allowedHosts: splitAllowList(env.LAYERLAB_ALLOW_HOSTS),
    dev: true,
  };
  if (env.PORT) opts.port = parsePort(env.PORT, "PORT");
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      const v = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (v === undefined || v === "") throw new UsageError(`${name} needs a value\n${USAGE}`);
      return v;
    };
    switch (name) {
      case "--port": opts.port = parsePort(value(), "--port"); break;
      case "--host": opts.host = value(); break;
      case "--allow-registry": opts.allowRegistries.push(value()); break;
      case "--allow-download": opts.allowDownloads.push(value()); break;
      case "--allow-net": opts.allowNet.push(value()); break;
      case "--allow-host": opts.allowedHosts.push(value()); break;
      case "--build": opts.dev = false; break;
      case "--root": opts.root = value(); break;
      case "--help": case "-h": throw new UsageError(USAGE);
      default: throw new UsageError(`unknown argument ${arg}\n${USAGE}`);
    }
  }
  return opts;
}

function parsePort(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new UsageError(`${what}: "${text}" is not a port number (0–65535)`);
  return n;
}
