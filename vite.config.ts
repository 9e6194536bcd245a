import { defineConfig } from "vite";

// COOP/COEP make the page cross-origin isolated (SharedArrayBuffer for the runtimes later).
// The registry proxy is same-origin, so nothing the lab loads is blocked by them.
export const isolationHeaders = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  server: { headers: isolationHeaders },
  // Every dependency named up front: otherwise the dev server discovers v86 or the WASI shim only when
  // a worker first imports them, re-optimizes, and changes every dependency URL (?v=…) under a page
  // that is already loaded — which breaks the offline copy the service worker kept.
  optimizeDeps: {
    entries: ["index.html", "src/**/*-worker.ts"],
    include: ["lit", "lit/decorators.js", "idb", "pako", "fflate", "fzstd", "hash-wasm", "@xterm/xterm", "@xterm/addon-fit", "v86", "@bjorn3/browser_wasi_shim", "just-bash/browser",
      // The editor (src/ui/file-editor.ts, loaded when a file is first opened).
      "@codemirror/view", "@codemirror/state", "@codemirror/language", "@codemirror/commands", "@codemirror/legacy-modes/mode/dockerfile", "@lezer/highlight"],
  },
  preview: { headers: isolationHeaders },
  build: { target: "es2022", sourcemap: true },
});
