/**
 * The demo images bundled with the lab (public/demos/: one OCI image layout, blobs shared), written by
 * the lab's own tar writer from Debian packages and the Alpine minirootfs, so lessons and offline demos
 * work with no registry at all. The page serves them as the read-only registry `layerlab.demo`
 * (src/registry/bundled.ts): `docker pull layerlab.demo/alpine:3.15`.
 *   busybox:latest   linux/386, Debian busybox-static:i386 (applets as symlinks) + /etc files: 2 layers
 *   alpine:3.15      linux/386, the official minirootfs (test/fixtures, from ../shared/images): 1 layer
 *   teaching:latest  busybox's 2 layers + 3 that add, modify, delete (whiteout) and replace a directory
 *                    (opaque), with a 1 MiB /app/big.bin for the storage-driver lesson: 5 layers
 *   wasi/hello, wasi/ls, wasi/fileops: wasi/wasm, from scripts/build-wasi-demos.ts: 2 layers each
 * Run: npx tsx scripts/build-demos.ts   (needs dpkg-deb/apt-get for busybox, clang for the wasi demos)
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import { TarWriter, type TarWriteEntry } from "../src/layer/tar-writer.ts";
import { buildWasiDemos } from "./build-wasi-demos.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "public", "demos");
const EPOCH = Date.UTC(2026, 0, 1) / 1000;
const CREATED = new Date(EPOCH * 1000).toISOString();
const text = (s: string) => new TextEncoder().encode(s);
const sha = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

type Entry = [TarWriteEntry, Uint8Array?];
const dir = (path: string, mode = 0o755): Entry => [{ path, type: "dir", mode }];
const file = (path: string, data: Uint8Array, mode = 0o644): Entry => [{ path, type: "file", mode, size: data.length }, data];
const symlink = (path: string, target: string): Entry => [{ path, type: "symlink", mode: 0o777, linkname: target }];

async function tar(entries: Entry[]): Promise<Uint8Array> {
  const w = new TarWriter();
  const bytes = new Response(w.readable).arrayBuffer();
  for (const [e, d] of entries) await w.add({ uid: 0, gid: 0, mtime: EPOCH, ...e }, d);
  w.close();
  return new Uint8Array(await bytes);
}

function put(b: Uint8Array): { digest: string; size: number } {
  const d = sha(b);
  writeFileSync(join(out, "blobs", "sha256", d.slice(7)), b);
  return { digest: d, size: b.length };
}

interface Layer {
  tar: Uint8Array;
  createdBy: string;
}

const manifests: object[] = [];

function image(ref: string, layers: Layer[], platform: { os: string; architecture: string }, config: Record<string, unknown>, extraHistory: string[] = []) {
  const descs = layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...put(gzipSync(l.tar, { level: 9 })) }));
  const cfg = {
    created: CREATED,
    ...platform,
    config,
    rootfs: { type: "layers", diff_ids: layers.map((l) => sha(l.tar)) },
    history: [...layers.map((l) => ({ created: CREATED, created_by: l.createdBy })), ...extraHistory.map((h) => ({ created: CREATED, created_by: h, empty_layer: true }))],
  };
  const c = put(text(JSON.stringify(cfg)));
  const m = put(text(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.image.config.v1+json", ...c }, layers: descs })));
  manifests.push({ mediaType: "application/vnd.oci.image.manifest.v1+json", ...m, platform, annotations: { "org.opencontainers.image.ref.name": ref } });
}

function busyboxBinary(work: string): { binary: Uint8Array; version: string } {
  execFileSync("apt-get", ["download", "busybox-static:i386"], { cwd: work, stdio: "ignore" });
  const deb = readdirSync(work).find((f) => f.startsWith("busybox-static_") && f.endsWith("_i386.deb"));
  if (!deb) throw new Error("apt-get download busybox-static:i386 failed (add the i386 architecture: dpkg --add-architecture i386)");
  execFileSync("dpkg-deb", ["-x", join(work, deb), join(work, "bb")]);
  return { binary: new Uint8Array(readFileSync(join(work, "bb", "bin", "busybox"))), version: execFileSync("dpkg-deb", ["-f", join(work, deb), "Version"], { encoding: "utf8" }).trim() };
}

async function main() {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, "blobs", "sha256"), { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "layerlab-demos-"));
  const PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  // busybox: the applet list from the host's busybox (same Debian version, runs here), binary i386.
  const { binary, version } = busyboxBinary(work);
  const applets = execFileSync("busybox", ["--list-full"], { encoding: "utf8" }).trim().split("\n").filter((a) => a && a !== "bin/busybox").sort();
  const dirs = new Set(["bin", "sbin", "usr", "usr/bin", "usr/sbin"]);
  const bbLayer: Layer = {
    createdBy: `/bin/sh -c #(nop) ADD file:busybox-static_${version}_i386 in / `,
    tar: await tar([...[...dirs].sort().map((d) => dir(d)), file("bin/busybox", binary, 0o755), ...applets.map((a) => symlink(a, "/bin/busybox"))]),
  };
  const etcLayer: Layer = {
    createdBy: "/bin/sh -c mkdir -p /etc /root /tmp /home /proc /sys /dev && echo root:x:0:0:… > /etc/passwd …",
    tar: await tar([
      dir("dev"), dir("etc"),
      file("etc/group", text("root:x:0:\nnogroup:x:65534:\nlearner:x:1000:\n")),
      file("etc/os-release", text(`NAME="Layerlab busybox"\nID=busybox\nVERSION_ID=${version}\nPRETTY_NAME="busybox (Debian busybox-static ${version}, i386)"\n`)),
      file("etc/passwd", text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nlearner:x:1000:1000:learner:/home/learner:/bin/sh\n")),
      dir("home"), dir("proc"), dir("root", 0o700), dir("sys"), dir("tmp", 0o1777),
    ]),
  };
  const bbConfig = { Env: [PATH], Cmd: ["sh"] };
  image("busybox:latest", [bbLayer, etcLayer], { os: "linux", architecture: "386" }, bbConfig, ['/bin/sh -c #(nop)  CMD ["sh"]']);

  // alpine 3.15: the minirootfs as its one layer.
  const alpineTar = new Uint8Array(gunzipSync(readFileSync(join(root, "test", "fixtures", "alpine-minirootfs-3.15.11-x86.tar.gz"))));
  image("alpine:3.15", [{ tar: alpineTar, createdBy: "/bin/sh -c #(nop) ADD file:alpine-minirootfs-3.15.11-x86.tar.gz in / " }], { os: "linux", architecture: "386" }, { Env: [PATH], Cmd: ["/bin/sh"] }, ['/bin/sh -c #(nop)  CMD ["/bin/sh"]']);

  // teaching: what each layer does is the lesson.
  const big = new Uint8Array(1 << 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 9)) & 0xff;
  const t1: Layer = {
    createdBy: "COPY app/ /app/   # README, settings, data/, a 1 MiB big.bin",
    tar: await tar([dir("app"), file("app/README.txt", text("Layer 1 wrote me. Layer 2 deletes me (a whiteout hides me).\n")), dir("app/config"), file("app/big.bin", big), file("app/config/settings.conf", text("color=blue\nlayer=1\n")), dir("app/data"), file("app/data/old-cache.txt", text("stale cache from layer 1\n"))]),
  };
  const t2: Layer = {
    createdBy: "RUN rm /app/README.txt && sed -i s/blue/green/ /app/config/settings.conf && echo '#!/bin/sh' > /app/hello.sh",
    tar: await tar([dir("app"), file("app/.wh.README.txt", new Uint8Array(0)), dir("app/config"), file("app/config/settings.conf", text("color=green\nlayer=2\n")), file("app/hello.sh", text("#!/bin/sh\necho \"hello from layer 2, settings: $(cat /app/config/settings.conf | tr '\\n' ' ')\"\n"), 0o755)]),
  };
  const t3: Layer = {
    createdBy: "RUN rm -rf /app/data && mkdir /app/data && echo fresh > /app/data/fresh.txt && echo notes > /app/notes.txt",
    tar: await tar([dir("app"), dir("app/data"), file("app/data/.wh..wh..opq", new Uint8Array(0)), file("app/data/fresh.txt", text("fresh data from layer 3 (the directory is opaque: layer 1's files are gone)\n")), file("app/notes.txt", text("Layer 3 added me.\n"))]),
  };
  image("teaching:latest", [bbLayer, etcLayer, t1, t2, t3], { os: "linux", architecture: "386" }, { Env: [PATH], Cmd: ["/app/hello.sh"], WorkingDir: "/app" }, ['CMD ["/app/hello.sh"]']);

  // wasi demos: built by their own script, then taken layer by layer into this layout.
  const wasi = join(work, "wasi");
  mkdirSync(wasi);
  await buildWasiDemos(wasi);
  const wasiIndex = JSON.parse(readFileSync(join(wasi, "index.json"), "utf8")) as { manifests: { digest: string; annotations: Record<string, string> }[] };
  for (const name of ["hello", "ls", "fileops"]) {
    const desc = wasiIndex.manifests.find((m) => m.annotations["org.opencontainers.image.ref.name"] === name)!;
    const blob = (d: string) => readFileSync(join(wasi, "blobs", "sha256", d.slice(7)));
    const m = JSON.parse(blob(desc.digest).toString()) as { config: { digest: string }; layers: { digest: string }[] };
    for (const d of [desc.digest, m.config.digest, ...m.layers.map((l) => l.digest)]) put(new Uint8Array(blob(d)));
    manifests.push({ ...desc, annotations: { "org.opencontainers.image.ref.name": `wasi/${name}:latest` } });
  }
  writeFileSync(join(out, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(join(out, "index.json"), JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests }, null, 2) + "\n");
  rmSync(work, { recursive: true, force: true });
  const bytes = readdirSync(join(out, "blobs", "sha256")).reduce((n, f) => n + readFileSync(join(out, "blobs", "sha256", f)).length, 0);
  console.log(`${manifests.length} demo images, ${(bytes / 1e6).toFixed(1)} MB of blobs → ${out}`);
  void cpSync;
  void existsSync;
}

await main();
