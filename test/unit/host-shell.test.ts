/**
 * The host shell (just-bash over our files, with host commands inside it): state kept between lines,
 * tutorial-style lines, pipes into and out of a host command, output that reaches the terminal while a
 * line runs, the keyboard for `docker run -it`, Ctrl-C, completion.
 */
import { describe, expect, it } from "vitest";
import type { HostCommandIO } from "../../src/shell/host-shell.ts";
import { HostShell } from "../../src/shell/host-shell.ts";
import { MemoryFiles } from "../../src/shell/files.ts";
import type { CliIO, CommandLine } from "../../src/terminal/types.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A tiny docker-like CommandLine: what it was called with and how its stdio looked. */
class FakeDocker implements CommandLine {
  calls: { words: string[]; tty: boolean; keyboard: boolean; stdin: string | undefined }[] = [];

  async exec(line: string, io: CliIO): Promise<number> {
    const hio = io as HostCommandIO;
    const words = [...line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]!));
    const stdin = hio.stdin ? new TextDecoder().decode(hio.stdin) : undefined;
    this.calls.push({ words, tty: io.tty, keyboard: io.takeInput !== undefined, stdin });
    switch (words[1]) {
      case "images":
        io.stdout("REPOSITORY              TAG\nlayerlab.demo/busybox   latest\nalpine                  3.20\n");
        return 0;
      case "argv":
        io.stdout(`${JSON.stringify(words)}\n`);
        return 0;
      case "pull":
        for (let i = 1; i <= 3; i++) {
          if (io.tty) io.stdout(`layer ${i}/3\n`);
          await sleep(20);
        }
        io.stdout("Status: Downloaded newer image\n");
        return 0;
      case "run": {
        if (!io.takeInput) {
          io.stdout(`no keyboard; stdin=${JSON.stringify(stdin ?? "")}\n`);
          return 0;
        }
        let typed = "";
        await new Promise<void>((done) => {
          const give = io.takeInput!((data) => {
            if (data === "\x04") {
              give();
              done();
            } else typed += data;
          });
        });
        io.stdout(`typed ${JSON.stringify(typed)}\n`);
        return 0;
      }
      case "save":
        io.writeRaw!(Uint8Array.from({ length: 256 }, (_, i) => i));
        return 0;
      case "load":
        io.stdout(`Loaded ${hio.stdin?.length ?? 0} bytes\n`);
        return 0;
      case "wait":
        await new Promise<void>((r) => io.signal?.addEventListener("abort", () => r()));
        io.stderr("canceled\n");
        return 130;
      case "fail":
        io.stderr("Error: no such thing\n");
        return 3;
      default:
        io.stderr(`docker: '${words[1]}' is not a docker command.\n`);
        return 1;
    }
  }

  complete(line: string): string[] {
    const w = line.split(/\s+/);
    return w.length === 2 ? ["images", "inspect", "pull", "run"].filter((c) => c.startsWith(w[1]!)) : [];
  }
}

/** A terminal: every write in order, the keyboard, Ctrl-C. */
function terminal(opts: { signal?: AbortSignal } = {}) {
  const events: { k: "out" | "err" | "raw"; s: string }[] = [];
  let taker: ((d: string) => void) | undefined;
  const io: CliIO = {
    tty: true,
    columns: 100,
    rows: 30,
    ...(opts.signal ? { signal: opts.signal } : {}),
    stdout: (s) => void events.push({ k: "out", s }),
    stderr: (s) => void events.push({ k: "err", s }),
    writeRaw: (d) => void events.push({ k: "raw", s: new TextDecoder().decode(d) }),
    takeInput: (fn) => {
      taker = fn;
      return () => void (taker = undefined);
    },
  };
  return {
    io,
    events,
    type: (d: string) => taker?.(d),
    get typing() {
      return taker !== undefined;
    },
    get out() {
      return events.filter((e) => e.k !== "err").map((e) => e.s).join("");
    },
    get err() {
      return events.filter((e) => e.k === "err").map((e) => e.s).join("");
    },
  };
}

async function run(sh: HostShell, line: string) {
  const t = terminal();
  const code = await sh.exec(line, t.io);
  return { code, out: t.out, err: t.err };
}

function shell() {
  const docker = new FakeDocker();
  const files = new MemoryFiles();
  const sh = new HostShell({ commands: { docker, lab: docker }, files });
  return { sh, docker, files };
}

describe("host shell: a shell's state between lines", () => {
  it("starts in /home/lab with HOME set", async () => {
    const { sh } = shell();
    expect(await run(sh, "pwd; echo $HOME ~; cd; pwd")).toEqual({ code: 0, out: "/home/lab\n/home/lab /home/lab\n/home/lab\n", err: "" });
    expect(sh.cwd).toBe("/home/lab");
  });

  it("keeps the working directory, variables, $?, functions and options", async () => {
    const { sh } = shell();
    await run(sh, "mkdir -p demo/sub && cd demo");
    expect((await run(sh, "pwd")).out).toBe("/home/lab/demo\n");
    await run(sh, "cd sub; cd -");
    expect(sh.cwd).toBe("/home/lab/demo");
    await run(sh, "export A=1; B=two");
    expect((await run(sh, 'echo "$A $B"')).out).toBe("1 two\n");
    await run(sh, "unset B");
    expect((await run(sh, 'echo "[${B:-unset}]"')).out).toBe("[unset]\n");
    expect((await run(sh, "false")).code).toBe(1);
    expect((await run(sh, "echo $?")).out).toBe("1\n");
    expect((await run(sh, "echo $?")).out).toBe("0\n");
    await run(sh, "greet() { echo \"hi $1\"; }");
    expect((await run(sh, "greet you")).out).toBe("hi you\n");
    await run(sh, "set -o pipefail");
    expect((await run(sh, "false | true; echo $?")).out).toBe("1\n");
    await run(sh, "set +o pipefail");
    expect((await run(sh, "false | true; echo $?")).out).toBe("0\n");
    await run(sh, "set -e");
    expect((await run(sh, "false; echo not-reached")).out).toBe("");
    expect((await run(sh, "echo $?; set +e")).out).toBe("1\n");
    expect(sh.history.at(-1)).toBe("echo $?; set +e");
    expect((await run(sh, "history | tail -n 1")).out).toMatch(/^\s+\d+ {2}history \| tail -n 1\n$/);
  });

  it("runs a tutorial's host lines verbatim", async () => {
    const { sh, files } = shell();
    const r = await run(sh, "mkdir demo && cd demo && cat > Dockerfile <<'EOF'\nFROM alpine\nRUN echo $HOME > /home.txt\nEOF");
    expect(r).toEqual({ code: 0, out: "", err: "" });
    expect(new TextDecoder().decode(await files.readFile("/home/lab/demo/Dockerfile"))).toBe("FROM alpine\nRUN echo $HOME > /home.txt\n");
    expect((await run(sh, "cat <<-EOF\n\tindented $HOME\n\tEOF")).out).toBe("indented /home/lab\n");
    expect((await run(sh, "echo 'FROM busybox' > Dockerfile.2 && ls && wc -l < Dockerfile")).out).toBe("Dockerfile\nDockerfile.2\n2\n");
    expect((await run(sh, "ls /nope 2>&1 | grep -c nope; ls /nope 2>/dev/null || echo missing")).out).toBe("1\nmissing\n");
    expect((await run(sh, "printf '%s\\n' b a b | sort | uniq -c | sed 's/^ *//'")).out).toBe("1 a\n2 b\n");
  });

  it("sends errors to stderr", async () => {
    const { sh } = shell();
    const r = await run(sh, "cat missing; echo done");
    expect(r.out).toBe("done\n");
    expect(r.err).toContain("missing");
    expect((await run(sh, "nosuchcommand")).code).toBe(127);
  });
});

describe("host shell: tar and gzip (not in just-bash's browser build)", () => {
  it("packs, lists and unpacks, gzip'd or not, to files and through pipes", async () => {
    const { sh, files } = shell();
    await run(sh, "mkdir -p ctx/sub && echo hi > ctx/sub/f && ln -s sub/f ctx/link && chmod 755 ctx/sub/f");
    expect(await run(sh, "tar czf ctx.tgz ctx && mkdir out && tar -xzvf ctx.tgz -C out")).toEqual({ code: 0, out: "ctx/\nctx/link\nctx/sub/\nctx/sub/f\n", err: "" });
    expect((await run(sh, "cat out/ctx/sub/f; readlink out/ctx/link; cat out/ctx/link")).out).toBe("hi\nsub/f\nhi\n");
    expect((await files.stat("/home/lab/out/ctx/sub/f")).mode).toBe(0o755);
    expect((await run(sh, "tar tf ctx.tgz")).out).toBe("ctx/\nctx/link\nctx/sub/\nctx/sub/f\n");
    expect((await run(sh, "tar -tvf ctx.tgz | head -1")).out).toMatch(/^drwxr-xr-x root\/root +0 \d{4}-\d\d-\d\d \d\d:\d\d ctx\/\n$/);
    expect((await run(sh, "tar -C ctx -cf - . | tar tf - | sort")).out).toBe("./\nlink\nsub/\nsub/f\n");
    expect((await run(sh, "cd ctx && tar cf ../plain.tar sub && cd .. && mkdir x2 && cd x2 && tar xf ../plain.tar && cat sub/f")).out).toBe("hi\n");
    const r = await run(sh, "tar xf nothing.tar");
    expect(r.code).toBe(2);
    expect(r.err).toBe("tar: No such file or directory\n");
  });

  it("gzips and gunzips files and pipes", async () => {
    const { sh } = shell();
    expect((await run(sh, "echo gz > g && gzip g && ls g* && gunzip g.gz && cat g")).out).toBe("g.gz\ngz\n");
    expect((await run(sh, "echo abc | gzip | zcat")).out).toBe("abc\n");
    expect((await run(sh, "gzip -k g && zcat g.gz && gzip -dc < g.gz")).out).toBe("gz\ngz\n");
  });

  it("answers `help` with the shell's commands and the host commands", async () => {
    const { sh } = shell();
    const r = await run(sh, "help");
    expect(r.out).toContain("Lab commands: docker, lab");
    expect(r.out).toContain("grep");
  });
});

describe("host shell: host commands inside it", () => {
  it("pipes a host command's stdout into the next command", async () => {
    const { sh, docker } = shell();
    expect((await run(sh, "docker images | grep demo")).out).toBe("layerlab.demo/busybox   latest\n");
    expect(docker.calls.at(-1)).toMatchObject({ words: ["docker", "images"], tty: false, keyboard: false });
    expect((await run(sh, "docker images | wc -l")).out.trim()).toBe("3");
    expect((await run(sh, "echo $(docker argv x) | tr -d '\"'")).out).toBe("[docker,argv,x]\n");
  });

  it("gives the command its own argv, quoted so that its splitter gets the same words", async () => {
    const { sh, docker } = shell();
    await run(sh, `X='a b'; docker argv "$X" 'c'"'"'d' $HOME '' --format '{{.ID}}'`);
    expect(docker.calls.at(-1)!.words).toEqual(["docker", "argv", "a b", "c'd", "/home/lab", "", "--format", "{{.ID}}"]);
    await run(sh, "sudo docker argv root");
    expect(docker.calls.at(-1)).toMatchObject({ words: ["docker", "argv", "root"], tty: true });
    await run(sh, "lab argv tree x");
    expect(docker.calls.at(-1)!.words).toEqual(["lab", "argv", "tree", "x"]);
  });

  it("streams a host command's output while the line runs, in order with the commands around it", async () => {
    const { sh, docker } = shell();
    const t = terminal();
    let finished = false;
    const done = sh.exec("echo before; docker pull busybox && echo after", t.io).then((c) => {
      finished = true;
      return c;
    });
    await sleep(30);
    expect(finished).toBe(false);
    expect(t.out).toMatch(/^before\nlayer 1\/3\n/);
    expect(await done).toBe(0);
    expect(t.out).toBe("before\nlayer 1/3\nlayer 2/3\nlayer 3/3\nStatus: Downloaded newer image\nafter\n");
    expect(docker.calls.at(-1)).toMatchObject({ tty: true });
    // In a loop too: each command's output appears when it finishes.
    const t2 = terminal();
    await sh.exec("for i in 1 2; do echo round $i; docker pull x; done", t2.io);
    expect(t2.out).toBe("round 1\nlayer 1/3\nlayer 2/3\nlayer 3/3\nStatus: Downloaded newer image\nround 2\nlayer 1/3\nlayer 2/3\nlayer 3/3\nStatus: Downloaded newer image\n");
  });

  it("hands the keyboard to `docker run -it` only when its stdin is the terminal", async () => {
    const { sh } = shell();
    const t = terminal();
    const done = sh.exec("docker run -it busybox sh", t.io);
    for (let i = 0; !t.typing && i < 2000; i++) await sleep(1);
    expect(t.typing).toBe(true);
    t.type("ls\r");
    t.type("\x04");
    expect(await done).toBe(0);
    expect(t.out).toBe('typed "ls\\r"\n');
    expect((await run(sh, "echo piped | docker run -i busybox cat")).out).toBe('no keyboard; stdin="piped\\n"\n');
    expect((await run(sh, "docker run -i busybox cat <<EOF\nheredoc\nEOF")).out).toBe('no keyboard; stdin="heredoc\\n"\n');
  });

  it("writes binary output to a file and reads a file as stdin", async () => {
    const { sh, files } = shell();
    const r = await run(sh, "docker save busybox > busybox.tar && docker load < busybox.tar");
    expect(r).toEqual({ code: 0, out: "Loaded 256 bytes\n", err: "" });
    expect(await files.readFile("/home/lab/busybox.tar")).toEqual(Uint8Array.from({ length: 256 }, (_, i) => i));
    expect((await run(sh, "docker save busybox | wc -c")).out.trim()).toBe("256");
    expect((await run(sh, "sha256sum busybox.tar | cut -c1-16")).out).toBe("40aff2e9d2d8922e\n");
  });

  it("passes the exit status back, and Ctrl-C to the running command", async () => {
    const { sh } = shell();
    const r = await run(sh, "docker fail; echo status $?");
    expect(r.out).toBe("status 3\n");
    expect(r.err).toBe("Error: no such thing\n");
    const ctrl = new AbortController();
    const t = terminal({ signal: ctrl.signal });
    setTimeout(() => ctrl.abort(), 50);
    const started = performance.now();
    expect(await sh.exec("docker wait x; echo not-reached", t.io)).toBe(130);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(t.out).not.toContain("not-reached");
    expect((await run(sh, "echo still here")).out).toBe("still here\n");
  });
});

describe("host shell: the terminal's helpers", () => {
  it("completes commands, host commands' words and paths", async () => {
    const { sh } = shell();
    await run(sh, "mkdir -p demo/ctx && touch demo/Dockerfile demo/.hidden");
    expect(sh.complete("ec")).toContain("echo");
    expect(sh.complete("doc")).toEqual(["docker"]);
    expect(sh.complete("docker i")).toEqual(["images", "inspect"]);
    sh.complete("cat demo/D"); // the first Tab in a directory lists it
    await sleep(5);
    expect(sh.complete("cat demo/D")).toEqual(["demo/Dockerfile"]);
    expect(sh.complete("ls demo/")).toEqual(["demo/Dockerfile", "demo/ctx/"]);
    expect(sh.complete("ls | grep x; cat ~/demo/c")).toEqual(["~/demo/ctx/"]);
  });

  it("tells when a line needs more input", async () => {
    const { sh } = shell();
    await sh.load();
    expect(sh.needsMore("cat > Dockerfile <<'EOF'\nFROM alpine")).toBe(true);
    expect(sh.needsMore("cat > Dockerfile <<'EOF'\nFROM alpine\nEOF")).toBe(false);
    expect(sh.needsMore("echo 'open")).toBe(true);
    expect(sh.needsMore("docker images |")).toBe(true);
    expect(sh.needsMore("mkdir demo &&")).toBe(true);
    expect(sh.needsMore("for i in 1 2; do")).toBe(true);
    expect(sh.needsMore("echo hi")).toBe(false);
  });
});
