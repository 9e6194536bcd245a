/**
 * The workspace in the side panel (issue 13): the Files tab shows the host's home directory as a tree
 * (the working directory marked, sizes), a click opens a file in the CodeMirror editor and Ctrl-S saves
 * it back to the host, `edit FILE` opens one from the terminal, a Dockerfile is highlighted, a folder
 * downloads as a tar, and files and folders dropped on the page land in the working directory.
 * Screenshot: test/.output/workspace-1280x800.png.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchLab, type LabDriver } from "../harness/browser.ts";

const OUT = "test/.output";
let lab: LabDriver;
const errors: string[] = [];
const HOME = "/home/lab";

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  lab = await launchLab({ onConsoleError: (e: string) => errors.push(e) });
});
afterAll(async () => {
  await lab?.close();
});

async function ok(line: string): Promise<string> {
  const r = await lab.exec(line);
  if (r.code !== 0) throw new Error(`${line} → ${r.code}\n${r.output}`);
  return r.output;
}

const item = (path: string) => lab.page.locator(`workspace-panel [role="treeitem"][data-path="${path}"]`);
const editor = () => lab.page.locator("lab-app file-editor");

describe("the Files tab and the editor", () => {
  it("shows the home directory as a tree with sizes, the working directory marked", async () => {
    await ok("mkdir -p w/sub && echo hi > w/a.txt");
    const tab = lab.page.getByRole("tab", { name: "Files", exact: true });
    // After Containers, in the arrow-key order.
    await lab.page.getByRole("tab", { name: "Containers", exact: true }).click();
    await lab.page.keyboard.press("ArrowRight");
    await expect.poll(() => tab.getAttribute("aria-selected")).toBe("true");
    await expect.poll(() => tab.evaluate((t) => t === (t.getRootNode() as ShadowRoot).activeElement)).toBe(true);
    await item(`${HOME}/w`).locator("button.name").click();
    await expect.poll(() => item(`${HOME}/w/a.txt`).textContent()).toMatch(/a\.txt\s*3B/);
    await expect.poll(() => item(HOME).getAttribute("aria-current")).toBe("location");
    // The shell moves: the mark follows after the command.
    await ok("cd w/sub");
    await expect.poll(() => item(`${HOME}/w/sub`).getAttribute("aria-current")).toBe("location");
    expect(await item(HOME).getAttribute("aria-current")).toBeNull();
    await ok("cd ~");
    await expect.poll(() => item(HOME).getAttribute("aria-current")).toBe("location");
  });

  it("opens a clicked file in the editor, and Ctrl-S writes it back to the host", async () => {
    await item(`${HOME}/w/a.txt`).locator("button.name").click();
    await expect.poll(() => editor().locator(".cm-content").textContent(), { timeout: 20_000 }).toBe("hi");
    await expect.poll(() => lab.page.locator("lab-app explorer-view").isHidden()).toBe(true);
    await editor().locator(".cm-content").click();
    await lab.page.keyboard.press("Control+a");
    await lab.page.keyboard.type("hello\nworld\n");
    await expect.poll(() => editor().locator(".state").textContent()).toBe("modified");
    await lab.page.keyboard.press("Control+s");
    await expect.poll(() => editor().locator(".state").textContent()).toBe("saved");
    expect(await ok("cat w/a.txt")).toBe("hello\nworld\n");
    // The tree's size follows.
    await expect.poll(() => item(`${HOME}/w/a.txt`).textContent()).toMatch(/12B/);
  });

  it("saves with the button too, and Close brings the explorer back", async () => {
    await editor().locator(".cm-content").click();
    await lab.page.keyboard.press("Control+End");
    await lab.page.keyboard.type("again");
    await editor().getByRole("button", { name: "Save" }).click();
    await expect.poll(() => editor().locator(".state").textContent()).toBe("saved");
    expect(await ok("cat w/a.txt")).toBe("hello\nworld\nagain");
    // A command writes to the open, unmodified file: the editor follows.
    await ok("echo ' and more' >> w/a.txt");
    await expect.poll(() => editor().locator(".cm-content").textContent()).toBe("helloworldagain and more");
    expect(await editor().locator(".state").textContent()).toBe("saved");
    await ok("printf 'hello\\nworld\\nagain' > w/a.txt");
    await expect.poll(() => editor().locator(".cm-content").textContent()).toBe("helloworldagain");
    await editor().getByRole("button", { name: "Close" }).click();
    await expect.poll(() => editor().count()).toBe(0);
    expect(await lab.page.locator("lab-app explorer-view").isVisible()).toBe(true);
  });

  it("edit FILE opens a file from the terminal; a Dockerfile is highlighted", async () => {
    await ok("printf 'FROM layerlab.demo/busybox\\n# a comment\\nRUN echo hi > /hello\\n' > w/Dockerfile && cd w");
    await ok("edit Dockerfile");
    await expect.poll(() => lab.page.evaluate(() => document.querySelector("lab-app")!.editorPath)).toBe(`${HOME}/w/Dockerfile`);
    const from = editor().locator(".cm-line").first().locator(".tok-keyword");
    await expect.poll(() => from.textContent(), { timeout: 20_000 }).toBe("FROM");
    await expect.poll(() => editor().locator(".tok-comment").first().textContent()).toBe("# a comment");
    // Plain text files get no Dockerfile tokens.
    await ok("edit a.txt");
    await expect.poll(() => editor().locator(".cm-content").textContent()).toBe("helloworldagain");
    expect(await editor().locator(".tok-keyword").count()).toBe(0);
    // A new file opens empty; saving creates it.
    await ok("edit notes.md");
    await expect.poll(() => editor().locator(".state").textContent()).toBe("new file");
    await editor().locator(".cm-content").click();
    await lab.page.keyboard.type("# notes");
    await lab.page.keyboard.press("Control+s");
    await expect.poll(() => editor().locator(".state").textContent()).toBe("saved");
    expect(await ok("cat ~/w/notes.md")).toBe("# notes");
    const dir = await lab.exec("edit ~/w");
    expect(dir).toEqual({ code: 1, output: "edit: /home/lab/w: Is a directory\n" });
    expect((await lab.exec("edit")).code).toBe(2);
    await ok("edit Dockerfile");
    await expect.poll(() => from.textContent()).toBe("FROM");
  });

  it("downloads a folder as a tar and a file as itself", async () => {
    const dir = mkdtempSync(join(tmpdir(), "layerlab-workspace-"));
    await item(`${HOME}/w`).hover();
    const [download] = await Promise.all([lab.page.waitForEvent("download"), item(`${HOME}/w`).locator("button.dl").click()]);
    expect(download.suggestedFilename()).toBe("w.tar");
    const tar = join(dir, "w.tar");
    await download.saveAs(tar);
    const listing = execFileSync("tar", ["-tf", tar]).toString().trim().split("\n");
    expect(listing).toEqual(expect.arrayContaining(["w/", "w/a.txt", "w/Dockerfile", "w/sub/"]));
    expect(execFileSync("tar", ["-xOf", tar, "w/a.txt"]).toString()).toBe("hello\nworld\nagain");
    await item(`${HOME}/w/a.txt`).hover();
    const [file] = await Promise.all([lab.page.waitForEvent("download"), item(`${HOME}/w/a.txt`).locator("button.dl").click()]);
    expect(file.suggestedFilename()).toBe("a.txt");
  });
});

describe("dropping on the page", () => {
  it("copies dropped files into the shell's working directory", async () => {
    await ok("mkdir -p ~/drop && cd ~/drop");
    await lab.page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(["FROM scratch\n"], "Dockerfile"));
      dt.items.add(new File([new Uint8Array([0, 1, 2, 255])], "blob.bin"));
      window.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await expect.poll(async () => (await lab.exec("ls ~/drop")).output, { timeout: 10_000 }).toBe("Dockerfile\nblob.bin\n");
    expect(await ok("cat ~/drop/Dockerfile")).toBe("FROM scratch\n");
    expect(await lab.page.evaluate(async () => [...(await window.layerlab!.host!.files.readFile("/home/lab/drop/blob.bin"))])).toEqual([0, 1, 2, 255]);
    // The Files tab shows them.
    await expect.poll(() => item(`${HOME}/drop/blob.bin`).textContent()).toMatch(/4B/);
  });

  it("copies a dropped folder with its structure (the browser's file system entries)", async () => {
    // A script cannot make a drop of real directory entries; the entries a folder drop gives are
    // stood in for by objects of the same shape (FileSystemDirectoryEntry's createReader/readEntries,
    // read in batches; FileSystemFileEntry's file()).
    await lab.page.evaluate(() => {
      type Tree = { [name: string]: string | Tree };
      const entry = (name: string, node: string | Tree): unknown =>
        typeof node === "string"
          ? { name, isFile: true, isDirectory: false, file: (ok: (f: File) => void) => setTimeout(() => ok(new File([node], name))) }
          : {
              name,
              isFile: false,
              isDirectory: true,
              createReader: () => {
                // One entry per batch, then an empty batch, as Chromium pages through big folders.
                const left = Object.entries(node).map(([n, c]) => entry(n, c));
                return { readEntries: (ok: (batch: unknown[]) => void) => setTimeout(() => ok(left.splice(0, 1))) };
              },
            };
      const context: Tree = { Dockerfile: "FROM layerlab.demo/busybox\nCOPY app /app\n", app: { "main.sh": "echo hi\n", lib: { "util.sh": "true\n" } } };
      const original = DataTransferItem.prototype.webkitGetAsEntry;
      DataTransferItem.prototype.webkitGetAsEntry = function () {
        return entry("context", context) as FileSystemEntry;
      };
      const dt = new DataTransfer();
      dt.items.add(new File([""], "context"));
      window.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
      DataTransferItem.prototype.webkitGetAsEntry = original;
    });
    await expect.poll(async () => (await lab.exec("cd ~/drop && find context")).output.split("\n").filter(Boolean).sort(), { timeout: 10_000 }).toEqual(
      ["context", "context/Dockerfile", "context/app", "context/app/lib", "context/app/lib/util.sh", "context/app/main.sh"],
    );
    expect(await ok("cat ~/drop/context/app/lib/util.sh")).toBe("true\n");
    await expect.poll(() => lab.page.locator("lab-app").locator("header .status").textContent()).toBe("copied 3 files into ~/drop");
  });

  it("looks right at 1280×800 (screenshot), with no console errors", async () => {
    await ok("cd ~/w");
    await ok("edit Dockerfile");
    await expect.poll(() => editor().locator(".tok-keyword").first().textContent()).toBe("FROM");
    await item(`${HOME}/drop/context`).locator("button.name").click();
    await expect.poll(() => item(`${HOME}/drop/context/Dockerfile`).count()).toBe(1);
    await lab.page.setViewportSize({ width: 1280, height: 800 });
    await lab.screenshot(`${OUT}/workspace-1280x800.png`);
    expect(errors).toEqual([]);
  });
});
