/**
 * The headless driver's --workdir and --out (issue 13): the host shell starts in a copy of a local
 * directory (files, folders, modes, symlinks) and its working directory comes back out at exit; each
 * command is one shell line whose status is the last line's.
 */
import { execFile } from "node:child_process";
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../harness/shared.ts";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "layerlab-driver-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm run lab -- --workdir DIR --out DIR", () => {
  it("hands the lab a build context and takes the working directory back", async () => {
    const ctx = join(dir, "context");
    mkdirSync(join(ctx, "app"), { recursive: true });
    writeFileSync(join(ctx, "Dockerfile"), "FROM layerlab.demo/busybox\nCOPY app /app\n");
    writeFileSync(join(ctx, "app", "run.sh"), "#!/bin/sh\necho hi\n");
    chmodSync(join(ctx, "app", "run.sh"), 0o755);
    symlinkSync("run.sh", join(ctx, "app", "start"));
    const out = join(dir, "out");
    const { stdout } = await run(
      "npx",
      ["tsx", "scripts/lab.ts", "--workdir", ctx, "--out", out, "pwd", "cat Dockerfile | grep -c COPY", "stat -c %a app/run.sh", "readlink app/start", "echo made > made.txt && mkdir -p gen && echo deep > gen/x"],
      { cwd: PROJECT_ROOT, timeout: 120_000 },
    );
    expect(stdout).toBe("/home/lab/context\n1\n755\nrun.sh\n");
    expect(readFileSync(join(out, "Dockerfile"), "utf8")).toBe("FROM layerlab.demo/busybox\nCOPY app /app\n");
    expect(lstatSync(join(out, "app", "run.sh")).mode & 0o777).toBe(0o755);
    expect(readlinkSync(join(out, "app", "start"))).toBe("run.sh");
    expect(readFileSync(join(out, "made.txt"), "utf8")).toBe("made\n");
    expect(readFileSync(join(out, "gen", "x"), "utf8")).toBe("deep\n");
  });

  it("exits with the last line's status", async () => {
    const r = await run("npx", ["tsx", "scripts/lab.ts", "true", "false || exit 3"], { cwd: PROJECT_ROOT, timeout: 120_000 }).then(
      () => 0,
      (e: { code?: number }) => e.code ?? -1,
    );
    expect(r).toBe(3);
  });
});
