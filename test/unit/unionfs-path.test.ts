import { describe, expect, it } from "vitest";
import { baseName, cleanPath, isUnder, joinPath, parentOf, resolvePath, segments } from "../../src/unionfs/path.ts";

/** The cleaning loop every former copy (union.ts cleanPath, merged.ts normalizePath's slow path) ran. */
function reference(p: string): string {
  const parts: string[] = [];
  for (const part of p.split("/")) {
    if (!part || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}

/** Deterministic random paths built from the parts that matter: names, ".", "..", "...", ".x", empty. */
function* randomPaths(n: number): Generator<string> {
  let seed = 12345;
  const rnd = (k: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % k;
  };
  const parts = ["a", "b", ".", "..", "...", ".x", "x.", "", "..a", "a..", " "];
  for (let i = 0; i < n; i++) {
    const len = rnd(6);
    yield Array.from({ length: len }, () => parts[rnd(parts.length)]).join("/");
  }
}

describe("union paths", () => {
  it("cleanPath: leading, trailing and doubled slashes, '.', '..' stopping at the root", () => {
    const cases: [string, string][] = [
      ["", ""], ["/", ""], [".", ""], ["./", ""], ["//", ""], ["..", ""], ["/../..", ""],
      ["etc", "etc"], ["/etc/", "etc"], ["./etc//passwd/", "etc/passwd"], ["etc/./passwd", "etc/passwd"],
      ["a/b/../c", "a/c"], ["a/../../b", "b"], ["...", "..."], [".wh..wh..opq", ".wh..wh..opq"], ["a/.x/..b", "a/.x/..b"],
    ];
    for (const [input, want] of cases) expect(cleanPath(input), JSON.stringify(input)).toBe(want);
  });

  it("cleanPath is the one cleaning of the former cleanPath and normalizePath (fast path included)", () => {
    for (const p of randomPaths(20_000)) expect(cleanPath(p), JSON.stringify(p)).toBe(reference(p));
  });

  it("cleanPath returns a clean path unchanged, and cleaning twice changes nothing", () => {
    for (const p of randomPaths(5_000)) {
      const c = cleanPath(p);
      expect(cleanPath(c)).toBe(c);
      expect(c.startsWith("/") || c.endsWith("/") || c.includes("//")).toBe(false);
    }
  });

  it("resolvePath takes a path relative to a directory, an absolute one from the root", () => {
    expect(resolvePath("usr/bin", "env")).toBe("usr/bin/env");
    expect(resolvePath("usr/bin", "../lib/./x")).toBe("usr/lib/x");
    expect(resolvePath("usr/bin", "/etc/passwd")).toBe("etc/passwd");
    expect(resolvePath("usr", "../../..")).toBe("");
    expect(resolvePath("", "a//b/")).toBe("a/b");
    expect(resolvePath("", ".")).toBe("");
    // The wasi fds' former join: dir's parts, then path's, ".." stopping at the root.
    const join = (dir: string, path: string) => reference(path.startsWith("/") ? path : `${dir}/${path}`);
    for (const p of randomPaths(5_000)) for (const dir of ["", "a", "a/b"]) expect(resolvePath(dir, p)).toBe(join(dir, p));
  });

  it("parentOf, baseName, joinPath, segments", () => {
    expect([parentOf(""), parentOf("etc"), parentOf("etc/passwd"), parentOf("a/b/c")]).toEqual(["", "", "etc", "a/b"]);
    expect([baseName(""), baseName("etc"), baseName("etc/passwd")]).toEqual(["", "etc", "passwd"]);
    expect([joinPath("", "etc"), joinPath("etc", "passwd")]).toEqual(["etc", "etc/passwd"]);
    expect([segments(""), segments("etc"), segments("a/b/c")]).toEqual([[], ["etc"], ["a", "b", "c"]]);
    for (const p of ["etc", "etc/passwd", "a/b/c"]) expect(joinPath(parentOf(p), baseName(p))).toBe(p);
  });

  it("isUnder: strictly below, by whole parts", () => {
    expect(isUnder("etc/passwd", "etc")).toBe(true);
    expect(isUnder("etc/ssl/certs", "etc")).toBe(true);
    expect(isUnder("etc", "etc")).toBe(false);
    expect(isUnder("etcetera", "etc")).toBe(false);
    expect(isUnder("etc", "etc/passwd")).toBe(false);
    expect(isUnder("etc", "")).toBe(true);
    expect(isUnder("", "")).toBe(false);
    for (const p of randomPaths(2_000)) {
      const c = cleanPath(p);
      for (const dir of ["a", "a/b", "..."]) expect(isUnder(c, dir)).toBe(c.startsWith(`${dir}/`));
    }
  });
});
