/**
 * The bundled Debian mirror (public/demos/mirror, scripts/build-mirror.ts) answering a container with
 * no relay, in Node: the bundled debian:bookworm image's own apt, unchanged sources, fetches signed
 * indexes and packages from "deb.debian.org", which the machine's network answers from the mirror's
 * files (src/runtime/x86/mirror-net.ts); any other name is NXDOMAIN, any other connection refused.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerConfig } from "../../src/oci/types.ts";
import { containerNetwork } from "../../src/runtime/network.ts";
import { resolveProcess } from "../../src/runtime/spec.ts";
import { nodeRuntime } from "../../src/runtime/x86/node.ts";
import type { X86Runtime } from "../../src/runtime/x86/runtime.ts";
import { containerChanges } from "../../src/unionfs/changes.ts";
import { INIT_LAYER_LABEL } from "../../src/unionfs/init-layer.ts";
import { serveDirectory } from "../harness/debian.ts";
import { loadLayoutImage, memorySnapshotter, type MemoryImage } from "../harness/memory-images.ts";

const DEMOS = join(import.meta.dirname, "../../public/demos");
const { backend, snapshotter } = memorySnapshotter();
let runtime: X86Runtime;
let debian: MemoryImage;
let files: Awaited<ReturnType<typeof serveDirectory>>;

async function run(key: string, argv: string[]) {
  const fs = await snapshotter.prepare(key, debian.chainId, { [INIT_LAYER_LABEL]: "docker" });
  const config: ContainerConfig = { ...(debian.config.config ?? {}), Hostname: "5eed0f1a2b3c" };
  const proc = await resolveProcess(fs, config, { tty: false, argv });
  let stdout = "";
  let stderr = "";
  const dec = new TextDecoder();
  const running = await runtime.start(key, fs, proc, { output: (fd, d) => (fd === 1 ? (stdout += dec.decode(d)) : (stderr += dec.decode(d))) }, containerNetwork("bridge", "172.17.0.2", proc.hostname));
  return { code: await running.exited, stdout, stderr, fs };
}

beforeAll(async () => {
  debian = await loadLayoutImage(backend, DEMOS, "debian:bookworm");
  files = await serveDirectory(join(DEMOS, "mirror"));
  // No relay: the mirror only (as the page has it offline, or served as static files).
  runtime = nodeRuntime(undefined, { network: { mirrorUrl: `http://127.0.0.1:${files.port}/` } });
}, 120_000);

afterAll(() => files?.server.close());

describe("the bundled Debian mirror, answered without a relay", () => {
  it("apt-get update && apt-get install -y vim-tiny from deb.debian.org, signed by the mirror's key; vim runs", async () => {
    const r = await run("m1", ["sh", "-c", "apt-get update && apt-get install -y vim-tiny && vi --version | head -1"]);
    console.log(r.stdout.slice(-1500), r.stderr, runtime.lastStart);
    expect(runtime.lastStart?.network).toBe("mirror");
    expect(r.code).toBe(0);
    // Debian's names and suites, as online; three InRelease files verified (the security suite and updates are empty here).
    for (const suite of ["deb.debian.org/debian bookworm InRelease", "deb.debian.org/debian bookworm-updates InRelease", "security.debian.org/debian-security bookworm-security InRelease", "deb.debian.org/debian bookworm/main i386 Packages"]) {
      expect(r.stdout).toMatch(new RegExp(`Get:\\d+ http://${suite.replace(/[./]/g, "\\$&")}`));
    }
    expect(r.stdout).toContain("Setting up vim-tiny");
    expect(r.stdout).toMatch(/VIM - Vi IMproved 9\.0/);
    expect(r.stderr).not.toMatch(/^(W|E):/m);
    const changes = await containerChanges(r.fs);
    expect(changes.map((c) => c.path)).toContain("/usr/bin/vim.tiny");
    expect(files.requests).toContain("GET /deb.debian.org/debian/dists/bookworm/InRelease");
  }, 300_000);

  it("a package the mirror lacks, another name, another port: clear refusals", async () => {
    const r = await run("m2", ["sh", "-c", "apt-get update -qq; apt-get install -y emacs; echo apt $?; getent hosts example.com; echo getent $?; bash -c 'exec 3<>/dev/tcp/198.19.255.1/443'; echo tcp $?"]);
    console.log(r.stdout, r.stderr);
    expect(r.stderr).toContain("E: Unable to locate package emacs");
    expect(r.stdout).toContain("apt 100");
    expect(r.stdout).toContain("getent 2");
    expect(r.stderr).toContain("Connection refused");
    expect(r.stdout).toContain("tcp 1");
  }, 300_000);
});
