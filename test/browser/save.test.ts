/**
 * docker save in the page → the downloaded archive read back by skopeo (as an OCI archive and as a
 * docker-archive) and unpacked by umoci: same manifest digest as the registry's, same union view.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { launchLab, type LabDriver } from "../harness/browser.ts";
import { pushFixtures, type PushedFixtures } from "../harness/fixtures.ts";
import { startRegistry, type TestRegistry } from "../harness/registry.ts";
import { ociSchemaErrors, requireOciSchemas } from "../harness/oci-schemas.ts";
import { requireHostFile } from "../harness/shared.ts";

/** A real `docker save` tarball (legacy format) from containers/image's tests, as Debian ships them. */
const LEGACY_ARCHIVE = "/usr/share/gocode/src/github.com/containers/image/docker/archive/fixtures/almostempty.tar";
const LEGACY_PACKAGE = "golang-github-containers-image-dev";

let reg: TestRegistry;
let pushed: PushedFixtures;
let lab: LabDriver;
const dir = mkdtempSync(join(tmpdir(), "layerlab-save-"));

beforeAll(async () => {
  reg = await startRegistry("none");
  pushed = await pushFixtures(reg);
  lab = await launchLab({ allowRegistries: reg.allowHosts });
});
afterAll(async () => {
  await lab?.close();
  await reg?.stop();
});

async function save(args: string, file: string): Promise<string> {
  const [download, result] = await Promise.all([lab.page.waitForEvent("download"), lab.exec(`docker save -o ${file} ${args} && download ${file}`)]);
  expect(result.code).toBe(0);
  expect(download.suggestedFilename()).toBe(file);
  const path = join(dir, file);
  await download.saveAs(path);
  return path;
}

describe("docker save", () => {
  it("writes Docker's archive format with the original blobs, readable by skopeo and umoci", async () => {
    for (const img of [pushed.busyboxOci, pushed.busyboxV2]) {
      const name = `${reg.host}/${img.name}`;
      expect((await lab.exec(`docker pull ${name}`)).code).toBe(0);
      const path = await save(name, `${img.tag}.tar`);
      const listing = execFileSync("tar", ["-tf", path]).toString().trim().split("\n");
      expect(listing).toEqual(expect.arrayContaining(["oci-layout", "index.json", "manifest.json", "repositories", `blobs/sha256/${img.digest.slice(7)}`]));
      // The OCI side: the manifest is the registry's, byte for byte.
      const raw = execFileSync("skopeo", ["inspect", "--raw", `oci-archive:${path}`]);
      expect(`sha256:${createHash("sha256").update(raw).digest("hex")}`).toBe(img.digest);
      // The legacy side: docker-archive readers find the config and the tag.
      const legacy = JSON.parse(execFileSync("tar", ["-xOf", path, "manifest.json"]).toString()) as { Config: string; RepoTags: string[]; Layers: string[] }[];
      expect(legacy).toEqual([{ Config: `blobs/sha256/${img.configDigest.slice(7)}`, RepoTags: [name], Layers: img.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`) }]);
      const viaDocker = JSON.parse(execFileSync("skopeo", ["inspect", "--config", "--raw", `docker-archive:${path}`]).toString()) as { rootfs: { diff_ids: string[] } };
      expect(viaDocker.rootfs.diff_ids).toEqual(img.diffIds);
    }
  });

  it("unpacks with umoci to the union the lab shows", async () => {
    const path = join(dir, "oci.tar");
    expect(existsSync(path)).toBe(true);
    const layout = join(dir, "layout");
    execFileSync("skopeo", ["copy", "--quiet", `oci-archive:${path}`, `oci:${layout}:saved`]);
    const bundle = join(dir, "bundle");
    execFileSync("umoci", ["unpack", "--image", `${layout}:saved`, bundle]);
    expect(readFileSync(join(bundle, "rootfs/etc/motd"), "utf8")).toBe("Welcome to Layerlab\nLayers all the way down\n");
    expect(existsSync(join(bundle, "rootfs/tmp/scratch.txt"))).toBe(false);
    const tree = (await lab.exec(`lab tree ${reg.host}/${pushed.busyboxOci.name} /tmp`)).output;
    expect(tree).not.toContain("scratch.txt");
  });

  it("refuses to write an archive to the terminal", async () => {
    const r = await lab.exec(`docker save ${reg.host}/${pushed.busyboxOci.name}`);
    expect(r.code).toBe(1);
    expect(r.output).toContain("cowardly refusing to save to a terminal. Use the -o flag or redirect");
  });
});

async function load(path: string): Promise<{ code: number; output: string }> {
  const chooser = lab.page.waitForEvent("filechooser");
  const result = lab.exec("docker load -i archive.tar");
  await (await chooser).setFiles(path);
  return result;
}

describe("docker load", () => {
  it("loads back what docker save wrote: same image ID, layers and union", async () => {
    const name = `${reg.host}/${pushed.busyboxOci.name}`;
    const before = JSON.parse((await lab.exec(`docker image inspect ${name}`)).output) as { Id: string; RootFS: unknown }[];
    expect((await lab.exec(`docker rmi ${name} ${reg.host}/${pushed.busyboxV2.name}`)).code).toBe(0);
    const r = await load(join(dir, "oci.tar"));
    expect(r.output).toBe(`Loaded image: ${name}\n`);
    expect(r.code).toBe(0);
    const after = JSON.parse((await lab.exec(`docker image inspect ${name}`)).output) as { Id: string; RootFS: unknown }[];
    expect(after[0]!.Id).toBe(before[0]!.Id);
    expect(after[0]!.RootFS).toEqual(before[0]!.RootFS);
    expect((await lab.exec(`lab tree ${name} /etc`)).output).toMatch(/L2  motd/);
  });

  it("loads an archive dropped on the page: the drop copies it into the working directory, docker load -i reads it there", async () => {
    const name = `${reg.host}/${pushed.busyboxOci.name}`;
    expect((await lab.exec(`docker rmi ${name}`)).code).toBe(0);
    expect((await lab.exec("mkdir -p ~/dropped && cd ~/dropped")).code).toBe(0);
    const b64 = readFileSync(join(dir, "oci.tar")).toString("base64");
    await lab.page.evaluate((data: string) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], "busybox oci.tar", { type: "application/x-tar" }));
      window.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, b64);
    await expect.poll(async () => (await lab.exec("wc -c < 'busybox oci.tar'")).output.trim(), { timeout: 20_000 }).toBe(String(readFileSync(join(dir, "oci.tar")).length));
    // Nothing is loaded until the user says so.
    expect((await lab.exec(`docker images -q ${name}`)).output).toBe("");
    const r = await lab.exec("docker load -i 'busybox oci.tar'");
    expect(r).toEqual({ code: 0, output: `Loaded image: ${name}\n` });
    expect((await lab.exec(`docker images -q ${name}`)).output.trim()).toMatch(/^[a-f0-9]{12}$/);
    expect((await lab.exec("cd ~")).code).toBe(0);
  });

  it("loads the real docker save tarball from Debian's containers/image (legacy format)", async (ctx) => {
    const r = await load(requireHostFile(ctx, LEGACY_ARCHIVE, LEGACY_PACKAGE));
    expect(r.output).toBe("Loaded image: emptyimage:latest\n");
    expect(r.code).toBe(0);
    expect((await lab.exec("docker images emptyimage")).output).toMatch(/^emptyimage\s{3,}latest\s{3,}9d7f147c0d0c\s/m);
    expect((await lab.exec("docker history emptyimage")).code).toBe(0);
  });

  it("refuses a blob whose bytes do not match its name, and keeps nothing of it", async () => {
    const root = join(dir, "tampered");
    execFileSync("mkdir", ["-p", join(root, "blobs/sha256")]);
    const wrong = "0".repeat(64);
    execFileSync("sh", ["-c", `printf 'not what the name says' > ${join(root, "blobs/sha256", wrong)}; printf '{"imageLayoutVersion":"1.0.0"}' > ${join(root, "oci-layout")}`]);
    const path = join(dir, "tampered.tar");
    execFileSync("tar", ["-C", root, "-cf", path, "oci-layout", "blobs"]);
    // The page's own store (window.layerlab.daemon), which the load wrote to.
    const count = async () => (await lab.page.evaluate(`window.layerlab.daemon.store.content.list().then((b) => b.length)`)) as number;
    const blobsBefore = await count();
    expect(blobsBefore).toBeGreaterThan(0);
    const r = await load(path);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(new RegExp(`blobs/sha256/${wrong}: digest mismatch .*expected sha256:${wrong}, got sha256:[a-f0-9]{64}`));
    expect(await count()).toBe(blobsBefore);
  });
});

describe("documents the lab writes validate against the OCI JSON schemas", () => {
  beforeEach((ctx) => void requireOciSchemas(ctx));

  it("save's index.json and oci-layout", () => {
    const path = join(dir, "oci.tar");
    const index = JSON.parse(execFileSync("tar", ["-xOf", path, "index.json"]).toString()) as { manifests: unknown[] };
    expect(index.manifests.length).toBeGreaterThan(0);
    expect(ociSchemaErrors("index", index)).toEqual([]);
    expect(ociSchemaErrors("layout", JSON.parse(execFileSync("tar", ["-xOf", path, "oci-layout"]).toString()))).toEqual([]);
  });

  it("the manifest load writes for a legacy archive", async (ctx) => {
    // The image the legacy-archive test above loaded: the same rule for its tarball.
    requireHostFile(ctx, LEGACY_ARCHIVE, LEGACY_PACKAGE);
    const docs = (await lab.page.evaluate(`(async () => {
      const { daemon } = window.layerlab;
      const img = await daemon.images.require("emptyimage:latest");
      return { manifest: JSON.parse(await daemon.store.content.readText(img.manifestDigest)), mediaType: img.manifestMediaType };
    })()`)) as { manifest: unknown; mediaType: string };
    expect(docs.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
    expect(ociSchemaErrors("manifest", docs.manifest)).toEqual([]);
  });
});
