/**
 * The bundled demo images (public/demos/, built by scripts/build-demos.ts) pulled from the page's own
 * read-only registry `layerlab.demo`: no registry process, no proxy.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchLab, type LabDriver } from "../harness/browser.ts";

let lab: LabDriver;
const errors: string[] = [];
beforeAll(async () => {
  lab = await launchLab({ onConsoleError: (e: string) => errors.push(e) });
});
afterAll(async () => {
  await lab?.close();
});

async function ok(line: string): Promise<string> {
  const r = await lab.exec(line);
  if (r.code !== 0) throw new Error(`${line} → ${r.code}\n${r.output}`);
  return r.output;
}

describe("bundled demo images (layerlab.demo)", () => {
  it("pulls alpine, busybox and the teaching image, sharing busybox's layers", async () => {
    expect(await ok("docker pull layerlab.demo/alpine:3.15")).toContain("Status: Downloaded newer image for layerlab.demo/alpine:3.15");
    await ok("docker pull -q layerlab.demo/busybox");
    const teaching = await ok("docker pull layerlab.demo/teaching");
    expect(teaching.match(/Already exists/g)).toHaveLength(2);
    expect(await ok("docker run --rm layerlab.demo/teaching")).toBe("hello from layer 2, settings: color=green layer=2 \n");
    expect(await ok("docker run --rm layerlab.demo/teaching ls /app /app/data")).toBe("/app:\nbig.bin\nconfig\ndata\nhello.sh\nnotes.txt\n\n/app/data:\nfresh.txt\n");
    expect(await ok("docker run --rm layerlab.demo/alpine:3.15 cat /etc/alpine-release")).toBe("3.15.11\n");
    const wasi = await ok("docker run --rm layerlab.demo/wasi/hello");
    expect(wasi).toMatch(/^Unable to find image .layerlab.demo\/wasi\/hello. locally\n/);
    expect(wasi.endsWith("Status: Downloaded newer image for layerlab.demo\/wasi\/hello:latest\nHello from WebAssembly!\n")).toBe(true);
  });

  it("refuses pushes and unknown names with what is there", async () => {
    const unknown = await lab.exec("docker pull layerlab.demo/nginx");
    expect(unknown.code).not.toBe(0);
    expect(unknown.output).toContain("the bundled demo images are busybox:latest, alpine:3.15, teaching:latest, wasi/hello:latest, wasi/ls:latest, wasi/fileops:latest");
    const push = await lab.exec("docker push layerlab.demo/busybox");
    expect(push.code).not.toBe(0);
    expect(push.output).toContain("read-only");
    expect(errors).toEqual([]);
  });
});
