/**
 * Many learners pulling at once through one lab server: N concurrent pulls of the ~47 MB "big" image
 * (manifest, config, then the layers three at a time, as the lab and Docker fetch them), every byte
 * hashed and checked against its digest, through the proxy of `npm start` run as its own process
 * (server/main.ts) so that its memory can be watched alone: VmRSS sampled from /proc every 50 ms. The
 * same pulls straight from the registry are the peer for the time.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PushedImage } from "./fixtures.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface LabServerProcess {
  url: string;
  pid: number;
  log: string[];
  stop(): Promise<void>;
}

/** `npm start` (server/main.ts, in this one process: tsx as a loader, not its CLI's wrapper) on a free port, with request logging on; resolves once it listens. */
export async function startLabServerProcess(args: string[]): Promise<LabServerProcess> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", join(root, "server", "main.ts"), "--port", "0", ...args], {
    cwd: root,
    env: { ...process.env, LAYERLAB_LOG: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    let buf = "";
    const onData = (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split("\n");
      buf = lines.pop()!;
      for (const l of lines) {
        log.push(l);
        const m = /^Layerlab on (http:\/\/\S+?)\/? /.exec(l);
        if (m) resolve(m[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`the lab server exited (${code}) before listening:\n${log.join("\n")}${buf}`)));
  });
  return {
    url,
    pid: child.pid!,
    log,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5000).unref();
      }),
  };
}

/** Resident memory of a process in bytes (Linux /proc). */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

export interface LoadResult {
  pulls: number;
  bytes: number;
  seconds: number;
  /** Peak VmRSS of the watched process during the run, and before it began. */
  peakRss?: number;
  baseRss?: number;
  failures: string[];
}

const ACCEPT = [
  "application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

/** Fetches one blob, hashing as it streams; the body is never held whole. */
async function fetchBlob(base: string, repository: string, digest: string, expectedSize: number): Promise<number> {
  const r = await fetch(`${base}/v2/${repository}/blobs/${digest}`);
  if (!r.ok || !r.body) throw new Error(`GET blob ${digest.slice(7, 19)}: ${r.status}`);
  const hash = createHash("sha256");
  let n = 0;
  for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    n += chunk.length;
  }
  const got = `sha256:${hash.digest("hex")}`;
  if (got !== digest) throw new Error(`blob ${digest.slice(7, 19)}: digest mismatch (got ${got.slice(7, 19)})`);
  if (n !== expectedSize) throw new Error(`blob ${digest.slice(7, 19)}: ${n} bytes, expected ${expectedSize}`);
  return n;
}

/** One pull as the lab does it: manifest, config, layers three at a time; returns the bytes fetched. */
async function pullOnce(base: string, image: PushedImage): Promise<number> {
  const m = await fetch(`${base}/v2/${image.repository}/manifests/${image.tag}`, { headers: { accept: ACCEPT } });
  if (!m.ok) throw new Error(`GET manifest: ${m.status}`);
  const manifest = (await m.json()) as { config: { digest: string; size: number }; layers: { digest: string; size: number }[] };
  let bytes = await fetchBlob(base, image.repository, manifest.config.digest, manifest.config.size);
  const queue = [...manifest.layers];
  await Promise.all(
    [0, 1, 2].map(async () => {
      for (let l = queue.shift(); l; l = queue.shift()) {
        const n = await fetchBlob(base, image.repository, l.digest, l.size);
        bytes += n;
      }
    }),
  );
  return bytes;
}

/** `pulls` concurrent pulls from `base` (a registry's URL, or the proxy's /proxy/<host>); watches `pid`'s memory if given. */
export async function concurrentPulls(base: string, image: PushedImage, pulls: number, pid?: number): Promise<LoadResult> {
  const baseRss = pid ? rssOf(pid) : undefined;
  let peakRss = baseRss;
  const timer = pid
    ? setInterval(() => {
        try {
          peakRss = Math.max(peakRss ?? 0, rssOf(pid));
        } catch {
          // gone
        }
      }, 50)
    : undefined;
  const failures: string[] = [];
  let bytes = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: pulls }, async (_, i) => {
      try {
        const n = await pullOnce(base, image);
        bytes += n;
      } catch (e) {
        failures.push(`pull ${i}: ${(e as Error).message}`);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  if (timer) clearInterval(timer);
  return { pulls, bytes, seconds, peakRss, baseRss, failures };
}
