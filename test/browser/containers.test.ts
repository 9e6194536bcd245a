/**
 * Containers without a process, in Chromium against the real registry: create, edit through lab
 * commands, docker diff, commit (-m -a -c), the committed image saved and read back by skopeo and
 * umoci with exactly the lab's union view, persistence across a reload, cp, rm and rmi conflicts.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchLab, type LabDriver } from "../harness/browser.ts";
import { pushFixtures, type PushedFixtures } from "../harness/fixtures.ts";
import { startRegistry, type TestRegistry } from "../harness/registry.ts";
import { ociSchemaErrors, requireOciSchemas } from "../harness/oci-schemas.ts";
import { diskUnion, labUnion as labUnionOf } from "../harness/union.ts";

const labUnion = (image: string) => labUnionOf(lab, image);

let reg: TestRegistry;
let pushed: PushedFixtures;
let lab: LabDriver;
const dir = mkdtempSync(join(tmpdir(), "layerlab-containers-"));
let alpine: string;
let busybox: string;

beforeAll(async () => {
  reg = await startRegistry("none");
  pushed = await pushFixtures(reg);
  lab = await launchLab({ allowRegistries: reg.allowHosts });
  alpine = `${reg.host}/${pushed.alpine.name}`;
  busybox = `${reg.host}/${pushed.busyboxOci.name}`;
  for (const img of [alpine, busybox]) expect((await lab.exec(`docker pull -q ${img}`)).code).toBe(0);
});
afterAll(async () => {
  await lab?.close();
  await reg?.stop();
});

async function ok(line: string): Promise<string> {
  const r = await lab.exec(line);
  if (r.code !== 0) throw new Error(`${line} → ${r.code}\n${r.output}`);
  return r.output;
}

interface ImageDocs {
  /** The image's manifest and config as the page's store keeps them. */
  m: { mediaType: string; config: { mediaType: string }; layers: { digest: string; mediaType: string }[] };
  c: unknown;
  /** The stored record's layers. */
  layers: { digest: string }[];
}

/** An image (by name or ID, as Docker resolves it) in the page's own lab: window.layerlab.daemon. */
async function imageDocs(ref: string): Promise<ImageDocs> {
  return (await lab.page.evaluate(`(async () => {
    const { daemon } = window.layerlab;
    const img = await daemon.images.require(${JSON.stringify(ref)});
    return {
      m: JSON.parse(await daemon.store.content.readText(img.manifestDigest)),
      c: JSON.parse(await daemon.store.content.readText(img.id)),
      layers: img.layers,
    };
  })()`)) as ImageDocs;
}

describe("containers and docker commit", () => {
  let imageId = "";

  it("creates a container, edits it copy-on-write, and docker diff reports A/C/D", async () => {
    const id = (await ok(`docker create --name c1 -e GREETING=hi ${alpine}`)).trim();
    expect(id).toMatch(/^[a-f0-9]{64}$/);
    const ps = await ok("docker ps -a");
    expect(ps).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\n/);
    expect(ps).toContain(`${id.slice(0, 12)}   ${alpine}`);
    expect(ps).toMatch(/"\/bin\/sh"\s+(Less than a second|\d+ seconds?) ago\s+Created\s+c1\n/);
    expect(await ok("docker ps")).toBe("CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n");

    await ok("lab write c1 /etc/motd Hello from the container layer");
    await ok("lab write --append c1 /etc/motd second line");
    await ok("lab rm c1 /etc/hosts");
    await ok("lab mkdir -p c1 /srv/app");
    await ok("lab write c1 /srv/app/config.txt port=8080");
    await ok("lab rm -r c1 /media");
    expect(await ok("lab cat c1 /etc/motd")).toBe("Hello from the container layer\nsecond line\n");
    expect(await ok(`lab cat ${alpine} /etc/motd`)).toContain("Welcome to Alpine!");
    const diff = await ok("docker diff c1");
    expect(diff).toBe(["C /etc", "D /etc/hosts", "C /etc/motd", "D /media", "C /srv", "A /srv/app", "A /srv/app/config.txt", ""].join("\n"));
    const tree = await ok("lab tree c1 /etc");
    expect(tree).toMatch(/ C  +motd\n/);
    expect(tree).toMatch(/ L0  +passwd\n/);
    expect(tree).not.toContain("hosts");
  });

  it("commits with -m -a -c: a new layer on the parent's, history and config updated", async () => {
    const out = await ok(`docker commit -m "add motd and app" -a "Learner <learner@example.com>" -c 'CMD ["cat", "/etc/motd"]' -c "ENV APP_PORT=8080" -c "WORKDIR /srv/app" c1 lab/alpine:changed`);
    imageId = out.trim();
    expect(imageId).toMatch(/^sha256:[a-f0-9]{64}$/);
    const inspect = JSON.parse(await ok("docker image inspect lab/alpine:changed"))[0];
    const parent = JSON.parse(await ok(`docker image inspect ${alpine}`))[0];
    expect(inspect.RootFS.Layers.slice(0, -1)).toEqual(parent.RootFS.Layers);
    expect(inspect.RootFS.Layers).toHaveLength(parent.RootFS.Layers.length + 1);
    expect(inspect.Config.Cmd).toEqual(["cat", "/etc/motd"]);
    expect(inspect.Config.Env).toEqual(expect.arrayContaining(["GREETING=hi", "APP_PORT=8080"]));
    expect(inspect.Config.WorkingDir).toBe("/srv/app");
    expect(inspect.Author).toBe("Learner <learner@example.com>");
    expect(inspect.Comment).toBe("add motd and app");
    expect(inspect.Parent).toBe(parent.Id);
    const history = await ok("docker history --no-trunc lab/alpine:changed");
    expect(history.split("\n")[1]).toMatch(/^sha256:[a-f0-9]{64}\s+(Less than a second|\d+ seconds?) ago\s+\/bin\/sh\s+\S+\s+add motd and app$/);
    expect(await ok("lab cat lab/alpine:changed /etc/motd")).toBe("Hello from the container layer\nsecond line\n");
    const layers = await ok("lab layers lab/alpine:changed");
    expect(layers.trim().split("\n")).toHaveLength(parent.RootFS.Layers.length + 2);
    // The manifest keeps the parent's family (alpine fixture: Docker v2) and reuses its layer blobs.
    const { m } = await imageDocs(imageId);
    const parentLayers = (await imageDocs(parent.Id)).layers;
    expect(m.mediaType).toBe(pushed.alpine.mediaType);
    expect(parentLayers.length).toBeGreaterThan(0);
    expect(m.layers.slice(0, -1).map((l) => l.digest)).toEqual(parentLayers.map((l) => l.digest));
    expect(m.layers).toHaveLength(parentLayers.length + 1);
    expect(m.layers.at(-1)!.mediaType).toBe("application/vnd.docker.image.rootfs.diff.tar.gzip");
  });

  it("the committed image, saved, reads back in skopeo and umoci as exactly the lab's union", async () => {
    const [download] = await Promise.all([lab.page.waitForEvent("download"), ok("docker save -o changed.tar lab/alpine:changed && download changed.tar")]);
    const archive = join(dir, "changed.tar");
    await download.saveAs(archive);
    const layout = join(dir, "layout");
    execFileSync("skopeo", ["copy", "--quiet", `docker-archive:${archive}`, `oci:${layout}:changed`]);
    const bundle = join(dir, "bundle");
    execFileSync("umoci", ["unpack", "--image", `${layout}:changed`, bundle]);
    const disk = diskUnion(join(bundle, "rootfs"));
    const union = await labUnion("lab/alpine:changed");
    expect(union.length).toBeGreaterThan(400);
    expect(disk).toEqual(union);
    expect(disk.find((e) => e.path === "etc/hosts")).toBeUndefined();
    expect(disk.find((e) => e.path === "srv/app/config.txt")).toMatchObject({ type: "file", size: 10 });
  });

  it("the committed image's config validates against the OCI schemas; its manifest stays Docker v2", async (ctx) => {
    requireOciSchemas(ctx);
    const { m, c } = await imageDocs(imageId);
    expect(m.mediaType).toBe("application/vnd.docker.distribution.manifest.v2+json");
    expect(ociSchemaErrors("config", c)).toEqual([]);
  });

  it("a container of the committed image sees the change; two containers never see each other's writes", async () => {
    await ok("docker create --name c2 lab/alpine:changed");
    await ok(`docker create --name c3 lab/alpine:changed`);
    expect(await ok("lab cat c2 /srv/app/config.txt")).toBe("port=8080\n");
    await ok("lab write c2 /srv/app/config.txt port=9090");
    expect(await ok("lab cat c3 /srv/app/config.txt")).toBe("port=8080\n");
    expect(await ok("docker diff c2")).toBe("C /srv\nC /srv/app\nC /srv/app/config.txt\n");
    expect(await ok("docker diff c3")).toBe("");
  });

  it("keeps containers and their layers across a reload", async () => {
    const before = await ok("docker diff c1");
    await lab.reload();
    // Newest first, as Docker lists them: the three containers made above, all still there (NAMES is
    // the last column).
    const names = (await ok("docker ps -a")).trimEnd().split("\n").slice(1).map((l) => l.trim().split(/\s+/).at(-1));
    expect(names).toEqual(["c3", "c2", "c1"]);
    expect(await ok("docker diff c1")).toBe(before);
    expect(await ok("lab cat c1 /etc/motd")).toBe("Hello from the container layer\nsecond line\n");
  });

  it("docker cp copies a file out (to the host, then a download) and in (from the host, or a file picker)", async () => {
    expect(await ok("docker cp c1:/etc/motd motd.txt && cat motd.txt")).toContain("Hello from the container layer\nsecond line\n");
    expect(await ok("mkdir -p out && docker cp -q c1:/etc/motd out/ && cat out/motd")).toBe("Hello from the container layer\nsecond line\n");
    await ok("echo 'from the shell' > shell.txt && docker cp -q shell.txt c1:/srv/");
    expect(await ok("lab cat c1 /srv/shell.txt")).toBe("from the shell\n");
    const [download] = await Promise.all([lab.page.waitForEvent("download"), ok("download motd.txt")]);
    const out = join(dir, "motd.txt");
    await download.saveAs(out);
    expect(readFileSync(out, "utf8")).toBe("Hello from the container layer\nsecond line\n");
    const upload = join(dir, "notes.txt");
    execFileSync("sh", ["-c", `printf 'from the host\\n' > ${upload}`]);
    const chooser = lab.page.waitForEvent("filechooser");
    const run = lab.exec("docker cp notes.txt c1:/srv/");
    await (await chooser).setFiles(upload);
    const r = await run;
    expect(r.code).toBe(0);
    expect(await ok("lab cat c1 /srv/notes.txt")).toBe("from the host\n");
  });

  it("refuses to remove an image a container uses, and removes containers", async () => {
    const r = await lab.exec("docker rmi lab/alpine:changed");
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/conflict: unable to remove repository reference "lab\/alpine:changed" \(must force\) - container [a-f0-9]{12} is using its referenced image [a-f0-9]{12}/);
    expect(await ok("docker rm c2 c3")).toBe("c2\nc3\n");
    const missing = await lab.exec("docker rm c2");
    expect(missing.code).toBe(1);
    expect(missing.output).toContain("Error response from daemon: No such container: c2");
    const dup = await lab.exec(`docker create --name c1 ${alpine}`);
    expect(dup.output).toContain('Conflict. The container name "/c1" is already in use by container');
  });

  it("commits an unchanged container as an empty layer (no new diff ID)", async () => {
    await ok(`docker create --name same ${busybox}`);
    const id = (await ok("docker commit same lab/busybox:same")).trim();
    const img = JSON.parse(await ok(`docker image inspect ${id}`))[0];
    const parent = JSON.parse(await ok(`docker image inspect ${busybox}`))[0];
    expect(img.RootFS.Layers).toEqual(parent.RootFS.Layers);
    const hist = await ok("docker history lab/busybox:same");
    expect(hist.split("\n")[1]).toMatch(/^[a-f0-9]{12}\s+.*\s+0B\s*$/);
  });

  it("commits an OCI image as an OCI manifest with OCI media types", async () => {
    await ok(`docker create --name oci ${busybox}`);
    await ok("lab write oci /root/note hello");
    const id = (await ok("docker commit oci lab/busybox:note")).trim();
    expect(id).toMatch(/^sha256:[a-f0-9]{64}$/);
    const { m } = await imageDocs(id);
    expect(m.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
    expect(m.config.mediaType).toBe("application/vnd.oci.image.config.v1+json");
    expect(m.layers.at(-1)!.mediaType).toBe("application/vnd.oci.image.layer.v1.tar+gzip");
  });

  it("the committed OCI manifest and config validate against the OCI schemas", async (ctx) => {
    requireOciSchemas(ctx);
    const { m, c } = await imageDocs("lab/busybox:note");
    expect(ociSchemaErrors("manifest", m)).toEqual([]);
    expect(ociSchemaErrors("config", c)).toEqual([]);
  });
});

describe("images made by umoci with whiteouts and opaque directories", () => {
  it("load in the lab with the union umoci unpacks", async () => {
    const root = join(dir, "umoci");
    const layout = join(root, "layout");
    const sh = (cmd: string) => execFileSync("sh", ["-euc", cmd], { cwd: root });
    execFileSync("mkdir", ["-p", root]);
    sh(`umoci init --layout ${layout} && umoci new --image ${layout}:wh`);
    sh(`umoci unpack --image ${layout}:wh b1 && cd b1/rootfs && mkdir -p etc opt/old opt/keep var/cache srv && echo one > etc/conf && echo a > opt/old/a && echo b > opt/old/b && echo k > opt/keep/k && echo x > var/cache/x && echo y > var/cache/y && ln -s ../etc/conf srv/conf-link && chmod 0640 etc/conf`);
    sh(`umoci repack --image ${layout}:wh b1`);
    sh(`mkdir -p newopt/fresh && echo n > newopt/fresh/n && umoci insert --image ${layout}:wh --opaque newopt /opt`);
    sh(`umoci insert --image ${layout}:wh --whiteout /var/cache/x`);
    sh(`echo two > conf2 && umoci insert --image ${layout}:wh conf2 /etc/conf`);
    sh(`umoci unpack --image ${layout}:wh b2`);
    const archive = join(root, "wh.tar");
    sh(`tar -C ${layout} -cf ${archive} oci-layout index.json blobs`);
    const chooser = lab.page.waitForEvent("filechooser");
    const loading = lab.exec("docker load -i wh.tar");
    await (await chooser).setFiles(archive);
    const r = await loading;
    expect(r.output).toMatch(/^Loaded image/);
    expect(r.code).toBe(0);
    const name = /Loaded image(?: ID)?: (\S+)/.exec(r.output)![1]!;
    const disk = diskUnion(join(root, "b2/rootfs"));
    expect(disk.map((e) => e.path)).toEqual(["etc", "etc/conf", "opt", "opt/fresh", "opt/fresh/n", "srv", "srv/conf-link", "var", "var/cache", "var/cache/y"]);
    expect(await labUnion(name)).toEqual(disk);
    const layers = await ok(`lab layers ${name}`);
    expect(layers).toMatch(/\n2\s+\S+\s+\S+\s+\d+\s+\d+\s+[1-9]\d*\s/); // the whiteout layer removes something
  });
});
