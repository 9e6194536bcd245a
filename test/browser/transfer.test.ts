/** docker rename, export and import in Chromium, against the offline demo images. */
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

describe("docker rename, export, import", () => {
  it("renames a container, with Docker's errors", async () => {
    await ok(`docker pull -q ${busybox}`);
    await ok(`docker create --name c0 ${busybox}`);
    await ok(`docker create --name other ${busybox}`);
    await ok("docker rename c0 c1");
    expect(await ok("docker ps -a")).toMatch(/\sc1\n/);
    expect(await ok("docker ps -a")).not.toMatch(/\sc0\n/);
    const same = await lab.exec("docker rename c1 c1");
    expect(same.code).toBe(1);
    expect(same.output).toContain("Error response from daemon: Renaming a container with the same name as its current name");
    const taken = await lab.exec("docker rename c1 other");
    expect(taken.code).toBe(1);
    expect(taken.output).toMatch(/Error response from daemon: Conflict\. The container name "\/other" is already in use by container "[a-f0-9]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\./);
    const missing = await lab.exec("docker rename nosuch x1");
    expect(missing.output).toContain("Error response from daemon: No such container: nosuch");
    await ok("docker rm other");
  });

  it("exports the container's whole file system as one flat tar", async () => {
    await ok("lab write c1 /tmp/hello.txt hello from c1");
    await ok("lab rm c1 /etc/group");
    const refused = await lab.exec("docker export c1");
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    await ok("docker export c1 > c1.tar");
    expect(Number((await ok("tar -tf c1.tar | grep -c .")).trim())).toBeGreaterThan(0);
    const names = (await ok("tar -tf c1.tar")).split("\n");
    expect(names).toContain("tmp/hello.txt");
    expect(names).toContain("bin/busybox");
    expect(names).not.toContain("etc/group");
    expect(names.some((n) => n.includes(".wh."))).toBe(false);
    await ok("docker export -o c1-o.tar c1");
    expect(await ok("tar -tf c1-o.tar")).toBe(await ok("tar -tf c1.tar"));
  });

  it("imports the tar as a one-layer image that runs", async () => {
    const id = (await ok("docker import c1.tar lab/imported:v1")).trim();
    expect(id).toMatch(/^sha256:[a-f0-9]{64}$/);
    const history = (await ok("docker history lab/imported:v1")).trim().split("\n");
    expect(history).toHaveLength(2); // header + one row
    expect(history[1]).toContain("Imported from -");
    const inspect = JSON.parse(await ok("docker image inspect lab/imported:v1"))[0];
    expect(inspect.Architecture).toBe("386");
    expect(inspect.Os).toBe("linux");
    expect(inspect.RootFS.Layers).toHaveLength(1);
    expect(await ok("docker run --rm lab/imported:v1 cat /tmp/hello.txt")).toBe("hello from c1\n");
  });

  it("imports from stdin, gzip'd too, with -m and -c", async () => {
    const v1 = JSON.parse(await ok("docker image inspect lab/imported:v1"))[0];
    const id = (await ok("cat c1.tar | docker import - lab/imported:v2")).trim();
    const v2 = JSON.parse(await ok("docker image inspect lab/imported:v2"))[0];
    expect(v2.RootFS.Layers).toEqual(v1.RootFS.Layers);
    expect(id).toMatch(/^sha256:[a-f0-9]{64}$/);
    await ok("gzip -c c1.tar > c1.tar.gz");
    await ok(`docker import -m "from a tarball" -c 'CMD ["cat", "/tmp/hello.txt"]' c1.tar.gz lab/imported:v3`);
    const v3 = JSON.parse(await ok("docker image inspect lab/imported:v3"))[0];
    expect(v3.RootFS.Layers).toEqual(v1.RootFS.Layers);
    expect(v3.Config.Cmd).toEqual(["cat", "/tmp/hello.txt"]);
    expect(await ok("docker history --format '{{.Comment}}' lab/imported:v3")).toBe("from a tarball\n");
    await ok("docker save -o imported.tar lab/imported:v3");
  });
});
