import { defineConfig } from "vite";

// COOP/COEP make the page cross-origin isolated (SharedArrayBuffer for the runtimes later).
// The registry proxy is same-origin, so nothing the lab loads is blocked by them.
export const isolationHeaders = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  build: { target: "es2022", sourcemap: true },
});
