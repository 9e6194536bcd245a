/**
 * Builds src/store/zlib.wasm, the part of zlib the page's parallel gzip needs to join pieces that the
 * browser compressed (scripts/zlib-wasm/deflate-join.c: inflate to find block boundaries, CRC-32),
 * from Debian's zlib source package (bookworm's, fetched from deb.debian.org and checked against the
 * digest pinned here) with Debian's clang for wasm32-wasi. No imports; its memory is its own.
 * src/store/zlib.json records the versions and digests.   Run: npx tsx scripts/build-zlib-wasm.ts
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const SOURCE = {
  package: "zlib",
  version: "1:1.2.13.dfsg-1",
  url: "http://deb.debian.org/debian/pool/main/z/zlib/zlib_1.2.13.dfsg.orig.tar.bz2",
  sha256: "71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1",
  dir: "zlib-1.2.13.dfsg",
};
/** zlib's files the join needs: inflate, CRC-32 and their support. */
const FILES = ["zutil.c", "crc32.c", "adler32.c", "inflate.c", "inftrees.c", "inffast.c"];
const WRAPPER = join(root, "scripts", "zlib-wasm", "deflate-join.c");
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

async function main() {
  const work = mkdtempSync(join(tmpdir(), "layerlab-zlib-"));
  try {
    const res = await fetch(SOURCE.url);
    if (!res.ok) throw new Error(`GET ${SOURCE.url}: ${res.status}`);
    const tarball = new Uint8Array(await res.arrayBuffer());
    if (sha256(tarball) !== SOURCE.sha256) throw new Error(`${SOURCE.url}: sha256 ${sha256(tarball)}, expected ${SOURCE.sha256}`);
    writeFileSync(join(work, "src.tar.bz2"), tarball);
    execFileSync("tar", ["xjf", "src.tar.bz2"], { cwd: work });
    const src = join(work, SOURCE.dir);
    const out = join(root, "src", "store", "zlib.wasm");
    const args = ["--target=wasm32-wasi", "-O3", "-mexec-model=reactor", "-DNDEBUG", "-I", src, "-Wl,--strip-all", "-o", out, WRAPPER, ...FILES.map((f) => join(src, f))];
    execFileSync("clang", args, { stdio: "inherit" });
    const wasm = new Uint8Array(readFileSync(out));
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(wasm));
    if (imports.length) throw new Error(`zlib.wasm imports ${imports.map((i) => `${i.module}.${i.name}`).join(", ")}: it must need none`);
    const clang = execFileSync("dpkg-query", ["-W", "-f=${Version}", "clang"], { encoding: "utf8" }).trim();
    const record = {
      file: "zlib.wasm",
      sha256: sha256(wasm),
      source: { package: `Debian ${SOURCE.package} ${SOURCE.version} (orig tarball)`, url: SOURCE.url, sha256: SOURCE.sha256, files: FILES },
      wrapper: { source: "scripts/zlib-wasm/deflate-join.c", sha256: sha256(readFileSync(WRAPPER)) },
      compiler: `Debian clang ${clang}, wasi-libc; clang ${args.filter((a) => a.startsWith("-") && a !== "-o" && a !== "-I").join(" ")}`,
      licence: "zlib (zlib's files); MIT (this project's wrapper)",
    };
    writeFileSync(join(root, "src", "store", "zlib.json"), JSON.stringify(record, null, 2) + "\n");
    console.log(`src/store/zlib.wasm: ${wasm.length} bytes, sha256 ${record.sha256}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
