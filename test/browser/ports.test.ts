/**
 * Published ports in Chromium: `docker run -d -p 8080:80 busybox httpd …` serves a page that the host
 * shell's `curl localhost:8080` gets, and that the page shows — a link in the Containers tab, the
 * explorer's Preview pane and /ports/<container>/<port>/ through the service worker — with `docker
 * port` and `docker ps` as Docker prints them, a second container on the same port refused with
 * Docker's words, and the page gone once the container stops. Screenshots go to /tmp.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchLab, type LabDriver } from "../harness/browser.ts";

const SHOTS = "/tmp/layerlab-ports";
let lab: LabDriver;
const errors: string[] = [];
const SITE = "mkdir -p /www/css && echo '<h1>hello from a container</h1><link rel=stylesheet href=/css/site.css><img src=dot.svg alt=dot><script>document.title=\"ran\"</script>' > /www/index.html && echo 'h1 { color: rgb(0, 128, 0) }' > /www/css/site.css && echo '<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"8\" height=\"8\"/>' > /www/dot.svg && exec httpd -f -p 80 -h /www";

beforeAll(async () => {
  lab = await launchLab({ serviceWorker: true, onConsoleError: (e) => errors.push(e) });
  // The service worker controls the page once it has activated (clients.claim): requests to /ports/ need it.
  await lab.page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 120_000 });
  await ok("docker pull -q layerlab.demo/busybox");
}, 180_000);
afterAll(async () => {
  await lab?.close();
});

async function ok(line: string): Promise<string> {
  const r = await lab.exec(line);
  if (r.code !== 0) throw new Error(`${line} → ${r.code}\n${r.output}`);
  return r.output;
}

describe("published ports", () => {
  it("docker run -p 8080:80: curl localhost:8080 in the host shell, docker port and docker ps as Docker prints them", async () => {
    const id = (await ok(`docker run -d --name web -p 8080:80 layerlab.demo/busybox sh -c "${SITE.replace(/"/g, '\\"')}"`)).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    // httpd listens a moment after the container starts.
    let page = "";
    for (let i = 0; i < 100 && !page.includes("hello"); i++) {
      page = (await lab.exec("curl -s localhost:8080")).output;
      if (!page.includes("hello")) await new Promise((r) => setTimeout(r, 200));
    }
    expect(page).toContain("<h1>hello from a container</h1>");
    expect(await ok("curl -s http://127.0.0.1:8080/css/site.css")).toBe("h1 { color: rgb(0, 128, 0) }\n");
    expect((await lab.exec("curl -s -o /dev/null -w '%{http_code}' localhost:8080/missing")).output).toBe("404");
    expect(await ok("docker port web")).toBe("80/tcp -> 0.0.0.0:8080\n80/tcp -> :::8080\n");
    expect(await ok("docker port web 80")).toBe("0.0.0.0:8080\n:::8080\n");
    expect(await lab.exec("docker port web 81")).toEqual({ code: 1, output: "Error: No public port '81/tcp' published for web\n" });
    expect(await ok("docker ps --format '{{.Names}} {{.Ports}}'")).toBe("web 0.0.0.0:8080->80/tcp, :::8080->80/tcp\n");
    expect(await ok("docker ps --filter publish=8080 -q")).toBe(`${id.slice(0, 12)}\n`);
    expect(await ok("docker inspect -f '{{json .HostConfig.PortBindings}} {{json .NetworkSettings.Ports}}' web")).toBe('{"80/tcp":[{"HostIp":"","HostPort":"8080"}]} {"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"},{"HostIp":"::","HostPort":"8080"}]}\n');
    // Nothing on another port: curl's words.
    const refused = await lab.exec("curl -s -S localhost:9999");
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain("Failed to connect to localhost port 9999 after 0 ms: Couldn't connect to server");
  }, 180_000);

  it("a second container on the same host port is refused as Docker refuses it", async () => {
    const r = await lab.exec("docker run -d --name web2 -p 8080:80 layerlab.demo/busybox sleep 100");
    expect(r.code).toBe(125);
    expect(r.output).toMatch(/^[0-9a-f]{64}\ndocker: Error response from daemon: driver failed programming external connectivity on endpoint web2 \([0-9a-f]{64}\): Bind for 0\.0\.0\.0:8080 failed: port is already allocated\.\n/);
    await ok("docker rm web2");
  }, 120_000);

  it("the page: a link in the Containers tab, the Preview pane, and /ports/web/8080/ with its styles and images, scripts off", async () => {
    const app = lab.page.locator("lab-app");
    await app.getByRole("tab", { name: "Containers" }).click();
    const link = app.getByRole("button", { name: "localhost:8080 → 80/tcp" });
    await link.waitFor({ timeout: 30_000 });
    await lab.screenshot(`${SHOTS}-1-containers.png`);
    await link.click();
    const frame = lab.page.frameLocator("iframe[title^='Page served by web']");
    const h1 = frame.locator("h1");
    await h1.waitFor({ timeout: 30_000 });
    expect(await h1.textContent()).toBe("hello from a container");
    // Its stylesheet (a root-relative URL) and its image came through the port too; its script did not run.
    await expect.poll(() => h1.evaluate((e) => getComputedStyle(e).color), { timeout: 10_000 }).toBe("rgb(0, 128, 0)");
    await expect.poll(() => frame.locator("img").evaluate((e) => (e as HTMLImageElement).naturalWidth), { timeout: 10_000 }).toBe(8);
    expect(await frame.locator("html").evaluate(() => document.title)).not.toBe("ran");
    await expect.poll(() => app.getByLabel("Address").textContent()).toContain("http://localhost:8080/");
    await lab.screenshot(`${SHOTS}-2-preview.png`);
    // The same page in a tab of its own.
    const tab = await lab.context.newPage();
    await tab.goto(new URL("/ports/web/8080/", lab.url).href);
    expect(await tab.locator("h1").textContent()).toBe("hello from a container");
    const bare = await tab.goto(new URL("/ports/web/8080", lab.url).href);
    expect(bare?.url()).toBe(new URL("/ports/web/8080/", lab.url).href);
    await tab.close();
  }, 180_000);

  it("once the container stops, the port answers with the lab's page saying nothing publishes it", async () => {
    await ok("docker stop -t 1 web");
    expect(await ok("docker port web")).toBe("");
    const res = await lab.page.evaluate(async () => {
      const r = await fetch("/ports/web/8080/");
      return { status: r.status, text: await r.text() };
    });
    expect(res.status).toBe(502);
    expect(res.text).toContain("Nothing answers on localhost:8080");
    // The container page's script was refused — by the frame's sandbox in the Preview, by the policy in a
    // tab of its own (those are the console errors it leaves).
    expect(errors.filter((e) => !/502|Failed to load resource|violates the following Content Security Policy directive .script-src .none..|Blocked script execution in .* the document's frame is sandboxed/.test(e))).toEqual([]);
  }, 120_000);
});
