/** Platforms (os/architecture/variant), normalised and matched the way containerd's platforms package does. */
import type { Descriptor, ImageIndex, Platform } from "./types.ts";

export class PlatformError extends Error {
  override name = "PlatformError";
}

const ARCH_ALIASES: Record<string, [string, string?]> = {
  i386: ["386"],
  i486: ["386"],
  i586: ["386"],
  i686: ["386"],
  x86: ["386"],
  x86_64: ["amd64"],
  "x86-64": ["amd64"],
  aarch64: ["arm64"],
  armhf: ["arm", "v7"],
  armel: ["arm", "v6"],
};

export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase() === "macos" ? "darwin" : p.os.toLowerCase();
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  const alias = ARCH_ALIASES[architecture];
  if (alias) {
    architecture = alias[0];
    variant = alias[1] ?? variant;
  }
  if (architecture === "arm64" && (variant === "v8" || variant === "8")) variant = undefined;
  if (architecture === "arm" && variant && /^\d$/.test(variant)) variant = `v${variant}`;
  if (architecture === "arm" && !variant) variant = "v7";
  if (architecture === "amd64" && variant === "v1") variant = undefined;
  const out: Platform = { os, architecture };
  if (variant) out.variant = variant;
  if (p["os.version"]) out["os.version"] = p["os.version"];
  return out;
}

/** "linux/386", "linux/arm64/v8", "linux" (architecture defaults to the lab's). */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().split("/");
  if (parts.length === 0 || parts.length > 3 || parts.some((x) => !/^[A-Za-z0-9_.-]+$/.test(x))) {
    throw new PlatformError(`invalid platform "${s}": want os/arch[/variant], e.g. linux/386`);
  }
  const [os, arch, variant] = parts as [string, string?, string?];
  const p: Platform = { os, architecture: arch ?? defaultPlatform().architecture };
  if (variant) p.variant = variant;
  return normalizePlatform(p);
}

export function formatPlatform(p: Platform | undefined): string {
  if (!p) return "unknown";
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/**
 * The lab's own platform. The x86 runtime is v86, which emulates a 32-bit x86 only, so the images
 * the lab can run are linux/386, and that is what a pull without --platform selects.
 */
export function defaultPlatform(): Platform {
  return { os: "linux", architecture: "386" };
}

export function matchPlatform(want: Platform, have: Platform | undefined): boolean {
  if (!have) return false;
  const w = normalizePlatform(want);
  const h = normalizePlatform(have);
  if (w.os !== h.os || w.architecture !== h.architecture) return false;
  return !w.variant || !h.variant || w.variant === h.variant;
}

/**
 * What a pull without --platform asks for, best first: wasi/wasm (runs with no emulator at all), then
 * linux/386 (v86). An index offering neither gets the lab's explanation.
 */
export function runnablePlatforms(): Platform[] {
  return [{ os: "wasi", architecture: "wasm" }, defaultPlatform()];
}

/**
 * Picks the manifest for a platform from an index: exact variant first, attestations never. Given a
 * list, the first platform the index has wins.
 */
export function selectManifest(index: ImageIndex, want: Platform | Platform[]): Descriptor {
  if (Array.isArray(want)) {
    for (const w of want.slice(0, -1)) {
      try {
        return selectManifest(index, w);
      } catch (e) {
        if (!(e instanceof PlatformError)) throw e;
      }
    }
    try {
      return selectManifest(index, want.at(-1)!);
    } catch (e) {
      if (!(e instanceof PlatformError) || want.length < 2) throw e;
      throw new PlatformError(`${e.message}: the lab runs ${want.map(formatPlatform).join(" and ")} images; pull another platform with --platform to inspect, edit and commit it (its programs will not run here)`);
    }
  }
  const candidates = index.manifests.filter(
    (d) => d.platform && d.platform.os !== "unknown" && d.platform.architecture !== "unknown" && matchPlatform(want, d.platform),
  );
  const w = normalizePlatform(want);
  const exact = candidates.find((d) => normalizePlatform(d.platform!).variant === w.variant);
  const chosen = exact ?? candidates[0];
  if (!chosen) {
    const available = index.manifests
      .filter((d) => d.platform && d.platform.os !== "unknown")
      .map((d) => formatPlatform(d.platform))
      .join(", ");
    throw new PlatformError(`no matching manifest for ${formatPlatform(w)} in the manifest list entries (available: ${available || "none"})`);
  }
  return chosen;
}

/** A WebAssembly (WASI) image: run without an emulator, and without Linux's mount points or network. */
export function isWasiPlatform(p: { os?: string; architecture?: string } | undefined): boolean {
  return p?.os === "wasi" || p?.architecture === "wasm";
}
