/**
 * Edge-worker entry (Cloudflare Workers style: `export default { fetch(req, env) }`): the same handler
 * as the Node server. Environment:
 * - LAYERLAB_ALLOW_REGISTRIES (or ALLOW_REGISTRIES): extra registries, comma-separated, written like
 *   the --allow-registry flag ("registry.example.com", "https://host:8443");
 * - LAYERLAB_ALLOW_ORIGINS (or ALLOW_ORIGINS): page origins, comma-separated, allowed to call the proxy
 *   when the app is served from another origin than the worker ("*" for any).
 * There is no DNS resolver here, so only literal private addresses are refused: do not allow names that
 * resolve to private addresses, and nothing on the worker's network is reachable through it anyway.
 */
import { splitAllowList } from "./allowlist.ts";
import { createProxyHandler } from "./handler.ts";

export interface WorkerEnv {
  LAYERLAB_ALLOW_REGISTRIES?: string;
  ALLOW_REGISTRIES?: string;
  LAYERLAB_ALLOW_ORIGINS?: string;
  ALLOW_ORIGINS?: string;
  LAYERLAB_ALLOW_DOWNLOADS?: string;
  ALLOW_DOWNLOADS?: string;
}

// Workers reuse module state between requests: build the handler once per configuration.
let cached: { key: string; handle: (req: Request) => Promise<Response> } | undefined;

function handlerFor(env: WorkerEnv): (req: Request) => Promise<Response> {
  const registries = env.LAYERLAB_ALLOW_REGISTRIES ?? env.ALLOW_REGISTRIES ?? "";
  const origins = env.LAYERLAB_ALLOW_ORIGINS ?? env.ALLOW_ORIGINS ?? "";
  const downloads = env.LAYERLAB_ALLOW_DOWNLOADS ?? env.ALLOW_DOWNLOADS ?? "";
  const key = `${registries}|${origins}|${downloads}`;
  if (cached?.key !== key) {
    cached = { key, handle: createProxyHandler({ allowRegistries: splitAllowList(registries), allowOrigins: splitAllowList(origins), allowDownloads: splitAllowList(downloads) }) };
  }
  return cached.handle;
}

export default {
  async fetch(req: Request, env: WorkerEnv = {}): Promise<Response> {
    try {
      return await handlerFor(env)(req);
    } catch (e) {
      // A malformed allow-list entry in the environment: say so rather than fail opaquely.
      const body = { errors: [{ code: "UNSUPPORTED", message: `layerlab proxy: ${(e as Error).message}` }] };
      return new Response(JSON.stringify(body), { status: 500, headers: { "Content-Type": "application/json" } });
    }
  },
};
