import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { TarStreamParser, type TarEntry } from "../../src/layer/tar.ts";
import { mergeLayers, origin, readdir } from "../../src/unionfs/merged.ts";
import { buildFixtures } from "../harness/fixtures.ts";

const e = (path: string, type: TarEntry["type"] = "file", size = 1): TarEntry => ({ path, type, mode: 0o644, uid: 0, gid: 0, size, mtime: 0, headerOffset: 0, dataOffset: 0 });

describe("merged view", () => {
  it("applies whiteouts to lower layers only", () => {
    const v = mergeLayers([[e("a", "dir"), e("a/x"), e("a/y")], [e("a/.wh.x"), e("a/z")]]);
    expect([...v.entries.keys()].sort()).toEqual(["a", "a/y", "a/z"]);
    expect(v.changes[1]).toMatchObject({ added: ["a/z"], removed: ["a/x"] });
  });
  it("applies an opaque marker before its siblings, whatever the tar order", () => {
    const v = mergeLayers([[e("d", "dir"), e("d/old")], [e("d/new"), e("d", "dir"), e("d/.wh..wh..opq")]]);
    expect([...v.entries.keys()].sort()).toEqual(["d", "d/new"]);
    expect(origin(v, "d")).toBe(1);
    expect(v.changes[1]!.removed).toEqual(["d/old"]);
  });
  it("replacing a directory with a file removes its lower contents", () => {
    const v = mergeLayers([[e("p", "dir"), e("p/q")], [e("p", "symlink", 0)]]);
    expect([...v.entries.keys()]).toEqual(["p"]);
  });
  it("shows the view as of a layer", () => {
    const layers = [[e("a")], [e("b")], [e(".wh.a")]];
    expect([...mergeLayers(layers, 1).entries.keys()].sort()).toEqual(["a", "b"]);
    expect([...mergeLayers(layers).entries.keys()]).toEqual(["b"]);
  });
});

describe("merged view of the real busybox fixture", () => {
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
    const v = mergeLayers(layers);
    expect(v.entries.has("tmp/scratch.txt")).toBe(false);
    expect(mergeLayers(layers, 1).entries.has("tmp/scratch.txt")).toBe(true);
    expect(origin(v, "/etc/motd")).toBe(2);
    expect(origin(v, "/bin/busybox")).toBe(0);
    expect(v.changes[2]!.removed).toContain("tmp/scratch.txt");
    expect(v.changes[2]!.modified).toContain("etc/motd");
    expect(readdir(v, "/home/learner").map((x) => x.path)).toEqual(["home/learner/notes.txt"]);
  });
});
