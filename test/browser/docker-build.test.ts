/**
 * `docker build` against real Docker 20.10's classic builder (DOCKER_BUILDKIT=0): the same Dockerfile
 * and context (a local directory handed to the lab with workIn) built by both from the same base image
 * (pulled from one test registry), and what they print and store compared — the build output with
 * each side's IDs numbered in order of appearance, `docker history --no-trunc` rows (the `#(nop)`
 * strings and the COPY hashes included), sizes, the image config, layer counts, a rebuild's
 * ` ---> Using cache`, and a failing RUN's message and status.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
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
/** A web server for ADD <url>: /hello.txt, /r.tar.gz (a gzip'd tar), anything else 404. */
let web: Server | undefined;
let webHost = "";
const WEB_FILES: Record<string, Buffer> = { "/hello.txt": Buffer.from("remote file\n") };

beforeAll(async () => {
  if (!haveDocker() || !haveRegistryBinary()) return;
  reg = await startRegistry();
  work = mkdtempSync(join(tmpdir(), "layerlab-build-"));
  images = await pushOracleImages(reg, work);
  docker = await startDocker({ insecureRegistries: [reg.host], storageDriver: "overlay2" });
  web = createServer((req, res) => {
    const body = WEB_FILES[req.url ?? ""];
    if (!body) return void res.writeHead(404, { "Content-Type": "text/plain" }).end("no such file\n");
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": body.length, "Last-Modified": "Tue, 01 Dec 2026 10:00:00 GMT" }).end(body);
  });
  await new Promise<void>((r) => web!.listen(0, "127.0.0.1", r));
  webHost = `127.0.0.1:${(web.address() as { port: number }).port}`;
  lab = await launchLab({ allowRegistries: reg.allowHosts, allowDownloads: [webHost] });
  await docker.docker("pull", "-q", images.busyboxV2);
  const r = await lab.exec(`docker pull -q ${images.busyboxV2} && docker tag ${images.busyboxV2} base:1`);
  if (r.code !== 0) throw new Error(r.output);
  await docker.docker("tag", images.busyboxV2, "base:1");
}, 300_000);

afterAll(async () => {
  await lab?.close();
  await docker?.stop();
  await reg?.stop();
  web?.closeAllConnections();
  web?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

beforeEach((ctx) => {
  requireDocker(ctx);
  requireHostFile(ctx, "/usr/bin/docker-registry", "docker-registry");
});

/** A context directory with these files. */
function context(name: string, files: Record<string, string>): string {
  const dir = join(work, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/**
 * Each side's 12-hex IDs replaced by <1>, <2>… in order of first appearance; a step's stderr arrives in
 * chunks, each coloured on its own (how it is cut varies), so adjacent coloured chunks are joined.
 */
function numberIds(s: string): string {
  const seen = new Map<string, number>();
  return s.replaceAll("\x1b[0m\x1b[91m", "").replace(/\b[0-9a-f]{12}\b/g, (id) => {
    if (!seen.has(id)) seen.set(id, seen.size + 1);
    return `<${seen.get(id)}>`;
  });
}

interface Built {
  docker: { out: string; code: number };
  lab: { out: string; code: number };
}

/** Builds `dir` in both (classic builder), stdout and stderr together. */
async function buildBoth(dir: string, args: string): Promise<Built> {
  const d = await docker!.shell(`cd ${dir} && DOCKER_BUILDKIT=0 docker build --network none ${args} . 2>&1`);
  await lab!.workIn(dir);
  const l = await lab!.exec(`docker build ${args} . 2>&1`);
  return { docker: { out: d.stdout, code: d.code }, lab: { out: l.output, code: l.code } };
}

async function same(line: string, normalize: (s: string) => string = (s) => s): Promise<void> {
  const d = await docker!.shell(`${line} 2>&1`);
  const l = await lab!.exec(`${line} 2>&1`);
  expect({ line, out: normalize(l.output), code: l.code }).toEqual({ line, out: normalize(d.stdout), code: d.code });
}

const DOCKERFILE = `FROM base:1
ENV GREETING="hello world" EMPTY=
LABEL org.example.title="A lab image" stage=one
WORKDIR /app
COPY notes.txt .
COPY conf/ /etc/app/
RUN echo "$GREETING" > /app/greeting && ls /etc/app
RUN dd if=/dev/zero of=/app/file1 bs=1k count=10 2>/dev/null
EXPOSE 8080 53/udp
USER nobody
CMD ["cat", "/app/greeting"]
`;

describe("docker build (classic builder), compared with Docker 20.10", () => {
  it("prints the same steps and stores the same history, config and layers", async () => {
    const dir = context("basic", { Dockerfile: DOCKERFILE, "notes.txt": "some notes\n", "conf/a.conf": "a=1\n", "conf/sub/b.conf": "b=2\n" });
    const r = await buildBoth(dir, "-t built:1");
    expect({ out: numberIds(r.lab.out), code: r.lab.code }).toEqual({ out: numberIds(r.docker.out), code: r.docker.code });
    await same("docker history --no-trunc --format '{{.CreatedBy}}|{{.Size}}|{{.Comment}}' built:1");
    await same("docker image inspect -f '{{len .RootFS.Layers}} {{.Size}} {{json .Config.Env}} {{json .Config.Labels}} {{json .Config.ExposedPorts}} {{.Config.User}} {{.Config.WorkingDir}} {{json .Config.Cmd}} {{.Config.Hostname}}|' built:1");
    await same("docker run --rm --network none built:1");
  });

  it("a rebuild uses the cache for every step; a changed file rebuilds from its COPY on", async () => {
    const dir = context("basic", {});
    const again = await buildBoth(dir, "-t built:1");
    expect(again.lab.out.match(/Using cache/g)?.length).toBe(10);
    expect(numberIds(again.lab.out)).toBe(numberIds(again.docker.out));
    writeFileSync(join(dir, "notes.txt"), "other notes\n");
    const changed = await buildBoth(dir, "-t built:2");
    expect(numberIds(changed.lab.out)).toBe(numberIds(changed.docker.out));
    expect(changed.lab.out.match(/Using cache/g)?.length).toBe(3);
  });

  it("a failing RUN: Docker's message, its status, and the last good step's image to debug from", async () => {
    const dir = context("fail", { Dockerfile: 'FROM base:1\nRUN touch tmpfile\nRUN /bin/bash -c echo "continue to build..."\nCOPY testfile /\n' });
    const r = await buildBoth(dir, "");
    expect(r.lab.code).toBe(127);
    expect(numberIds(r.lab.out)).toBe(numberIds(r.docker.out));
    const last = [...r.lab.out.matchAll(/ ---> ([0-9a-f]{12})\n/g)].at(-1)![1]!;
    const debug = await lab!.exec(`docker run --rm ${last} ls tmpfile`);
    expect(debug).toEqual({ code: 0, output: "tmpfile\n" });
  });

  it("ARG and --build-arg, ENTRYPOINT, VOLUME, SHELL, STOPSIGNAL, MAINTAINER, .dockerignore, -q", async () => {
    const dir = context("args", {
      Dockerfile: `ARG BASE=base:1
FROM $BASE
MAINTAINER Learner <learner@example.invalid>
ARG WHO=world
ARG UNSET
ENV PLACE=lab
RUN echo "hello $WHO from $PLACE" > /hello
SHELL ["/bin/sh", "-ec"]
RUN echo "shell form under SHELL"
COPY . /kept/
RUN ls -a /kept /kept/secret
VOLUME /data /cache
STOPSIGNAL SIGINT
ENTRYPOINT ["/bin/cat"]
CMD /hello
`,
      ".dockerignore": "# comment\n*.log\nsecret/\n!secret/keep.txt\n",
      "app.log": "noise\n",
      "secret/key": "k\n",
      "secret/keep.txt": "kept\n",
      "src/main.txt": "main\n",
    });
    const r = await buildBoth(dir, "-t args:1 --build-arg WHO=you --build-arg NOTUSED=1");
    expect({ out: numberIds(r.lab.out), code: r.lab.code }).toEqual({ out: numberIds(r.docker.out), code: r.docker.code });
    // An exception inside an excluded directory (secret/, !secret/keep.txt) leaves that directory
    // without a header in the context's tar: Docker hashes it as its path, and so does the lab.
    await same("docker history --no-trunc --format '{{.CreatedBy}}|{{.Size}}' args:1");
    await same("docker image inspect -f '{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{json .Config.Volumes}} {{.Config.StopSignal}} {{json .Config.Shell}} {{.Author}} {{json .Config.Env}}' args:1");
    await same("docker run --rm --network none --entrypoint ls args:1 -a /kept /kept/secret");
    const q = await buildBoth(dir, "-q -t args:1 --build-arg WHO=you");
    expect(q.lab.out.replace(/[0-9a-f]{64}/, "<id>")).toBe(q.docker.out.replace(/[0-9a-f]{64}/, "<id>"));
  });

  it("bad Dockerfiles and contexts: Docker's words and statuses", async () => {
    const cases: Record<string, string> = {
      unknown: "FROM base:1\nRUNN echo hi\n",
      nofrom: "RUN echo hi\n",
      missing: "FROM base:1\nCOPY nothere /x\n",
      env: "FROM base:1\nENV\n",
      empty: "# only a comment\n",
      link: "FROM base:1\nCOPY --link Dockerfile /x\n",
      chmod: "FROM base:1\nCOPY --chmod=755 Dockerfile /x\n",
      mount: "FROM base:1\nRUN --mount=type=cache,target=/x true\n",
      heredoc: "FROM base:1\nRUN <<EOF\necho hi\nEOF\n",
      onbuildFrom: "FROM base:1\nONBUILD FROM base:1\n",
      startInterval: "FROM base:1\nHEALTHCHECK --start-interval=1s CMD true\n",
      oneArg: "FROM base:1\nCOPY Dockerfile\n",
      nouser: "FROM base:1\nCOPY --chown=nosuch Dockerfile /x\n",
      badChown: "FROM base:1\nCOPY --chown=1:2:3 Dockerfile /x\n",
      scratchRun: "FROM scratch\nRUN true\n",
      noShell: "FROM scratch\nCOPY Dockerfile /x\nRUN echo hi\n",
    };
    for (const [name, text] of Object.entries(cases)) {
      const dir = context(`bad-${name}`, { Dockerfile: text });
      const r = await buildBoth(dir, "");
      expect({ name, out: numberIds(r.lab.out), code: r.lab.code }).toEqual({ name, out: numberIds(r.docker.out), code: r.docker.code });
    }
  });

  it("a base image from scratch: ADD of a gzip'd rootfs (made by docker export) unpacks it", async () => {
    const dir = context("scratch", { Dockerfile: 'FROM scratch\nADD rootfs.tar.gz /\nCMD ["/bin/sh"]\n' });
    const exp = await docker!.shell(`docker create --name exporter base:1 >/dev/null && docker export exporter | gzip -n > ${dir}/rootfs.tar.gz && docker rm exporter >/dev/null`);
    expect(exp.code).toBe(0);
    const r = await buildBoth(dir, "-t fromscratch:1");
    expect({ out: numberIds(r.lab.out), code: r.lab.code }).toEqual({ out: numberIds(r.docker.out), code: r.docker.code });
    await same("docker history --no-trunc --format '{{.CreatedBy}}|{{.Size}}' fromscratch:1");
    await same("docker image inspect -f '{{len .RootFS.Layers}} {{json .Config.Env}} {{json .Config.Cmd}}' fromscratch:1");
    await same("docker run --rm --network none fromscratch:1 cat /etc/motd");
  });

  it("ADD unpacks tar archives compressed with xz or bzip2 (not zstd, as Docker 20.10); a compressed non-tar is copied as it is", async () => {
    const dir = context("add-archives", { Dockerfile: "FROM base:1\nADD t.tar.xz /xz/\nADD t.tar.bz2 /bz2/\nADD t.tar.zst /zst/\nADD notatar.gz /plain/\nADD t.tar /tar/\n", "src/a/one.txt": "one\n", "src/two.txt": "two\n" });
    const made = await docker!.shell(
      `cd ${dir} && tar -C src -cf t.tar . && xz -k t.tar && bzip2 -k t.tar && zstd -q -k t.tar && echo hello | gzip -n > notatar.gz && rm -r src`,
    );
    expect(made.code, made.stderr).toBe(0);
    const r = await buildBoth(dir, "-t archives:1");
    expect({ out: numberIds(r.lab.out), code: r.lab.code }).toEqual({ out: numberIds(r.docker.out), code: r.docker.code });
    await same("docker history --no-trunc --format '{{.CreatedBy}}|{{.Size}}' archives:1");
    await same("docker run --rm --network none archives:1 sh -c 'find /xz /bz2 /zst /plain /tar | sort'");
  });

  it("ADD <url>: fetched through the lab's proxy, mode 0600, never unpacked, hashed as Docker does; a 404, COPY of a URL, a host not allowed", async () => {
    const gz = await docker!.shell(`tar -C /etc -czf - hostname | base64 -w0`);
    WEB_FILES["/r.tar.gz"] = Buffer.from(gz.stdout, "base64");
    const url = `http://${webHost}`;
    const dir = context("add-url", { Dockerfile: `FROM base:1\nADD ${url}/hello.txt /\nADD ${url}/hello.txt /renamed\nADD ${url}/r.tar.gz /r/\nRUN ls -ln /hello.txt /renamed /r/\n` });
    const r = await buildBoth(dir, "-t addurl:1");
    expect({ out: numberIds(r.lab.out), code: r.lab.code }).toEqual({ out: numberIds(r.docker.out), code: r.docker.code });
    await same("docker history --no-trunc --format '{{.CreatedBy}}|{{.Size}}' addurl:1");
    const again = await buildBoth(dir, "-t addurl:1");
    expect(numberIds(again.lab.out)).toBe(numberIds(again.docker.out));
    for (const [name, text] of Object.entries({ missing: `FROM base:1\nADD ${url}/missing.txt /m\n`, copy: `FROM base:1\nCOPY ${url}/hello.txt /c\n` })) {
      const bad = context(`add-url-${name}`, { Dockerfile: text });
      const b = await buildBoth(bad, "");
      expect({ name, out: numberIds(b.lab.out), code: b.lab.code }).toEqual({ name, out: numberIds(b.docker.out), code: b.docker.code });
    }
    // The lab's proxy is no open relay: a host not on its download list is refused, saying how to allow it.
    await lab!.workIn(context("add-url-denied", { Dockerfile: "FROM base:1\nADD http://127.0.0.2:9/x /x\n" }));
    const denied = await lab!.exec("docker build -q . 2>&1");
    expect(denied.code).toBe(1);
    expect(denied.output).toMatch(/^ADD failed: Get "http:\/\/127\.0\.0\.2:9\/x": layerlab proxy: http:\/\/127\.0\.0\.2:9 is not on the lab's download allow-list \(start the lab with --allow-download 127\.0\.0\.2:9 to allow it\)$/m);
  });

  it("multi-stage: FROM … AS, COPY --from a stage by name and by index, --target", async () => {
    const dir = context("stages", {
      Dockerfile: `FROM base:1 AS builder
RUN mkdir -p /out/sub && echo built > /out/artifact && echo deep > /out/sub/x && chmod 640 /out/artifact
FROM base:1
COPY --from=builder /out/artifact /app/
COPY --from=0 /out /out2
CMD ["cat", "/app/artifact"]
`,
    });
    const r = await buildBoth(dir, "-t staged:1");
    expect({ out: numberIds(r.lab.out), code: r.lab.code }).toEqual({ out: numberIds(r.docker.out), code: r.docker.code });
    await same("docker history --no-trunc --format '{{.CreatedBy}}|{{.Size}}' staged:1");
    await same("docker run --rm --network none staged:1");
    // The files were made by each side's own first stage: their times may fall in different minutes.
    await same("docker run --rm --network none staged:1 ls -lR /out2 /app", (s) => s.replace(/[A-Z][a-z]{2} +\d+ \d\d:\d\d/g, "<when>"));
    const t = await buildBoth(dir, "--target builder -t staged:builder");
    expect({ out: numberIds(t.lab.out), code: t.lab.code }).toEqual({ out: numberIds(t.docker.out), code: t.docker.code });
  });

  it("ONBUILD: triggers kept in the config, run by a child build (and cached on a rebuild); --chown by name", async () => {
    const parent = context("onbuild-parent", {
      Dockerfile: "FROM base:1\nRUN echo 'www:x:33:33:www:/var/www:/bin/sh' >> /etc/passwd && echo 'www:x:33:' >> /etc/group && echo 'staff:x:50:' >> /etc/group\nONBUILD RUN echo hi from trigger\nONBUILD COPY a /b\nONBUILD ENV X=1\n",
      a: "parent's a\n",
    });
    const p = await buildBoth(parent, "-t onbuild:parent");
    expect({ out: numberIds(p.lab.out), code: p.lab.code }).toEqual({ out: numberIds(p.docker.out), code: p.docker.code });
    await same("docker image inspect -f '{{json .Config.OnBuild}} {{json .ContainerConfig.OnBuild}}' onbuild:parent");
    const child = context("onbuild-child", { Dockerfile: "FROM onbuild:parent\nCOPY --chown=www:staff a /owned\nADD --chown=www a /owned2\nRUN ls -ln /b /owned /owned2 | cut -c1-30\n", a: "child's a\n" });
    for (let i = 0; i < 2; i++) {
      const c = await buildBoth(child, "-t onbuild:child");
      expect({ out: numberIds(c.lab.out), code: c.lab.code }).toEqual({ out: numberIds(c.docker.out), code: c.docker.code });
    }
    await same("docker history --no-trunc --format '{{.CreatedBy}}|{{.Size}}' onbuild:child");
    await same("docker image inspect -f '{{json .Config.OnBuild}} {{json .Config.Env}}' onbuild:child");
  });

  it("HEALTHCHECK: its config and its #(nop) text as Go prints the struct", async () => {
    const dir = context("health", {
      Dockerfile: 'FROM base:1\nHEALTHCHECK --interval=5m --timeout=3s --retries=3 CMD wget -q -O- http://localhost/ || exit 1\nHEALTHCHECK --start-period=1m30s CMD ["true"]\nHEALTHCHECK NONE\n',
    });
    const r = await buildBoth(dir, "-t health");
    expect({ out: numberIds(r.lab.out), code: r.lab.code }).toEqual({ out: numberIds(r.docker.out), code: r.docker.code });
    await same("docker history --no-trunc --format '{{.CreatedBy}}' health");
    await same("docker image inspect -f '{{json .Config.Healthcheck}}' health");
  });
});

/**
 * BuildKit's plain progress with what varies from run to run replaced (digests, times, the context's
 * transfer size, the image ID), its blocks ordered by vertex number (BuildKit prints cache hits in
 * the order its parallel solver finds them, and numbers them so too).
 */
function kitBlocks(s: string): string[] {
  const norm = s
    .replace(/^(#\d+) sha256:[0-9a-f]{64}$/gm, "$1 <digest>")
    .replace(/DONE \d+\.\ds/g, "DONE <t>")
    .replace(/^(#\d+) \d+\.\d{3} /gm, "$1 <t> ")
    .replace(/sha256:[0-9a-f]{64}/g, "<id>")
    // A status's time ("exporting layers 0.1s done", "writing image … 0.0s done") shows only when
    // BuildKit saw it running before it finished: timing, not behaviour.
    .replace(/^(#\d+ (?!\d+\.\d{3} ).+?) \d+\.\ds done$/gm, "$1 done");
  // So does a status's first line: BuildKit prints "X" when it sees X still running, then "X 0.1s done" (its time dropped above);
  // when both fall in one refresh, only the second. The bare line is left out on both sides.
  const settled = (b: string) => {
    const lines = b.split("\n");
    return lines.filter((l, i) => !lines.slice(i + 1).some((m) => m === `${l} done`)).join("\n");
  };
  // A step's stdout and stderr are two pipes: which line arrives first varies, so log lines are sorted.
  const blocks = norm.split(/\n\n/).map((b) => {
    const lines = settled(b.trim()).split("\n");
    const logs = lines.filter((l) => / <t> /.test(l)).sort();
    return lines.map((l) => (/ <t> /.test(l) ? logs.shift()! : l)).join("\n");
  });
  // Vertex numbers follow the order the solver reaches them, which varies: blocks are compared by content.
  return blocks.map((b) => b.replace(/^#\d+ /gm, "# ")).sort();
}

describe("docker build with DOCKER_BUILDKIT=1, compared with Docker 20.10's BuildKit", () => {
  async function kitBoth(dir: string, args: string): Promise<Built> {
    const d = await docker!.shell(`cd ${dir} && DOCKER_BUILDKIT=1 docker build --network none --progress=plain ${args} . 2>&1`);
    await lab!.workIn(dir);
    const l = await lab!.exec(`DOCKER_BUILDKIT=1 docker build --progress=plain ${args} . 2>&1`);
    return { docker: { out: d.stdout, code: d.code }, lab: { out: l.output, code: l.code } };
  }
  /** The build context vertex's size is fsutil's stream, not the files: left out. */
  const ctx = (blocks: string[]) => blocks.map((b) => b.replace(/(load build context\n# <digest>\n# transferring context: )\d+B/, "$1<n>B"));

  it("prints BuildKit's vertices, writes its history and config, keeps no intermediate images; a rebuild is CACHED", async () => {
    const dir = context("kit", {
      Dockerfile: 'FROM base:1\nENV A=1\nWORKDIR /app\nCOPY a .\nRUN echo hello && echo err >&2\nRUN ls /app\nEXPOSE 8080\nCMD ["sh"]\n',
      a: "hi\n",
    });
    const before = (await lab!.exec("docker images -a -q | wc -l")).output.trim();
    const r = await kitBoth(dir, "-t kit:1");
    expect({ out: ctx(kitBlocks(r.lab.out)), code: r.lab.code }).toEqual({ out: ctx(kitBlocks(r.docker.out)), code: r.docker.code });
    expect((await lab!.exec("docker images -a -q | wc -l")).output.trim()).toBe(String(Number(before) + 1));
    await same("docker history --no-trunc --format '{{.CreatedBy}}|{{.Size}}|{{.Comment}}' kit:1");
    await same("docker image inspect -f '{{len .RootFS.Layers}} {{json .Config}} {{json .ContainerConfig.Cmd}} {{.Parent}}|{{.Container}}|' kit:1");
    await same("docker run --rm --network none kit:1 cat /app/a");
    const again = await kitBoth(dir, "-t kit:1");
    expect(ctx(kitBlocks(again.lab.out))).toEqual(ctx(kitBlocks(again.docker.out)));
    // A step's digest is no image: the lab says why, where the classic builder's ` ---> id` would be one.
    const step = /^#(\d+) \[4\/5\] RUN[^\n]*\n#\1 sha256:([0-9a-f]{12})/m.exec(r.lab.out)![2]!;
    const asked = await lab!.exec(`docker image inspect ${step} 2>&1`);
    expect(asked.code).toBe(1);
    expect(asked.output).toContain(`Error: No such image: ${step}\nNote: ${step} names a BuildKit build step, not an image: BuildKit keeps no intermediate images`);
  });

  it("here-documents (BuildKit only): RUN <<EOF runs the text, a shell line gets its documents, COPY <<EOF writes a file", async () => {
    const dir = context("kit-heredoc", {
      Dockerfile: "FROM base:1\nARG WHO=you\nRUN <<EOF\necho one > /one\necho two >> /one\nEOF\nRUN cat <<EOT > /two\nhello $WHO\nEOT\nCOPY <<EOF /three\nwho=$WHO\nEOF\nCOPY <<'EOF' /four\nwho=$WHO\nEOF\n",
    });
    await lab!.workIn(dir);
    const r = await lab!.exec("DOCKER_BUILDKIT=1 docker build --progress=plain -t kit:heredoc . 2>&1");
    expect(r.code, r.output).toBe(0);
    expect(await lab!.exec("docker run --rm kit:heredoc cat /one /two /three /four")).toEqual({ code: 0, output: "one\ntwo\nhello you\nwho=you\nwho=$WHO\n" });
    // Docker 20.10's classic builder has no here-documents: it reads the body as instructions.
    const classic = await lab!.exec("docker build -q . 2>&1");
    expect(classic).toEqual({ code: 1, output: "Error response from daemon: dockerfile parse error line 4: unknown instruction: ECHO\n" });
  });

  it("a failing RUN and a missing COPY source: BuildKit's error block and status", async () => {
    for (const [name, text] of Object.entries({ run: 'FROM base:1\nRUN touch tmpfile\nRUN echo to-out && /bin/bash -c echo "continue to build..."\n', copy: "FROM base:1\nCOPY nothere /x\n", parse: "FROM base:1\nRUNN x\n" })) {
      const dir = context(`kit-bad-${name}`, { Dockerfile: text });
      const r = await kitBoth(dir, "");
      // The vertex that failed, and the error the CLI prints last.
      const failure = (out: string) => [ctx(kitBlocks(out)).find((b) => b.includes("ERROR")), out.trim().split("\n").at(-1)];
      expect({ name, out: failure(r.lab.out), code: r.lab.code }).toEqual({ name, out: failure(r.docker.out), code: r.docker.code });
    }
  });
});
