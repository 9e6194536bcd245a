/**
 * Containers on the network in Chromium, the teaching material's favourite way to make an image:
 * `docker run debian`, `apt-get update && apt-get install -y vim-tiny`, `docker commit -m … -a …`,
 * run the new image (vim is there); the same in a Dockerfile's RUN, and `docker build --network none`
 * without it. apt's repository is a local server the test allows as host.docker.internal; traffic goes
 * page → the lab server's relay (/net/wisp, /net/dns-query) → 127.0.0.1.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchLab, type LabDriver } from "../harness/browser.ts";
import { haveDocker, requireDocker, startDocker, type TestDocker } from "../harness/docker.ts";
import { debianFixture, serveDirectory } from "../harness/debian.ts";
import { startRegistry, type TestRegistry } from "../harness/registry.ts";

let reg: TestRegistry;
let docker: TestDocker | undefined;
let lab: LabDriver;
let repo: Awaited<ReturnType<typeof serveDirectory>>;
let debian: string;
let sources: string;
const errors: string[] = [];
/** The lab container's `docker diff` after its apt-get install, for the comparison with Docker. */
let compareWithDocker = "";

beforeAll(async () => {
  const fx = await debianFixture();
  reg = await startRegistry("none");
  debian = `${reg.host}/lab/debian:bookworm`;
  await promisify(execFile)("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", `oci:${fx.layout}:${fx.tag}`, `docker://${debian}`]);
  repo = await serveDirectory(fx.repo);
  const host = `host.docker.internal:${repo.port}`;
  sources = `rm -f /etc/apt/sources.list.d/* && echo 'deb [trusted=yes] http://${host}/ ./' > /etc/apt/sources.list`;
  lab = await launchLab({
    allowRegistries: reg.allowHosts,
    allowNet: [host],
    netResolve: async (h) => (h === "host.docker.internal" ? ["127.0.0.1"] : []),
    onConsoleError: (e) => errors.push(e),
  });
  expect((await lab.exec(`docker pull -q ${debian}`)).code).toBe(0);
  if (haveDocker()) {
    docker = await startDocker({ insecureRegistries: [reg.host], storageDriver: "overlay2" });
    await docker.docker("pull", "-q", debian);
  }
}, 300_000);
afterAll(async () => {
  await lab?.close();
  await docker?.stop();
  await reg?.stop();
  repo?.server.close();
});

async function ok(line: string): Promise<string> {
  const r = await lab.exec(line);
  if (r.code !== 0) throw new Error(`${line} → ${r.code}\n${r.output.slice(-3000)}`);
  return r.output;
}

describe("containers on the network (Chromium, through the lab's relay)", () => {
  it("apt-get installs vim-tiny in a container; docker commit -m -a; the new image runs vim", async () => {
    const out = await ok(`docker run --name apt1 ${debian} sh -c "${sources} && apt-get update && apt-get install -y --no-install-recommends vim-tiny"`);
    expect(out).toMatch(/Setting up vim-tiny/);
    const diff = await ok("docker diff apt1");
    expect(diff).toContain("A /usr/bin/vim.tiny\n");
    // Docker's three network files are bound over the init layer: never in the container's changes.
    expect(diff).not.toMatch(/\/etc\/(hosts|hostname|resolv\.conf)\n/);
    await ok("docker commit -m 'add vim-tiny' -a 'A Learner <learner@example.com>' apt1 lab/vim:1");
    compareWithDocker = diff;
    expect(await ok("docker run --rm lab/vim:1 vim.tiny --version")).toMatch(/^VIM - Vi IMproved 9\.0/);
    expect(await ok("docker history --no-trunc --format '{{.CreatedBy}}|{{.Comment}}' lab/vim:1")).toMatch(/^sh -c .*apt-get install.*\|add vim-tiny\n/);
    expect(await ok("docker inspect -f '{{.Author}}' lab/vim:1")).toBe("A Learner <learner@example.com>\n");
  });

  it("installs what real Docker installs: the same changes, apart from apt's lists, caches and logs", async (ctx) => {
    requireDocker(ctx);
    // Docker's daemon here has no bridge (--bridge=none): its container uses the host's network, and the repository's address.
    const line = sources.replace(`host.docker.internal:${repo.port}`, `127.0.0.1:${repo.port}`);
    const r = await docker!.run(["run", "--network", "host", "--name", "apt1", debian, "sh", "-c", `${line} && apt-get update && apt-get install -y --no-install-recommends vim-tiny`]);
    expect(r.code, r.stderr).toBe(0);
    const changes = (d: string) => d.split("\n").filter((l) => l && !/^[ACD] \/var\/(lib\/apt\/lists|cache|log)\//.test(l)).sort();
    expect(changes(compareWithDocker)).toEqual(changes(await docker!.docker("diff", "apt1")));
  });

  it("docker network ls, and inspect's NetworkSettings of a running container", async () => {
    expect((await ok("docker network ls --format '{{.Name}} {{.Driver}} {{.Scope}}'")).split("\n").sort().join("\n")).toBe("\nbridge bridge local\nhost host local\nnone null local");
    await ok(`docker run -d --name net1 ${debian} sleep 60`);
    expect(await ok("docker inspect -f '{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.IPPrefixLen}} {{.NetworkSettings.MacAddress}}' net1")).toBe("172.17.0.2 172.17.0.1 16 02:42:ac:11:00:02\n");
    expect(await ok("docker exec net1 cat /etc/resolv.conf")).toBe("nameserver 172.17.0.1\n");
    await ok("docker rm -f net1");
    expect(await ok(`docker run --rm -h web --add-host myhost:host-gateway ${debian} sh -c 'hostname; cat /etc/hostname; grep -v "^[f:]" /etc/hosts'`)).toBe("web\nweb\n127.0.0.1\tlocalhost\n172.17.0.1\tmyhost\n172.17.0.2\tweb\n");
    const bad = await lab.exec(`docker run --add-host nohost ${debian} true`);
    expect(bad.output).toContain('invalid argument "nohost" for "--add-host" flag: bad format for add-host: "nohost"');
  });

  it("RUN apt-get in a Dockerfile has the network; --network none has only lo and fails to resolve", async () => {
    const dir = mkdtempSync(join(tmpdir(), "layerlab-net-build-"));
    writeFileSync(join(dir, "Dockerfile"), `FROM ${debian}\nRUN ${sources} && apt-get update && apt-get install -y --no-install-recommends tree\nCMD ["tree", "--version"]\n`);
    await lab.workIn(dir);
    const built = await lab.exec("docker build -t lab/tree:1 .");
    expect(built.code, built.output.slice(-3000)).toBe(0);
    expect(await ok("docker run --rm lab/tree:1")).toMatch(/^tree v2/);
    const none = await lab.exec("docker build --network none --no-cache -t lab/tree:2 .");
    expect(none.code, none.output.slice(-2000)).toBe(100); // the RUN's status, as Docker 20.10's classic builder exits
    expect(none.output).toMatch(/(Temporary failure resolving|Could not resolve) 'host\.docker\.internal'/);
    expect(none.output).toMatch(/returned a non-zero code: 100/);
  });

  it("logged no console errors", () => {
    expect(errors).toEqual([]);
  });
});
