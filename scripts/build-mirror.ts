/**
 * The offline Debian mirror bundled with the lab (public/demos/mirror/), built by scripts/build-demos.ts
 * beside the debian:bookworm image it serves: a few i386 packages tutorials install (MIRROR_PACKAGES),
 * with whatever of their dependencies and recommends the image lacks, downloaded by apt inside the
 * image's own mmdebstrap chroot (so their versions are the image's), laid out as Debian's mirrors lay
 * them out (`<host>/debian/pool/main/v/vim/vim-tiny_…_i386.deb`, `dists/bookworm/InRelease`), so the
 * page answers the guest's own requests for deb.debian.org and security.debian.org when it has no
 * network relay (src/runtime/x86/mirror-net.ts).
 *
 * Why a key of its own: Debian's signed InRelease vouches for the whole of Debian's Packages index
 * (~47 MB for i386 main), far beyond a small bundle; the subset's index is signed instead by a key made
 * for this build, whose public half the image trusts (/etc/apt/trusted.gpg.d/layerlab-offline-mirror.asc)
 * and whose private half is discarded as soon as the indexes are signed: nothing can sign with it
 * again. The Release fields (Origin, Label, Suite, Codename, Version, Date) are Debian's, read from the
 * InRelease files apt fetched in the chroot, so apt sees the same repository online and offline.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

/** What the mirror holds (with what the image lacks of their dependencies and recommends). */
export const MIRROR_PACKAGES = ["vim-tiny", "nano", "less", "tree", "procps", "iputils-ping", "wget", "curl"];

/** The image's apt sources (mmdebstrap's sources.list) and the mirror's answer to each. */
const SUITES = [
  { host: "deb.debian.org", root: "debian", suite: "bookworm", list: "deb.debian.org_debian_dists_bookworm_InRelease", packages: true },
  { host: "deb.debian.org", root: "debian", suite: "bookworm-updates", list: "deb.debian.org_debian_dists_bookworm-updates_InRelease", packages: false },
  { host: "security.debian.org", root: "debian-security", suite: "bookworm-security", list: "security.debian.org_debian-security_dists_bookworm-security_InRelease", packages: false },
  // Docker's own debian images name the security archive on deb.debian.org.
  { host: "deb.debian.org", root: "debian-security", suite: "bookworm-security", list: "security.debian.org_debian-security_dists_bookworm-security_InRelease", packages: false },
];

export const MIRROR_KEY_PATH = "etc/apt/trusted.gpg.d/layerlab-offline-mirror.asc";

/** The mmdebstrap hook that downloads the packages into `debs`: one apt run each, with recommends (mmdebstrap turns them off), so each one's closure is what a learner's `apt-get install -y` pulls. */
export function downloadHook(debs: string): string {
  const each = MIRROR_PACKAGES.map((p) => `chroot "$1" apt-get install -qq -y -o APT::Install-Recommends=true --download-only ${p} >/dev/null`).join(" && ");
  // mmdebstrap leaves the base system's own .debs in the archive cache: cleaned first.
  return `--customize-hook=set -e; mkdir -p ${debs}; chroot "$1" apt-get clean; ${each}; cp "$1"/var/cache/apt/archives/*.deb ${debs}/; cp "$1"/var/lib/apt/lists/*_InRelease ${debs}/; chroot "$1" apt-get clean`;
}

export interface MirrorKey {
  home: string;
  /** The armored public key the image trusts. */
  publicKey: string;
}

/** A signing key for this build only (ed25519, no passphrase, in a temporary GnuPG home). */
export function makeMirrorKey(): MirrorKey {
  const home = mkdtempSync(join(tmpdir(), "layerlab-mirror-key-"));
  const gpg = (...args: string[]) => execFileSync("gpg", ["--homedir", home, "--batch", "--quiet", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  gpg("--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", "Layerlab offline mirror (Debian packages bundled with the lab; key discarded after signing) <mirror@layerlab.invalid>", "ed25519", "sign", "never");
  return { home, publicKey: gpg("--armor", "--export").toString() };
}

/** Debian's own Release fields for a suite, from the InRelease apt fetched (clear-signed text). */
function releaseFields(debs: string, list: string, suite: string): Record<string, string> {
  const fields: Record<string, string> = { Origin: "Debian", Label: "Debian", Suite: suite, Codename: suite };
  const file = join(debs, list);
  if (!existsSync(file)) return fields;
  // The signed text follows the armor's headers and a blank line; its own fields end at the next one.
  const text = readFileSync(file, "utf8").split("\n-----BEGIN PGP SIGNATURE-----")[0]!;
  for (const line of text.slice(text.indexOf("\n\n") + 2).split("\n")) {
    const m = /^(Origin|Label|Suite|Version|Codename|Date|Changelogs): (.*)$/.exec(line);
    if (m) fields[m[1]!] = m[2]!;
  }
  return fields;
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Debian's pool directory of a source package: lib* by four letters, the rest by one. */
const poolDir = (source: string) => `${source.startsWith("lib") ? source.slice(0, 4) : source[0]}/${source}`;

/** Lays the mirror out under `out` (public/demos/mirror), signs it with `key`, and lists its files in index.json. */
export function writeMirror(debs: string, out: string, key: MirrorKey): { files: number; bytes: number; packages: number } {
  rmSync(out, { recursive: true, force: true });
  const deb = (f: string, field: string) => execFileSync("dpkg-deb", ["-f", join(debs, f), field], { encoding: "utf8" }).trim();
  const pools = new Set<string>();
  const debFiles = readdirSync(debs).filter((f) => f.endsWith(".deb")).sort();
  for (const f of debFiles) {
    const [pkg, version, arch, source] = ["Package", "Version", "Architecture", "Source"].map((k) => deb(f, k));
    const src = (source || pkg!).split(" ")[0]!;
    const dir = `pool/main/${poolDir(src)}`;
    mkdirSync(join(out, "deb.debian.org", "debian", dir), { recursive: true });
    copyFileSync(join(debs, f), join(out, "deb.debian.org", "debian", dir, `${pkg}_${version!.replace(/^\d+:/, "")}_${arch}.deb`));
    pools.add(dir);
  }
  const debianRoot = join(out, "deb.debian.org", "debian");
  const packages = execFileSync("dpkg-scanpackages", ["--multiversion", "pool", "/dev/null"], { cwd: debianRoot, stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 26 });
  for (const s of SUITES) {
    const dists = join(out, s.host, s.root, "dists", s.suite);
    const index = join(dists, "main", "binary-i386");
    mkdirSync(index, { recursive: true });
    const text = s.packages ? packages : Buffer.alloc(0);
    writeFileSync(join(index, "Packages"), text);
    writeFileSync(join(index, "Packages.xz"), execFileSync("xz", ["-9", "-c", "--check=crc64"], { input: text }));
    const f = releaseFields(debs, s.list, s.suite);
    const hashes = ["Packages", "Packages.xz"].map((n) => {
      const b = readFileSync(join(index, n));
      return ` ${sha256(b)} ${String(b.length).padStart(8)} main/binary-i386/${n}`;
    });
    const release = [
      ...["Origin", "Label", "Suite", "Version", "Codename", "Changelogs", "Date"].filter((k) => f[k]).map((k) => `${k}: ${f[k]}`),
      "Architectures: i386",
      "Components: main",
      `Description: Layerlab's offline mirror: ${s.packages ? `${debFiles.length} Debian packages (${MIRROR_PACKAGES.join(", ")} and what they need)` : "nothing of this suite"}; the rest of Debian is online`,
      "SHA256:",
      ...hashes,
      "",
    ].join("\n");
    writeFileSync(join(dists, "Release"), release);
    execFileSync("gpg", ["--homedir", key.home, "--batch", "--quiet", "--yes", "--pinentry-mode", "loopback", "--passphrase", "", "--digest-algo", "SHA512", "--clearsign", "--output", join(dists, "InRelease"), join(dists, "Release")]);
  }
  // The key's private half goes now: nothing can sign for this mirror again.
  rmSync(key.home, { recursive: true, force: true });
  const files: { path: string; size: number }[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else files.push({ path: relative(out, p), size: statSync(p).size });
    }
  };
  walk(out);
  const bytes = files.reduce((n, f) => n + f.size, 0);
  writeFileSync(join(out, "index.json"), JSON.stringify({ image: "debian:bookworm", packages: MIRROR_PACKAGES, bytes, files }, null, 1) + "\n");
  return { files: files.length, bytes, packages: debFiles.length };
}
