/**
 * The demo images bundled with the lab (public/demos/: one OCI image layout, blobs shared), written by
 * the lab's own tar writer from Debian packages, so lessons and offline demos work with no registry at
 * all. The page serves them as the read-only registry `layerlab.demo` (src/registry/bundled.ts):
 * `docker pull layerlab.demo/debian:bookworm`.
 *   busybox:latest   linux/386, Debian busybox-static:i386 (applets as symlinks) + /etc files: 2 layers
 *   debian:bookworm  linux/386, `mmdebstrap --arch=i386 --variant=minbase bookworm` (merged-usr hook)
 *                    from Debian's packages, trimmed as Docker's debian:bookworm-slim is (debuerreotype's
 *                    slim lists), repacked reproducibly (sorted, mtimes clamped to EPOCH): 1 layer
 *   teaching:latest  busybox's 2 layers + 3 that add, modify, delete (whiteout) and replace a directory
 *                    (opaque), with a 1 MiB /app/big.bin for the storage-driver lesson: 5 layers
 *   wasi/hello, wasi/ls, wasi/fileops: wasi/wasm, from scripts/build-wasi-demos.ts: 2 layers each
 *   mirror/          an offline Debian mirror for debian:bookworm (scripts/build-mirror.ts), signed by a
 *                    key made for the build and trusted by the image
 * Run: npx tsx scripts/build-demos.ts   (needs dpkg-deb/apt-get for busybox, mmdebstrap, arch-test, gpg,
 * xz and dpkg-scanpackages for debian and its mirror, clang for the wasi demos). The same Debian package
 * versions give the same digests, but for debian:bookworm's: its mirror key is new each build.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { TarStreamParser } from "../src/layer/tar.ts";
import { sortForLayer, TarWriter, type TarWriteEntry } from "../src/layer/tar-writer.ts";
import { buildWasiDemos } from "./build-wasi-demos.ts";
import { downloadHook, makeMirrorKey, MIRROR_KEY_PATH, writeMirror, type MirrorKey } from "./build-mirror.ts";

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
  comment?: string;
}

const manifests: object[] = [];

function image(ref: string, layers: Layer[], platform: { os: string; architecture: string }, config: Record<string, unknown>, extraHistory: string[] = []) {
  const descs = layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...put(gzipSync(l.tar, { level: 9 })) }));
  const cfg = {
    created: CREATED,
    ...platform,
    config,
    rootfs: { type: "layers", diff_ids: layers.map((l) => sha(l.tar)) },
    history: [...layers.map((l) => ({ created: CREATED, created_by: l.createdBy, ...(l.comment ? { comment: l.comment } : {}) })), ...extraHistory.map((h) => ({ created: CREATED, created_by: h, empty_layer: true }))],
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

// ---- debian:bookworm ------------------------------------------------------------------------------

const DEBIAN_SUITE = "bookworm";
/**
 * The merged-usr hook makes /bin, /sbin and /lib symlinks itself and installs usr-is-merged, as
 * debootstrap does for Docker's images; without it, bookworm's init-system-helpers pulls in usrmerge and
 * with it the whole of perl (~45 MB).
 */
const MMDEBSTRAP_ARGS = ["--arch=i386", "--variant=minbase", "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr", DEBIAN_SUITE];

/**
 * What Docker's debian:*-slim leaves out (debuerreotype's --slim lists): files below these globs go,
 * except those matching SLIM_INCLUDES; the same lines in /etc/dpkg/dpkg.cfg.d/docker keep later
 * `apt-get install`s slim.
 */
const SLIM_EXCLUDES = ["/usr/share/doc/*", "/usr/share/groff/*", "/usr/share/info/*", "/usr/share/linda/*", "/usr/share/lintian/overrides/*", "/usr/share/locale/*", "/usr/share/man/*"];
const SLIM_INCLUDES = [
  "/usr/share/doc/*/copyright",
  "/usr/share/doc/kde/HTML/C/*",
  "/usr/share/gnome/help/*/C/*",
  "/usr/share/locale/all_languages",
  "/usr/share/locale/currency/*",
  "/usr/share/locale/l10n/*",
  "/usr/share/locale/languages",
  "/usr/share/locale/locale.alias",
  "/usr/share/omf/*/*-C.emf",
];

/** What debuerreotype's tar step leaves out as well: device nodes, apt's lists and caches, logs, host files. */
const DROP_TREES = ["dev", "proc", "sys", "var/cache/apt", "var/lib/apt/lists"];
const DROP_FILES = new Set([
  "etc/hostname", // the build host's, copied in by mmdebstrap
  "etc/resolv.conf",
  "etc/apt/apt.conf.d/01autoremove-kernels",
  "run/motd.dynamic",
  "run/mount/utab",
  "var/cache/ldconfig/aux-cache",
  "var/log/alternatives.log",
  "var/log/apt/eipp.log.xz",
  "var/log/apt/history.log",
  "var/log/apt/term.log",
  "var/log/bootstrap.log",
  "var/log/dpkg.log",
]);

/** The config files Docker's debian image carries for containers (debuerreotype's minimizing config). */
const DEBIAN_CONFIG: [string, string, number][] = [
  [
    "etc/dpkg/dpkg.cfg.d/docker",
    [
      "# Layerlab's debian:bookworm is trimmed as Docker's debian:bookworm-slim is: documentation, man",
      "# pages and translations are left out, and these filters keep later package installs that way.",
      "",
      ...SLIM_EXCLUDES.map((g) => `path-exclude ${g}`),
      "",
      ...SLIM_INCLUDES.map((g) => `path-include ${g}`),
      "",
    ].join("\n"),
    0o644,
  ],
  ["etc/dpkg/dpkg.cfg.d/docker-apt-speedup", "# A container's package installs need not survive a power cut: skip dpkg's sync() calls.\nforce-unsafe-io\n", 0o644],
  ["etc/apt/apt.conf.d/docker-autoremove-suggests", "# Let autoremove take packages that only something else suggests (smaller images after a purge).\nApt::AutoRemove::SuggestsImportant \"false\";\n", 0o644],
  [
    "etc/apt/apt.conf.d/docker-clean",
    '# Every install would otherwise leave its .deb files and apt\'s binary caches in the layer.\nDPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\nAPT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n\nDir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n',
    0o644,
  ],
  ["etc/apt/apt.conf.d/docker-gzip-indexes", '# Keep the package lists compressed on disk: an `apt-get update` layer stays small.\nAcquire::GzipIndexes "true";\n', 0o644],
  ["etc/apt/apt.conf.d/docker-no-languages", '# No translated package descriptions: faster `apt-get update`, smaller layers.\nAcquire::Languages "none";\n', 0o644],
  ["usr/sbin/policy-rc.d", "#!/bin/sh\n\n# Packages installed in a container must not start their services: there is no init to run them.\n\nexit 101\n", 0o755],
];

interface RootEntry {
  e: TarWriteEntry;
  data?: Uint8Array;
}

/** A dpkg/find glob (no FNM_PATHNAME: `*` crosses slashes) as a regular expression. */
const globRe = (g: string) => new RegExp(`^${g.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);

/** The existing entry a path names once every symlink on the way is followed, or undefined (dangling). */
function follow(tree: Map<string, RootEntry>, path: string, hops = 0): string | undefined {
  const parts = path.split("/").filter((p) => p && p !== ".");
  const cur: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] === "..") {
      cur.pop();
      continue;
    }
    cur.push(parts[i]!);
    const node = tree.get(cur.join("/"));
    if (!node) return undefined;
    if (node.e.type === "symlink") {
      if (hops > 40) return undefined;
      const target = node.e.linkname!;
      const base = target.startsWith("/") ? target : [...cur.slice(0, -1), target].join("/");
      const rest = parts.slice(i + 1).join("/");
      return follow(tree, rest ? `${base}/${rest}` : base, hops + 1);
    }
  }
  return cur.join("/");
}

/** debuerreotype-slimify on a tree of entries: remove, then prune empty directories and dangling links. */
function slimify(tree: Map<string, RootEntry>): void {
  const includes = SLIM_INCLUDES.map(globRe);
  for (const exclude of SLIM_EXCLUDES) {
    const base = exclude.slice(1, exclude.lastIndexOf("/")) + "/";
    const under = () => [...tree.keys()].filter((p) => p.startsWith(base));
    for (const p of under()) {
      const t = tree.get(p)!.e.type;
      if (t !== "dir" && t !== "symlink" && !includes.some((re) => re.test(`/${p}`))) tree.delete(p);
    }
    for (let removed = true; removed; ) {
      removed = false;
      const paths = under();
      const parents = new Set(paths.map((p) => p.slice(0, p.lastIndexOf("/"))));
      for (const p of paths) {
        const { e } = tree.get(p)!;
        const empty = (e.type === "dir" && !parents.has(p)) || (e.type === "file" && !e.size);
        if (empty || (e.type === "symlink" && follow(tree, p) === undefined)) {
          tree.delete(p);
          removed = true;
        }
      }
    }
  }
}

/** Builds the Debian rootfs with mmdebstrap and repacks it as a reproducible, slim layer. */
async function debianLayer(work: string, key: MirrorKey): Promise<{ tar: Uint8Array; untrimmed: number; entries: number; createdBy: string; comment: string }> {
  let version: string;
  try {
    version = execFileSync("mmdebstrap", ["--version"], { encoding: "utf8" }).trim().replace(/^mmdebstrap /, "");
  } catch {
    throw new Error("mmdebstrap is missing: apt-get install mmdebstrap arch-test");
  }
  const raw = join(work, "debian.tar");
  // The offline mirror's packages are downloaded by the chroot's own apt (scripts/build-mirror.ts).
  execFileSync("mmdebstrap", ["--quiet", downloadHook(join(work, "mirror-debs")), ...MMDEBSTRAP_ARGS, raw], { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, SOURCE_DATE_EPOCH: String(EPOCH) } });
  const buf = new Uint8Array(readFileSync(raw));
  rmSync(raw);

  // Read every entry ("./etc/…" → "etc/…"); file bytes are views into the archive.
  const tree = new Map<string, RootEntry>();
  const norm = (p: string) => p.replace(/^\.(\/|$)/, "").replace(/^\/+/, "").replace(/\/+$/, "");
  const parser = new TarStreamParser((t) => {
    const path = norm(t.path);
    if (!path) return;
    const e: TarWriteEntry = { path, type: t.type, mode: t.mode, uid: t.uid, gid: t.gid, mtime: Math.min(Math.floor(t.mtime), EPOCH) };
    if (t.type === "symlink") e.linkname = t.linkname;
    if (t.type === "hardlink") e.linkname = norm(t.linkname ?? "");
    if (t.type === "char" || t.type === "block") Object.assign(e, { devmajor: t.devmajor, devminor: t.devminor });
    if (t.xattrs) e.xattrs = t.xattrs;
    if (t.type === "file") e.size = t.size;
    tree.set(path, { e, data: t.type === "file" ? buf.subarray(t.dataOffset, t.dataOffset + t.size) : undefined });
  });
  parser.push(buf);
  parser.end();
  const original = new Map(tree);

  for (const p of [...tree.keys()]) if (DROP_FILES.has(p) || DROP_TREES.some((d) => p.startsWith(`${d}/`))) tree.delete(p);
  slimify(tree);

  // /etc/shadow's "last changed" day is the build's: clamp it to EPOCH as debuerreotype does.
  const day = Math.floor(EPOCH / 86400);
  for (const p of ["etc/shadow", "etc/shadow-"]) {
    const node = tree.get(p);
    if (!node?.data) continue;
    const fixed = new TextDecoder().decode(node.data).replace(/^([^:\n]*:[^:\n]*:)(\d+)/gm, (m, head: string, d: string) => (Number(d) > day ? `${head}${day}` : m));
    node.data = text(fixed);
    node.e.size = node.data.length;
  }
  for (const [path, body, mode] of [...DEBIAN_CONFIG, [MIRROR_KEY_PATH, key.publicKey, 0o644] as const]) {
    if (!tree.has(path.slice(0, path.lastIndexOf("/")))) throw new Error(`debian: no directory for ${path}`);
    const data = text(body);
    tree.set(path, { e: { path, type: "file", mode, uid: 0, gid: 0, mtime: EPOCH, size: data.length }, data });
  }

  // Hard links: the first path of each link group in layer order carries the data, the others link to it.
  const linkTargets = new Set([...original.values()].filter((o) => o.e.type === "hardlink").map((o) => o.e.linkname!));
  const groupOf = (p: string): string | undefined => {
    const { e } = original.get(p)!;
    return e.type === "hardlink" ? e.linkname : linkTargets.has(p) ? p : undefined;
  };
  const first = new Map<string, string>();
  const w = new TarWriter();
  const bytes = new Response(w.readable).arrayBuffer();
  let entries = 0;
  for (const { e, data } of sortForLayer([...tree.values()].map((n) => ({ ...n, path: n.e.path })))) {
    entries++;
    const group = e.type === "file" || e.type === "hardlink" ? (original.has(e.path) ? groupOf(e.path) : undefined) : undefined;
    if (group !== undefined) {
      const head = first.get(group);
      if (head) {
        await w.add({ ...e, type: "hardlink", linkname: head, size: 0 });
        continue;
      }
      first.set(group, e.path);
      const src = original.get(group)!.data!;
      await w.add({ ...e, type: "file", linkname: undefined, size: src.length }, src);
      continue;
    }
    await w.add(e, data);
  }
  w.close();
  const tar = new Uint8Array(await bytes);
  return {
    tar,
    untrimmed: buf.length,
    entries,
    createdBy: `# mmdebstrap ${MMDEBSTRAP_ARGS.join(" ")} rootfs.tar '@${EPOCH}' (slim)`,
    comment: `mmdebstrap ${version}, slimmed as debian:${DEBIAN_SUITE}-slim`,
  };
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
    createdBy: "/bin/sh -c mkdir -p /etc /root /tmp /home /proc /sys /dev && echo root:x:0:0:… > /etc/passwd && echo 'Welcome to the Layerlab busybox image.' > /etc/motd …",
    tar: await tar([
      dir("dev"), dir("etc"),
      file("etc/group", text("root:x:0:\nnogroup:x:65534:\nlearner:x:1000:\n")),
      file("etc/motd", text("Welcome to the Layerlab busybox image.\n")),
      file("etc/os-release", text(`NAME="Layerlab busybox"\nID=busybox\nVERSION_ID=${version}\nPRETTY_NAME="busybox (Debian busybox-static ${version}, i386)"\n`)),
      file("etc/passwd", text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nlearner:x:1000:1000:learner:/home/learner:/bin/sh\n")),
      dir("home"), dir("proc"), dir("root", 0o700), dir("sys"), dir("tmp", 0o1777),
    ]),
  };
  const bbConfig = { Env: [PATH], Cmd: ["sh"] };
  image("busybox:latest", [bbLayer, etcLayer], { os: "linux", architecture: "386" }, bbConfig, ['/bin/sh -c #(nop)  CMD ["sh"]']);

  // debian bookworm: Debian's own packages, slim as Docker's debian:bookworm-slim.
  const t0 = performance.now();
  const key = makeMirrorKey();
  const debian = await debianLayer(work, key);
  const debianGz = gzipSync(debian.tar, { level: 9 });
  image("debian:bookworm", [{ tar: debian.tar, createdBy: debian.createdBy, comment: debian.comment }], { os: "linux", architecture: "386" }, { Env: [PATH], Cmd: ["bash"] }, ['/bin/sh -c #(nop)  CMD ["bash"]']);
  console.log(`debian:bookworm: ${debian.entries} entries, tar ${(debian.tar.length / 1e6).toFixed(1)} MB (untrimmed ${(debian.untrimmed / 1e6).toFixed(1)} MB), gzip ${(debianGz.length / 1e6).toFixed(1)} MB, diff ID ${sha(debian.tar)}, ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const mirror = writeMirror(join(work, "mirror-debs"), join(out, "mirror"), key);
  console.log(`offline mirror: ${mirror.packages} packages, ${mirror.files} files, ${(mirror.bytes / 1e6).toFixed(1)} MB`);

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
}

await main();
