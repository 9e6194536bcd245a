/**
 * Crash consistency: Chromium is killed (SIGKILL: no unload, no goodbye) at random moments during a
 * pull, a commit, a push, a build, a load and a running container's writes — five moments each, thirty
 * in all. The same profile is opened again: `lab fsck` must find the store whole, or `--repair` must
 * make it whole; nothing that had completed before the operation may be lost; and the interrupted
 * operation, run again, must succeed. The moments are drawn (seeded) across each operation's own
 * duration, measured once uninterrupted in the same run.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLabServer, type LabServer } from "../../proxy/node.ts";
import { launchLab, type LabDriver } from "../harness/browser.ts";
import { rng } from "../fuzz/engine.ts";
import { startRegistry, type TestRegistry } from "../harness/registry.ts";

const MOMENTS_PER_OPERATION = 5;
const profile = mkdtempSync(join(tmpdir(), "layerlab-crash-profile-"));
const context = mkdtempSync(join(tmpdir(), "layerlab-crash-build-"));
let server: LabServer;
let reg: TestRegistry;
let lab: LabDriver;
const log: string[] = [];

async function open(): Promise<void> {
  lab = await launchLab({ serverUrl: server.url, profileDir: profile });
}

/** SIGKILL to every Chromium process of the profile: what a crash or a killed tab leaves. */
function chromiumPids(): number[] {
  try {
    return execFileSync("pgrep", ["-f", "--", `user-data-dir=${profile}`], { encoding: "utf8" }).trim().split("\n").filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

async function crash(): Promise<void> {
  const pids = chromiumPids();
  expect(pids.length).toBeGreaterThan(0);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await lab.close();
  // Chromium's profile lock goes with its processes.
  for (let i = 0; i < 50 && chromiumPids().length; i++) await new Promise((r) => setTimeout(r, 100));
}

async function ok(line: string): Promise<string> {
  const r = await lab.exec(line);
  if (r.code !== 0) throw new Error(`${line} → ${r.code}\n${r.output}`);
  return r.output;
}

/** What had completed: image IDs and container IDs. */
async function inventory(): Promise<{ images: string[]; containers: string[] }> {
  const images = (await ok("docker images -a -q --no-trunc")).split("\n").filter(Boolean).sort();
  const containers = (await ok("docker ps -a -q --no-trunc")).split("\n").filter(Boolean).sort();
  return { images, containers };
}

interface Operation {
  name: string;
  /** Puts the store where the operation starts from (after any earlier round). */
  prepare(): Promise<void>;
  line: string;
}

const OPERATIONS: Operation[] = [
  {
    name: "pull",
    prepare: async () => void (await lab.exec("docker rmi -f layerlab.demo/debian:bookworm")),
    line: "docker pull -q layerlab.demo/debian:bookworm",
  },
  {
    name: "commit",
    prepare: async () => {
      await lab.exec("docker rmi -f crash/commit:1");
      if ((await lab.exec("docker inspect cw")).code !== 0) await ok("docker run --name cw layerlab.demo/busybox sh -c 'head -c 6000000 /dev/urandom > /big && echo x > /small'");
    },
    line: "docker commit -m crash cw crash/commit:1",
  },
  {
    name: "push",
    prepare: async () => {
      if ((await lab.exec("docker inspect crash/commit:1")).code !== 0) await ok("docker commit cw crash/commit:1");
      await ok(`docker tag crash/commit:1 ${reg.host}/crash/commit:1`);
    },
    get line() {
      return `docker push ${reg.host}/crash/commit:1`;
    },
  },
  {
    name: "build",
    prepare: async () => {
      await lab.exec("docker rmi -f crash/build:1");
      await lab.workIn(context);
    },
    line: `cd ~/${context.split("/").pop()} && DOCKER_BUILDKIT=0 docker build -q -t crash/build:1 .`,
  },
  {
    name: "load",
    prepare: async () => {
      if ((await lab.exec("test -f ~/teaching.tar")).code !== 0) await ok("docker pull -q layerlab.demo/teaching && docker save -o ~/teaching.tar layerlab.demo/teaching");
      await lab.exec("docker rmi -f layerlab.demo/teaching");
    },
    line: "docker load -q -i ~/teaching.tar",
  },
  {
    name: "container writes",
    prepare: async () => void (await lab.exec("docker rm -f wr")),
    line: "docker run --name wr layerlab.demo/busybox sh -c 'for i in $(seq 12); do head -c 100000 /dev/urandom > /f$i; done; echo done'",
  },
];

beforeAll(async () => {
  reg = await startRegistry("none");
  server = await startLabServer({ port: 0, allowRegistries: reg.allowHosts });
  mkdirSync(context, { recursive: true });
  writeFileSync(join(context, "Dockerfile"), "FROM layerlab.demo/busybox\nRUN head -c 1000000 /dev/urandom > /r1\nRUN head -c 1000000 /dev/urandom > /r2\nCMD [\"cat\", \"/r1\"]\n");
  await open();
  await ok("docker pull -q layerlab.demo/busybox");
}, 180_000);

afterAll(async () => {
  await lab?.close();
  await server?.close();
  await reg?.stop();
  console.info(log.join("\n"));
  rmSync(profile, { recursive: true, force: true });
  rmSync(context, { recursive: true, force: true });
});

describe("killed mid-write", () => {
  for (const [i, op] of OPERATIONS.entries()) {
    it(`${op.name}: ${MOMENTS_PER_OPERATION} kills, each followed by lab fsck, nothing completed lost, and the operation run again`, async () => {
      // Its own duration, uninterrupted, sets the window the kills are drawn from.
      await op.prepare();
      const t0 = performance.now();
      await ok(op.line);
      const duration = performance.now() - t0;
      const rand = rng(1000 + i);
      for (let k = 0; k < MOMENTS_PER_OPERATION; k++) {
        await op.prepare();
        const before = await inventory();
        const at = Math.round(rand() * duration);
        // Started, not awaited: the kill lands while it runs.
        void lab.page.evaluate((l) => window.layerlab!.exec(l), op.line).catch(() => {});
        await new Promise((r) => setTimeout(r, at));
        await crash();
        await open();
        const check = await lab.exec("lab fsck");
        let repaired = "";
        if (check.code !== 0) {
          const fix = await lab.exec("lab fsck --repair");
          expect(fix.code, `${op.name} killed at ${at} ms:\n${check.output}\n${fix.output}`).toBe(0);
          repaired = check.output.split("\n").filter((l) => l && !l.startsWith("checked") && !/problems?:/.test(l)).join("; ");
        }
        log.push(`${op.name} killed at ${at} of ${Math.round(duration)} ms: ${repaired ? `repaired (${repaired})` : "whole"}`);
        const after = await inventory();
        for (const id of before.images) expect(after.images, `${op.name} at ${at} ms lost image ${id}`).toContain(id);
        for (const id of before.containers) expect(after.containers, `${op.name} at ${at} ms lost container ${id}`).toContain(id);
        // The operation again, to the end: it succeeds (resuming what it can).
        await op.prepare();
        await ok(op.line);
        expect((await lab.exec("lab fsck --quick")).code).toBe(0);
      }
    }, 600_000);
  }
});
