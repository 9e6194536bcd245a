/**
 * Bad input during a pull: a corrupted blob on the registry's disk, a connection cut mid-layer (then
 * resumed), and answers a real registry will not give on demand (schema 1, 429, a malformed manifest),
 * which are injected at the browser's network layer in front of the real registry.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Route } from "playwright-core";
import { launchLab, type LabDriver } from "../harness/browser.ts";
import { pushFixtures, type PushedFixtures } from "../harness/fixtures.ts";
import { nonEmpty } from "../harness/each.ts";
import { startRegistry, type TestRegistry } from "../harness/registry.ts";

let reg: TestRegistry;
let pushed: PushedFixtures;
let lab: LabDriver;

/** What the page's own store (window.layerlab.daemon.store) holds. */
async function storeCounts(): Promise<{ blobs: string[]; ingests: { ref: string; offset: number }[]; images: number }> {
  return lab.page.evaluate(`(async () => {
    const s = window.layerlab.daemon.store;
    return { blobs: (await s.content.list()).map((b) => b.digest), ingests: (await s.content.ingests()).map((i) => ({ ref: i.ref, offset: i.offset })), images: (await s.listImages()).length };
  })()`) as Promise<{ blobs: string[]; ingests: { ref: string; offset: number }[]; images: number }>;
}

beforeAll(async () => {
  reg = await startRegistry("none");
  pushed = await pushFixtures(reg);
  lab = await launchLab({ allowRegistries: reg.allowHosts });
});
afterAll(async () => {
  await lab?.close();
  await reg?.stop();
});

describe("bad input", () => {
  it("a blob whose bytes do not match its digest: nothing stored, both digests named", async () => {
    const layer = pushed.alpine.layers[0]!;
    const hex = layer.digest.slice(7);
    const path = join(reg.dataDir, "docker/registry/v2/blobs/sha256", hex.slice(0, 2), hex, "data");
    const original = readFileSync(path);
    const corrupt = Buffer.from(original);
    for (let i = 1000; i < 1100; i++) corrupt[i] = corrupt[i]! ^ 0x5a;
    writeFileSync(path, corrupt);
    try {
      const r = await lab.exec(`docker pull ${reg.host}/${pushed.alpine.name}`);
      expect(r.code).toBe(1);
      expect(r.output).toMatch(new RegExp(`digest mismatch.*expected ${layer.digest}, got sha256:[a-f0-9]{64}`));
      const s = await storeCounts();
      expect(s.blobs).not.toContain(layer.digest);
      expect(s.ingests).toEqual([]);
      expect(s.images).toBe(0);
    } finally {
      writeFileSync(path, original);
    }
    const again = await lab.exec(`docker pull ${reg.host}/${pushed.alpine.name}`);
    expect(again.output).toContain("Status: Downloaded newer image");
    expect(again.code).toBe(0);
  });

  it("a pull cut mid-layer resumes from the byte it reached", async () => {
    const layer = [...pushed.big.layers].sort((a, b) => b.size - a.size)[0]!;
    const cutAt = 10_000_000;
    const flushed = 8 * 1024 * 1024; // two 4 MiB chunks were durable before the cut
    const cut = async (route: Route) => {
      const res = await route.fetch();
      const body = await res.body();
      const headers = { ...res.headers() };
      delete headers["content-length"];
      await route.fulfill({ status: res.status(), headers, body: body.subarray(0, cutAt) });
    };
    await lab.page.route(`**/blobs/${layer.digest}`, cut);
    const first = await lab.exec(`docker pull ${reg.host}/${pushed.big.name}`);
    await lab.page.unroute(`**/blobs/${layer.digest}`, cut);
    expect(first.code).toBe(1);
    expect(first.output).toMatch(/connection closed after 10000000 of \d+ bytes; pull again to resume/);
    const kept = (await storeCounts()).ingests.find((i) => i.ref === `pull:${layer.digest}`);
    expect(kept?.offset).toBe(flushed);

    const ranges: string[] = [];
    const onRequest = (req: import("playwright-core").Request) => {
      if (req.url().endsWith(`/blobs/${layer.digest}`)) ranges.push(req.headers().range ?? "");
    };
    lab.page.on("request", onRequest);
    const second = await lab.exec(`docker pull ${reg.host}/${pushed.big.name}`);
    lab.page.off("request", onRequest);
    expect(second.code).toBe(0);
    expect(second.output).toContain(`${layer.digest.slice(7, 19)}: Resuming from 8.389MB`);
    expect(ranges).toEqual([`bytes=${flushed}-`]);
    const s = await storeCounts();
    expect(s.blobs).toContain(layer.digest);
    expect(s.ingests).toEqual([]);
  });

  /** Answers manifest requests for `tag` with `body`/`status`, everything else reaches the registry. */
  async function withManifest(tag: string, answer: { status: number; contentType?: string; headers?: Record<string, string>; body: string }, fn: () => Promise<void>): Promise<void> {
    const pattern = `**/v2/lab/busybox/manifests/${tag}`;
    const handler = (route: Route) =>
      route.fulfill({ status: answer.status, headers: { "content-type": answer.contentType ?? "application/json", ...answer.headers }, body: route.request().method() === "HEAD" ? "" : answer.body });
    await lab.page.route(pattern, handler);
    try {
      await fn();
    } finally {
      await lab.page.unroute(pattern, handler);
    }
  }

  it("a schema 1 manifest is refused as deprecated", async () => {
    const schema1 = JSON.stringify({ schemaVersion: 1, name: "lab/busybox", tag: "old", architecture: "386", fsLayers: [], history: [], signatures: [] });
    await withManifest("old", { status: 200, contentType: "application/vnd.docker.distribution.manifest.v1+prettyjws", body: schema1 }, async () => {
      const r = await lab.exec(`docker pull ${reg.host}/lab/busybox:old`);
      expect(r.code).toBe(1);
      expect(r.output).toMatch(/unsupported manifest format: .*deprecated Docker schema 1/);
    });
  });

  it("a malformed manifest is rejected naming the field", async () => {
    const bad = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: pushed.busyboxOci.configDigest, size: 10 }, layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: "sha256:zz", size: 1 }] });
    await withManifest("bad", { status: 200, contentType: "application/vnd.oci.image.manifest.v1+json", body: bad }, async () => {
      const r = await lab.exec(`docker pull ${reg.host}/lab/busybox:bad`);
      expect(r.code).toBe(1);
      expect(r.output).toContain(`${reg.host}/lab/busybox:bad: manifest.layers[0].digest: invalid digest "sha256:zz"`);
    });
  });

  it("429 says when the limit resets", async () => {
    const body = JSON.stringify({ errors: [{ code: "TOOMANYREQUESTS", message: "You have reached your pull rate limit." }] });
    await withManifest("limited", { status: 429, headers: { "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "0;w=21600", "retry-after": "3600" }, body }, async () => {
      const r = await lab.exec(`docker pull ${reg.host}/lab/busybox:limited`);
      expect(r.code).toBe(1);
      expect(r.output).toMatch(/toomanyrequests: You have reached your pull rate limit\.; the limit resets at \d\d:\d\d:\d\d UTC \(in 60 min\) \(limit 100;w=21600, remaining 0;w=21600\)/);
    });
  });

  it("an unknown tag reads like Docker's manifest unknown", async () => {
    const r = await lab.exec(`docker pull ${reg.host}/lab/busybox:nope`);
    expect(r.code).toBe(1);
    expect(r.output).toContain(`Error response from daemon: manifest for ${reg.host}/lab/busybox:nope not found: manifest unknown`);
  });

  it("the in-thread pipeline (no worker) pulls the same way", async () => {
    await lab.page.goto(`${lab.pageUrl}&worker=0`);
    await lab.page.waitForFunction(() => window.layerlab !== undefined);
    await lab.page.evaluate(() => window.layerlab!.ready);
    const r = await lab.exec(`docker pull ${reg.host}/${pushed.busyboxOci.name}`);
    expect(r.output).toContain("Pull complete");
    expect(r.code).toBe(0);
    const s = await storeCounts();
    for (const l of nonEmpty(pushed.busyboxOci.layers, "busybox's layers")) expect(s.blobs).toContain(l.digest);
  });

  it("a registry that is not allow-listed is refused by the proxy", async () => {
    const r = await lab.exec("docker pull 127.0.0.1:1/lab/busybox");
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/^Error response from daemon: layerlab proxy: registry host 127\.0\.0\.1:1 is not allow-listed/m);
  });
});
