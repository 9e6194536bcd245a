/**
 * The WASI runtime in Node: the demo images compiled from C by Debian's clang, run by
 * browser_wasi_shim in a worker thread, the container's root the union (through the Atomics bridge).
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { ContainerConfig } from "../../src/oci/types.ts";
import { resolveProcess } from "../../src/runtime/spec.ts";
import { nodeWasiRuntime } from "../../src/runtime/wasi/node.ts";
import { ProcessStartError } from "../../src/runtime/types.ts";
import { containerChanges } from "../../src/unionfs/changes.ts";
import type { UnionFS } from "../../src/unionfs/union.ts";
import { loadLayoutImage, memorySnapshotter, type MemoryImage } from "../harness/memory-images.ts";
import { wasiDemoLayout } from "../harness/wasi-demos.ts";

const { backend, snapshotter } = memorySnapshotter();
const runtime = nodeWasiRuntime();
const images: Record<string, MemoryImage> = {};
let n = 0;

beforeAll(async () => {
  const layout = await wasiDemoLayout();
  for (const t of ["hello", "ls", "fileops", "trap", "spin", "mystery"]) images[t] = await loadLayoutImage(backend, layout, t);
});

async function container(image: MemoryImage | { chainId: string; config: MemoryImage["config"] }) {
  const key = `w${++n}`;
  const fs = await snapshotter.prepare(key, image.chainId);
  return { key, fs, config: { ...(image.config.config ?? {}) } as ContainerConfig };
}

async function run(c: { key: string; fs: UnionFS; config: ContainerConfig }, argv?: string[], opts: { stopAfterMs?: number; env?: string[] } = {}) {
  const proc = await resolveProcess(c.fs, c.config, { tty: false, argv, env: opts.env });
  let stdout = "";
  let stderr = "";
  const dec = new TextDecoder();
  const running = await runtime.start(c.key, c.fs, proc, { output: (fd, d) => (fd === 1 ? (stdout += dec.decode(d)) : (stderr += dec.decode(d))) });
  if (opts.stopAfterMs !== undefined) {
    await new Promise((r) => setTimeout(r, opts.stopAfterMs));
    await running.stop();
  }
  return { code: await running.exited, stdout, stderr };
}

describe("WASI runtime (browser_wasi_shim in a worker, the union through the bridge)", () => {
  it("runs hello with its args and env, and returns the exit code", async () => {
    const c = await container(images.hello!);
    expect(await run(c)).toEqual({ code: 0, stdout: "Hello from WebAssembly!\n", stderr: "" });
    expect(await run(c, ["/bin/hello.wasm", "layer", "lab", "--exit", "7"], { env: ["GREETING=hi"] })).toEqual({ code: 7, stdout: "Hello from WebAssembly! layer lab\nGREETING=hi\n", stderr: "" });
  });

  it("ls lists the image's layers merged", async () => {
    const c = await container(images.ls!);
    expect((await run(c)).stdout).toBe("bin\ndata\netc\n");
    expect((await run(c, ["ls.wasm", "-l", "/data"])).stdout).toBe("-         16 keep.txt\n-         10 old.txt\n-         35 remove-me.txt\n");
  });

  it("writes, renames and deletes land in the upper layer only; a deleted lower file is a whiteout", async () => {
    const c = await container(images.fileops!);
    const r = await run(c, ["fileops.wasm", "write", "/data/new.txt", "fresh", "append", "/etc/motd", "more", "mv", "/data/old.txt", "/data/renamed.txt", "rm", "/data/remove-me.txt", "mkdir", "/data/dir", "ln", "keep.txt", "/data/link", "cat", "/data/renamed.txt"]);
    expect(r).toEqual({ code: 0, stdout: "rename me\n", stderr: "" });
    expect(containerChanges(c.fs).map((x) => `${x.kind} ${x.path}`)).toEqual(["C /data", "A /data/dir", "A /data/link", "A /data/new.txt", "D /data/old.txt", "D /data/remove-me.txt", "A /data/renamed.txt", "C /etc", "C /etc/motd"]);
    const wh = c.fs.upperEntries().filter((e) => e.entry.whiteout).map((e) => e.entry.path).sort();
    expect(wh).toEqual(["data/old.txt", "data/remove-me.txt"]);
    // The image's layers are untouched: a second container still sees the originals.
    const other = await container(images.fileops!);
    expect((await run(other, ["fileops.wasm", "cat", "/data/remove-me.txt"])).stdout).toBe("delete me: a whiteout will hide me\n");
  });

  it("the committed container runs as a new image and shows the change", async () => {
    const c = await container(images.fileops!);
    expect((await run(c, ["fileops.wasm", "write", "/data/committed.txt", "kept", "rm", "/data/keep.txt"])).code).toBe(0);
    const committed = await snapshotter.commit(`${c.key}-img`, c.key);
    const next = await container({ chainId: committed.layer!.chainId, config: images.ls!.config });
    expect((await run(next, ["ls.wasm", "/data"])).stdout).toBe("committed.txt\nold.txt\nremove-me.txt\n");
  });

  it("bad input: not wasm, unknown imports, a trap, a runaway module stopped", async () => {
    const c = await container(images.hello!);
    await expect(run(c, ["/bin/not-wasm.wasm"])).rejects.toSatisfy((e: unknown) => e instanceof ProcessStartError && /bin\/not-wasm\.wasm is not a valid WebAssembly module/.test(e.message));
    await expect(run(c, ["/bin/mystery.wasm"])).rejects.toThrow(/imports what the lab's WASI runtime does not provide \(env::mystery\)/);
    await expect(run(c, ["nope.wasm"])).rejects.toThrow(/exec: "nope.wasm": executable file not found in \$PATH/);
    const trap = await run(c, ["/bin/trap.wasm"]);
    expect(trap.code).toBe(134);
    expect(trap.stderr).toMatch(/^Error: failed to run main module \/bin\/trap\.wasm: wasm trap: unreachable/);
    const spin = await run(c, ["/bin/spin.wasm"], { stopAfterMs: 300 });
    expect(spin).toMatchObject({ code: 143, stdout: "spinning\n" });
  });
});
