/**
 * Two tabs on one lab (one profile, one store): a container runs in tab A while tab B lists and
 * inspects it, creates and removes another, and is refused — in Docker's words where Docker has them
 * — removing, committing, stopping or starting the one A runs; opening B never marks A's container
 * exited; once A stops it B may commit it; a file A writes in the workspace shows in B's Files panel;
 * and when A is closed, its container is exited for the next tab that opens, as after a daemon restart.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { launchLab, type LabDriver } from "../harness/browser.ts";

let lab: LabDriver;
let b: Page;

const exec = (page: Page, line: string) => page.evaluate((l) => window.layerlab!.exec(l), line);
async function ok(page: Page, line: string): Promise<string> {
  const r = await exec(page, line);
  if (r.code !== 0) throw new Error(`${line} → ${r.code}\n${r.output}`);
  return r.output;
}
async function openTab(): Promise<Page> {
  const page = await lab.context.newPage();
  await page.goto(lab.pageUrl);
  await page.waitForFunction(() => window.layerlab !== undefined, undefined, { timeout: 60_000 });
  await page.evaluate(() => window.layerlab!.ready);
  return page;
}

beforeAll(async () => {
  lab = await launchLab();
  await ok(lab.page, "docker pull -q layerlab.demo/busybox");
}, 120_000);
afterAll(async () => {
  await lab?.close();
});

describe("two tabs", () => {
  it("B sees A's running container as running, and may not remove, commit, stop or start it", async () => {
    await ok(lab.page, "docker run -d --name long layerlab.demo/busybox sh -c 'while true; do date > /t.new; mv /t.new /t; sleep 1; done'");
    b = await openTab();
    expect(await ok(b, "docker ps --format '{{.Names}} {{.State}}'")).toBe("long running\n");
    expect(await ok(b, "docker inspect -f '{{.State.Status}} {{.State.Running}}' long")).toBe("running true\n");
    expect(await exec(b, "docker rm long")).toEqual({ code: 1, output: 'Error response from daemon: cannot remove container "/long": container is running in another tab of the lab: stop it there, or force remove it there\n' });
    expect((await exec(b, "docker rm -f long")).code).toBe(1);
    const commit = await exec(b, "docker commit long fromb:1");
    expect(commit.code).toBe(1);
    expect(commit.output).toMatch(/^Error response from daemon: Cannot commit container [0-9a-f]{12}: it is running in another tab of the lab/);
    expect((await exec(b, "docker stop long")).output).toContain("is running in another tab of the lab: stop it there");
    expect((await exec(b, "docker start long")).output).toContain("is already running in another tab of the lab");
    // A still runs it, undisturbed.
    expect(await ok(lab.page, "docker ps --format '{{.Names}} {{.State}}'")).toBe("long running\n");
    expect(await ok(lab.page, "docker exec long cat /t")).toMatch(/\d\d:\d\d:\d\d/);
  }, 180_000);

  it("B creates and removes a container of its own; A sees both", async () => {
    await ok(b, "docker create --name other layerlab.demo/busybox");
    expect(await ok(lab.page, "docker ps -a --format '{{.Names}}' | sort")).toBe("long\nother\n");
    await ok(b, "docker rm other");
    expect(await ok(lab.page, "docker ps -a --format '{{.Names}}'")).toBe("long\n");
  }, 60_000);

  it("once A stops it, B commits it", async () => {
    await ok(lab.page, "docker stop -t 1 long");
    expect((await ok(b, "docker commit long fromb:1")).trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await ok(b, "docker run --rm fromb:1 cat /t")).toMatch(/\d\d:\d\d:\d\d/);
  }, 120_000);

  it("a file A writes in the workspace shows in B's Files panel without a reload", async () => {
    await b.getByRole("tab", { name: "Files", exact: true }).click();
    const items = b.locator("workspace-panel").getByRole("treeitem");
    const shown = () => items.filter({ hasText: "from-a.txt" }).count();
    await expect.poll(() => items.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await shown()).toBe(0);
    await ok(lab.page, "echo written in tab A > ~/from-a.txt");
    await expect.poll(shown, { timeout: 10_000 }).toBe(1);
    expect(await ok(b, "cat ~/from-a.txt")).toBe("written in tab A\n");
    await ok(b, "rm ~/from-a.txt");
    await expect.poll(shown, { timeout: 10_000 }).toBe(0);
  }, 60_000);

  it("a closed tab's container is exited for the next tab that opens", async () => {
    await ok(b, "docker run -d --name orphan layerlab.demo/busybox sleep 600");
    await b.close();
    const c = await openTab();
    expect(await ok(c, "docker ps -a --filter name=orphan --format '{{.State}} {{.Status}}'")).toMatch(/^exited Exited \(255\) /);
    await c.close();
  }, 120_000);
});
