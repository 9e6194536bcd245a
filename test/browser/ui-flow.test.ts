/**
 * The main flow by hand, in the page's interface: type a pull into the terminal, inspect the image's
 * layers in the explorer, edit a file of a container in the file viewer (copy-up into the container
 * layer), commit it, and see the new layer on top of the stack. Screenshots at 1280×800 and 390×844
 * go to test/.output/; there must be no console errors.
 */
import { mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchLab, type LabDriver } from "../harness/browser.ts";

const OUT = "test/.output";
let lab: LabDriver;
const errors: string[] = [];

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  lab = await launchLab({ onConsoleError: (e: string) => errors.push(e) });
});
afterAll(async () => {
  await lab?.close();
});

const tab = (name: string) => lab.page.getByRole("tab", { name, exact: true });
const heading = (name: string | RegExp) => lab.page.getByRole("heading", { name });

/** Types a command line into the terminal as a person would and waits for its prompt to return. */
async function type(line: string) {
  const before = (await lab.page.evaluate(() => (document.querySelector("lab-app")!.shadowRoot!.querySelector("lab-terminal") as unknown as { commandHistory: string[] }).commandHistory.length));
  await lab.page.locator("lab-app").locator("lab-terminal .xterm").click();
  await lab.page.keyboard.type(`${line}\r`, { delay: 2 });
  await lab.page.waitForFunction(
    (n) => {
      const t = document.querySelector("lab-app")!.shadowRoot!.querySelector("lab-terminal") as unknown as { commandHistory: string[]; running?: unknown };
      return t.commandHistory.length > n && !t.running;
    },
    before,
    { timeout: 60_000 },
  );
}

describe("pull, inspect, edit, commit — through the interface", () => {
  it("pulls by typing, and the explorer shows the image's layer and its files", async () => {
    await type("docker pull layerlab.demo/debian:bookworm");
    await tab("Images").click();
    await lab.page.getByRole("button", { name: /layerlab\.demo\/debian:bookworm/ }).click();
    await heading("layerlab.demo/debian:bookworm: 1 layer").waitFor();
    await lab.page.getByRole("button", { name: /^L0: [\d.]+MB, \d+ added/ }).click();
    await heading("Layer L0 changes").waitFor();
    expect(await lab.page.getByRole("list", { name: "Changes in this layer" }).getByText("/etc/motd").count()).toBe(1);
  });

  it("edits /etc/motd of a container in the file viewer: copied up into the container layer", async () => {
    await type("docker create --name edited layerlab.demo/debian:bookworm");
    await tab("Containers").click();
    await lab.page.getByRole("button", { name: /^edited / }).click();
    await heading("edited: 3 layers").waitFor();
    await lab.page.getByRole("button", { name: /[▸▾] etc\/$/ }).click();
    await lab.page.getByRole("button", { name: /(^|\s)motd(\s|$)/ }).click();
    const text = lab.page.getByLabel("Contents of /etc/motd");
    await expect.poll(() => text.inputValue()).toContain("The programs included with the Debian GNU/Linux system are free software");
    await text.fill("Edited in the lab's file viewer.\n");
    await lab.page.getByRole("button", { name: "Save to container layer" }).click();
    await lab.page.getByRole("status").filter({ hasText: "copied up from L0 into the container layer" }).waitFor();
    await expect.poll(async () => (await lab.page.getByRole("button", { name: /(^|\s)motd(\s|$)/ }).locator(".badge").textContent())?.trim()).toBe("C");
    await lab.screenshot(`${OUT}/edit-1280x800.png`);
    await type("docker diff edited");
    const diff = await lab.exec("docker diff edited");
    expect(diff.output).toBe("C /etc\nC /etc/motd\n");
  });

  it("commits the container; the new image's stack has the change as a new top layer", async () => {
    await type("docker commit -m 'motd edited' edited lab/edited:1");
    await tab("Images").click();
    await lab.page.getByRole("button", { name: /^lab\/edited:1/ }).click();
    await heading("lab/edited:1: 2 layers").waitFor();
    // The base layer is the same blob as debian's: marked shared.
    await expect.poll(() => lab.page.locator("layer-stack .shared").count()).toBe(1);
    await lab.page.getByRole("button", { name: /^L1: / }).click();
    await heading("Layer L1 changes").waitFor();
    const changes = lab.page.getByRole("list", { name: "Changes in this layer" });
    expect((await changes.getByRole("listitem").allTextContents()).map((t) => t.replace(/\s+/g, ""))).toEqual(["M/etc", "M/etc/motd"]);
    await lab.page.getByRole("tab", { name: "History" }).click();
    await expect.poll(() => lab.page.getByRole("table", { name: "docker history" }).locator("tbody tr").first().textContent()).toContain("motd edited");
    await lab.screenshot(`${OUT}/commit-1280x800.png`);
    await lab.page.setViewportSize({ width: 390, height: 844 });
    await lab.screenshot(`${OUT}/commit-390x844.png`);
    expect(await lab.exec("docker run --rm lab/edited:1 cat /etc/motd").then((r) => r.output)).toBe("Edited in the lab's file viewer.\n");
    expect(errors).toEqual([]);
  });
});
