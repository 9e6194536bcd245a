/**
 * Builds the v86 guest's userland from Debian packages, reproducibly:
 *  - public/v86/initramfs.cpio.gz: our /init (scripts/initramfs/layerlab-init.c, compiled static for
 *    i386 with Debian's gcc-multilib) plus busybox from `busybox-static:i386` for debugging shells;
 *  - public/v86/bios.bin: SeaBIOS from Debian `seabios`;
 *  - public/v86/guest.json: exact package versions and sha256 of every artifact (the kernel has its
 *    own kernel.json from scripts/build-kernel.sh).
 * The cpio archive is written here (newc format, fixed mtimes and owners) so the same inputs give the
 * same bytes.   Run: npx tsx scripts/build-guest.ts
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "public", "v86");
const sh = (cmd: string, args: string[], cwd?: string) => execFileSync(cmd, args, { cwd, encoding: "utf8" }).trim();
const version = (pkg: string) => sh("dpkg-query", ["-W", "-f=${Version}", pkg]);
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function ensurePackages(pkgs: string[]) {
  const missing = pkgs.filter((p) => {
    try { return sh("dpkg-query", ["-W", "-f=${db:Status-Status}", p]) !== "installed"; } catch { return true; }
  });
  if (missing.length === 0) return;
  try { execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" }); } catch { /* partial lists are fine */ }
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { stdio: "inherit" });
}

/** newc cpio: the format the kernel unpacks into its rootfs. */
class Cpio {
  private parts: Buffer[] = [];
  private ino = 1;
  add(name: string, mode: number, data: Uint8Array = new Uint8Array(0)) {
    const nameBytes = Buffer.from(name + "\0");
    const fields = [this.ino++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0];
    const header = "070701" + fields.map((f) => f.toString(16).padStart(8, "0")).join("");
    this.parts.push(Buffer.from(header), nameBytes, pad(110 + nameBytes.length), Buffer.from(data), pad(data.length));
  }
  finish(): Buffer {
    this.add("TRAILER!!!", 0);
    return Buffer.concat(this.parts);
  }
}
const pad = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);

ensurePackages(["gcc-multilib", "libc6-dev-i386", "seabios"]);
const work = mkdtempSync(join(tmpdir(), "layerlab-guest-"));
execFileSync("apt-get", ["download", "busybox-static:i386"], { cwd: work, stdio: "ignore" });
const deb = readdirSync(work).find((f) => f.startsWith("busybox-static_") && f.endsWith("_i386.deb"));
if (!deb) throw new Error("apt-get download busybox-static:i386 produced no package (is the i386 architecture added?)");
const busyboxVersion = sh("dpkg-deb", ["-f", join(work, deb), "Version"]);
execFileSync("dpkg-deb", ["-x", join(work, deb), join(work, "bb")]);
const busybox = readFileSync(join(work, "bb", "bin", "busybox"));

const initBin = join(work, "init");
execFileSync("gcc", ["-m32", "-static", "-Os", "-s", "-Wall", "-Wextra", "-Werror", "-o", initBin,
  join(root, "scripts", "initramfs", "layerlab-init.c")], { stdio: "inherit" });
const init = readFileSync(initBin);

const cpio = new Cpio();
for (const dir of ["bin", "c", "dev", "proc", "sys", "tmp"]) cpio.add(dir, 0o40755);
cpio.add("init", 0o100755, init);
cpio.add("bin/busybox", 0o100755, busybox);
cpio.add("bin/sh", 0o120777, Buffer.from("busybox"));
const initramfs = gzipSync(cpio.finish(), { level: 9 });
// gzip's header carries no name and mtime 0 from zlib: the bytes depend only on the inputs.

mkdirSync(out, { recursive: true });
writeFileSync(join(out, "initramfs.cpio.gz"), initramfs);
copyFileSync("/usr/share/seabios/bios.bin", join(out, "bios.bin"));
const bios = readFileSync(join(out, "bios.bin"));
const gccVersion = version("gcc-multilib");
const manifest = {
  initramfs: {
    file: "initramfs.cpio.gz",
    sha256: sha256(initramfs),
    init: { source: "scripts/initramfs/layerlab-init.c", sha256: sha256(readFileSync(join(root, "scripts", "initramfs", "layerlab-init.c"))), compiler: `Debian gcc-multilib ${gccVersion}, libc6-dev-i386 ${version("libc6-dev-i386")}`, licence: "MIT (this project); statically linked glibc: LGPL-2.1" },
    busybox: { package: `Debian busybox-static:i386 ${busyboxVersion}`, licence: "GPL-2.0" },
  },
  bios: { file: "bios.bin", sha256: sha256(bios), package: `Debian seabios ${version("seabios")}`, licence: "LGPL-3.0" },
};
writeFileSync(join(out, "guest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`initramfs ${initramfs.length} bytes, bios ${bios.length} bytes → ${out}`);
