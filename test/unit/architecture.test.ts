/**
 * The shape of src/ as docs/architecture.md draws it: no import cycles, and each folder imports only
 * folders below it — oci ← layer ← unionfs ← registry ← store ← runtime ← build ← daemon ← the clients
 * (cli, ui, lessons, and the host shell), which never import one another (the page may name the lessons' types). src/main.ts
 * composes them all.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

/** Each folder's level: a module may import its own folder and folders of a lower level. */
const LEVEL: Record<string, number> = { oci: 0, layer: 1, unionfs: 2, registry: 3, store: 4, runtime: 5, build: 6, daemon: 7, terminal: 7, cli: 8, ui: 8, lessons: 8, shell: 8, "main.ts": 9 };

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

/** Static imports and re-exports, and dynamic `import("…")` / `new URL("…", import.meta.url)` workers: relative ones only. */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, "utf8");
  const out: Import[] = [];
  const add = (spec: string, typeOnly: boolean) => {
    if (spec.startsWith(".")) out.push({ from: file, to: resolve(dirname(file), spec.replace(/\?.*$/, "")), typeOnly });
  };
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?\sfrom\s+"([^"]+)"/gms)) add(m[3]!, m[2] !== undefined);
  for (const m of text.matchAll(/^\s*import\s+"([^"]+)"/gm)) add(m[1]!, false);
  for (const m of text.matchAll(/import\(\s*"([^"]+)"\s*\)/g)) add(m[1]!, false);
  for (const m of text.matchAll(/new URL\(\s*"([^"]+\.ts)"\s*,\s*import\.meta\.url\s*\)/g)) add(m[1]!, false);
  return out;
}

function folderOf(file: string): string {
  return relative(SRC, file).split("/")[0]!;
}

const all = files(SRC);
const imports = all.flatMap(importsOf);
const show = (f: string) => relative(SRC, f);

describe("architecture of src/", () => {
  it("every import names a file that exists", () => {
    // Source files, and assets imported as URLs (`./zlib.wasm?url`) where they are.
    const known = new Set(all);
    expect(imports.filter((i) => !known.has(i.to) && (i.to.endsWith(".ts") || !existsSync(i.to))).map((i) => `${show(i.from)} → ${show(i.to)}`)).toEqual([]);
  });

  it("has no import cycles", () => {
    // Type-only imports are erased, but a cycle of them still tangles the reading order: both count.
    const edges = new Map<string, string[]>();
    for (const i of imports) edges.set(i.from, [...(edges.get(i.from) ?? []), i.to]);
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, "open");
      stack.push(f);
      for (const t of edges.get(f) ?? []) {
        if (state.get(t) === "open") cycles.push([...stack.slice(stack.indexOf(t)), t].map(show).join(" → "));
        else if (!state.has(t)) visit(t);
      }
      stack.pop();
      state.set(f, "done");
    };
    for (const f of all) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it("each folder imports only folders below it", () => {
    const bad: string[] = [];
    for (const i of imports) {
      const a = folderOf(i.from);
      const b = folderOf(i.to);
      if (a === b) continue;
      const la = LEVEL[a];
      const lb = LEVEL[b];
      if (la === undefined || lb === undefined) bad.push(`${show(i.from)}: folder ${la === undefined ? a : b} has no level in this test (add it to docs/architecture.md and here)`);
      else if (lb > la || (lb === la && !(a === "ui" && b === "lessons" && i.typeOnly))) bad.push(`${show(i.from)} imports ${show(i.to)} (${a} may not import ${b})`);
    }
    expect(bad).toEqual([]);
  });

  it("no client of the daemon imports the CLI: the page, the lessons and the daemon reach it only through src/main.ts", () => {
    const bad = imports.filter((i) => ["ui", "lessons", "daemon"].includes(folderOf(i.from)) && folderOf(i.to) === "cli");
    expect(bad.map((i) => `${show(i.from)} → ${show(i.to)}`)).toEqual([]);
  });

  it("nothing below the page reads its URL or vite's environment", () => {
    const bad = all.filter((f) => !["ui", "main.ts"].includes(folderOf(f)) && /\blocation\.(search|href|origin)|import\.meta\.env/.test(readFileSync(f, "utf8")));
    expect(bad.map(show)).toEqual([]);
  });
});
