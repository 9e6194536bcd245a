/** The WASI demo images (scripts/build-wasi-demos.ts), built once per source change into the fixture cache. */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildWasiDemos, wasiDemoSourceKey } from "../../scripts/build-wasi-demos.ts";
import { FIXTURES_DIR } from "./fixtures.ts";

let building: Promise<string> | undefined;

export function wasiDemoLayout(): Promise<string> {
  building ??= (async () => {
    const root = join(FIXTURES_DIR, ".cache", `wasi-${wasiDemoSourceKey()}`);
    const layout = join(root, "layout");
    if (existsSync(join(root, "done"))) return layout;
    rmSync(root, { recursive: true, force: true });
    mkdirSync(layout, { recursive: true });
    await buildWasiDemos(layout);
    writeFileSync(join(root, "done"), new Date().toISOString());
    return layout;
  })();
  return building;
}

/** Pushes the demos to `lab/wasi:<name>`, and `lab/mixed:multi`: an index of busybox linux/386 and wasi hello. */
export async function pushWasiDemos(reg: import("./registry.ts").TestRegistry, busyboxLayout: string, busyboxTag: string): Promise<{ repo: string; mixed: string }> {
  const { runAsync, skopeoCreds, putIndex } = await import("./fixtures.ts");
  const layout = await wasiDemoLayout();
  const creds = skopeoCreds(reg, "--dest-creds");
  const copy = (src: string, dest: string) => runAsync("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", ...creds, src, `docker://${reg.host}/${dest}`]);
  for (const t of ["hello", "ls", "fileops", "trap", "spin", "mystery"]) await copy(`oci:${layout}:${t}`, `lab/wasi:${t}`);
  await copy(`oci:${layout}:hello`, "lab/mixed:wasm");
  await copy(`oci:${busyboxLayout}:${busyboxTag}`, "lab/mixed:386");
  const raw = async (name: string) => runAsync("skopeo", ["inspect", "--raw", "--tls-verify=false", ...skopeoCreds(reg, "--creds"), `docker://${reg.host}/${name}`]);
  const { createHash } = await import("node:crypto");
  const entry = async (name: string, arch: string, os: string) => {
    const body = await raw(name);
    return { digest: `sha256:${createHash("sha256").update(body).digest("hex")}`, size: Buffer.byteLength(body), mediaType: "application/vnd.oci.image.manifest.v1+json", arch, os };
  };
  await putIndex(reg, "lab/mixed", "multi", "application/vnd.oci.image.index.v1+json", [await entry("lab/mixed:386", "386", "linux"), await entry("lab/mixed:wasm", "wasm", "wasi")]);
  return { repo: `${reg.host}/lab/wasi`, mixed: `${reg.host}/lab/mixed:multi` };
}
