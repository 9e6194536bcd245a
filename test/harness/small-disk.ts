/**
 * A lab whose browser profile sits on a small tmpfs, so IndexedDB meets a full disk as it would on a
 * learner's machine (Chromium does not apply CDP's Storage.overrideQuotaForOrigin to IndexedDB: a real
 * full disk is the only way to get its QuotaExceededError). Mounting needs root: without it `lab` is
 * undefined and `why` says so (a test then fails under CI=true, skips elsewhere).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchLab, type LabDriver } from "./browser.ts";

export interface SmallDiskLab {
  lab?: LabDriver;
  /** A scratch directory beside the small disk (on the real one). */
  work: string;
  why: string;
  close(): Promise<void>;
}

/** `cacheElsewhere`: Chromium's HTTP cache off the small disk, where it would take the room IndexedDB is measured against. */
export async function launchLabOnSmallDisk(sizeMb: number, opts: { cacheElsewhere?: boolean } = {}): Promise<SmallDiskLab> {
  const work = mkdtempSync(join(tmpdir(), "layerlab-small-disk-"));
  const profile = join(work, "profile");
  mkdirSync(profile);
  let mounted = false;
  const close = async () => {
    await out.lab?.close();
    if (mounted) execFileSync("umount", [profile]);
    rmSync(work, { recursive: true, force: true });
  };
  const out: SmallDiskLab = { work, why: "", close };
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeMb}m`, "tmpfs", profile], { stdio: "pipe" });
    mounted = true;
  } catch (e) {
    out.why = `cannot mount a small tmpfs for the browser profile (needs root): ${(e as Error).message.split("\n")[0]}`;
    return out;
  }
  out.lab = await launchLab({ profileDir: join(profile, "p"), ...(opts.cacheElsewhere ? { chromiumArgs: [`--disk-cache-dir=${join(work, "cache")}`] } : {}) });
  return out;
}
