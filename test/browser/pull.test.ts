/**
 * Pulls real images from Debian's Distribution registry through the proxy into IndexedDB, in real
 * headless Chromium, and compares what the store holds with what skopeo reports.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchLab, type LabDriver } from "../harness/browser.ts";
import { pushFixtures, type PushedFixtures } from "../harness/fixtures.ts";
import { nonEmpty } from "../harness/each.ts";
import { startRegistry, type TestRegistry } from "../harness/registry.ts";

interface StoreView {
  blobs: { digest: string; size: number }[];
  layers: { chainId: string; diffId: string; parent: string | null }[];
  dist: { digest: string; diffId: string }[];
  images: { id: string; diffIds: string[]; manifestDigest: string; repoDigests: string[] }[];
  tags: { name: string; imageId: string }[];
  ingests: number;
}

/** What the page's own store (window.layerlab.daemon.store) holds. */
async function storeView(lab: LabDriver): Promise<StoreView> {
  return lab.page.evaluate(`(async () => {
    const s = window.layerlab.daemon.store;
    return {
      blobs: (await s.content.list()).map((b) => ({ digest: b.digest, size: b.size })),
      layers: await s.listLayers(),
      dist: await s.listDistribution(),
      images: await s.listImages(),
      tags: await s.listTags(),
      ingests: (await s.content.ingests()).length,
    };
  })()`) as Promise<StoreView>;
}

describe.each(["none", "htpasswd", "token"] as const)("docker pull with %s auth", (auth) => {
  let reg: TestRegistry;
  let pushed: PushedFixtures;
  let lab: LabDriver;
  let tokensBeforeLab = 0;

  beforeAll(async () => {
    reg = await startRegistry(auth);
    pushed = await pushFixtures(reg);
    tokensBeforeLab = reg.tokenServer?.requests.length ?? 0;
    lab = await launchLab({ allowRegistries: reg.allowHosts });
  });
  afterAll(async () => {
    await lab?.close();
    await reg?.stop();
  });

  if (auth !== "none") {
    it("without login, says to run docker login", async () => {
      const r = await lab.exec(`docker pull ${reg.host}/${pushed.busyboxOci.name}`);
      expect(r.code).toBe(1);
      expect(r.output).toMatch(/unauthorized: authentication required.*run docker login/);
    });
    it("refuses a wrong password at login, and keeps nothing", async () => {
      const r = await lab.exec(`docker login -u ${reg.username} -p wrong ${reg.host}`);
      expect(r.code).toBe(1);
      expect(r.output).toMatch(/incorrect username or password/);
      const again = await lab.exec(`docker pull ${reg.host}/${pushed.busyboxOci.name}`);
      expect(again.output).toMatch(/authentication required/);
    });
    it("logs in", async () => {
      const r = await lab.exec(`docker login -u ${reg.username} -p ${reg.password} ${reg.host}`);
      expect(r.output).toContain("Login Succeeded");
      expect(r.code).toBe(0);
    });
  }

  it("pulls an OCI image with Docker's progress lines and stores exactly what skopeo reports", async () => {
    const img = pushed.busyboxOci;
    const r = await lab.exec(`docker pull ${reg.host}/${img.name}`);
    expect(r.output).toContain(`oci: Pulling from ${img.repository}`);
    for (const l of nonEmpty(img.layers, "the image's layers")) {
      expect(r.output).toContain(`${l.digest.slice(7, 19)}: Pulling fs layer`);
      expect(r.output).toContain(`${l.digest.slice(7, 19)}: Verifying Checksum`);
      expect(r.output).toContain(`${l.digest.slice(7, 19)}: Pull complete`);
    }
    expect(r.output).toContain(`Digest: ${img.digest}`);
    expect(r.output).toContain(`Status: Downloaded newer image for ${reg.host}/${img.name}`);
    expect(r.code).toBe(0);
    const v = await storeView(lab);
    const image = v.images.find((i) => i.id === img.configDigest)!;
    expect(image.diffIds).toEqual(img.diffIds);
    expect(image.manifestDigest).toBe(img.digest);
    for (const l of nonEmpty(img.layers, "the image's layers")) expect(v.blobs).toContainEqual({ digest: l.digest, size: l.size });
    for (const d of nonEmpty(img.diffIds, "the image's diff IDs")) expect(v.blobs.map((b) => b.digest)).toContain(d);
    expect(v.blobs.map((b) => b.digest)).toContain(img.configDigest);
    expect(v.ingests).toBe(0);
    expect(v.tags).toContainEqual(expect.objectContaining({ name: `${reg.host}/${img.name}`, imageId: img.configDigest }));
  });

  it("pulls the same image again: up to date, no download", async () => {
    const r = await lab.exec(`docker pull ${reg.host}/${pushed.busyboxOci.name}`);
    expect(r.output).toContain("Status: Image is up to date");
    expect(r.code).toBe(0);
  });

  it("pulls the Docker v2 variant: its layers are recognised as already there", async () => {
    const img = pushed.busyboxV2;
    const r = await lab.exec(`docker pull ${reg.host}/${img.name}`);
    expect(r.code).toBe(0);
    for (const l of nonEmpty(img.layers, "the image's layers")) expect(r.output).toContain(`${l.digest.slice(7, 19)}: Already exists`);
    const v = await storeView(lab);
    const image = v.images.find((i) => i.id === img.configDigest)!;
    expect(image.diffIds).toEqual(img.diffIds);
    expect(image.manifestDigest).toBe(img.digest);
  });

  if (auth === "token") {
    it("reuses a token per scope instead of asking for one per request", async () => {
      const asked = reg.tokenServer!.requests.slice(tokensBeforeLab).filter((q) => q.status === 200 && q.user === reg.username && q.scope.includes("repository:lab/busybox:pull"));
      expect(asked).toHaveLength(1);
    });
  }

  if (auth === "none") {
    it("pulls zstd-compressed layers: same diff IDs, its own compressed blobs", async () => {
      const img = pushed.busyboxZstd;
      expect(img.layers[0]!.mediaType).toBe("application/vnd.oci.image.layer.v1.tar+zstd");
      // The busybox images pulled above share these layers: remove them, or they "Already exist".
      expect((await lab.exec(`docker rmi ${reg.host}/${pushed.busyboxOci.name} ${reg.host}/${pushed.busyboxV2.name}`)).code).toBe(0);
      const r = await lab.exec(`docker pull ${reg.host}/${img.name}`);
      for (const l of nonEmpty(img.layers, "the image's layers")) expect(r.output).toContain(`${l.digest.slice(7, 19)}: Pull complete`);
      expect(r.code).toBe(0);
      const v = await storeView(lab);
      for (const l of nonEmpty(img.layers, "the image's layers")) expect(v.blobs).toContainEqual({ digest: l.digest, size: l.size });
      const image = v.images.find((i) => i.manifestDigest === img.digest)!;
      expect(image.diffIds).toEqual(pushed.busyboxOci.diffIds);
    });

    it("picks linux/386 from an OCI index and a Docker manifest list, or the --platform asked for", async () => {
      for (const multi of [pushed.multiOci, pushed.multiDocker]) {
        const r = await lab.exec(`docker pull ${reg.host}/${multi.name}`);
        expect(r.code).toBe(0);
        expect(r.output).toContain(`Digest: ${multi.digest}`);
        const inspect = await lab.exec(`docker image inspect --format '{{.Architecture}} {{.Os}}' ${reg.host}/${multi.name}`);
        expect(inspect.output.trim()).toBe("386 linux");
      }
      const amd = await lab.exec(`docker pull --platform linux/amd64 ${reg.host}/${pushed.multiOci.name}`);
      expect(amd.code).toBe(0);
      const inspect = await lab.exec(`docker image inspect --format '{{.Architecture}}' ${reg.host}/${pushed.multiOci.name}`);
      expect(inspect.output.trim()).toBe("amd64");
      const none = await lab.exec(`docker pull --platform linux/arm64 ${reg.host}/${pushed.multiOci.name}`);
      expect(none.code).toBe(1);
      expect(none.output).toMatch(/no matching manifest for linux\/arm64.*available: linux\/386, linux\/amd64/);
    });

    it("images, history, inspect, tag and rmi behave like Docker", async () => {
      const name = `${reg.host}/${pushed.alpine.name}`;
      expect((await lab.exec(`docker pull ${name}`)).code).toBe(0);
      const images = await lab.exec("docker images");
      expect(images.output.split("\n")[0]).toMatch(/^REPOSITORY\s{3,}TAG\s{3,}IMAGE ID\s{3,}CREATED\s{3,}SIZE$/);
      expect(images.output).toMatch(new RegExp(`^${reg.host}/lab/alpine\\s{3,}3\\.15\\s{3,}${pushed.alpine.configDigest.slice(7, 19)}\\s{3,}\\S.* ago\\s{3,}[\\d.]+MB$`, "m"));
      const history = await lab.exec(`docker history ${name}`);
      expect(history.output.split("\n")[0]).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
      expect(history.output).toContain(pushed.alpine.configDigest.slice(7, 19));
      expect(history.output).toContain("ADD file:alpine-minirootfs");
      const inspect = JSON.parse((await lab.exec(`docker image inspect ${name}`)).output) as Record<string, unknown>[];
      expect(inspect[0]).toMatchObject({
        Id: pushed.alpine.configDigest,
        RepoTags: [name],
        RepoDigests: [`${reg.host}/lab/alpine@${pushed.alpine.digest}`],
        Architecture: "386",
        Os: "linux",
        RootFS: { Type: "layers", Layers: pushed.alpine.diffIds },
      });
      expect((await lab.exec(`docker tag ${name} teaching/alpine:v1`)).code).toBe(0);
      expect((await lab.exec("docker images teaching/alpine")).output).toMatch(/^teaching\/alpine\s{3,}v1\s{3,}/m);
      const untag = await lab.exec("docker rmi teaching/alpine:v1");
      expect(untag.output).toBe("Untagged: teaching/alpine:v1\n");
      const rmi = await lab.exec(`docker rmi ${name}`);
      expect(rmi.output).toContain(`Untagged: ${name}`);
      expect(rmi.output).toContain(`Deleted: ${pushed.alpine.configDigest}`);
      const v = await storeView(lab);
      for (const l of nonEmpty(pushed.alpine.layers, "alpine's layers")) expect(v.blobs.map((b) => b.digest)).not.toContain(l.digest);
      const missing = await lab.exec(`docker rmi ${name}`);
      expect(missing.output).toContain(`Error: No such image: ${name}`);
    });

    it("two tabs pulling the same image at once share one copy and leave no stray chunks", async () => {
      const second = await lab.context.newPage();
      await second.goto(lab.pageUrl);
      await second.waitForFunction(() => window.layerlab !== undefined);
      await second.evaluate(() => window.layerlab!.ready);
      const name = `${reg.host}/${pushed.big.name}`;
      const [a, b] = await Promise.all([lab.exec(`docker pull ${name}`), second.evaluate((l) => window.layerlab!.exec(l), `docker pull ${name}`)]);
      await second.close();
      expect(a.code).toBe(0);
      expect(b.code).toBe(0);
      const v = await storeView(lab);
      for (const l of nonEmpty(pushed.big.layers, "the big image's layers")) expect(v.blobs.filter((x) => x.digest === l.digest)).toHaveLength(1);
      const chunks = (await lab.page.evaluate(`(async () => {
        const s = window.layerlab.daemon.store;
        const owners = new Set([...(await s.content.list()).map((b) => b.owner), ...(await s.content.ingests()).map((i) => i.owner)]);
        const keys = await s.db.getAllKeys("chunks");
        return { total: keys.length, orphans: keys.filter((k) => !owners.has(k[0])).length };
      })()`)) as { total: number; orphans: number };
      expect(chunks.total).toBeGreaterThan(0);
      expect(chunks.orphans).toBe(0);
      expect(v.ingests).toBe(0);
    });

    it("image prune removes dangling images and frees their blobs", async () => {
      const name = `${reg.host}/${pushed.big.name}`;
      // Re-pointing the tag leaves the big image dangling, as Docker does.
      expect((await lab.exec(`docker tag ${reg.host}/${pushed.busyboxZstd.name} ${name}`)).code).toBe(0);
      expect((await lab.exec("docker images")).output).toMatch(/^<none>\s{3,}<none>\s{3,}/m);
      const prune = await lab.exec("docker image prune -f");
      expect(prune.code).toBe(0);
      expect(prune.output).toContain(`deleted: ${pushed.big.configDigest}`);
      expect(prune.output).toMatch(/Total reclaimed space: \d+(\.\d+)?MB/);
      const v = await storeView(lab);
      for (const l of nonEmpty(pushed.big.layers, "the big image's layers")) expect(v.blobs.map((x) => x.digest)).not.toContain(l.digest);
    });

    it("lab layers and lab tree show the union and where each file comes from", async () => {
      const name = `${reg.host}/${pushed.busyboxZstd.name}`;
      const layers = await lab.exec(`lab layers ${name}`);
      expect(layers.code).toBe(0);
      expect(layers.output.split("\n")[0]).toMatch(/^LAYER\s+DIFF ID\s+SIZE\s+ADDED\s+MODIFIED\s+REMOVED\s+CREATED BY$/);
      expect(layers.output).toMatch(/^2\s+\S+\s+\S+\s+\d+\s+\d+\s+1\s+\/bin\/sh -c rm \/tmp\/scratch.txt/m);
      const tree = await lab.exec(`lab tree ${name} /etc`);
      expect(tree.output).toMatch(/^-rw-r--r-- 0:0 +\S+ +L2  motd$/m);
      expect(tree.output).toMatch(/^-rw-r--r-- 0:0 +\S+ +L0  passwd$/m);
      expect((await lab.exec(`lab tree ${name} --layer 1 /tmp`)).output).toContain("scratch.txt");
      expect((await lab.exec(`lab tree ${name} /tmp`)).output).not.toContain("scratch.txt");
      expect((await lab.exec(`lab tree ${name} --layer 2 --changes`)).output).toContain("D /tmp/scratch.txt");
    });

    it("keeps pulled images across a reload", async () => {
      await lab.reload();
      const images = await lab.exec("docker images");
      expect(images.output).toContain(`${reg.host}/lab/busybox`);
    });
  }
});
