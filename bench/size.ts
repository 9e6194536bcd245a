/**
 * `npm run bench -- size`: what the first page ships. Builds the app (vite, production) into a
 * temporary directory, then follows index.html's entry script through its static imports (vite's
 * manifest): that is the JavaScript a browser must fetch before the lab is usable. Reported gzip'd
 * (level 6, what servers commonly use) beside the raw bytes, and checked against the rule that the
 * emulator is not in it — v86's JS and wasm, the kernel and initramfs load only when a container
 * first runs (dynamic imports and worker chunks, listed under `lazy`).
 * Target: first-page JS ≤ 150 KB gzip (issue 17).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "vite";

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}

const TARGET_KB = 150;

export default async function size(): Promise<Record<string, unknown>> {
  const outDir = mkdtempSync(join(tmpdir(), "layerlab-size-"));
  try {
    await build({ logLevel: "warn", build: { outDir, manifest: true, sourcemap: false, emptyOutDir: true } });
    const manifest = JSON.parse(readFileSync(join(outDir, ".vite/manifest.json"), "utf8")) as Record<string, ManifestChunk>;
    const entry = Object.entries(manifest).find(([key, c]) => c.isEntry && c.file.endsWith(".js") && key.endsWith("index.html"));
    if (!entry) throw new Error("no index.html entry in vite's manifest");
    // The first page: the entry and everything it imports statically, transitively.
    const first = new Set<string>();
    const walk = (key: string) => {
      const c = manifest[key];
      if (!c || first.has(c.file)) return;
      first.add(c.file);
      for (const i of c.imports ?? []) walk(i);
    };
    walk(entry[0]);
    const measure = (file: string) => {
      const bytes = readFileSync(join(outDir, file));
      return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 6 }).length };
    };
    const firstFiles = [...first].map(measure).sort((a, b) => b.gzip - a.gzip);
    const css = [...new Set(Object.values(manifest).filter((c) => first.has(c.file)).flatMap((c) => c.css ?? []))].map(measure);
    // Everything else the build emitted: dynamic-import chunks, and the workers' bundles (vite
    // builds those separately, so they are not in the manifest).
    const lazyFiles = readdirSync(join(outDir, "assets"))
      .map((f) => `assets/${f}`)
      .filter((f) => f.endsWith(".js") && !first.has(f))
      .map(measure)
      .sort((a, b) => b.gzip - a.gzip);
    const emulatorInFirst = firstFiles.filter((f) => /v86|libv86/i.test(f.file) || /\bV86\b/.test(readFileSync(join(outDir, f.file), "utf8").slice(0, 2_000_000)));
    const wasm = readdirSync(join(outDir, "assets"))
      .filter((f) => f.endsWith(".wasm"))
      .map((f) => ({ file: `assets/${f}`, raw: statSync(join(outDir, "assets", f)).size }));
    const sum = (xs: { gzip: number }[]) => xs.reduce((n, x) => n + x.gzip, 0);
    const firstGzip = sum(firstFiles);
    for (const f of firstFiles) console.log(`first  ${(f.gzip / 1024).toFixed(1).padStart(7)} KB gzip  ${(f.raw / 1024).toFixed(1).padStart(8)} KB  ${f.file}`);
    for (const f of lazyFiles) console.log(`lazy   ${(f.gzip / 1024).toFixed(1).padStart(7)} KB gzip  ${(f.raw / 1024).toFixed(1).padStart(8)} KB  ${f.file}`);
    return {
      first_page_js_gzip_kb: +(firstGzip / 1024).toFixed(1),
      first_page_js_raw_kb: +(firstFiles.reduce((n, x) => n + x.raw, 0) / 1024).toFixed(1),
      first_page_css_gzip_kb: +(sum(css) / 1024).toFixed(1),
      first_page_files: firstFiles.length,
      lazy_js_gzip_kb: +(sum(lazyFiles) / 1024).toFixed(1),
      wasm_kb: wasm.map((w) => ({ file: w.file, kb: +(w.raw / 1024).toFixed(1) })),
      emulator_in_first_page: emulatorInFirst.map((f) => f.file),
      target_kb: TARGET_KB,
      met: firstGzip / 1024 <= TARGET_KB && emulatorInFirst.length === 0,
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
