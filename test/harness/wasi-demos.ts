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
