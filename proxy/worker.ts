/**
 * Edge-worker entry: the same handler as the Node server. ALLOW_REGISTRIES (comma-separated) adds
 * registries; without a DNS resolver here, only literal private addresses can be checked, so workers
 * should not be given private hosts.
 */
import { createProxyHandler } from "./handler.ts";

interface Env {
  ALLOW_REGISTRIES?: string;
  ALLOW_ORIGIN?: string;
}

let cached: { key: string; handle: (req: Request) => Promise<Response> } | undefined;

export default {
  fetch(req: Request, env: Env): Promise<Response> {
    const key = `${env.ALLOW_REGISTRIES ?? ""}|${env.ALLOW_ORIGIN ?? ""}`;
    if (cached?.key !== key) {
      cached = {
        key,
        handle: createProxyHandler({ allowRegistries: (env.ALLOW_REGISTRIES ?? "").split(",").map((s) => s.trim()).filter(Boolean), allowOrigin: env.ALLOW_ORIGIN }),
      };
    }
    return cached.handle(req);
  },
};
