import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { TarStreamParser, type TarEntry } from "../../src/layer/tar.ts";
import { LowerView } from "../../src/unionfs/lower.ts";
import { buildFixtures } from "../harness/fixtures.ts";

const e = (path: string, type: TarEntry["type"] = "file", size = 1, extra: Partial<TarEntry> = {}): TarEntry => ({ path, type, mode: 0o644, uid: 0, gid: 0, size, mtime: 0, headerOffset: 0, dataOffset: 0, ...extra });
const view = (layers: TarEntry[][]) => new LowerView(layers.map((entries, i) => ({ diffId: `layer${i}`, entries, read: async () => new Uint8Array(0) })));
const paths = (v: LowerView) => [...v.nodes.keys()].sort();

describe("lower view: merging", () => {
  it("applies whiteouts to lower layers only", () => {
    const v = view([[e("a", "dir"), e("a/x"), e("a/y")], [e("a/.wh.x"), e("a/z")]]);
    expect(paths(v)).toEqual(["a", "a/y", "a/z"]);
    expect(v.changes[1]).toMatchObject({ added: ["a/z"], removed: ["a/x"] });
  });
  it("applies an opaque marker before its siblings, whatever the tar order", () => {
    const v = view([[e("d", "dir"), e("d/old")], [e("d/new"), e("d", "dir"), e("d/.wh..wh..opq")]]);
    expect(paths(v)).toEqual(["d", "d/new"]);
    expect(v.origin("d")).toBe(1);
    expect(v.changes[1]!.removed).toEqual(["d/old"]);
  });
  it("an opaque marker at the root hides every lower entry", () => {
    const v = view([[e("a", "dir"), e("a/x"), e("b")], [e(".wh..wh..opq"), e("c")]]);
    expect(paths(v)).toEqual(["c"]);
    expect(v.changes[1]!.removed).toEqual(["a", "a/x", "b"]);
  });
  it("replacing a directory with a file removes its lower contents", () => {
    const v = view([[e("p", "dir"), e("p/q")], [e("p", "symlink", 0)]]);
    expect(paths(v)).toEqual(["p"]);
    expect(v.list("p")).toEqual([]);
  });
  it("a whiteout hides a directory and everything below it, not a sibling sharing its prefix", () => {
    const v = view([[e("d", "dir"), e("d/x"), e("d/sub", "dir"), e("d/sub/y"), e("dx")], [e(".wh.d")]]);
    expect(paths(v)).toEqual(["dx"]);
    expect(v.changes[1]!.removed.sort()).toEqual(["d", "d/sub", "d/sub/y", "d/x"]);
  });
  it("cleans the tar's spellings of paths", () => {
    const v = view([[e("./etc/", "dir"), e("./etc//passwd"), e("/usr", "dir")]]);
    expect(paths(v)).toEqual(["etc", "etc/passwd", "usr"]);
    expect(v.origin("/etc/passwd/")).toBe(0);
    expect(v.origin("etc/./passwd")).toBe(0);
    expect(v.origin("nope")).toBeUndefined();
  });
  it("shows the view as of a layer", () => {
    const v = view([[e("a")], [e("b")], [e(".wh.a")]]);
    expect(paths(v.asOf(1))).toEqual(["a", "b"]);
    expect(v.asOf(1).changes).toHaveLength(2);
    expect(v.asOf(1).changes).toEqual(v.changes.slice(0, 2));
    expect(paths(v)).toEqual(["b"]);
    expect(v.asOf(2)).toBe(v);
    expect(v.asOf(9)).toBe(v);
    expect(paths(v.asOf(0))).toEqual(["a"]);
  });
  it("a hardlink reads as its target and keeps its own header", () => {
    const v = view([[e("bin", "dir"), e("bin/a", "file", 5)], [e("bin/b", "hardlink", 0, { linkname: "./bin/a" }), e("bin/dangling", "hardlink", 0, { linkname: "nope" })]]);
    const b = v.get("bin/b")!;
    expect([b.entry.type, b.entry.size, b.header.type, b.header.linkname, b.layer, b.dataLayer, b.nlink]).toEqual(["file", 5, "hardlink", "./bin/a", 1, 0, 2]);
    expect(b.ino).toBe(v.get("bin/a")!.ino);
    expect(v.get("bin/dangling")!.entry.type).toBe("hardlink");
    expect(v.get("bin/a")!.header).toBe(v.get("bin/a")!.entry);
  });
});

describe("lower view: listing", () => {
  it("lists a directory's children sorted by name, each with its layer, names and nodes in one order", () => {
    const v = view([[e("etc", "dir"), e("etc/passwd"), e("etc/hosts"), e("bin", "dir")], [e("etc/motd"), e("etc/hosts"), e("etc/a", "dir"), e("etc/a/deep")]]);
    expect(v.list("etc")).toEqual(["a", "hosts", "motd", "passwd"]);
    expect(v.readdir("/etc/").map((n) => [n.path, n.layer])).toEqual([["etc/a", 1], ["etc/hosts", 1], ["etc/motd", 1], ["etc/passwd", 0]]);
    expect(v.list("")).toEqual(["bin", "etc"]);
    expect(v.readdir("/").map((n) => n.path)).toEqual(["bin", "etc"]);
    expect(v.readdir("bin")).toEqual([]);
    expect(v.readdir("nope")).toEqual([]);
    expect(v.readdir("etc/passwd")).toEqual([]);
  });

  it("readdir of a 10,000-entry directory comes from the children table: no scan of the path table", () => {
    const big = Array.from({ length: 10_000 }, (_, i) => e(`big/f${String(9_999 - i).padStart(5, "0")}`));
    const others = Array.from({ length: 10_000 }, (_, i) => e(`other/x${i}`));
    const v = view([[e("big", "dir"), e("other", "dir"), ...big.slice(0, 5_000), ...others], [...big.slice(5_000)]]);
    const spies = (["get", "has", "keys", "values", "entries", "forEach", Symbol.iterator] as const).map((m) => vi.spyOn(v.nodes, m as "get"));
    const listed = v.readdir("big");
    const names = v.list("big");
    for (const s of spies) expect(s).not.toHaveBeenCalled();
    expect(listed).toHaveLength(10_000);
    expect(names[0]).toBe("f00000");
    expect(listed.map((n) => n.path)).toEqual(names.map((n) => `big/${n}`));
    expect([...names].sort()).toEqual(names);
    expect(listed[0]!.layer).toBe(1); // f00000..f04999 came with the second layer
    expect(listed.at(-1)!.layer).toBe(0);
    for (const s of spies) s.mockRestore();
  });
});

describe("lower view of the real busybox fixture", () => {
  let layers: TarEntry[][];
  beforeAll(async () => {
    const fx = await buildFixtures();
    const index = JSON.parse(readFileSync(join(fx.layout, "index.json"), "utf8")) as { manifests: { digest: string; annotations: Record<string, string> }[] };
    const blob = (d: string) => readFileSync(join(fx.layout, "blobs", "sha256", d.slice(7)));
    const m = index.manifests.find((x) => x.annotations["org.opencontainers.image.ref.name"] === fx.tags.busybox386)!;
    const manifest = JSON.parse(blob(m.digest).toString()) as { layers: { digest: string }[] };
    layers = manifest.layers.map((l) => {
      const out: TarEntry[] = [];
      const p = new TarStreamParser((x) => out.push(x));
      p.push(new Uint8Array(gunzipSync(blob(l.digest))));
      p.end();
      return out;
    });
  });
  it("the third layer's whiteout removes /tmp/scratch.txt and its change to /etc/motd is a modification", () => {
    const v = view(layers);
    expect(v.get("tmp/scratch.txt")).toBeUndefined();
    expect(v.asOf(1).get("tmp/scratch.txt")).toMatchObject({ layer: 1, entry: { type: "file", size: 8 } }); // "scratch\n", added by the second layer
    expect(v.origin("/etc/motd")).toBe(2);
    expect(v.origin("/bin/busybox")).toBe(0);
    expect(v.changes[2]!.removed).toContain("tmp/scratch.txt");
    expect(v.changes[2]!.modified).toContain("etc/motd");
    expect(v.readdir("/home/learner").map((x) => x.path)).toEqual(["home/learner/notes.txt"]);
  });
});
