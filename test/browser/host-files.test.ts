/**
 * The shared HostFiles suite (test/shared/host-files-suite.ts) against IdbHostFiles in Chromium, each
 * case in a database of its own; "reopen" opens a second instance on the same database, as a reloaded
 * page would. A second pass runs the light cases with 1 KiB chunks (every boundary exercised). Then: a
 * real page reload, and a full disk (a storage bucket with a small quota).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchLab } from "../harness/browser.ts";
import { hostFilesCases } from "../shared/host-files-suite.ts";

type Lab = Awaited<ReturnType<typeof launchLab>>;
let lab: Lab;
let results: Record<string, string | null>;
let notes: Record<string, number>;

const SMALL = "[1 KiB chunks] ";

beforeAll(async () => {
  lab = await launchLab({});
  ({ results, notes } = (await lab.page.evaluate(`(async () => {
    const { openHostFiles } = await import("/src/shell/idb-files.ts");
    const { hostFilesCases } = await import("/test/shared/host-files-suite.ts");
    const results = {};
    const notes = {};
    const drop = (name) => new Promise((resolve, reject) => {
      const r = indexedDB.deleteDatabase(name);
      r.onsuccess = resolve;
      r.onerror = () => reject(r.error);
    });
    const pass = async (label, opts, cases) => {
      for (const c of cases) {
        const name = "t-host-" + Math.random().toString(36).slice(2);
        const opened = [];
        const open = async () => { const f = await openHostFiles(name, opts); opened.push(f); return f; };
        try {
          await c.run({ files: await open(), reopen: open, note: (what, ms) => { notes[label + what] = Math.round(ms); } });
          results[label + c.name] = null;
        } catch (e) {
          results[label + c.name] = String(e && e.stack || e);
        } finally {
          for (const f of opened) await f.close();
          await drop(name);
        }
      }
    };
    await pass("", {}, hostFilesCases);
    await pass(${JSON.stringify(SMALL)}, { chunkSize: 1024 }, hostFilesCases.filter((c) => !c.heavy));
    return { results, notes };
  })()`)) as { results: Record<string, string | null>; notes: Record<string, number> });
  console.log(`IdbHostFiles in Chromium (ms): ${JSON.stringify(notes)}`);
});

afterAll(async () => {
  await lab?.close();
});

describe("host files (IdbHostFiles in Chromium)", () => {
  for (const c of hostFilesCases) {
    it(c.name, () => {
      expect(results[c.name]).toBeNull();
    });
    if (!c.heavy) {
      it(SMALL + c.name, () => {
        expect(results[SMALL + c.name]).toBeNull();
      });
    }
  }

  it("20 MB and 1,000-file figures were measured", () => {
    expect(Object.keys(notes)).toEqual(expect.arrayContaining(["write 20 MB", "read 20 MB", "rename a directory of 1,000 files"]));
  });

  it("the files survive a page reload", async () => {
    await lab.page.evaluate(`(async () => {
      const { openHostFiles } = await import("/src/shell/idb-files.ts");
      const { pattern } = await import("/test/shared/host-files-suite.ts");
      const f = await openHostFiles("t-host-reload");
      await f.mkdir("/home/lab/demo", { recursive: true });
      await f.writeFile("/home/lab/demo/Dockerfile", new TextEncoder().encode("FROM busybox\\n"));
      await f.writeFile("/home/lab/big.tar", pattern(1_000_000, 5));
      await f.symlink("demo/Dockerfile", "/home/lab/df");
      await f.chmod("/home/lab/demo", 0o700);
      await f.close();
    })()`);
    await lab.reload();
    const after = await lab.page.evaluate(`(async () => {
      const { openHostFiles } = await import("/src/shell/idb-files.ts");
      const { pattern } = await import("/test/shared/host-files-suite.ts");
      const f = await openHostFiles("t-host-reload");
      const big = await f.readFile("/home/lab/big.tar");
      const want = pattern(1_000_000, 5);
      const out = {
        home: (await f.readdir("/home/lab")).map((e) => e.name + ":" + e.type),
        dockerfile: new TextDecoder().decode(await f.readFile("/home/lab/df")),
        mode: (await f.stat("/home/lab/demo")).mode,
        big: big.length === want.length && big.every((b, i) => b === want[i]),
      };
      await f.close();
      indexedDB.deleteDatabase("t-host-reload");
      return out;
    })()`);
    expect(after).toEqual({ home: ["big.tar:file", "demo:directory", "df:symlink"], dockerfile: "FROM busybox\n", mode: 0o700, big: true });
  });

  it("a full disk is ENOSPC (the shell says No space left on device) and leaves nothing half-written", async () => {
    // A storage bucket of 8 MB is the full disk: Chromium enforces a bucket's quota as it does the
    // origin's. idb's openDB opens through the global indexedDB, so it is the bucket's for that call.
    const r = (await lab.page.evaluate(`(async () => {
      const { IdbHostFiles } = await import("/src/shell/idb-files.ts");
      const { HostShell } = await import("/src/shell/host-shell.ts");
      const { pattern } = await import("/test/shared/host-files-suite.ts");
      const bucket = await navigator.storageBuckets.open("t-host-full", { quota: 8_000_000 });
      const global = Object.getOwnPropertyDescriptor(window, "indexedDB");
      Object.defineProperty(window, "indexedDB", { configurable: true, get: () => bucket.indexedDB });
      let f;
      try {
        f = new IdbHostFiles({ name: "t-host-full" });
      } finally {
        Object.defineProperty(window, "indexedDB", global);
      }
      await f.ready();
      const code = (p) => p.then(() => "ok", (e) => e.code + " " + e.message);
      const out = {};
      await f.writeFile("/keep", new TextEncoder().encode("old"));
      out.five = await code(f.writeFile("/five", pattern(5_000_000, 9)));
      const big = pattern(20_000_000, 20);
      out.create = await code(f.writeFile("/big", big));
      out.createdNothing = await code(f.lstat("/big"));
      out.replace = await code(f.writeFile("/keep", big));
      out.append = await code(f.writeFile("/keep", big, { append: true }));
      out.link = await code(f.link("/five", "/five-link"));
      out.keep = new TextDecoder().decode((await f.readFile("/keep")).subarray(0, 10));
      out.keepSize = (await f.stat("/keep")).size;
      out.root = (await f.readdir("/")).map((e) => e.name);
      const sh = new HostShell({ files: f, home: "/" });
      let stderr = "";
      const io = { tty: false, columns: 80, stdout: () => {}, stderr: (s) => { stderr += s; } };
      out.shellCode = await sh.exec("cp /five /five2", io);
      out.shellStderr = stderr;
      out.rootAfterShell = (await f.readdir("/")).map((e) => e.name);
      out.smallStillFits = await code(f.writeFile("/small", pattern(100_000, 1)));
      await f.close();
      await navigator.storageBuckets.delete("t-host-full");
      return out;
    })()`)) as Record<string, unknown>;
    expect(r).toEqual({
      five: "ok",
      create: "ENOSPC ENOSPC: no space left on device, write '/big'",
      createdNothing: "ENOENT ENOENT: no such file or directory, lstat '/big'",
      replace: "ENOSPC ENOSPC: no space left on device, write '/keep'",
      append: "ENOSPC ENOSPC: no space left on device, write '/keep'",
      link: "ENOSPC ENOSPC: no space left on device, link '/five-link'",
      keep: "old",
      keepSize: 3,
      root: ["five", "keep"],
      shellCode: 1,
      shellStderr: expect.stringMatching(/no space left on device/i),
      rootAfterShell: ["five", "keep"],
      smallStillFits: "ok",
    });
    console.log(`the shell on a full disk: ${JSON.stringify(r.shellStderr)}`);
  });
});
