/**
 * The WASI demo images, built from source: small C programs (scripts/wasi/*.c) compiled to
 * wasm32-wasi with Debian's clang, lld and wasi-libc, packed as real multi-layer `wasi/wasm` OCI
 * images by the lab's own tar writer, into an OCI layout:
 *   layer 0 "data": /etc/motd and files under /data for the programs to list, change and delete;
 *   layer 1 "programs": /bin/*.wasm (plus /bin/not-wasm.wasm, a text file, for the bad-input tests).
 * Images (one tag each, all sharing both layers): hello, ls, fileops, trap, spin, mystery.
 *   Run: npx tsx scripts/build-wasi-demos.ts OUT_DIR
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { TarWriter, type TarWriteEntry } from "../src/layer/tar-writer.ts";

const here = dirname(fileURLToPath(import.meta.url));
const SOURCES = join(here, "wasi");
/** A fixed time for every entry and config: the same sources give the same digests. */
const EPOCH = Date.UTC(2026, 0, 1) / 1000;
const CREATED = new Date(EPOCH * 1000).toISOString();

export const WASI_DEMOS = ["hello", "ls", "fileops", "trap", "spin", "mystery"] as const;

/** What a build depends on (the harness caches by it). */
export function wasiDemoSourceKey(): string {
  const h = createHash("sha256").update(readFileSync(fileURLToPath(import.meta.url)));
  for (const f of readdirSync(SOURCES).sort()) h.update(f).update(readFileSync(join(SOURCES, f)));
  return h.digest("hex").slice(0, 16);
}

function compile(name: string, out: string): Uint8Array {
  const wasm = join(out, `${name}.wasm`);
  try {
    execFileSync("clang", ["--target=wasm32-wasi", "-O2", "-Wl,--strip-all", "-o", wasm, join(SOURCES, `${name}.c`)], { stdio: "pipe" });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`clang --target=wasm32-wasi failed for ${name}.c (Debian packages: clang lld wasi-libc libclang-rt-14-dev-wasm32): ${err.stderr?.toString() || err.message}`);
  }
  return new Uint8Array(readFileSync(wasm));
}

async function layerTar(entries: [TarWriteEntry, Uint8Array?][]): Promise<Uint8Array> {
  const w = new TarWriter();
  const bytes = new Response(w.readable).arrayBuffer();
  for (const [e, d] of entries) await w.add({ uid: 0, gid: 0, mtime: EPOCH, ...e }, d);
  w.close();
  return new Uint8Array(await bytes);
}

const sha = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const text = (s: string) => new TextEncoder().encode(s);

export async function buildWasiDemos(layout: string): Promise<{ layout: string; tags: typeof WASI_DEMOS }> {
  const work = mkdtempSync(join(tmpdir(), "layerlab-wasi-"));
  const programs = Object.fromEntries(WASI_DEMOS.map((n) => [n, compile(n, work)]));
  const file = (path: string, data: Uint8Array, mode = 0o644): [TarWriteEntry, Uint8Array] => [{ path, type: "file", mode, size: data.length }, data];
  const dir = (path: string): [TarWriteEntry] => [{ path, type: "dir", mode: 0o755 }];
  const data = await layerTar([
    dir("etc"),
    file("etc/motd", text("Welcome to the WASI demo image. Programs live in /bin, files to play with in /data.\n")),
    dir("data"),
    file("data/keep.txt", text("this file stays\n")),
    file("data/old.txt", text("rename me\n")),
    file("data/remove-me.txt", text("delete me: a whiteout will hide me\n")),
  ]);
  const bins = await layerTar([
    dir("bin"),
    ...WASI_DEMOS.map((n) => file(`bin/${n}.wasm`, programs[n]!, 0o755)),
    file("bin/not-wasm.wasm", text("this is not a WebAssembly module\n"), 0o755),
  ]);
  mkdirSync(join(layout, "blobs", "sha256"), { recursive: true });
  const put = (b: Uint8Array) => {
    const d = sha(b);
    writeFileSync(join(layout, "blobs", "sha256", d.slice(7)), b);
    return { digest: d, size: b.length };
  };
  const layers = [data, bins].map((tar) => ({ tar, gz: gzipSync(tar, { level: 9 }) }));
  const layerDescs = layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...put(l.gz) }));
  const diffIds = layers.map((l) => sha(l.tar));
  const manifests = [];
  for (const name of WASI_DEMOS) {
    const config = {
      created: CREATED,
      architecture: "wasm",
      os: "wasi",
      config: { Env: ["PATH=/bin"], Entrypoint: [`/bin/${name}.wasm`], ...(name === "ls" ? { Cmd: ["/"] } : {}), WorkingDir: "/" },
      rootfs: { type: "layers", diff_ids: diffIds },
      history: [
        { created: CREATED, created_by: "COPY data/ /  # layerlab scripts/build-wasi-demos.ts" },
        { created: CREATED, created_by: "COPY *.wasm /bin/  # clang --target=wasm32-wasi" },
        { created: CREATED, created_by: `ENTRYPOINT ["/bin/${name}.wasm"]`, empty_layer: true },
      ],
    };
    const cfg = put(text(JSON.stringify(config)));
    const manifest = { schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.image.config.v1+json", ...cfg }, layers: layerDescs };
    const m = put(text(JSON.stringify(manifest)));
    manifests.push({ mediaType: "application/vnd.oci.image.manifest.v1+json", ...m, platform: { architecture: "wasm", os: "wasi" }, annotations: { "org.opencontainers.image.ref.name": name } });
  }
  writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(join(layout, "index.json"), JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests }, null, 2));
  return { layout, tags: WASI_DEMOS };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    console.error("usage: npx tsx scripts/build-wasi-demos.ts OUT_DIR");
    process.exit(2);
  }
  await buildWasiDemos(out);
  console.log(`wasi demo images (${WASI_DEMOS.join(", ")}) → ${out}`);
}
