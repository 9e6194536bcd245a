/**
 * Offline use: registers the service worker (public/sw.js) and, once the page is idle, loads each
 * worker once so the service worker keeps their code too — the layer workers for pulls, the machine
 * worker with the emulator, the WASI worker, the commit's deflate worker — and names the emulator's
 * wasm and zlib's for it to store. Nothing
 * of this is on the first page's path: it starts seconds after the lab is ready.
 */
import wasmUrl from "v86/build/v86.wasm?url";
import zlibUrl from "../store/zlib.wasm?url";

const WARM_AFTER_MS = 4000;

/** `enabled`: false when the page was opened with `?sw=0` (src/main.ts reads it). */
export async function setUpOffline(enabled: boolean): Promise<void> {
  if (!("serviceWorker" in navigator) || !enabled) return;
  const reg = await navigator.serviceWorker.register("/sw.js");
  await navigator.serviceWorker.ready;
  setTimeout(() => {
    // What this page loaded before the service worker controlled it (the first visit's modules).
    const loaded = performance
      .getEntriesByType("resource")
      .map((e) => e.name)
      .filter((u) => u.startsWith(location.origin) && !u.startsWith(`${location.origin}/proxy/`));
    reg.active?.postMessage({ precache: [location.href, wasmUrl, zlibUrl, ...loaded] });
    // Each worker once, so the service worker keeps the code it loads. The machine worker loads the
    // emulator with a dynamic import and says when that is done. The others import statically, so
    // their code is in before they run; they get a generous while (a busy dev server is slow).
    const terminateAfter = (w: Worker, ms: number) => setTimeout(() => w.terminate(), ms);
    for (const w of [
      new Worker(new URL("../store/layer-worker.ts", import.meta.url), { type: "module" }),
      new Worker(new URL("../store/gzip-worker.ts", import.meta.url), { type: "module" }),
      new Worker(new URL("../store/deflate-worker.ts", import.meta.url), { type: "module" }),
      new Worker(new URL("../runtime/wasi/wasi-worker.ts", import.meta.url), { type: "module" }),
    ])
      terminateAfter(w, 30_000);
    void import("../runtime/x86/worker-vm.ts").then((m) => m.preloadVmWorker());
  }, WARM_AFTER_MS);
}
