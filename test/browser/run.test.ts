/**
 * docker run in Chromium: v86 in a Web Worker, the container's root served over 9P by the page from
 * the IndexedDB-backed union, images pulled from the real registry. Covers busybox (i386, Debian) and
 * Alpine 3.15 (x86): output, A/C/D in docker diff, commit and run the result, exit codes, isolation,
 * an interactive shell typed into the terminal, stop/start/logs/exec, and the warm start after reload.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchLab, type LabDriver } from "../harness/browser.ts";
import { pushFixtures, type PushedFixtures } from "../harness/fixtures.ts";
import { startRegistry, type TestRegistry } from "../harness/registry.ts";

let reg: TestRegistry;
let pushed: PushedFixtures;
let lab: LabDriver;
let alpine: string;
let busybox: string;
const errors: string[] = [];

beforeAll(async () => {
  reg = await startRegistry("none");
  pushed = await pushFixtures(reg);
  lab = await launchLab({ allowRegistries: reg.allowHosts, onConsoleError: (e: string) => errors.push(e) });
  alpine = `${reg.host}/${pushed.alpine.name}`;
  busybox = `${reg.host}/${pushed.busyboxOci.name}`;
  for (const img of [alpine, busybox]) expect((await lab.exec(`docker pull -q ${img}`)).code).toBe(0);
});
afterAll(async () => {
  await lab?.close();
  await reg?.stop();
});

async function ok(line: string): Promise<string> {
  const r = await lab.exec(line);
  if (r.code !== 0) throw new Error(`${line} → ${r.code}\n${r.output}`);
  return r.output;
}

/** Output of the terminal's visible buffer (what a person sees). */
const screen = () => lab.terminalText();

async function waitForScreen(re: RegExp, timeout = 30_000): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const s = await screen();
    if (re.test(s)) return s;
    if (Date.now() - t0 > timeout) throw new Error(`screen never matched ${re}:\n${s.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("docker run (x86 in a Web Worker)", () => {
  it("runs busybox and alpine: echo, ls /, /etc/os-release, uname", async () => {
    expect(await ok(`docker run --rm ${busybox} echo hi`)).toBe("hi\n");
    expect((await ok(`docker run --rm ${alpine} ls /`)).split("\n").filter(Boolean)).toContain("etc");
    expect(await ok(`docker run --rm ${alpine} cat /etc/os-release`)).toContain('PRETTY_NAME="Alpine Linux v3.15"');
    expect(await ok(`docker run --rm ${alpine} uname -sr`)).toBe("Linux 6.1.192\n");
    expect(await ok("docker ps -a -q")).toBe("");
  });

  it("changes in a run show in docker diff, survive commit, and the new image shows them", async () => {
    await ok(`docker run --name w1 ${alpine} sh -c "echo new > /root/new.txt; echo more >> /etc/motd; rm /etc/issue"`);
    expect(await ok("docker diff w1")).toBe(["C /etc", "D /etc/issue", "C /etc/motd", "C /root", "A /root/new.txt", ""].join("\n"));
    expect(await ok("docker ps -a")).toMatch(/Exited \(0\) .* w1\n/);
    await ok("docker commit w1 lab/changed:1");
    expect(await ok("docker run --rm lab/changed:1 sh -c 'cat /root/new.txt; ls /etc/issue 2>&1 || true'")).toBe("new\nls: /etc/issue: No such file or directory\n");
  });

  it("exit codes, a missing command, and two containers that never see each other's writes", async () => {
    expect((await lab.exec(`docker run --rm ${busybox} sh -c "exit 3"`)).code).toBe(3);
    const missing = await lab.exec(`docker run --rm ${busybox} no-such-cmd`);
    expect(missing.code).toBe(127);
    expect(missing.output).toContain('docker: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "no-such-cmd": executable file not found in $PATH: unknown.');
    await ok(`docker run --name iso-a ${alpine} sh -c "echo a > /a.txt"`);
    await ok(`docker run --name iso-b ${alpine} sh -c "ls /a.txt 2>/dev/null; echo b > /b.txt"`);
    expect(await ok("docker diff iso-a")).toBe("A /a.txt\n");
    expect(await ok("docker diff iso-b")).toBe("A /b.txt\n");
  });

  it("detached: logs, exec into it, stop a process that ignores SIGTERM, start again", async () => {
    const id = (await ok(`docker run -d --name bg ${busybox} sh -c "trap '' TERM; echo started; while true; do sleep 1; done"`)).trim();
    expect(id).toMatch(/^[a-f0-9]{64}$/);
    for (let i = 0; i < 50 && !(await ok("docker logs bg")).includes("started"); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await ok("docker logs bg")).toBe("started\n");
    expect(await ok("docker ps")).toMatch(/Up .* bg\n/);
    expect(await ok("docker exec bg sh -c 'echo from exec > /exec.txt; cat /exec.txt'")).toBe("from exec\n");
    const t0 = Date.now();
    expect(await ok("docker stop -t 2 bg")).toBe("bg\n");
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await ok("docker ps -a")).toMatch(/Exited \(137\) .* bg\n/);
    expect(await ok("docker diff bg")).toBe("A /exec.txt\n");
    expect(await ok("docker start bg")).toBe("bg\n");
    expect(await ok("docker ps")).toMatch(/Up .* bg\n/);
    await ok("docker kill bg");
    expect(await ok("docker wait bg")).toBe("137\n");
  });

  it("an x86-64 image: Docker's platform warning, then exec format error; rm -f of a running container", async () => {
    const amd64 = `${reg.host}/${pushed.busyboxAmd64Oci.name}`;
    await ok(`docker pull -q --platform linux/amd64 ${amd64}`);
    const r = await lab.exec(`docker run --name x64 ${amd64} echo hi`);
    expect(r.code).toBe(1);
    expect(r.output).toBe("WARNING: The requested image's platform (linux/amd64) does not match the detected host platform (linux/386) and no specific platform was requested\nexec /bin/echo: exec format error\n");
    expect(await ok("docker diff x64")).toBe("");
    await ok(`docker run -d --name rmf ${busybox} sleep 100`);
    expect((await lab.exec("docker rm rmf")).output).toContain("container is running: stop the container before removing or force remove");
    expect(await ok("docker rm -f rmf")).toBe("rmf\n");
    expect(await ok("docker ps -a")).not.toContain(" rmf\n");
  });

  it("docker run -it alpine sh: a shell typed into the terminal, Ctrl-C, exit, then docker diff", async () => {
    await lab.page.click("lab-app");
    await lab.page.keyboard.type(`docker run -it --name tty1 ${alpine} sh\r`, { delay: 5 });
    await waitForScreen(/\/ # $/m);
    await lab.page.keyboard.type("echo typed > /root/typed.txt; stty size\r", { delay: 5 });
    await waitForScreen(/^\d+ \d+$/m);
    await lab.page.keyboard.type("sleep 30\r", { delay: 5 });
    await new Promise((r) => setTimeout(r, 500));
    await lab.page.keyboard.press("Control+C");
    await waitForScreen(/\^C\n\/ # $/m);
    await lab.page.keyboard.type("exit 5\r", { delay: 5 });
    await waitForScreen(/\$ $/m);
    expect(await ok("docker ps -a")).toMatch(/Exited \(5\) .* tty1\n/);
    expect(await ok("docker diff tty1")).toContain("A /root/typed.txt\n");
    expect(await ok("docker logs tty1")).toContain("echo typed > /root/typed.txt");
  });

  it("after a reload the next start is warm (the saved state came from IndexedDB)", async () => {
    await lab.reload();
    expect(await ok(`docker run --rm ${busybox} echo warm`)).toBe("warm\n");
    const lastStart = await lab.page.evaluate(() => (window.layerlab!.daemon!.runtime("x86") as { lastStart?: { warm: boolean } } | undefined)?.lastStart);
    expect(lastStart?.warm).toBe(true);
    expect(errors).toEqual([]);
  });
});
