/**
 * docker login / push against the real Distribution registry (token auth with the test token server,
 * htpasswd, relative Locations): what was pushed reads back in skopeo + umoci as the lab's union;
 * cross-repository mounts; a chunked upload cut halfway resumes; the registry's on-disk layout is what
 * `lab registry-layout` says; wrong credentials and refused media types leave nothing half-published.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readdirSync, statSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Request } from "playwright-core";
import { startLabServer, type LabServer } from "../../proxy/node.ts";
import { launchLab, type LabDriver } from "../harness/browser.ts";
import { pushFixtures, type PushedFixtures } from "../harness/fixtures.ts";
import { nonEmpty } from "../harness/each.ts";
import { startRegistry, type TestRegistry } from "../harness/registry.ts";
import { diskUnion, labUnion } from "../harness/union.ts";

/** Async: the token server answers in this process, so a blocking call would deadlock skopeo. */
async function run(cmd: string, args: string[]): Promise<Buffer> {
  const { stdout } = await promisify(execFile)(cmd, args, { encoding: "buffer", maxBuffer: 64 << 20 });
  return stdout;
}

const dir = mkdtempSync(join(tmpdir(), "layerlab-push-"));

async function ok(lab: LabDriver, line: string): Promise<string> {
  const r = await lab.exec(line);
  if (r.code !== 0) throw new Error(`${line} → ${r.code}\n${r.output}`);
  return r.output;
}

function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

function skopeoCreds(reg: TestRegistry): string[] {
  return reg.username ? ["--src-creds", `${reg.username}:${reg.password}`] : [];
}

describe("docker push with token auth", () => {
  let reg: TestRegistry;
  let pushed: PushedFixtures;
  let lab: LabDriver;
  let server: LabServer;
  const proxyLog: string[] = [];
  const profile = mkdtempSync(join(tmpdir(), "layerlab-push-profile-"));

  beforeAll(async () => {
    reg = await startRegistry("token");
    pushed = await pushFixtures(reg);
    server = await startLabServer({ allowRegistries: reg.allowHosts, log: (l) => proxyLog.push(l) });
    lab = await launchLab({ serverUrl: server.url, profileDir: profile });
  });
  afterAll(async () => {
    await lab?.close();
    await server?.close();
    await reg?.stop();
  });

  it("pushes a committed image: mounts the base layer, uploads the new one, then the manifest", async () => {
    await ok(lab, `docker login --remember -u ${reg.username} -p ${reg.password} ${reg.host}`);
    const alpine = `${reg.host}/${pushed.alpine.name}`;
    await ok(lab, `docker pull -q ${alpine}`);
    await ok(lab, `docker create --name p1 ${alpine}`);
    await ok(lab, "lab write p1 /etc/motd pushed from the lab");
    await ok(lab, "lab rm p1 /etc/hosts");
    await ok(lab, `docker commit -m "for the registry" p1 ${reg.host}/lab/pushed:v1`);
    const out = await ok(lab, `docker push ${reg.host}/lab/pushed:v1`);
    const lines = out.trim().split("\n");
    expect(lines[0]).toBe(`The push refers to repository [${reg.host}/lab/pushed]`);
    const ids = JSON.parse(await ok(lab, `docker image inspect ${reg.host}/lab/pushed:v1`))[0].RootFS.Layers.map((d: string) => d.slice(7, 19));
    expect(out).toContain(`${ids[1]}: Pushed`);
    expect(out).toContain(`${ids[0]}: Mounted from lab/alpine`);
    expect(lines.at(-1)).toMatch(/^v1: digest: sha256:[a-f0-9]{64} size: \d+$/);
    const digest = /digest: (sha256:[a-f0-9]{64})/.exec(out)![1];
    const raw = await run("skopeo", ["inspect", "--raw", "--tls-verify=false", ...skopeoCreds(reg).map((x) => x.replace("--src-creds", "--creds")), `docker://${reg.host}/lab/pushed:v1`]);
    expect(`sha256:${(await import("node:crypto")).createHash("sha256").update(raw).digest("hex")}`).toBe(digest);
    // Read back by skopeo and umoci: exactly the lab's union.
    const layout = join(dir, "pushed");
    await run("skopeo", ["copy", "--quiet", "--src-tls-verify=false", ...skopeoCreds(reg), `docker://${reg.host}/lab/pushed:v1`, `oci:${layout}:v1`]);
    await run("umoci", ["unpack", "--image", `${layout}:v1`, join(dir, "pushed-bundle")]);
    const union = await labUnion(lab, `${reg.host}/lab/pushed:v1`);
    expect(union.length).toBeGreaterThan(400); // alpine's root filesystem, not an empty listing
    expect(diskUnion(join(dir, "pushed-bundle/rootfs"))).toEqual(union);
    // Pushed again: everything is there already.
    const again = await ok(lab, `docker push ${reg.host}/lab/pushed:v1`);
    expect(again).toContain(`${ids[0]}: Layer already exists`);
    expect(again).toContain(`${ids[1]}: Layer already exists`);
    expect(await ok(lab, `docker images --digests ${reg.host}/lab/pushed`)).toContain(digest);
  });

  it("lab registry-layout lists exactly the files the registry keeps for the repository", async () => {
    const layout = await ok(lab, `lab registry-layout ${reg.host}/lab/pushed:v1`);
    const paths: string[] = [];
    const stack: string[] = [];
    for (const line of layout.trimEnd().split("\n")) {
      const depth = (line.length - line.trimStart().length) / 2;
      stack.length = depth;
      const name = line.trim();
      if (name.endsWith("/")) stack.push(name.slice(0, -1));
      else paths.push([...stack, name].join("/"));
    }
    const repoPrefix = "docker/registry/v2/repositories/lab/pushed/";
    const onDisk = filesUnder(join(reg.dataDir, repoPrefix)).map((p) => repoPrefix + p);
    expect(paths.filter((p) => p.startsWith(repoPrefix))).toEqual(nonEmpty(onDisk, "the repository's files on disk"));
    for (const p of nonEmpty(paths.filter((x) => x.includes("/blobs/")), "the layout's blobs")) expect(existsSync(join(reg.dataDir, p))).toBe(true);
    // The page's pane (the Registry tab) shows the same tree for the image pushed last.
    await lab.page.getByRole("tab", { name: "Registry", exact: true }).click();
    await expect.poll(() => lab.page.locator("registry-layout-pane pre").textContent(), { timeout: 10_000 }).toContain("_manifests/");
    expect(await lab.page.locator("registry-layout-pane input").inputValue()).toMatch(/lab\/(pushed|other):v1$/);
  });

  it("pushing the same layers to a second repository mounts them all", async () => {
    await ok(lab, `docker tag ${reg.host}/lab/pushed:v1 ${reg.host}/lab/other:v1`);
    const out = await ok(lab, `docker push ${reg.host}/lab/other:v1`);
    const layerLines = out.split("\n").filter((l) => /^[a-f0-9]{12}: /.test(l) && !/Preparing|Waiting/.test(l));
    expect(layerLines.length).toBe(2);
    for (const l of layerLines) expect(l).toMatch(/: Mounted from lab\/(pushed|alpine)$/);
  });

  it("a chunked upload cut halfway resumes where the registry has it", async () => {
    const big = `${reg.host}/${pushed.big.name}`;
    await ok(lab, `docker pull -q ${big}`);
    await ok(lab, `docker tag ${big} ${reg.host}/lab/resume:v1`);
    // Forget where the blobs came from, so they are uploaded (not mounted).
    await lab.page.evaluate(`(async () => {
      const { daemon } = window.layerlab;
      for (const d of await daemon.store.listDistribution()) await daemon.store.db.put("distribution", { ...d, sources: [] });
      daemon.images.pushChunkSize = 4 << 20;
    })()`);
    let cut = false;
    const seen: string[] = [];
    const onRequest = (r: Request) => {
      if (r.url().includes("/blobs/uploads/")) seen.push(`${r.method()} ${r.headers()["content-range"] ?? ""}`);
    };
    lab.page.on("request", onRequest);
    await lab.page.route("**/blobs/uploads/**", async (route) => {
      const range = route.request().headers()["content-range"];
      if (!cut && route.request().method() === "PATCH" && range && !range.startsWith("0-")) {
        cut = true;
        return route.abort("connectionreset");
      }
      return route.fallback();
    });
    const first = await lab.exec(`docker push ${reg.host}/lab/resume:v1`);
    expect(cut).toBe(true);
    expect(first.code).toBe(1);
    await lab.page.unroute("**/blobs/uploads/**");
    seen.length = 0;
    const second = await lab.exec(`docker push ${reg.host}/lab/resume:v1`);
    lab.page.off("request", onRequest);
    expect(second.code).toBe(0);
    expect(second.output).toMatch(/[a-f0-9]{12}: Resuming/);
    // The resumed upload asks the registry for its offset, then continues from 16 MiB, not from 0.
    expect(seen).toContain("GET ");
    expect(seen.some((s) => /^PATCH (8388608|12582912|16777216)-/.test(s))).toBe(true);
    expect(seen.filter((s) => s.startsWith("PATCH 0-")).length).toBeLessThan(5);
    const copied = join(dir, "resumed");
    await run("skopeo", ["copy", "--quiet", "--src-tls-verify=false", ...skopeoCreds(reg), `docker://${reg.host}/lab/resume:v1`, `oci:${copied}:v1`]);
  });

  it("pushes an image pulled from an index with its index", async () => {
    const multi = `${reg.host}/${pushed.multiOci.name}`;
    await ok(lab, `docker pull -q ${multi}`);
    await ok(lab, `docker tag ${multi} ${reg.host}/lab/multi-copy:latest`);
    const out = await ok(lab, `docker push ${reg.host}/lab/multi-copy:latest`);
    expect(out).toContain(`latest: digest: ${pushed.multiOci.digest}`);
    const raw = JSON.parse((await run("skopeo", ["inspect", "--raw", "--tls-verify=false", "--creds", `${reg.username}:${reg.password}`, `docker://${reg.host}/lab/multi-copy:latest`])).toString());
    expect(raw.mediaType).toBe("application/vnd.oci.image.index.v1+json");
    expect(raw.manifests.length).toBe(2);
  });

  it("a registry that refuses the manifest's media type gets a message naming it, and no tag", async () => {
    await ok(lab, `docker tag ${reg.host}/lab/pushed:v1 ${reg.host}/lab/refused:v1`);
    await lab.page.route("**/manifests/v1", (route) =>
      route.request().method() === "PUT"
        ? route.fulfill({ status: 400, contentType: "application/json", body: JSON.stringify({ errors: [{ code: "MANIFEST_INVALID", message: "manifest invalid", detail: "unsupported manifest media type" }] }) })
        : route.fallback(),
    );
    const r = await lab.exec(`docker push ${reg.host}/lab/refused:v1`);
    await lab.page.unroute("**/manifests/v1");
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/application\/vnd\.docker\.distribution\.manifest\.v2\+json/);
    expect(r.output).toMatch(/manifest invalid/);
    expect(existsSync(join(reg.dataDir, "docker/registry/v2/repositories/lab/refused/_manifests/tags"))).toBe(false);
  });

  it("an account that may only pull is told it is denied, not that its password is wrong", async () => {
    await ok(lab, `docker login -u reader -p ${reg.password} ${reg.host}`);
    const r = await lab.exec(`docker push ${reg.host}/lab/pushed:v1`);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/denied: requested access to the resource is denied: reader may not push to lab\/pushed/);
    await ok(lab, `docker login --remember -u ${reg.username} -p ${reg.password} ${reg.host}`);
  });

  it("remembers a login on this device only when asked, until logout", async () => {
    await lab.reload();
    await ok(lab, `docker push ${reg.host}/lab/pushed:v1`);
    await ok(lab, `docker logout ${reg.host}`);
    await lab.reload();
    const r = await lab.exec(`docker push ${reg.host}/lab/pushed:v1`);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/authentication required.*docker login/);
  });

  it("the proxy's log of these logins, pulls and pushes holds no credential, token or query string", () => {
    const basic = Buffer.from(`${reg.username}:${reg.password}`).toString("base64");
    expect(proxyLog.filter((l) => /\/v2\/.*\/blobs\/uploads\//.test(l)).length).toBeGreaterThan(0);
    expect(proxyLog.filter((l) => l.includes("/token")).length).toBeGreaterThan(0);
    for (const line of proxyLog) {
      expect(line).not.toContain(reg.password!);
      expect(line).not.toContain(basic);
      expect(line).not.toMatch(/eyJ[\w-]{10,}/); // a JWT (the token server's tokens)
      expect(line).not.toMatch(/Bearer|Basic |authorization/i);
      expect(line).not.toMatch(/\?|_state=|scope=|account=|service=/);
    }
  });
});

describe("docker push with htpasswd and relative Locations", () => {
  let reg: TestRegistry;
  let lab: LabDriver;
  let pushed: PushedFixtures;

  beforeAll(async () => {
    reg = await startRegistry("htpasswd", { relativeUrls: true });
    pushed = await pushFixtures(reg);
    lab = await launchLab({ allowRegistries: reg.allowHosts });
  });
  afterAll(async () => {
    await lab?.close();
    await reg?.stop();
  });

  it("a wrong password is refused clearly and nothing is published", async () => {
    const r = await lab.exec(`docker login -u ${reg.username} -p wrong ${reg.host}`);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/incorrect username or password/);
    await ok(lab, `docker login -u ${reg.username} -p ${reg.password} ${reg.host}`);
    await ok(lab, `docker pull -q ${reg.host}/${pushed.busyboxOci.name}`);
    await ok(lab, `docker tag ${reg.host}/${pushed.busyboxOci.name} ${reg.host}/lab/nope:v1`);
    await ok(lab, `docker logout ${reg.host}`);
    const denied = await lab.exec(`docker push ${reg.host}/lab/nope:v1`);
    expect(denied.code).toBe(1);
    expect(denied.output).toMatch(/unauthorized: authentication required for .*: run docker login/);
    expect(existsSync(join(reg.dataDir, "docker/registry/v2/repositories/lab/nope/_manifests"))).toBe(false);
  });

  it("pushes with relative upload Locations", async () => {
    await ok(lab, `docker login -u ${reg.username} -p ${reg.password} ${reg.host}`);
    await lab.page.evaluate(`(async () => {
      const { daemon } = window.layerlab;
      for (const d of await daemon.store.listDistribution()) await daemon.store.db.put("distribution", { ...d, sources: [] });
    })()`);
    const out = await ok(lab, `docker push ${reg.host}/lab/nope:v1`);
    expect(out).toMatch(/: Pushed\n/);
    await run("skopeo", ["inspect", "--tls-verify=false", "--creds", `${reg.username}:${reg.password}`, `docker://${reg.host}/lab/nope:v1`]);
  });
});
