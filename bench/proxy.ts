/**
 * Proxy load benchmark: 50 concurrent pulls of the ~47 MB / 5-layer image through `npm start`'s proxy
 * (its own process, memory sampled from /proc), against the same 50 pulls straight from the registry
 * in the same run. ratio = through the proxy / direct (time). Targets: ratio ≤ 1.5, and the server's
 * peak RSS growth ≤ 128 MB while 2.4 GB pass through it.
 */
import { pushFixtures } from "../test/harness/fixtures.ts";
import { concurrentPulls, startLabServerProcess } from "../test/harness/proxy-load.ts";
import { startRegistry } from "../test/harness/registry.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

export default async function proxyBench(args: string[]): Promise<Record<string, unknown>> {
  const pulls = Number(args[0] ?? 50);
  const reg = await startRegistry("none");
  const pushed = await pushFixtures(reg);
  const server = await startLabServerProcess(["--allow-registry", reg.host]);
  try {
    const direct: number[] = [];
    const proxied: number[] = [];
    let peakGrowth = 0;
    let bytes = 0;
    for (let i = 0; i < 3; i++) {
      const d = await concurrentPulls(reg.url, pushed.big, pulls);
      const p = await concurrentPulls(`${server.url}/proxy/${reg.host}`, pushed.big, pulls, server.pid);
      if (d.failures.length || p.failures.length) throw new Error([...d.failures, ...p.failures].slice(0, 5).join("\n"));
      direct.push(d.seconds);
      proxied.push(p.seconds);
      peakGrowth = Math.max(peakGrowth, p.peakRss! - p.baseRss!);
      bytes = p.bytes;
    }
    const lab = median(proxied);
    const peer = median(direct);
    return {
      pulls,
      bytes,
      proxy_s: round(lab),
      proxy_runs_s: proxied.map((x) => round(x)),
      direct_s: round(peer),
      direct_runs_s: direct.map((x) => round(x)),
      proxy_MBps: round(bytes / 1e6 / lab, 0),
      rss_growth_MB: round(peakGrowth / 1e6, 1),
      target_rss_growth_MB: 128,
      ratio: round(lab / peer),
      target_ratio: 1.5,
    };
  } finally {
    await server.stop();
    await reg.stop();
  }
}
