/**
 * Real images for tests and benchmarks, built with umoci into OCI layouts and pushed with skopeo:
 * busybox (linux/386 and linux/amd64) from Debian's busybox-static packages in three layers (the third
 * deletes a file of the second: a whiteout), alpine 3.15 (linux/386) from the official minirootfs
 * (read in place from ../shared/images, see shared.ts),
 * and a ~50 MB multi-layer "big" image for the pull benchmark. Cached by a key of their inputs.
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MANIFEST_ACCEPT, MediaType } from "../../src/oci/mediatypes.ts";
import { RegistryClient } from "../../src/registry/client.ts";
import type { TestRegistry } from "./registry.ts";
import { ALPINE_MINIROOTFS, requireSharedImage } from "./shared.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES_DIR = join(here, "..", "fixtures");
const CACHE = join(FIXTURES_DIR, ".cache");
const RECIPE_VERSION = "4";

/**
 * Asynchronous on purpose for anything that talks to a registry: the token server runs in this same
 * process, and a synchronous child would block the event loop it needs to answer skopeo.
 */
export const runAsync = async (cmd: string, args: string[]) => (await promisify(execFile)(cmd, args, { maxBuffer: 1 << 26 })).stdout;
const run = (cmd: string, args: string[], cwd?: string) => execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 }).toString();

export interface Fixtures {
  /** OCI layout directory holding every image, one tag each. */
  layout: string;
  tags: { busybox386: string; busyboxAmd64: string; alpine386: string; big: string };
}

function debPath(arch: "i386" | "amd64"): string {
  const dir = join(CACHE, "debs");
  mkdirSync(dir, { recursive: true });
  const found = readdirSync(dir).find((f) => f.startsWith("busybox-static_") && f.endsWith(`_${arch}.deb`));
  if (found) return join(dir, found);
  try {
    run("apt-get", ["download", `busybox-static:${arch}`], dir);
  } catch (e) {
    throw new Error(`cannot download busybox-static:${arch} (run scripts/ci-deps.sh: it adds the i386 architecture): ${(e as Error).message}`);
  }
  return debPath(arch);
}

export function extractBusybox(arch: "i386" | "amd64", into: string): string {
  const dir = join(into, `deb-${arch}`);
  run("dpkg-deb", ["-x", debPath(arch), dir]);
  return join(dir, "bin", "busybox");
}

/** Deterministic bytes: half pseudo-random, half text, so gzip compresses about 2:1 like real layers. */
function fillerBytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash("sha256").update(`seed-${seed}`).digest();
  for (let i = 0; i < size; i += 64 * 1024) {
    const end = Math.min(size, i + 64 * 1024);
    if ((i / (64 * 1024)) % 2 === 0) {
      for (let j = i; j < end; j += 32) {
        block = createHash("sha256").update(block).digest();
        block.copy(out, j, 0, Math.min(32, end - j));
      }
    } else {
      out.write(`line ${i} of layer ${seed}: the quick brown fox jumps over the lazy dog\n`.repeat(1200).slice(0, end - i), i);
    }
  }
  return out;
}

function umociImage(layout: string, tag: string, work: string, steps: { createdBy: string; apply: (rootfs: string) => void }[], config: string[]): void {
  const bundle = join(work, `bundle-${tag}`);
  run("umoci", ["new", "--image", `${layout}:${tag}`]);
  for (const step of steps) {
    rmSync(bundle, { recursive: true, force: true });
    run("umoci", ["unpack", "--image", `${layout}:${tag}`, bundle]);
    step.apply(join(bundle, "rootfs"));
    run("umoci", ["repack", "--image", `${layout}:${tag}`, "--history.created_by", step.createdBy, bundle]);
  }
  run("umoci", ["config", "--image", `${layout}:${tag}`, ...config]);
  rmSync(bundle, { recursive: true, force: true });
}

function busyboxSteps(busybox: string, applets: string[], variant: string) {
  return [
    {
      createdBy: `/bin/sh -c #(nop) ADD file:busybox-static-${variant} in / `,
      apply: (root: string) => {
        for (const d of ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "root", "tmp", "home", "var/log", "proc", "sys", "dev"]) mkdirSync(join(root, d), { recursive: true });
        writeFileSync(join(root, "bin", "busybox"), readFileSync(busybox), { mode: 0o755 });
        for (const a of applets) {
          const p = join(root, a);
          if (a === "bin/busybox" || existsSync(p)) continue;
          mkdirSync(dirname(p), { recursive: true });
          symlinkSync("/bin/busybox", p);
        }
        writeFileSync(join(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nlearner:x:1000:1000:learner:/home/learner:/bin/sh\n");
        writeFileSync(join(root, "etc", "group"), "root:x:0:\nnogroup:x:65534:\nlearner:x:1000:\n");
        writeFileSync(join(root, "etc", "os-release"), `NAME="Layerlab busybox"\nID=busybox\nVERSION_ID=1.35.0\nPRETTY_NAME="busybox 1.35.0 (Debian busybox-static, ${variant})"\n`);
      },
    },
    {
      createdBy: "/bin/sh -c echo 'Welcome to Layerlab' > /etc/motd && mkdir -p /home/learner && echo notes > /home/learner/notes.txt && echo scratch > /tmp/scratch.txt",
      apply: (root: string) => {
        writeFileSync(join(root, "etc", "motd"), "Welcome to Layerlab\n");
        mkdirSync(join(root, "home", "learner"), { recursive: true });
        writeFileSync(join(root, "home", "learner", "notes.txt"), "notes\n");
        writeFileSync(join(root, "tmp", "scratch.txt"), "scratch\n");
      },
    },
    {
      createdBy: "/bin/sh -c rm /tmp/scratch.txt && echo 'Layers all the way down' >> /etc/motd",
      apply: (root: string) => {
        rmSync(join(root, "tmp", "scratch.txt"));
        writeFileSync(join(root, "etc", "motd"), "Welcome to Layerlab\nLayers all the way down\n");
      },
    },
  ];
}

let building: Promise<Fixtures> | undefined;

/** Builds (or reuses) the fixture images. Cold ≈ tens of seconds; warm: instant. */
export function buildFixtures(): Promise<Fixtures> {
  building ??= (async () => {
    const recipe = readFileSync(fileURLToPath(import.meta.url));
    const alpineRootfs = requireSharedImage(ALPINE_MINIROOTFS);
    const key = createHash("sha256").update(RECIPE_VERSION).update(recipe).update(readFileSync(alpineRootfs)).digest("hex").slice(0, 16);
    const root = join(CACHE, `images-${key}`);
    const layout = join(root, "layout");
    const tags = { busybox386: "busybox-386", busyboxAmd64: "busybox-amd64", alpine386: "alpine-386", big: "big" };
    if (existsSync(join(root, "done"))) return { layout, tags };
    rmSync(root, { recursive: true, force: true });
    const work = join(root, "work");
    mkdirSync(work, { recursive: true });
    run("umoci", ["init", "--layout", layout]);
    const bb386 = extractBusybox("i386", work);
    const bbAmd64 = extractBusybox("amd64", work);
    const applets = run(bbAmd64, ["--list-full"]).trim().split("\n").filter(Boolean);
    const created = "2026-01-01T00:00:00Z";
    const bbConfig = (arch: string) => ["--architecture", arch, "--os", "linux", "--config.cmd", "sh", "--config.env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "--created", created, "--history.created_by", '/bin/sh -c #(nop)  CMD ["sh"]'];
    umociImage(layout, tags.busybox386, work, busyboxSteps(bb386, applets, "i386"), bbConfig("386"));
    umociImage(layout, tags.busyboxAmd64, work, busyboxSteps(bbAmd64, applets, "amd64"), bbConfig("amd64"));
    const alpineStep = {
      createdBy: "/bin/sh -c #(nop) ADD file:alpine-minirootfs-3.15.11-x86.tar.gz in / ",
      apply: (rootfs: string) => void run("tar", ["-xzf", alpineRootfs, "-C", rootfs]),
    };
    umociImage(layout, tags.alpine386, work, [alpineStep], ["--architecture", "386", "--os", "linux", "--config.cmd", "/bin/sh", "--config.env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "--created", created, "--history.created_by", '/bin/sh -c #(nop)  CMD ["/bin/sh"]']);
    const bigSteps = [alpineStep, ...[1, 2, 3, 4].map((n) => ({
      createdBy: `/bin/sh -c generate-data ${n}`,
      apply: (rootfs: string) => {
        const dir = join(rootfs, "data", `set${n}`);
        mkdirSync(dir, { recursive: true });
        for (let f = 0; f < 8; f++) writeFileSync(join(dir, `file${f}.bin`), fillerBytes(2_600_000 + f * 1000, n * 100 + f));
        for (let f = 0; f < 200; f++) writeFileSync(join(dir, `small${f}.txt`), `small file ${f} of set ${n}\n`.repeat(20));
      },
    }))];
    umociImage(layout, tags.big, work, bigSteps, ["--architecture", "386", "--os", "linux", "--config.cmd", "/bin/sh", "--created", created]);
    rmSync(work, { recursive: true, force: true });
    run("umoci", ["gc", "--layout", layout]);
    writeFileSync(join(root, "done"), new Date().toISOString());
    return { layout, tags };
  })();
  return building;
}

export interface PushedImage {
  /** "lab/busybox:oci" (repository:tag without the registry). */
  name: string;
  repository: string;
  tag: string;
  /** What skopeo reports: manifest digest, config digest, layer digests and sizes, diff IDs. */
  digest: string;
  mediaType: string;
  layers: { digest: string; size: number; mediaType: string }[];
  diffIds: string[];
  configDigest: string;
}

export interface PushedFixtures {
  busyboxOci: PushedImage;
  busyboxV2: PushedImage;
  busyboxAmd64Oci: PushedImage;
  alpine: PushedImage;
  big: PushedImage;
  /** busybox 386 with zstd-compressed layers (application/vnd.oci.image.layer.v1.tar+zstd). */
  busyboxZstd: PushedImage;
  /** OCI index over busybox 386 + amd64 (OCI manifests). */
  multiOci: { name: string; digest: string };
  /** Docker manifest list over busybox 386 + amd64 (Docker v2 manifests). */
  multiDocker: { name: string; digest: string };
}

export function skopeoCreds(reg: TestRegistry, flag: "--dest-creds" | "--creds"): string[] {
  return reg.username ? [flag, `${reg.username}:${reg.password}`] : [];
}

export async function skopeoInspect(reg: TestRegistry, name: string): Promise<PushedImage> {
  const ref = `docker://${reg.host}/${name}`;
  const creds = skopeoCreds(reg, "--creds");
  const raw = await runAsync("skopeo", ["inspect", "--raw", "--tls-verify=false", ...creds, ref]);
  const manifest = JSON.parse(raw) as { mediaType?: string; config: { digest: string }; layers: { digest: string; size: number; mediaType: string }[] };
  const config = JSON.parse(await runAsync("skopeo", ["inspect", "--config", "--raw", "--tls-verify=false", ...creds, ref])) as { rootfs: { diff_ids: string[] } };
  const [repository, tag] = name.split(":") as [string, string];
  return {
    name,
    repository,
    tag,
    digest: `sha256:${createHash("sha256").update(raw).digest("hex")}`,
    mediaType: manifest.mediaType ?? MediaType.ociManifest,
    layers: manifest.layers,
    diffIds: config.rootfs.diff_ids,
    configDigest: manifest.config.digest,
  };
}

export async function putIndex(reg: TestRegistry, repository: string, tag: string, mediaType: string, entries: { digest: string; size: number; mediaType: string; arch: string; os?: string }[]): Promise<string> {
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType,
    manifests: entries.map((e) => ({ mediaType: e.mediaType, digest: e.digest, size: e.size, platform: { architecture: e.arch, os: e.os ?? "linux" } })),
  });
  const client = new RegistryClient({
    endpoint: (h) => `http://${h}`,
    credentials: { get: () => (reg.username ? { username: reg.username, password: reg.password! } : undefined) },
  });
  const res = await client.request({ registry: reg.host, repository }, `/v2/${repository}/manifests/${tag}`, {
    method: "PUT",
    headers: { "Content-Type": mediaType, Accept: MANIFEST_ACCEPT },
    body,
    actions: ["pull", "push"],
  });
  await res.body?.cancel();
  return `sha256:${createHash("sha256").update(body).digest("hex")}`;
}

/** Pushes the fixtures in OCI and Docker v2 media types, plus an OCI index and a Docker manifest list. */
export async function pushFixtures(reg: TestRegistry): Promise<PushedFixtures> {
  const fx = await buildFixtures();
  const creds = skopeoCreds(reg, "--dest-creds");
  const push = async (tag: string, name: string, format?: "v2s2" | "zstd") => {
    const how = format === "v2s2" ? ["--format", "v2s2"] : format === "zstd" ? ["--dest-compress-format", "zstd"] : [];
    await runAsync("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", ...creds, ...how, `oci:${fx.layout}:${tag}`, `docker://${reg.host}/${name}`]);
    return skopeoInspect(reg, name);
  };
  // First, into its own repository: skopeo would otherwise reuse the gzip blobs it already pushed for
  // the same diff IDs instead of compressing with zstd.
  const busyboxZstd = await push(fx.tags.busybox386, "lab/busybox-zstd:latest", "zstd");
  const busyboxOci = await push(fx.tags.busybox386, "lab/busybox:oci");
  const busyboxV2 = await push(fx.tags.busybox386, "lab/busybox:v2", "v2s2");
  const busyboxAmd64Oci = await push(fx.tags.busyboxAmd64, "lab/busybox:amd64-oci");
  const busyboxAmd64V2 = await push(fx.tags.busyboxAmd64, "lab/busybox:amd64-v2", "v2s2");
  const alpine = await push(fx.tags.alpine386, "lab/alpine:3.15", "v2s2");
  const big = await push(fx.tags.big, "lab/big:latest");
  const size = async (name: string) => Buffer.byteLength(await runAsync("skopeo", ["inspect", "--raw", "--tls-verify=false", ...skopeoCreds(reg, "--creds"), `docker://${reg.host}/${name}`]));
  const multiOciDigest = await putIndex(reg, "lab/busybox", "multi", MediaType.ociIndex, [
    { digest: busyboxOci.digest, size: await size(busyboxOci.name), mediaType: MediaType.ociManifest, arch: "386" },
    { digest: busyboxAmd64Oci.digest, size: await size(busyboxAmd64Oci.name), mediaType: MediaType.ociManifest, arch: "amd64" },
  ]);
  const multiDockerDigest = await putIndex(reg, "lab/busybox", "list", MediaType.dockerManifestList, [
    { digest: busyboxV2.digest, size: await size(busyboxV2.name), mediaType: MediaType.dockerManifest, arch: "386" },
    { digest: busyboxAmd64V2.digest, size: await size(busyboxAmd64V2.name), mediaType: MediaType.dockerManifest, arch: "amd64" },
  ]);
  return {
    busyboxOci,
    busyboxV2,
    busyboxAmd64Oci,
    busyboxZstd,
    alpine,
    big,
    multiOci: { name: "lab/busybox:multi", digest: multiOciDigest },
    multiDocker: { name: "lab/busybox:list", digest: multiDockerDigest },
  };
}


/** Where the Docker-oracle tests' images are, in an anonymous test registry. */
export interface OracleImages {
  /** busybox 386 as a Docker v2 manifest and as an OCI manifest. */
  busyboxV2: string;
  busyboxOci: string;
  /** busybox with a config of everything: labels (with `<&>`), ports, env, a volume, entrypoint + cmd, user, workdir, author, a history comment, a fixed creation time. */
  rich: string;
  richLatest: string;
}

/**
 * Pushes the oracle images (for tests that compare the lab with real Docker on the same images) to
 * `reg`; `work` is a scratch directory for the layouts.
 */
export async function pushOracleImages(reg: TestRegistry, work: string): Promise<OracleImages> {
  const fx = await buildFixtures();
  const copy = (from: string, to: string, ...flags: string[]) => runAsync("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", ...flags, from, to]);
  const base = `oci:${fx.layout}:${fx.tags.busybox386}`;
  const images: OracleImages = {
    busyboxV2: `${reg.host}/lab/busybox:v2`,
    busyboxOci: `${reg.host}/lab/busybox:oci`,
    rich: `${reg.host}/lab/rich:1.0`,
    richLatest: `${reg.host}/lab/rich:latest`,
  };
  await copy(base, `docker://${images.busyboxV2}`, "--format", "v2s2");
  await copy(base, `docker://${images.busyboxOci}`);
  await copy(base, `oci:${work}/rich:base`);
  const created = "2025-06-01T12:00:00Z";
  await runAsync("umoci", [
    "config", "--image", `${work}/rich:base`, "--tag", "rich",
    "--config.label", "a.label=one <&>", "--config.label", "org.example.title=Rich image", "--config.label", "empty=",
    "--config.exposedports", "8080/tcp", "--config.exposedports", "53/udp",
    "--config.env", "GREETING=hello world", "--config.env", "EMPTY=",
    "--config.volume", "/data", "--config.workingdir", "/home/learner", "--config.user", "learner",
    "--config.entrypoint", "/bin/sh", "--config.entrypoint", "-c", "--config.cmd", "echo hi",
    "--author", "Layerlab <lab@example.invalid>", "--created", created,
    "--history.created", created, "--history.created_by", "/bin/sh -c #(nop)  LABEL a.label=one <&> org.example.title=Rich\timage",
    "--history.comment", "configured by umoci", "--history.author", "Layerlab",
  ]);
  await copy(`oci:${work}/rich:rich`, `docker://${images.rich}`, "--format", "v2s2");
  await copy(`oci:${work}/rich:rich`, `docker://${images.richLatest}`, "--format", "v2s2");
  return images;
}
