/**
 * The lab against real Docker 20.10 on the same images and the same operations: both pull the oracle
 * images from one test registry (fixtures.ts pushOracleImages), run the same shell lines, and what they
 * print must agree — `docker images` columns, `docker history` rows, image and container inspect
 * fields and `--format` answers, `docker diff` of a container that adds, changes, deletes and links,
 * `docker commit -m -a` and the committed image's history and config, `docker top`, and the errors for
 * missing objects. What cannot be equal between two daemons (container ids, the times things happened,
 * process ids) is replaced by a placeholder on both sides before comparing, never dropped.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { launchLab, type LabDriver } from "../harness/browser.ts";
import { haveDocker, requireDocker, startDocker, type TestDocker } from "../harness/docker.ts";
import { pushOracleImages, type OracleImages } from "../harness/fixtures.ts";
import { haveRegistryBinary, startRegistry, type TestRegistry } from "../harness/registry.ts";
import { requireHostFile } from "../harness/shared.ts";

let reg: TestRegistry | undefined;
let docker: TestDocker | undefined;
let lab: LabDriver | undefined;
let images: OracleImages;
let work = "";

beforeAll(async () => {
  if (!haveDocker() || !haveRegistryBinary()) return; // each test then fails (CI=true) or skips, naming what is missing
  reg = await startRegistry();
  work = mkdtempSync(join(tmpdir(), "layerlab-oracle-"));
  images = await pushOracleImages(reg, work);
  // overlay2 where the kernel allows it (the driver most Docker users have), else vfs: the answers
  // compared here are the same with both.
  docker = await startDocker({ insecureRegistries: [reg.host], storageDriver: "overlay2" });
  console.info(`dockerd runs with ${docker.storageDriver}`);
  lab = await launchLab({ allowRegistries: reg.allowHosts });
  for (const ref of [images.busyboxV2, images.rich]) {
    await docker.docker("pull", "-q", ref);
    await labOk(`docker pull -q ${ref}`);
  }
}, 300_000);

afterAll(async () => {
  await lab?.close();
  await docker?.stop();
  await reg?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

beforeEach((ctx) => {
  requireDocker(ctx);
  requireHostFile(ctx, "/usr/bin/docker-registry", "docker-registry");
});

async function labOk(line: string): Promise<string> {
  const r = await lab!.exec(line);
  if (r.code !== 0) throw new Error(`lab: ${line} → ${r.code}\n${r.output}`);
  return r.output;
}

/** One shell line in both, stdout and stderr together (2>&1) as the lab's terminal shows them, and the status. */
async function both(line: string, on: TestDocker = docker!): Promise<{ docker: string; lab: string; dockerCode: number; labCode: number }> {
  const d = await on.shell(`${line} 2>&1`);
  const l = await lab!.exec(`${line} 2>&1`);
  return { docker: d.stdout, lab: l.output, dockerCode: d.code, labCode: l.code };
}

/** Both print the same (after `normalize`) and exit alike. */
async function same(line: string, normalize: (s: string) => unknown = (s) => s, on?: TestDocker): Promise<string> {
  const r = await both(line, on);
  expect({ line, out: normalize(r.lab), code: r.labCode }).toEqual({ line, out: normalize(r.docker), code: r.dockerCode });
  return r.docker;
}

/** A table's cells (columns are 3 or more spaces apart; a cell holds at most single spaces). */
const cells = (s: string) => s.split("\n").filter(Boolean).map((l) => l.split(/ {3,}/));

const TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g;
const times = (s: string) => s.replace(TIME, (t) => (t.startsWith("0001-") ? t : "<time>"));

describe("the lab and real Docker on the same images", () => {
  it("docker images: the same ID, size and digest per image", async () => {
    for (const ref of [images.busyboxV2, images.rich]) {
      const repo = ref.slice(0, ref.lastIndexOf(":"));
      await same(`docker images --format '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}' ${repo}`);
      await same(`docker images --no-trunc --digests --format '{{.ID}} {{.Digest}}' ${repo}`);
      await same(`docker images --digests --format raw ${repo}`);
      await same(`docker images -q --format raw ${repo}`);
    }
  });

  it("docker history: the same rows, truncated and not, and the same table", async () => {
    for (const ref of [images.busyboxV2, images.rich]) {
      await same(`docker history --no-trunc --format '{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}|{{.CreatedAt}}' ${ref}`);
      await same(`docker history --format '{{.ID}}|{{.CreatedBy}}|{{.Size}}' ${ref}`);
      await same(`docker history -H=false ${ref} | cut -c1-20,60-`);
    }
    // Created long ago: its CREATED column cannot tick over between the two runs.
    await same(`docker history ${images.rich}`);
  });

  it("docker image inspect: the same fields, and --format answers", async () => {
    for (const ref of [images.busyboxV2, images.rich]) {
      const pick = (s: string) => {
        const [o] = JSON.parse(s) as Record<string, unknown>[];
        const { Id, RepoTags, RepoDigests, Parent, Comment, Created, Author, Config, Architecture, Os, Size, VirtualSize, RootFS } = o!;
        return { Id, RepoTags, RepoDigests, Parent, Comment, Created, Author, Config, Architecture, Os, Size, VirtualSize, RootFS };
      };
      const r = await both(`docker image inspect ${ref}`);
      expect(pick(r.lab)).toEqual(pick(r.docker));
      await same(`docker image inspect -f '{{.Config}}|{{.RootFS}}|{{json .Config.Labels}}|{{.Size}}|{{len .RootFS.Layers}}' ${ref}`);
      await same(`docker inspect -f '{{.Os}}/{{.Architecture}} {{range .RootFS.Layers}}{{println .}}{{end}}' ${ref}`);
    }
  });

  it("missing objects: Docker's words and statuses", async () => {
    await same("docker image inspect nosuch");
    await same("docker image inspect -f '{{.Id}}' nosuch");
    await same("docker inspect nosuch");
    await same("docker inspect -f '{{.Id}}' nosuch");
    await same("docker container inspect nosuch");
    await same("docker history nosuch");
    await same("docker history nosuch:v1");
    await same("docker rmi nosuch");
    await same("docker tag nosuch x");
    await same("docker diff nosuch");
    await same("docker top nosuch");
  });

  it("flags Docker cannot parse: its words, and its status 125", async () => {
    await same("docker ps --bogus");
    await same("docker images -z");
    await same("docker ps --filter");
    await same("docker images --filter nofilter");
    await same(`docker run --bogus ${images.busyboxV2} true`);
  });

  it("a container that writes: docker diff, container inspect, and a commit's history and config", async () => {
    const script = "mkdir -p /new/dir && echo hi > /new/dir/f && echo extra >> /etc/group && rm /bin/true && ln -s /new/dir /link && touch /tmp/t && rm -rf /var/spool";
    const run = await both(`docker run --network none --name oracle-w ${images.busyboxV2} sh -c '${script}'`);
    expect([run.lab, run.labCode]).toEqual([run.docker, run.dockerCode]);
    // Docker's tree differ lists siblings in Go's map order, which varies from run to run: the same
    // lines, in any order.
    await same("docker diff oracle-w", (s) => s.split("\n").sort());
    await same("docker container diff oracle-w | sort");
    const ids = async () => {
      const d = (await docker!.docker("inspect", "-f", "{{.Id}}", "oracle-w")).trim();
      const l = (await labOk("docker inspect -f '{{.Id}}' oracle-w")).trim();
      return [d, l];
    };
    const [dId, lId] = await ids();
    const noIds = (s: string) => times(s.replaceAll(dId!, "<id>").replaceAll(lId!, "<id>").replaceAll(dId!.slice(0, 12), "<id>").replaceAll(lId!.slice(0, 12), "<id>"));
    await same("docker container inspect -f '{{.Path}} {{.Args}} {{.State.Status}} {{.State.ExitCode}} {{.Name}} {{json .Config.Cmd}} {{.Config.Image}} {{.HostConfig.NetworkMode}} {{.RestartCount}} {{.Mounts}}' oracle-w");
    await same("docker inspect -f '{{.State}}' oracle-w", noIds);
    await same("docker inspect -f '{{json .Config}}' oracle-w", noIds);
    await same("docker inspect -f '{{.Config.Hostname}}' oracle-w", noIds);
    await same("docker top oracle-w", noIds);
    await same("docker ps -a -s --filter name=oracle-w --format raw", (s) => noIds(s).replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \w+/, "<time>").replace(/Exited \(0\) .* ago/, "Exited (0) <when>"));

    await same("docker commit -m 'added files' -a 'Learner <learner@example.invalid>' oracle-w oracle/commit:1 | wc -c");
    await same("docker history --no-trunc --format '{{.CreatedBy}}|{{.Size}}|{{.Comment}}' oracle/commit:1");
    // The new row's CREATED ("N seconds ago") sets the column's width and may tick between the two runs.
    await same("docker history oracle/commit:1 | tail -n +3", (s) => s.replace(/ {2,}/g, "  "));
    await same("docker image inspect -f '{{.Author}}|{{.Comment}}|{{.Os}}/{{.Architecture}}|{{len .RootFS.Layers}}|{{json .Config.Cmd}}|{{.Config.Env}}|{{.Config.Image}}' oracle/commit:1");
    await same("docker image inspect -f '{{.Container}}' oracle/commit:1", noIds);
    await same("docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' oracle/commit");
    // The base's layers come first, unchanged; the new one is the container's changes.
    const layers = await both("docker image inspect -f '{{range .RootFS.Layers}}{{println .}}{{end}}' oracle/commit:1");
    const base = await docker!.docker("image", "inspect", "-f", "{{range .RootFS.Layers}}{{println .}}{{end}}", images.busyboxV2);
    expect(layers.lab.startsWith(base.trimEnd())).toBe(true);
    expect(layers.docker.startsWith(base.trimEnd())).toBe(true);
  });

  it("docker top: the same columns and the same processes", async () => {
    const d = await docker!.docker("run", "-d", "--network", "none", "--name", "oracle-top", images.busyboxV2, "sh", "-c", "sleep 600 & exec sleep 599");
    const l = await labOk(`docker run -d --network none --name oracle-top ${images.busyboxV2} sh -c 'sleep 600 & exec sleep 599'`);
    // PID, PPID, C (CPU use so far: an emulated machine spends more starting a process) and STIME differ.
    const blank = (...cols: number[]) => (s: string) => cells(s).map((r, i) => (i === 0 ? r : r.map((c, j) => (cols.includes(j) ? "<differs>" : c))));
    const pids = blank(1, 2, 3, 4);
    // Wait until both show the two processes.
    for (let i = 0; i < 30; i++) {
      const r = await both("docker top oracle-top");
      if (r.lab.split("\n").filter(Boolean).length === 3 && r.docker.split("\n").filter(Boolean).length === 3) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    await same("docker top oracle-top", pids);
    await same("docker top oracle-top -o pid,comm,args", blank(0));
    await same("docker top oracle-top -o user,comm,stat,nice,tty");
    await same("docker top oracle-top --bogus");
    await same("docker top oracle-top -o nosuchfield");
    await same("docker stop -t 1 oracle-top | wc -c");
    const ids = [d.trim(), l.trim()];
    await same("docker top oracle-top", (s) => s.replace(ids[0]!, "<id>").replace(ids[1]!, "<id>"));
  });
});

describe("published ports: the lab and Docker's default bridge (docker-proxy) on the same flags", () => {
  let bridged: TestDocker | undefined;
  beforeAll(async () => {
    if (!docker) return;
    bridged = await startDocker({ insecureRegistries: [reg!.host], bridge: true });
    await bridged.docker("pull", "-q", images.busyboxV2);
  }, 120_000);
  afterAll(async () => {
    await bridged?.stop();
  });

  it("docker port, the PORTS column, inspect's bindings, the filters, a clash and the parse errors", async () => {
    const on = (line: string, normalize?: (s: string) => unknown) => same(line, normalize, bridged!);
    // Host ports this machine leaves free (docker-proxy really listens on them); no port left to
    // Docker's choice, which depends on what the machine's own connections hold.
    const flags = "-p 18080:80 -p 127.0.0.1:19000:90/udp -p 18081-18082:81-82 -p 18083:83 -p 18084:83 --expose 5555 --expose 7000-7001";
    const run = await both(`docker run -d --name oracle-p ${flags} ${images.busyboxV2} sleep 600`, bridged!);
    expect([run.labCode, run.dockerCode]).toEqual([0, 0]);
    // Docker lists the ports in Go's map order (a rotation of the sorted list that changes between runs): the same lines.
    await on("docker port oracle-p", (s) => s.split("\n").sort());
    await on("docker port oracle-p 80");
    await on("docker port oracle-p 83/tcp");
    await on("docker port oracle-p 90/udp");
    await on("docker port oracle-p 5555");
    await on("docker port oracle-p abc");
    await on("docker port nosuch");
    await on("docker ps --filter name=oracle-p --format '{{.Ports}}'");
    await on("docker inspect -f '{{json .HostConfig.PortBindings}}|{{json .Config.ExposedPorts}}|{{json .NetworkSettings.Ports}}|{{.HostConfig.PublishAllPorts}}' oracle-p");
    for (const f of ["publish=18080", "publish=80", "expose=80", "expose=5555", "expose=7000-7001/tcp", "publish=19000/udp", "publish=abc", "expose=1:2"]) await on(`docker ps --filter ${f} --format '{{.Names}}'`);
    const endpoint = (s: string) => s.replace(/\([0-9a-f]{64}\)/, "(<endpoint>)").replace(/^[0-9a-f]{64}\n/, "<id>\n");
    await on(`docker run -d --name oracle-p2 -p 18080:80 ${images.busyboxV2} sleep 1`, endpoint);
    await on(`docker run -d --name oracle-p3 -p 127.0.0.1:18081:80 ${images.busyboxV2} sleep 1`, endpoint);
    for (const bad of ["abc", "8080:abc", "99999:80", "8080:80/xyz", "1.2.3:80:80", "::1:8081:80", "80-79", "8000-8001:80-82", "published=8080,bogus"]) await on(`docker create -p '${bad}' ${images.busyboxV2}`);
    await on(`docker create --expose 1:2 ${images.busyboxV2}`);
    await on(`docker create --network host -p 18090:80 ${images.busyboxV2} >/dev/null`);
    await on("docker stop -t 1 oracle-p >/dev/null && docker port oracle-p && docker ps -a --filter name=oracle-p --format '[{{.Ports}}]'");
    await on("docker rm -f oracle-p oracle-p2 oracle-p3 | sort");
  }, 180_000);
});
