import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { chainIds } from "../../src/oci/chainid.ts";
import type { Digest } from "../../src/oci/digest.ts";
import { normalizePlatform, parsePlatform, runnablePlatforms, selectManifest } from "../../src/oci/platform.ts";
import { familiarName, parseReference } from "../../src/oci/reference.ts";
import { parseImageConfig, parseManifestOrIndex, ManifestError } from "../../src/oci/validate.ts";
import { requireHostFile } from "../harness/shared.ts";

const hex = "a".repeat(64);

describe("image references, as Docker parses them (distribution/reference normalize tests)", () => {
  const valid: [string, string, string, string?, string?][] = [
    // input, domain, path, tag, digest
    ["busybox", "docker.io", "library/busybox"],
    ["busybox:latest", "docker.io", "library/busybox", "latest"],
    ["library/busybox", "docker.io", "library/busybox"],
    ["docker.io/busybox", "docker.io", "library/busybox"],
    ["docker.io/library/busybox:1.36", "docker.io", "library/busybox", "1.36"],
    ["index.docker.io/busybox", "docker.io", "library/busybox"],
    ["user/repo", "docker.io", "user/repo"],
    ["user/repo/sub", "docker.io", "user/repo/sub"],
    ["localhost/foo", "localhost", "foo"],
    ["localhost:5000/foo/bar:tag", "localhost:5000", "foo/bar", "tag"],
    ["127.0.0.1:5000/lab/busybox", "127.0.0.1:5000", "lab/busybox"],
    ["[::1]:5000/foo", "[::1]:5000", "foo"],
    ["ghcr.io/owner/image:v1.2.3", "ghcr.io", "owner/image", "v1.2.3"],
    ["Example.com/foo", "Example.com", "foo"],
    ["registry.k8s.io/pause:3.9", "registry.k8s.io", "pause", "3.9"],
    [`busybox@sha256:${hex}`, "docker.io", "library/busybox", undefined, `sha256:${hex}`],
    [`busybox:1.36@sha256:${hex}`, "docker.io", "library/busybox", "1.36", `sha256:${hex}`],
    ["a__b/c-d.e_f", "docker.io", "a__b/c-d.e_f"],
    ["foo---bar", "docker.io", "library/foo---bar"],
    [`tag:${"t".repeat(128)}`, "docker.io", "library/tag", "t".repeat(128)],
  ];
  it.each(valid)("%s", (input, registry, repository, tag, digest) => {
    const r = parseReference(input);
    expect(r.registry).toBe(registry);
    expect(r.repository).toBe(repository);
    expect(r.tag).toBe(tag);
    expect(r.digest).toBe(digest);
  });
  const invalid: [string, RegExp][] = [
    ["", /invalid reference format/],
    ["Busybox", /must be lowercase/],
    ["user/Repo", /must be lowercase/],
    ["busybox:tag:tag", /invalid reference format/],
    [hex, /cannot specify 64-byte hexadecimal strings/],
    ["foo-_bar", /invalid reference format/],
    ["-foo", /invalid reference format/],
    ["foo/", /invalid reference format/],
    [`busybox:${"t".repeat(129)}`, /invalid reference format/],
    ["busybox@sha256:abc", /invalid reference format|digest/],
    [`${"a/".repeat(130)}a`, /not be more than 255 characters/],
  ];
  it.each(invalid)("rejects %j", (input, message) => {
    expect(() => parseReference(input)).toThrow(message);
  });
  it("prints familiar names", () => {
    expect(familiarName("docker.io", "library/busybox")).toBe("busybox");
    expect(familiarName("docker.io", "user/app")).toBe("user/app");
    expect(familiarName("127.0.0.1:5000", "lab/busybox")).toBe("127.0.0.1:5000/lab/busybox");
  });
});

const FIXTURES = "/usr/share/gocode/src/github.com/containers/image/manifest/fixtures";
describe("manifest validation on containers/image's fixtures (Debian golang-github-containers-image-dev)", () => {
  beforeEach((ctx) => void requireHostFile(ctx, FIXTURES, "golang-github-containers-image-dev"));
  const read = (f: string) => readFileSync(join(FIXTURES, f));
  it("accepts every OCI and Docker v2 sample as what it is", () => {
    const checked: string[] = [];
    for (const f of readdirSync(FIXTURES)) {
      const kind = f.includes("index") || f.includes("list") ? "index" : "manifest";
      if (f.startsWith("v2s1") || f.includes("schema1") || f.includes("invalid") || f.includes("non-json") || f.includes("unknown-version") || f.includes("artifact")) continue;
      expect(parseManifestOrIndex(read(f)).kind, f).toBe(kind);
      checked.push(f);
    }
    // The samples of each family were there to check (not a loop over nothing).
    expect(checked).toEqual(expect.arrayContaining(["ociv1.manifest.json", "ociv1.image.index.json", "v2s2.manifest.json", "v2list.manifest.json"]));
  });
  it("refuses schema 1 as deprecated", () => {
    for (const f of ["v2s1.manifest.json", "v2s1-unsigned.manifest.json", "schema2-to-schema1-by-docker.json"]) {
      expect(() => parseManifestOrIndex(read(f)), f).toThrow(/deprecated Docker schema 1/);
    }
  });
  it("names what is wrong and where", () => {
    expect(() => parseManifestOrIndex(read("non-json.manifest.json"), undefined, "r")).toThrow(/^r: manifest is not valid JSON/);
    expect(() => parseManifestOrIndex(read("unknown-version.manifest.json"))).toThrow(ManifestError);
    expect(() => parseManifestOrIndex(read("ociv1.manifest.json"), "application/vnd.docker.distribution.manifest.list.v2+json")).toThrow(/disagrees/);
    const m = JSON.parse(read("v2s2.manifest.json").toString());
    m.layers[1].size = -1;
    expect(() => parseManifestOrIndex(JSON.stringify(m))).toThrow("manifest.layers[1].size: must be a non-negative integer, got -1");
  });
  it("checks configs", () => {
    const cfg = { architecture: "386", os: "linux", rootfs: { type: "layers", diff_ids: [`sha256:${hex}`, "sha256:nope"] } };
    expect(() => parseImageConfig(JSON.stringify(cfg))).toThrow('config.rootfs.diff_ids[1]: invalid digest "sha256:nope"');
  });
});

describe("platforms", () => {
  it("normalises like containerd", () => {
    expect(normalizePlatform({ os: "linux", architecture: "x86_64" })).toEqual({ os: "linux", architecture: "amd64" });
    expect(normalizePlatform({ os: "linux", architecture: "aarch64", variant: "v8" })).toEqual({ os: "linux", architecture: "arm64" });
    expect(normalizePlatform({ os: "linux", architecture: "i686" })).toEqual({ os: "linux", architecture: "386" });
    expect(parsePlatform("linux/arm/7")).toEqual({ os: "linux", architecture: "arm", variant: "v7" });
  });
  it("selects from an index, skipping attestations", () => {
    const d = (arch: string, variant?: string, os = "linux") => ({ mediaType: "m", digest: `sha256:${createHash("sha256").update(arch + variant + os).digest("hex")}` as Digest, size: 1, platform: { os, architecture: arch, ...(variant ? { variant } : {}) } });
    const index = { schemaVersion: 2 as const, manifests: [d("unknown", undefined, "unknown"), d("amd64"), d("arm", "v6"), d("arm", "v7"), d("386")] };
    expect(selectManifest(index, parsePlatform("linux/386")).platform?.architecture).toBe("386");
    expect(selectManifest(index, parsePlatform("linux/arm/v7")).platform?.variant).toBe("v7");
    expect(() => selectManifest(index, parsePlatform("linux/s390x"))).toThrow("no matching manifest for linux/s390x in the manifest list entries (available: linux/amd64, linux/arm/v6, linux/arm/v7, linux/386)");
  });
  it("prefers wasi/wasm, then linux/386, and explains an index with neither", () => {
    const d = (arch: string, os = "linux") => ({ mediaType: "m", digest: `sha256:${createHash("sha256").update(arch + os).digest("hex")}` as Digest, size: 1, platform: { os, architecture: arch } });
    const both = { schemaVersion: 2 as const, manifests: [d("amd64"), d("386"), d("wasm", "wasi")] };
    expect(selectManifest(both, runnablePlatforms()).platform).toEqual({ os: "wasi", architecture: "wasm" });
    const x86 = { schemaVersion: 2 as const, manifests: [d("amd64"), d("386")] };
    expect(selectManifest(x86, runnablePlatforms()).platform).toEqual({ os: "linux", architecture: "386" });
    const neither = { schemaVersion: 2 as const, manifests: [d("amd64"), d("arm64")] };
    expect(() => selectManifest(neither, runnablePlatforms())).toThrow(
      "no matching manifest for linux/386 in the manifest list entries (available: linux/amd64, linux/arm64): the lab runs wasi/wasm and linux/386 images; pull another platform with --platform to inspect, edit and commit it (its programs will not run here)",
    );
  });
});

describe("chain IDs", () => {
  it("follow the image-spec definition", async () => {
    const diffs = ["a", "b", "c"].map((c) => `sha256:${c.repeat(64)}` as Digest);
    const ids = await chainIds(diffs);
    const c1 = `sha256:${createHash("sha256").update(`${diffs[0]} ${diffs[1]}`).digest("hex")}`;
    const c2 = `sha256:${createHash("sha256").update(`${c1} ${diffs[2]}`).digest("hex")}`;
    expect(ids).toEqual([diffs[0], c1, c2]);
  });
});
