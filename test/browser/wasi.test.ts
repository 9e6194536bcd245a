/**
 * wasi/wasm images in Chromium: pulled from the real registry, run by browser_wasi_shim in a Web
 * Worker with the union reached through SharedArrayBuffer + Atomics (the page is cross-origin
 * isolated), changes visible to docker diff and commit, bad modules refused, a runaway one stopped.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchLab, type LabDriver } from "../harness/browser.ts";
import { buildFixtures } from "../harness/fixtures.ts";
import { startRegistry, type TestRegistry } from "../harness/registry.ts";
import { pushWasiDemos } from "../harness/wasi-demos.ts";

let reg: TestRegistry;
let lab: LabDriver;
let repo: string;
let mixed: string;
const errors: string[] = [];

beforeAll(async () => {
  reg = await startRegistry("none");
  const fx = await buildFixtures();
  ({ repo, mixed } = await pushWasiDemos(reg, fx.layout, fx.tags.busybox386));
  lab = await launchLab({ allowRegistries: reg.allowHosts, onConsoleError: (e: string) => errors.push(e) });
  for (const t of ["hello", "ls", "fileops", "trap", "spin", "mystery"]) expect((await lab.exec(`docker pull -q ${repo}:${t}`)).code).toBe(0);
});
afterAll(async () => {
  await lab?.close();
  await reg?.stop();
});

async function ok(line: string): Promise<string> {
  const r = await lab.exec(line);
  if (r.code !== 0) throw new Error(`${line} → ${r.code}\n${r.output}`);
  return r.output;
}

describe("docker run of wasi/wasm images (Chromium)", () => {
  it("is cross-origin isolated, so SharedArrayBuffer exists", async () => {
    expect(await lab.page.evaluate(() => crossOriginIsolated)).toBe(true);
  });

  it("runs hello: output, args, env, exit code", async () => {
    expect(await ok(`docker run --rm ${repo}:hello`)).toBe("Hello from WebAssembly!\n");
    const r = await lab.exec(`docker run --rm -e GREETING=hi ${repo}:hello in the lab --exit 4`);
    expect(r).toEqual({ code: 4, output: "Hello from WebAssembly! in the lab\nGREETING=hi\n" });
    expect(await ok(`docker run --rm ${repo}:ls`)).toBe("bin\ndata\netc\n");
  });

  it("changes land in the container layer: docker diff, whiteouts, commit, and the new image", async () => {
    await ok(`docker run --name wf ${repo}:fileops write /data/new.txt fresh mv /data/old.txt /data/renamed.txt rm /data/remove-me.txt`);
    expect(await ok("docker diff wf")).toBe(["C /data", "A /data/new.txt", "D /data/old.txt", "D /data/remove-me.txt", "A /data/renamed.txt", ""].join("\n"));
    expect(await ok("docker ps -a")).toMatch(/Exited \(0\) .* wf\n/);
    await ok("docker commit wf lab/wasi-changed:1");
    expect(await ok("docker run --rm --entrypoint /bin/ls.wasm lab/wasi-changed:1 /data")).toBe("keep.txt\nnew.txt\nrenamed.txt\n");
    const layers = JSON.parse(await ok("docker image inspect lab/wasi-changed:1"))[0].RootFS.Layers;
    expect(layers).toHaveLength(3);
  });

  it("bad input: not wasm, unknown imports, a trap — clear errors, non-zero codes", async () => {
    const notWasm = await lab.exec(`docker run --rm --entrypoint /bin/not-wasm.wasm ${repo}:hello`);
    expect(notWasm.code).toBe(126);
    expect(notWasm.output).toContain("/bin/not-wasm.wasm is not a valid WebAssembly module");
    const mystery = await lab.exec(`docker run --rm ${repo}:mystery`);
    expect(mystery.code).toBe(126);
    expect(mystery.output).toContain("(env::mystery); only wasi_snapshot_preview1 is available");
    const trap = await lab.exec(`docker run --rm ${repo}:trap`);
    expect(trap.code).toBe(134);
    expect(trap.output).toMatch(/Error: failed to run main module \/bin\/trap\.wasm: wasm trap: unreachable/);
  });

  it("docker stop ends a runaway module", async () => {
    await ok(`docker run -d --name spinner ${repo}:spin`);
    for (let i = 0; i < 50 && !(await ok("docker logs spinner")).includes("spinning"); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await ok("docker ps")).toMatch(/Up .* spinner\n/);
    await ok("docker stop spinner");
    expect(await ok("docker ps -a")).toMatch(/Exited \(143\) .* spinner\n/);
  });

  it("a multi-platform image offering wasi/wasm and linux/386 is pulled as wasi/wasm", async () => {
    await ok(`docker pull -q ${mixed}`);
    const cfg = JSON.parse(await ok(`docker image inspect ${mixed}`))[0];
    expect([cfg.Os, cfg.Architecture]).toEqual(["wasi", "wasm"]);
    expect(await ok(`docker run --rm ${mixed}`)).toBe("Hello from WebAssembly!\n");
    expect(errors).toEqual([]);
  });
});
