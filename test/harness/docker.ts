/**
 * Real Docker as an oracle: Debian's `docker.io` 20.10 dockerd on a private socket under a temp dir
 * (vfs storage, no iptables, no bridge), talked to with /usr/bin/docker. As ../shared/README.md says:
 *
 *   dockerd --data-root D/data --exec-root D/exec -H unix://D/docker.sock --pidfile D/pid
 *     --storage-driver vfs --iptables=false --ip-masq=false --bridge=none --insecure-registry HOST …
 *
 * as root. Images come from a local registry (registry.ts, fixtures.ts) or `docker load`, never from
 * the internet. `stop()` signals only the PID dockerd wrote to D/pid (its own containerd goes with it)
 * and removes D. Call `requireDocker(ctx)` in each test (or a beforeEach): under CI=true a missing
 * dockerd fails the test naming it, elsewhere the test is skipped (shared.ts's rule).
 */
import { execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "vitest";
import { requireHostFile } from "./shared.ts";

export const DOCKERD = "/usr/sbin/dockerd";
/** Debian's client, not a newer one that may come first on PATH. */
export const DOCKER_CLI = "/usr/bin/docker";
const PACKAGE = "docker.io";

export interface DockerResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface TestDocker {
  /** The private directory (data-root, exec-root, socket, pidfile, client config). */
  dir: string;
  /** unix://D/docker.sock */
  host: string;
  /** The storage driver it runs with: overlay2 when asked for and the kernel lets us mount overlayfs here, else vfs. */
  storageDriver: "vfs" | "overlay2";
  /** dockerd's PID, as it wrote it to D/pid. */
  pid: number;
  /** From spawning dockerd until `docker version` answered. */
  startupMs: number;
  /** Runs /usr/bin/docker against this daemon; never throws for a non-zero exit. */
  run(args: readonly string[], opts?: { input?: string; env?: Record<string, string> }): Promise<DockerResult>;
  /** Like run, but throws (with stderr) unless the exit code is 0; returns stdout. */
  docker(...args: string[]): Promise<string>;
  /** Runs a shell line (`sh -c`, /usr/bin first on PATH) with this daemon as `docker`'s; never throws for a non-zero exit. */
  shell(line: string): Promise<DockerResult>;
  /** The last lines dockerd logged (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/** dockerd and the client are installed and we are root (dockerd needs it): else fail under CI, skip elsewhere. */
export function requireDocker(ctx: Pick<TestContext, "skip">): void {
  requireHostFile(ctx, DOCKERD, PACKAGE);
  requireHostFile(ctx, DOCKER_CLI, PACKAGE);
  if (process.getuid?.() !== 0) {
    const message = "dockerd needs root (run the tests as root)";
    if (process.env.CI === "true") throw new Error(message);
    ctx.skip(message);
  }
}

/** Whether startDocker can work here (for a beforeAll, which has no test to skip). */
export function haveDocker(): boolean {
  return existsSync(DOCKERD) && existsSync(DOCKER_CLI) && process.getuid?.() === 0;
}

function runDocker(dir: string, host: string, args: readonly string[], opts: { input?: string; env?: Record<string, string>; file?: string } = {}): Promise<DockerResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      opts.file ?? DOCKER_CLI,
      args,
      { env: { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? "/bin"}`, DOCKER_HOST: host, DOCKER_CONFIG: join(dir, "config"), DOCKER_CLI_HINTS: "false", ...opts.env }, maxBuffer: 1 << 26 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : -1) : 0;
        if (err && code === -1) reject(err);
        else resolve({ stdout, stderr, code });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether an overlayfs mount works under `dir` (a trial mount, unmounted at once). */
function overlayMounts(dir: string): boolean {
  const t = join(dir, "overlay-probe");
  for (const d of ["l", "u", "w", "m"]) mkdirSync(join(t, d), { recursive: true });
  try {
    execFileSync("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=${t}/l,upperdir=${t}/u,workdir=${t}/w`, `${t}/m`], { stdio: "ignore" });
    execFileSync("umount", [`${t}/m`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(t, { recursive: true, force: true });
  }
}

/** Starts a private dockerd; resolves once `docker version` answers (≈ a second here). */
/**
 * `bridge`: Docker's default bridge network (docker0, with docker-proxy for `-p`), for what only it
 * has — published ports. The interface is removed again at stop when this dockerd made it.
 */
export async function startDocker(opts: { insecureRegistries?: readonly string[]; timeoutMs?: number; storageDriver?: "vfs" | "overlay2"; bridge?: boolean } = {}): Promise<TestDocker> {
  const bridgeExisted = opts.bridge ? spawnSync("ip", ["link", "show", "docker0"], { stdio: "ignore" }).status === 0 : true;
  const dir = mkdtempSync(join(tmpdir(), "layerlab-docker-"));
  const storageDriver = opts.storageDriver === "overlay2" && overlayMounts(dir) ? "overlay2" : "vfs";
  const host = `unix://${join(dir, "docker.sock")}`;
  const pidfile = join(dir, "pid");
  const logPath = join(dir, "dockerd.log");
  const logFd = openSync(logPath, "a");
  const args = [
    "--data-root", join(dir, "data"),
    "--exec-root", join(dir, "exec"),
    "-H", host,
    "--pidfile", pidfile,
    "--storage-driver", storageDriver,
    "--iptables=false",
    "--ip-masq=false",
    ...(opts.bridge ? [] : ["--bridge=none"]),
    ...(opts.insecureRegistries ?? []).flatMap((r) => ["--insecure-registry", r]),
  ];
  const started = performance.now();
  const child = spawn(DOCKERD, args, { stdio: ["ignore", logFd, logFd] });
  closeSync(logFd);
  let exited: number | null = null;
  child.once("exit", (code) => (exited = code ?? -1));
  const log = (): string => {
    try {
      return readFileSync(logPath, "utf8").split("\n").slice(-30).join("\n");
    } catch {
      return "";
    }
  };
  const pidOf = (): number => {
    try {
      return Number(readFileSync(pidfile, "utf8").trim()) || 0;
    } catch {
      return 0;
    }
  };
  const stopPid = async (pid: number): Promise<void> => {
    if (!pid || !alive(pid)) return;
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + 20_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (alive(pid)) process.kill(pid, "SIGKILL");
    while (alive(pid)) await new Promise((r) => setTimeout(r, 50));
  };
  const cleanup = async (): Promise<void> => {
    // Only the PID dockerd wrote (the child we spawned is that same process).
    await stopPid(pidOf() || (exited === null ? child.pid ?? 0 : 0));
    // dockerd can leave mounts under its directories (exec/netns/default after a --network host run).
    const mounts = readFileSync("/proc/self/mounts", "utf8").split("\n").map((l) => l.split(" ")[1] ?? "").filter((m) => m.startsWith(`${dir}/`));
    for (const m of mounts.reverse()) spawnSync("umount", ["-l", m]);
    if (!bridgeExisted) spawnSync("ip", ["link", "delete", "docker0"], { stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (exited !== null) {
      const text = log();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`dockerd exited (${exited}) before answering:\n${text}`);
    }
    const r = await runDocker(dir, host, ["version", "--format", "{{.Server.Version}}"]).catch(() => undefined);
    if (r?.code === 0 && r.stdout.trim() && pidOf()) break;
    if (Date.now() > deadline) {
      const text = log();
      await cleanup();
      throw new Error(`dockerd did not answer within ${opts.timeoutMs ?? 60_000} ms:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const startupMs = performance.now() - started;
  const pid = pidOf();
  return {
    dir,
    host,
    pid,
    storageDriver,
    startupMs,
    run: (a, o) => runDocker(dir, host, a, o),
    shell: (line) => runDocker(dir, host, ["-c", line], { file: "/bin/sh" }),
    async docker(...a) {
      const r = await runDocker(dir, host, a);
      if (r.code !== 0) throw new Error(`docker ${a.join(" ")} exited ${r.code}: ${r.stderr.trim()}`);
      return r.stdout;
    },
    log,
    stop: cleanup,
  };
}
