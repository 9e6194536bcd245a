/**
 * Docker's `--format` (issue 13) on the lab's commands, in Chromium on the bundled demo images:
 * `docker images`, `docker ps`, `docker history` rows (formatter contexts through src/cli/template.ts,
 * `table` with Docker's headers and tabwriter), `docker image inspect -f` / `docker inspect -f` /
 * `docker container inspect -f` on Docker's typed inspect values, and Docker's errors and statuses.
 * Commands run through the lab's host shell, so pipes work.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchLab, type LabDriver } from "../harness/browser.ts";

const IMAGES = ["layerlab.demo/teaching", "layerlab.demo/busybox", "layerlab.demo/wasi/hello"];

let lab: LabDriver;
const errors: string[] = [];
beforeAll(async () => {
  lab = await launchLab({ onConsoleError: (e: string) => errors.push(e) });
  for (const img of IMAGES) await ok(`docker pull -q ${img}`);
  await ok("docker create --name fmt-a layerlab.demo/wasi/hello");
  await ok("docker create --name fmt-b layerlab.demo/busybox echo hi");
});
afterAll(async () => {
  await lab?.close();
});

async function ok(line: string): Promise<string> {
  const r = await lab.exec(line);
  if (r.code !== 0) throw new Error(`${line} → ${r.code}\n${r.output}`);
  return r.output;
}
const lines = (s: string) => s.split("\n").filter(Boolean);

describe("docker images --format", () => {
  it("prints one line per image from the template", async () => {
    expect(await ok("docker images --format '{{.Repository}}:{{.Tag}}' | sort")).toBe(`${IMAGES.map((i) => `${i}:latest`).sort().join("\n")}\n`);
    const ids = lines(await ok("docker images --format '{{.ID}}'"));
    expect(ids).toHaveLength(3);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12}$/);
    for (const id of lines(await ok("docker images --no-trunc --format '{{.ID}}'"))) expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("has Docker's headers and columns for a table, and the default table for a bare `table`", async () => {
    const out = lines(await ok("docker images --format 'table {{.Repository}}\\t{{.Tag}}'"));
    expect(out[0]).toMatch(/^REPOSITORY +TAG$/);
    const col = out[0]!.indexOf("TAG");
    expect(col).toBe(Math.max(...IMAGES.map((i) => i.length)) + 3);
    for (const l of out.slice(1)) expect(l.slice(col)).toBe("latest");
    expect(await ok("docker images --format table")).toBe(await ok("docker images"));
  });

  it("{{json .}} has imageContext's fields as Docker's MarshalJSON writes them", async () => {
    for (const l of lines(await ok("docker images --format '{{json .}}'"))) {
      const row = JSON.parse(l) as Record<string, string>;
      expect(Object.keys(row)).toEqual(["Containers", "CreatedAt", "CreatedSince", "Digest", "ID", "Repository", "SharedSize", "Size", "Tag", "UniqueSize", "VirtualSize"]);
      expect(row.CreatedAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/);
      expect(row.Containers).toBe("N/A");
      expect(row.Size).toMatch(/^[\d.]+[kMG]?B$/);
    }
  });

  it("a template that does not parse or execute prints Docker's error and nothing else (status 1)", async () => {
    expect(await lab.exec("docker images --format '{{.Repository'")).toEqual({ code: 1, output: "template parsing error: template: :1: unclosed action\n" });
    const r = await lab.exec("docker images --format '{{.Nope}}'");
    expect(r.code).toBe(1);
    expect(r.output).toBe('template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.imageContext\n');
  });
});

describe("docker image inspect -f / docker inspect -f", () => {
  it("ranges over typed values: one line per layer", async () => {
    for (const img of IMAGES) {
      const layers = (JSON.parse(await ok(`docker image inspect ${img}`)) as { RootFS: { Layers: string[] } }[])[0]!.RootFS.Layers.length;
      expect(layers).toBeGreaterThan(0);
      expect((await ok(`docker image inspect -f '{{range .RootFS.Layers}}{{println .}}{{end}}' ${img} | wc -l`)).trim()).toBe(String(layers + 1));
      expect((await ok(`docker image inspect -f '{{len .RootFS.Layers}}' ${img}`)).trim()).toBe(String(layers));
    }
  });

  it("{{json .Config}} is JSON; fields and functions as Docker's", async () => {
    const config = JSON.parse(await ok("docker inspect -f '{{json .Config}}' layerlab.demo/busybox")) as Record<string, unknown>;
    expect(Object.keys(config)[0]).toBe("Hostname");
    expect(await ok("docker inspect -f '{{.Os}}/{{.Architecture}} {{index .RepoTags 0}}' layerlab.demo/busybox")).toMatch(/^linux\/\w+ layerlab.demo\/busybox:latest\n$/);
    // .ID is types.ImageInspect's field; .Id only the JSON's (Docker retries on the raw JSON); both at once is neither.
    expect(await ok("docker inspect -f '{{.ID}} {{.Size}}' layerlab.demo/busybox")).toMatch(/^sha256:[0-9a-f]{64} \d+\n$/);
    expect(await ok("docker inspect -f '{{.Id}}' layerlab.demo/busybox two 2>/dev/null; echo $?")).toMatch(/^sha256:[0-9a-f]{64}\n1\n$/);
    expect((await lab.exec("docker inspect -f '{{.Id}} {{.ID}}' layerlab.demo/busybox")).output).toBe('\ntemplate parsing error: template: :1:10: executing "" at <.ID>: map has no entry for key "ID"\n');
  });

  it("prints Docker's errors with its statuses: 64 when it does not parse, 1 when it fails", async () => {
    expect(await lab.exec("docker image inspect -f '{{.Id' layerlab.demo/busybox")).toEqual({ code: 64, output: "template parsing error: template: :1: unclosed action\n" });
    const r = await lab.exec("docker image inspect -f '{{.Foo}}' layerlab.demo/busybox");
    expect(r.code).toBe(1);
    expect(r.output).toContain('template parsing error: template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"\n');
    const missing = await lab.exec("docker image inspect -f '{{.Id}}' nothing-here");
    expect(missing).toEqual({ code: 1, output: "\nError: No such image: nothing-here\n" });
    expect(await lab.exec("docker inspect nothing-here")).toEqual({ code: 1, output: "[]\nError: No such object: nothing-here\n" });
    expect(await lab.exec("docker inspect --type container -f '{{.Id}}' layerlab.demo/busybox")).toEqual({ code: 1, output: "\nError: No such container: layerlab.demo/busybox\n" });
  });

  it("docker container inspect -f and docker inspect -f read containers", async () => {
    expect(await ok("docker container inspect -f '{{.Name}} {{.State.Status}} {{.State.Running}}' fmt-a")).toBe("/fmt-a created false\n");
    // Typed as Docker's types.ContainerJSON: a struct prints as Go prints one.
    expect(await ok("docker inspect -f '{{.State}}|{{.Mounts}}|{{.HostConfig.NetworkMode}}|{{.ExecIDs}}' fmt-a")).toBe("{created false false false false false 0 0  0001-01-01T00:00:00Z 0001-01-01T00:00:00Z <nil>}|[]|default|[]\n");
    expect(await ok("docker inspect -f '{{.Config.Cmd}} {{json .Config.Cmd}}' fmt-b")).toBe('[echo hi] ["echo","hi"]\n');
    expect(JSON.parse(await ok("docker container inspect -f '{{json .}}' fmt-a")).Name).toBe("/fmt-a");
    expect(await lab.exec("docker container inspect -f '{{.Id' fmt-a")).toEqual({ code: 64, output: "template parsing error: template: :1: unclosed action\n" });
    const r = await lab.exec("docker container inspect -f '{{.Nope}}' fmt-a");
    expect(r.code).toBe(1);
    expect(r.output).toContain('map has no entry for key "Nope"');
  });
});

describe("docker history --format", () => {
  it("prints historyContext's fields, with --no-trunc and -H as Docker has them", async () => {
    const img = "layerlab.demo/teaching";
    const count = lines(await ok(`docker history -q ${img}`)).length;
    const rows = lines(await ok(`docker history --format '{{.CreatedBy}}|{{.Size}}' ${img}`));
    expect(rows).toHaveLength(count);
    for (const r of rows) {
      const [by, size] = r.split("|");
      expect([...by!].length).toBeLessThanOrEqual(45);
      expect(size).toMatch(/^[\d.]+[kMG]?B$/);
    }
    for (const r of lines(await ok(`docker history -H=false --format '{{.Size}} {{.CreatedSince}}' ${img}`))) expect(r).toMatch(/^\d+ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(lines(await ok(`docker history --no-trunc --format '{{.ID}}' ${img}`))[0]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(lines(await ok(`docker history --format 'table {{.ID}}\\t{{.Size}}' ${img}`))[0]).toMatch(/^IMAGE +SIZE$/);
  });
});

describe("docker ps --format", () => {
  it("prints ContainerContext's fields", async () => {
    expect(lines(await ok("docker ps -a --format '{{.Names}}'")).sort()).toEqual(["fmt-a", "fmt-b"]);
    for (const id of lines(await ok("docker ps -a --format '{{.ID}}'"))) expect(id).toMatch(/^[0-9a-f]{12}$/);
    expect(await ok("docker ps -a --format '{{.Names}} {{.Image}} {{.Command}} {{.State}} {{.Status}}' | grep fmt-b")).toBe('fmt-b layerlab.demo/busybox "echo hi" created Created\n');
    const table = lines(await ok("docker ps -a --format 'table {{.Names}}\\t{{.State}}'"));
    expect(table[0]).toBe("NAMES     STATE");
    expect(await ok("docker ps -a --format '{{.Size}}' | head -n 1")).toMatch(/^[\d.]+[kMG]?B( \(virtual [\d.]+[kMG]?B\))?\n$/);
    expect(await ok("docker ps -a -q --format '{{.Names}}' 2>/dev/null | wc -l")).toMatch(/^\s*2\n$/);
    expect(lines(await ok("docker ps -a -q --format '{{.Names}}' 2>/dev/null"))[0]).toMatch(/^[0-9a-f]{12}$/);
  });

  it("a template that does not parse or execute is Docker's error (status 1)", async () => {
    expect(await lab.exec("docker ps --format '{{.ID'")).toEqual({ code: 1, output: "failed to parse template: template: :1: unclosed action\n" });
    const r = await lab.exec("docker ps --format '{{.Nope}}'");
    expect(r.code).toBe(1);
    expect(r.output).toBe('failed to execute template: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext\n');
  });

  it("logged no console errors", () => {
    expect(errors).toEqual([]);
  });
});
