/**
 * Debian for the network tests: a bookworm i386 image built by mmdebstrap from Debian's packages
 * (minbase, trimmed as Docker's -slim images are: no man pages, docs or locales, no apt lists), and a
 * flat apt repository of a few i386 packages (`apt-get download` + dpkg-scanpackages, with a Release
 * file) that a test serves on 127.0.0.1. Cached under test/fixtures/.cache by a key of this file.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FIXTURES_DIR } from "./fixtures.ts";

const CACHE = join(FIXTURES_DIR, ".cache");
/** Packages the repository holds: what the tests install, with what minbase lacks of their dependencies. */
export const REPO_PACKAGES = ["vim-tiny:i386", "vim-common", "tree:i386"];
/** One date for the image's files and history (mmdebstrap honours SOURCE_DATE_EPOCH). */
const EPOCH = 1767225600; // 2026-01-01

const run = (cmd: string, args: string[], cwd?: string, env?: NodeJS.ProcessEnv) =>
  execFileSync(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 }).toString();

export interface DebianFixture {
  /** OCI layout with the image tagged `debian-386`. */
  layout: string;
  tag: string;
  /** The flat repository's directory (Packages, Release, the .debs). */
  repo: string;
}

let building: Promise<DebianFixture> | undefined;

/** Builds (or reuses) the image and the repository: cold ≈ 1–2 minutes (mmdebstrap), warm: instant. */
export function debianFixture(): Promise<DebianFixture> {
  building ??= (async () => {
    const key = createHash("sha256").update(readFileSync(fileURLToPath(import.meta.url))).digest("hex").slice(0, 16);
    const root = join(CACHE, `debian-${key}`);
    const layout = join(root, "layout");
    const repo = join(root, "repo");
    const tag = "debian-386";
    if (existsSync(join(root, "done"))) return { layout, tag, repo };
    for (const tool of ["mmdebstrap", "umoci", "dpkg-scanpackages"]) {
      try {
        run("sh", ["-c", `command -v ${tool}`]);
      } catch {
        throw new Error(`${tool} is missing: run scripts/ci-deps.sh`);
      }
    }
    rmSync(root, { recursive: true, force: true });
    const work = join(root, "work");
    mkdirSync(work, { recursive: true });
    const tar = join(work, "rootfs.tar");
    run("mmdebstrap", [
      "--arch=i386", "--variant=minbase", "--quiet",
      ...["/usr/share/man/*", "/usr/share/doc/*", "/usr/share/locale/*", "/usr/share/info/*"].map((p) => `--dpkgopt=path-exclude=${p}`),
      "--dpkgopt=path-include=/usr/share/doc/*/copyright",
      '--aptopt=Acquire::Languages "none"',
      '--customize-hook=rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/*.log',
      "bookworm", tar,
    ], undefined, { SOURCE_DATE_EPOCH: String(EPOCH) });
    run("umoci", ["init", "--layout", layout]);
    run("umoci", ["new", "--image", `${layout}:${tag}`]);
    const bundle = join(work, "bundle");
    run("umoci", ["unpack", "--image", `${layout}:${tag}`, bundle]);
    run("tar", ["-xpf", tar, "--numeric-owner", "-C", join(bundle, "rootfs")]);
    run("umoci", ["repack", "--image", `${layout}:${tag}`, "--history.created_by", "/bin/sh -c #(nop) ADD file:mmdebstrap-bookworm-i386-minbase in / ", bundle]);
    const created = new Date(EPOCH * 1000).toISOString().replace(".000", "");
    run("umoci", ["config", "--image", `${layout}:${tag}`, "--architecture", "386", "--os", "linux", "--config.cmd", "bash", "--config.env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "--created", created, "--history.created_by", '/bin/sh -c #(nop)  CMD ["bash"]']);
    run("umoci", ["gc", "--layout", layout]);
    mkdirSync(repo, { recursive: true });
    run("apt-get", ["download", ...REPO_PACKAGES], repo);
    const packages = run("dpkg-scanpackages", ["--multiversion", "."], repo);
    writeFileSync(join(repo, "Packages"), packages);
    const sha = createHash("sha256").update(packages).digest("hex");
    // A flat repository's Release: apt reads the index's size and hash from it ([trusted=yes] skips the signature).
    writeFileSync(join(repo, "Release"), `Origin: layerlab-test\nLabel: layerlab-test\nDate: ${new Date(EPOCH * 1000).toUTCString()}\nSHA256:\n ${sha} ${Buffer.byteLength(packages)} Packages\n`);
    rmSync(work, { recursive: true, force: true });
    writeFileSync(join(root, "done"), new Date().toISOString());
    return { layout, tag, repo };
  })();
  building.catch(() => (building = undefined));
  return building;
}

/** The repository's .deb files. */
export function repoDebs(repo: string): string[] {
  return readdirSync(repo).filter((f) => f.endsWith(".deb"));
}

/** Serves a directory's files on 127.0.0.1 (GET and HEAD; what apt asks of a flat repository). */
export async function serveDirectory(dir: string): Promise<{ server: Server; port: number; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/+/, "");
    requests.push(`${req.method} /${name}`);
    const path = join(dir, name);
    if (name.includes("..") || !existsSync(path) || !statSync(path).isFile()) return void res.writeHead(404).end();
    const data = readFileSync(path);
    res.writeHead(200, { "Content-Length": String(data.length), "Content-Type": "application/octet-stream", "Last-Modified": new Date(EPOCH * 1000).toUTCString() });
    res.end(req.method === "HEAD" ? undefined : data);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, port: (server.address() as { port: number }).port, requests };
}
