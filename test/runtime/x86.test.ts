/**
 * The x86 runtime in Node: real v86 machines booting the committed kernel and initramfs, the
 * container's root served over 9P from a union of real images (busybox i386 from Debian, Alpine 3.15
 * x86), and the container layer checked with `docker diff`'s algorithm and by committing it.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerConfig } from "../../src/oci/types.ts";
import { nodeRuntime } from "../../src/runtime/x86/node.ts";
import { ProcessStartError } from "../../src/runtime/types.ts";
import type { X86Runtime } from "../../src/runtime/x86/runtime.ts";
import { resolveProcess } from "../../src/runtime/spec.ts";
import { containerChanges } from "../../src/unionfs/changes.ts";
import type { UnionFS } from "../../src/unionfs/union.ts";
import { buildFixtures, extractBusybox } from "../harness/fixtures.ts";
import { loadLayoutImage, memorySnapshotter, type MemoryImage } from "../harness/memory-images.ts";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const { backend, snapshotter } = memorySnapshotter();
let runtime: X86Runtime;
let alpine: MemoryImage;
let busybox: MemoryImage;
let n = 0;

async function container(image: { chainId: string | null; config: { config?: ContainerConfig } }): Promise<{ key: string; fs: UnionFS; config: ContainerConfig }> {
  const key = `c${++n}`;
  const fs = await snapshotter.prepare(key, image.chainId);
  return { key, fs, config: { ...(image.config.config ?? {}), Hostname: `host${n}` } };
}

async function run(c: { key: string; fs: UnionFS; config: ContainerConfig }, argv?: string[], opts: { user?: string; stopAfterMs?: number; stopTimeout?: number } = {}) {
  const proc = await resolveProcess(c.fs, c.config, { tty: false, argv, user: opts.user });
  let stdout = "";
  let stderr = "";
  const dec = new TextDecoder();
  const running = await runtime.start(c.key, c.fs, proc, { output: (fd, d) => (fd === 1 ? (stdout += dec.decode(d)) : (stderr += dec.decode(d))) });
  let stopped: number | undefined;
  if (opts.stopAfterMs !== undefined) {
    await new Promise((r) => setTimeout(r, opts.stopAfterMs));
    const t0 = performance.now();
    stopped = await running.stop(opts.stopTimeout ?? 10);
    stopped = performance.now() - t0;
  }
  const code = await running.exited;
  return { code, stdout, stderr, stopMs: stopped };
}

beforeAll(async () => {
  const fx = await buildFixtures();
  alpine = await loadLayoutImage(backend, fx.layout, fx.tags.alpine386);
  busybox = await loadLayoutImage(backend, fx.layout, fx.tags.busybox386);
  runtime = nodeRuntime();
});

afterAll(() => {});

describe("x86 runtime (v86 in Node, 9P from the union)", () => {
  it("busybox: echo, and the first start is cold, the next ones warm", async () => {
    const c = await container(busybox);
    const r = await run(c, ["echo", "hi"]);
    expect(r).toMatchObject({ code: 0, stdout: "hi\n", stderr: "" });
    expect(runtime.lastStart?.warm).toBe(false);
    const again = await run(c, ["echo", "again"]);
    expect(again.stdout).toBe("again\n");
    expect(runtime.lastStart?.warm).toBe(true);
  });

  it("alpine: ls /, /etc/os-release, the image's Cmd, and uname shows the lab's kernel", async () => {
    const c = await container(alpine);
    const ls = await run(c, ["ls", "/"]);
    expect(ls.stdout.split("\n").filter(Boolean)).toEqual(["bin", "dev", "etc", "home", "lib", "media", "mnt", "opt", "proc", "root", "run", "sbin", "srv", "sys", "tmp", "usr", "var"]);
    const os = await run(c, ["cat", "/etc/os-release"]);
    expect(os.stdout).toContain('PRETTY_NAME="Alpine Linux v3.15"');
    const uname = await run(c, ["uname", "-a"]);
    expect(uname.stdout).toMatch(/^Linux host\d+ 6\.1\.192 #1 .* i686 Linux\n$/);
    // The image's Cmd is /bin/sh: with no stdin it reads EOF and exits 0.
    expect((await run(c)).code).toBe(0);
  });

  it("writes, changes and deletes land in the container layer: docker diff shows exactly A/C/D", async () => {
    const c = await container(alpine);
    const r = await run(c, ["sh", "-c", "echo new > /root/new.txt && echo more >> /etc/motd && rm /etc/hostname && mkdir -p /srv/a/b && ln -s /root/new.txt /srv/link && mv /etc/issue /etc/issue.old"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const diff = containerChanges(c.fs).map((ch) => `${ch.kind} ${ch.path}`);
    expect(diff).toEqual(["C /etc", "D /etc/hostname", "A /etc/issue.old", "D /etc/issue", "C /etc/motd", "C /root", "A /root/new.txt", "C /srv", "A /srv/a", "A /srv/a/b", "A /srv/link"].sort((a, b) => a.slice(2).localeCompare(b.slice(2))).map((x) => x));
    expect(new TextDecoder().decode(await c.fs.read("root/new.txt"))).toBe("new\n");
    const motd = new TextDecoder().decode(await c.fs.read("etc/motd"));
    expect(motd.endsWith("more\n")).toBe(true);
  });

  it("a committed container runs as a new image and shows the change", async () => {
    const c = await container(alpine);
    expect((await run(c, ["sh", "-c", "echo committed > /hello.txt && rm /etc/motd"])).code).toBe(0);
    const committed = await snapshotter.commit(`${c.key}-image`, c.key);
    const next = await container({ chainId: committed.layer!.chainId, config: alpine.config });
    const r = await run(next, ["sh", "-c", "cat /hello.txt; test -e /etc/motd || echo motd-gone"]);
    expect(r.stdout).toBe("committed\nmotd-gone\n");
    expect(containerChanges(next.fs)).toEqual([]);
  });

  it("exit codes: sh -c 'exit 3' exits 3; a missing command is Docker's 127 error", async () => {
    const c = await container(busybox);
    expect((await run(c, ["sh", "-c", "exit 3"])).code).toBe(3);
    await expect(run(c, ["no-such-command"])).rejects.toThrow(/exec: "no-such-command": executable file not found in \$PATH/);
    await expect(run(c, ["/no/such"])).rejects.toSatisfy((e: unknown) => e instanceof ProcessStartError && e.failure.status === 127 && /stat \/no\/such: no such file or directory/.test(e.message));
  });

  it("two containers of one image never see each other's writes", async () => {
    const a = await container(alpine);
    const b = await container(alpine);
    await run(a, ["sh", "-c", "echo a > /only-a"]);
    await run(b, ["sh", "-c", "echo b > /only-b"]);
    expect((await run(a, ["ls", "/only-b"])).code).not.toBe(0);
    expect((await run(b, ["cat", "/only-b"])).stdout).toBe("b\n");
    expect(containerChanges(a.fs).map((x) => x.path)).toEqual(["/only-a"]);
    expect(containerChanges(b.fs).map((x) => x.path)).toEqual(["/only-b"]);
  });

  it("an x86-64 binary fails with exec format error (exit 1) and the container stays intact", async () => {
    const c = await container(alpine);
    const bb64 = readFileSync(extractBusybox("amd64", mkdtempSync(join(tmpdir(), "bb64-"))));
    await c.fs.writeFile("usr/local/bin/hello64", new Uint8Array(bb64), { mode: 0o755 });
    const r = await run(c, ["hello64", "echo", "hi"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("exec /usr/local/bin/hello64: exec format error\n");
    expect((await run(c, ["echo", "still fine"])).stdout).toBe("still fine\n");
  });

  it("docker stop: a process that ignores SIGTERM is killed after the timeout (137)", async () => {
    const c = await container(busybox);
    const r = await run(c, ["sh", "-c", "trap '' TERM; echo started; while true; do sleep 1; done"], { stopAfterMs: 300, stopTimeout: 2 });
    expect(r.code).toBe(137);
    expect(r.stopMs!).toBeLessThan(10_000);
    const polite = await run(c, ["sleep", "60"], { stopAfterMs: 300 });
    expect(polite.code).toBe(143);
    expect(polite.stopMs!).toBeLessThan(2_000);
  });

  it("docker top: the container's processes from the machine's /proc (its /init and the listing itself left out)", async () => {
    const c = await container(alpine);
    const proc = await resolveProcess(c.fs, c.config, { tty: false, argv: ["sh", "-c", "sleep 300 & exec sleep 299"], user: "nobody" });
    const running = await runtime.start(c.key, c.fs, proc, { output: () => {} });
    let ps = await running.processes();
    for (let i = 0; i < 50 && ps.length < 2; i++) ps = await running.processes();
    const t0 = Date.now();
    expect(ps.map((p) => p.argv)).toEqual([["sleep", "299"], ["sleep", "300"]]);
    expect(ps[1]!.ppid).toBe(ps[0]!.pid);
    expect(ps.map((p) => [p.uid, p.comm, p.tty, p.stat[0]])).toEqual([[65534, "sleep", "?", "S"], [65534, "sleep", "?", "S"]]);
    expect(ps[0]!.stat).toBe("Ss");
    for (const p of ps) {
      expect(Math.abs(t0 - p.startedAt)).toBeLessThan(30_000);
      expect(p.vszKiB).toBeGreaterThan(0);
    }
    await running.stop(1);
  });

  it("User and WorkingDir: names from the image's /etc/passwd, a missing WORKDIR is created", async () => {
    const c = await container(alpine);
    c.config.WorkingDir = "/work/dir";
    const r = await run(c, ["sh", "-c", "id; pwd; echo $HOME"], { user: "nobody" });
    expect(r.stdout).toBe("uid=65534(nobody) gid=65534(nobody) groups=65534(nobody)\n/work/dir\n/\n");
    expect(containerChanges(c.fs).map((x) => `${x.kind} ${x.path}`)).toEqual(["A /work", "A /work/dir"]);
  });

  it("the kernel is the one built from the committed config", async () => {
    const c = await container(alpine);
    const r = await run(c, ["sh", "-c", "zcat /proc/config.gz"]);
    expect(r.code).toBe(0);
    const running = new Map(r.stdout.split("\n").filter((l) => /^(CONFIG_|# CONFIG_)/.test(l)).map((l) => {
      const m = /^# (CONFIG_\w+) is not set$/.exec(l);
      return m ? [m[1]!, "n"] : [l.split("=")[0]!, l.slice(l.indexOf("=") + 1)];
    }));
    const wanted = readFileSync("scripts/kernel/layerlab-i386.defconfig", "utf8").split("\n").filter(Boolean);
    expect(wanted.length).toBeGreaterThan(50);
    for (const line of wanted) {
      const m = /^# (CONFIG_\w+) is not set$/.exec(line);
      if (m) expect([undefined, "n"], line).toContain(running.get(m[1]!));
      else expect(running.get(line.split("=")[0]!), line).toBe(line.slice(line.indexOf("=") + 1));
    }
    const meta = JSON.parse(readFileSync("public/v86/kernel.json", "utf8")) as { config_sha256: string };
    const { createHash } = await import("node:crypto");
    expect(createHash("sha256").update(readFileSync("scripts/kernel/layerlab-i386.defconfig")).digest("hex")).toBe(meta.config_sha256);
    void gunzipSync;
  });
});
