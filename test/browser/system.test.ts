/** docker images/ps --filter, system df, version and info in Chromium, against the offline demo images. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchLab, type LabDriver } from "../harness/browser.ts";

let lab: LabDriver;
beforeAll(async () => {
  lab = await launchLab();
});
afterAll(async () => {
  await lab?.close();
});

async function ok(line: string): Promise<string> {
  const r = await lab.exec(line);
  if (r.code !== 0) throw new Error(`${line} → ${r.code}\n${r.output}`);
  return r.output;
}

const busybox = "layerlab.demo/busybox";
const wasi = "layerlab.demo/wasi/hello";
const lines = (s: string) => s.split("\n").filter(Boolean);
const refs = async (filter: string) => lines(await ok(`docker images ${filter} --format '{{.Repository}}:{{.Tag}}'`)).sort();

/** go-units' decimal sizes back to bytes, for sums. */
function bytes(s: string): number {
  const m = /^([\d.]+)(B|kB|MB|GB)$/.exec(s);
  if (!m) throw new Error(`not a size: ${s}`);
  return Number(m[1]) * { B: 1, kB: 1e3, MB: 1e6, GB: 1e9 }[m[2] as "B"];
}

describe("docker images --filter", () => {
  it("filters by reference, dangling, label, before and since", async () => {
    await ok(`docker pull -q ${busybox}`);
    await ok(`docker pull -q ${wasi}`);
    await ok(`docker tag ${busybox} lab/other:v1`);
    await ok(`docker create --name labelled ${busybox}`);
    await ok(`docker commit -c 'LABEL tier=demo' -c 'LABEL solo=1' labelled lab/labelled:v1`);
    // An untagged image: tag a commit, then move the tag away.
    await ok(`docker commit -c 'LABEL gone=yes' labelled lab/dangling:v1`);
    await ok(`docker commit -c 'LABEL newer=yes' labelled lab/dangling:v1`);

    // path.Match: `*` stops at a slash.
    expect(await refs("--filter 'reference=layerlab.demo/*'")).toEqual([`${busybox}:latest`]);
    expect(await refs("--filter 'reference=layerlab.demo/*/*'")).toEqual([`${wasi}:latest`]);
    expect(await refs(`-f reference=${busybox} -f reference=${wasi}:latest`)).toEqual([`${busybox}:latest`, `${wasi}:latest`]);
    expect(await refs("-f reference=lab/other")).toEqual(["lab/other:v1"]);
    expect(await refs("-f 'reference=*/*:v?'")).toEqual(["lab/dangling:v1", "lab/labelled:v1", "lab/other:v1"]);
    expect(await refs("-f reference=nothing")).toEqual([]);

    expect(await refs("-f dangling=true")).toEqual(["<none>:<none>"]);
    const all = await refs("");
    expect(await refs("-f dangling=false")).toEqual(all.filter((r) => r !== "<none>:<none>"));

    expect(await refs("-f label=tier")).toEqual(["lab/labelled:v1"]);
    expect(await refs("-f label=tier=demo")).toEqual(["lab/labelled:v1"]);
    expect(await refs("-f label=tier=other")).toEqual([]);
    expect(await refs("-f label=tier -f label=solo=1")).toEqual(["lab/labelled:v1"]);
    expect(await refs("-f label=tier -f label=newer")).toEqual([]);

    const byCreated = lines(await ok("docker images --format '{{.CreatedAt}} {{.Repository}}:{{.Tag}}'"));
    const sinceBusybox = await refs(`-f since=${busybox}`);
    expect(sinceBusybox).toContain("lab/labelled:v1");
    expect(sinceBusybox).not.toContain(`${busybox}:latest`);
    expect(sinceBusybox).not.toContain("lab/other:v1"); // same image: not newer than itself
    const beforeLabelled = await refs("-f before=lab/labelled:v1");
    expect(beforeLabelled).toContain(`${busybox}:latest`);
    expect(beforeLabelled).not.toContain("lab/labelled:v1");
    expect(byCreated.length).toBe(all.length);
  });

  it("refuses bad filters as Docker does", async () => {
    const unknown = await lab.exec("docker images --filter x=1");
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain("Error response from daemon: Invalid filter 'x'");
    const dangling = await lab.exec("docker images -f dangling=maybe");
    expect(dangling.output).toContain("Error response from daemon: Invalid filter 'dangling=[maybe]'");
    // A filter with no '=' is refused while the flag is parsed: Docker exits 125 (docker-oracle.test.ts checks it against Docker).
    const bad = await lab.exec("docker images -f dangling");
    expect(bad.code).toBe(125);
    expect(bad.output).toContain("bad format of filter (expected name=value)");
    expect((await lab.exec("docker ps -f nope=1")).output).toContain("Error response from daemon: Invalid filter 'nope'");
  });
});

describe("docker ps --filter", () => {
  it("filters by status, name, id, ancestor, label and exited", async () => {
    await ok(`docker run --name exit3 ${busybox} sh -c 'exit 3'`).catch(() => undefined);
    await lab.exec(`docker run --name exit0 ${busybox} true`);
    await ok(`docker create --name fromlabelled lab/labelled:v1`);
    const names = async (filter: string) => lines(await ok(`docker ps -a ${filter} --format '{{.Names}}'`)).sort();

    expect(await names("-f status=created")).toEqual(["fromlabelled", "labelled"]);
    expect(await names("-f status=exited")).toEqual(["exit0", "exit3"]);
    expect(await names("-f status=running")).toEqual([]);
    expect(lines(await ok("docker ps -f status=exited --format '{{.Names}}'")).sort()).toEqual(["exit0", "exit3"]); // implies -a
    expect((await lab.exec("docker ps -f status=sleepy")).output).toContain("Invalid filter 'status=[sleepy]'");

    expect(await names("-f name=exit")).toEqual(["exit0", "exit3"]);
    expect(await names("-f name=exit3 -f name=labelled")).toEqual(["exit3", "fromlabelled", "labelled"]);
    expect(await names("-f name=^/labelled$")).toEqual(["labelled"]);

    const id = (await ok("docker ps -a -f name=exit3 --no-trunc --format '{{.ID}}'")).trim();
    expect(await names(`-f id=${id.slice(0, 5)}`)).toEqual(["exit3"]);

    expect(await names(`-f ancestor=${busybox}`)).toEqual(["exit0", "exit3", "fromlabelled", "labelled"]); // lab/labelled descends from busybox
    expect(await names("-f ancestor=lab/labelled:v1")).toEqual(["fromlabelled"]);
    const labelledId = (await ok("docker images -f reference=lab/labelled --format '{{.ID}}'")).trim();
    expect(await names(`-f ancestor=${labelledId}`)).toEqual(["fromlabelled"]);
    expect(await names("-f ancestor=no/such-image")).toEqual([]);

    expect(await names("-f label=tier=demo")).toEqual(["fromlabelled"]);
    expect(await names("-f label=tier=other")).toEqual([]);

    expect(await names("-f exited=3")).toEqual(["exit3"]);
    expect(await names("-f exited=0")).toEqual(["exit0"]);
    expect(await names("-f exited=0 -f exited=3")).toEqual(["exit0", "exit3"]);
    expect(await names("-f status=exited -f name=exit0")).toEqual(["exit0"]);
  });
});

describe("docker system df", () => {
  it("agrees with docker images and docker ps", async () => {
    const out = await ok("docker system df");
    const rows = lines(out);
    expect(rows[0]).toMatch(/^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/);
    expect(rows.map((r) => r.split(/\s{2,}/)[0])).toEqual(["TYPE", "Images", "Containers", "Local Volumes", "Build Cache"]);
    const cells = (type: string) => rows.find((r) => r.startsWith(type))!.slice(type.length).trim().split(/\s+/);

    const ids = new Set(lines(await ok("docker images -q")));
    const [total, active, size, reclaimable, percent] = cells("Images");
    expect(Number(total)).toBe(ids.size);
    // Active: images some container uses (busybox and lab/labelled).
    expect(Number(active)).toBe(2);
    // Size: the layers once each, so at most the sum of the images' sizes and at least the biggest.
    const sizes = new Map(lines(await ok("docker images --format '{{.ID}} {{.Size}}'")).map((l) => l.split(" ") as [string, string]));
    const sum = [...sizes.values()].reduce((a, s) => a + bytes(s), 0);
    expect(bytes(size!)).toBeLessThanOrEqual(sum * 1.01);
    expect(bytes(size!)).toBeGreaterThanOrEqual(Math.max(...[...sizes.values()].map(bytes)) * 0.99);
    expect(bytes(reclaimable!)).toBeLessThanOrEqual(bytes(size!));
    expect(percent).toMatch(/^\(\d+%\)$/);
    expect(Math.abs(Number(percent!.slice(1, -2)) - (100 * bytes(reclaimable!)) / bytes(size!))).toBeLessThan(2);

    const [ctotal, cactive] = cells("Containers");
    expect(Number(ctotal)).toBe(lines(await ok("docker ps -aq")).length);
    expect(Number(cactive)).toBe(lines(await ok("docker ps -q")).length);
    expect(cells("Local Volumes")).toEqual(["0", "0", "0B", "0B"]);
    expect(cells("Build Cache")).toEqual(["0", "0", "0B", "0B"]);

    expect(await ok("docker system df --format '{{.Type}}={{.TotalCount}}'")).toBe(`Images=${ids.size}\nContainers=${ctotal}\nLocal Volumes=0\nBuild Cache=0\n`);
  });

  it("-v lists each image and container", async () => {
    const out = await ok("docker system df -v");
    expect(out).toMatch(/^Images space usage:\n\nREPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\s+SHARED SIZE\s+UNIQUE SIZE\s+CONTAINERS\n/);
    expect(out).toContain("\nContainers space usage:\n\nCONTAINER ID   ");
    expect(out).toContain("\nLocal Volumes space usage:\n\nVOLUME NAME   LINKS     SIZE\n");
    expect(out).toContain("\nBuild cache usage: 0B\n\nCACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n");
    const images = out.split("Images space usage:\n\n")[1]!.split("\n\n")[0]!.split("\n").slice(1);
    expect(images.length).toBe(new Set(lines(await ok("docker images -q"))).size);
    const busyId = (await ok(`docker images -q ${busybox}`)).trim();
    // One row per image, under its first tag in lexical order (lab/other and busybox are one image).
    const busyRow = images.find((r) => r.includes(` ${busyId} `))!.split(/\s{2,}/);
    expect(busyRow[0]).toBe("lab/other");
    // busybox's layers are all under the commits too: shared = size, unique 0; 3 containers use it.
    expect(busyRow.at(-1)).toBe("3");
    expect(busyRow.at(-2)).toBe("0B");
    const busySize = (await ok(`docker images ${busybox} --format '{{.Size}}'`)).trim();
    expect(busyRow.at(-3)).toBe(busySize);
    expect(busyRow.at(-4)).toBe(busySize);
    expect(out).toMatch(/\n[0-9a-f]{12}\s+layerlab\.demo\/busybox\s+"sh -c exit 3"\s+0\s+\S+\s+.+ago\s+Exited \(3\).+exit3\n/);
  });
});

describe("docker version and docker info", () => {
  it("prints Client and Server sections, and --format", async () => {
    const out = await ok("docker version");
    expect(out).toMatch(/^Client:\n Version:           layerlab \d+\.\d+\.\d+\n API version:       1\.41\n Go version:        .+\n Git commit:        .+\n Built:             .+\n OS\/Arch:           browser\/js\n Context:           default\n Experimental:      false\n\nServer: Layerlab\n Engine:\n  Version:          layerlab \d+\.\d+\.\d+\n  API version:      1\.41 \(minimum version 1\.12\)\n/);
    expect(out).toContain("  OS/Arch:          linux/386\n");
    expect(await ok("docker version --format '{{.Server.Version}}'")).toMatch(/^layerlab \d+\.\d+\.\d+\n$/);
    expect(await ok("docker version -f '{{.Client.APIVersion}} {{.Server.Os}}/{{.Server.Arch}}'")).toBe("1.41 linux/386\n");
    const bad = await lab.exec("docker version --format '{{.Nope'");
    expect(bad.code).toBe(1);
    expect(bad.output).toContain("template parsing error");
  });

  it("counts containers and images", async () => {
    const out = await ok("docker info");
    const all = lines(await ok("docker ps -aq")).length;
    const running = lines(await ok("docker ps -q")).length;
    expect(out).toContain(`\nServer:\n Containers: ${all}\n  Running: ${running}\n  Paused: 0\n  Stopped: ${all - running}\n Images: ${new Set(lines(await ok("docker images -q"))).size}\n`);
    expect(out).toContain(" Storage Driver: layerlab\n");
    expect(out).toContain(" Architecture: i386\n");
    expect(out).toMatch(/ CPUs: [1-9]\d*\n/);
    expect(out).toMatch(/ Total Memory: \d+(\.\d+)?MiB\n/);
    expect(await ok("docker info --format '{{.Containers}} {{.Driver}} {{.OSType}}'")).toBe(`${all} layerlab linux\n`);
  });
});
