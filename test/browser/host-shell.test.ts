/**
 * The terminal is a host (issue 13): a shell whose working directory and files the docker commands
 * read and write, so a tutorial's host commands run verbatim — here-documents typed line by line,
 * pipes into grep and wc, `docker save -o` / `docker load -i` / `>` / `<` through host files, and
 * `docker cp` to and from the host.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchLab, type LabDriver } from "../harness/browser.ts";

let lab: LabDriver;
const errors: string[] = [];
beforeAll(async () => {
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

describe("the host shell in the page", () => {
  it("keeps a working directory and writes a Dockerfile from a here-document", async () => {
    expect(await ok("pwd")).toBe("/home/lab\n");
    await ok("mkdir demo && cd demo && cat > Dockerfile <<'EOF'\nFROM layerlab.demo/busybox\nRUN echo $HOME\nEOF");
    expect(await ok("pwd")).toBe("/home/lab/demo\n");
    expect(await ok("cat Dockerfile")).toBe("FROM layerlab.demo/busybox\nRUN echo $HOME\n");
    expect(await ok("cd ~ && ls")).toBe("demo\n");
  });

  it("takes a here-document typed line by line, prompting for each", async () => {
    await lab.page.locator("lab-terminal").click();
    for (const line of ["cat > typed.txt <<EOF", "first $USER", "second", "EOF"]) {
      await lab.page.keyboard.type(line);
      await lab.page.keyboard.press("Enter");
    }
    await expect.poll(() => lab.exec("cat typed.txt").then((r) => r.output), { timeout: 10_000 }).toBe("first lab\nsecond\n");
    // xterm.js parses what is written asynchronously: wait for the screen to show it.
    await expect.poll(() => lab.terminalText(), { timeout: 10_000 }).toContain("> second\n> EOF");
  });

  it("pipes docker's output into the host's commands, and keeps $?", async () => {
    await ok("docker pull -q layerlab.demo/teaching");
    expect(await ok("docker images | grep teaching | wc -l")).toMatch(/^\s*1\n$/);
    const rows = (await ok("docker history layerlab.demo/teaching")).trimEnd().split("\n").length;
    expect(await ok("docker history layerlab.demo/teaching | wc -l")).toMatch(new RegExp(`^\\s*${rows}\\n$`));
    expect(await ok("docker run --rm layerlab.demo/teaching cat /app/notes.txt | tr a-z A-Z")).toMatch(/^[^a-z]+$/);
    expect(await ok("docker rmi nothing-here; echo $?")).toContain("1\n");
  });

  it("saves to and loads from host files: -o and -i, > and <", async () => {
    await ok("docker save -o teaching.tar layerlab.demo/teaching");
    expect(Number((await ok("wc -c < teaching.tar")).trim())).toBeGreaterThan(1_000_000);
    await ok("docker rmi layerlab.demo/teaching");
    expect(await ok("docker load -i teaching.tar")).toBe("Loaded image: layerlab.demo/teaching:latest\n");
    await ok("docker save layerlab.demo/teaching > again.tar");
    const sums = (await ok("sha256sum teaching.tar again.tar")).trim().split("\n").map((l) => l.split(/\s+/)[0]);
    expect(sums[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(sums[1]).toBe(sums[0]);
    await ok("docker rmi layerlab.demo/teaching");
    expect(await ok("docker load < again.tar")).toBe("Loaded image: layerlab.demo/teaching:latest\n");
    expect(await ok("tar -tf teaching.tar | grep -c '^blobs/sha256/'")).toMatch(/^[1-9]\d*\n$/);
  });

  it("docker cp copies between a container and the host's working directory", async () => {
    await ok("docker create --name c1 layerlab.demo/teaching");
    expect(await ok("cd demo && docker cp c1:/app/notes.txt . && cat notes.txt")).not.toBe("");
    await ok("echo 'from the host' > hello.txt && docker cp hello.txt c1:/tmp/");
    expect(await ok("lab cat c1 /tmp/hello.txt")).toBe("from the host\n");
    expect(await ok("docker diff c1")).toContain("A /tmp/hello.txt");
  });

  it("Tab completes commands, image and container names, and paths", async () => {
    await lab.page.locator("lab-terminal").click();
    await lab.page.keyboard.type("docker run layerlab.demo/tea");
    await lab.page.keyboard.press("Tab");
    await expect.poll(() => lab.terminalText(), { timeout: 10_000 }).toContain("$ docker run layerlab.demo/teaching:latest ");
    await lab.page.keyboard.press("Control+C");
    // The working directory is ~/demo since the docker cp test.
    await lab.page.keyboard.type("cat note");
    await lab.page.keyboard.press("Tab");
    await expect.poll(() => lab.terminalText(), { timeout: 10_000 }).toContain("$ cat notes.txt");
    await lab.page.keyboard.press("Control+C");
  });

  it("keeps the home directory and its files across a reload", async () => {
    await ok("echo kept > ~/demo/keep.txt");
    await lab.reload();
    expect(await ok("cat ~/demo/keep.txt && ls ~/demo")).toBe("kept\nDockerfile\nhello.txt\nkeep.txt\nnotes.txt\n");
    expect(await ok("docker images -q layerlab.demo/teaching")).not.toBe("");
  });

  it("refuses to write an archive to the terminal, as Docker does", async () => {
    const r = await lab.exec("docker save layerlab.demo/teaching");
    expect(r.code).toBe(1);
    expect(r.output).toContain("cowardly refusing to save to a terminal. Use the -o flag or redirect");
  });

  it("logged no console errors", () => {
    expect(errors).toEqual([]);
  });
});
