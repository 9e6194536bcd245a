/*
 * Layerlab's service worker: the lab works with the network off after one visit.
 *  - On install it stores the emulator's files and the bundled demo images (public/v86, public/demos)
 *    so containers and lessons work offline even if none ran while online.
 *  - Every other same-origin GET is network-first and kept in the cache, so the app's own code (in
 *    development and built alike) is there for the next offline load.
 *  - The registry proxy (/proxy/) is never touched: registries are online by nature, and the page
 *    must see their real answers.
 */
const CACHE = "layerlab-v1";
const STATIC = ["/", "/index.html", "/manifest.webmanifest", "/favicon.svg", "/v86/bios.bin", "/v86/bzImage", "/v86/initramfs.cpio.gz", "/v86/kernel.json", "/v86/guest.json", "/demos/index.json", "/demos/oci-layout"];

async function demoBlobs() {
  const index = await (await fetch("/demos/index.json")).json();
  const blobs = new Set();
  for (const m of index.manifests) {
    blobs.add(m.digest);
    const manifest = await (await fetch(`/demos/blobs/sha256/${m.digest.slice(7)}`)).json();
    blobs.add(manifest.config.digest);
    for (const l of manifest.layers) blobs.add(l.digest);
  }
  return [...blobs].map((d) => `/demos/blobs/sha256/${d.slice(7)}`);
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(STATIC);
      await cache.addAll(await demoBlobs());
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("message", (event) => {
  // The page names files only it knows (e.g. the emulator's hashed wasm URL) to keep offline.
  if (event.data && Array.isArray(event.data.precache)) {
    event.waitUntil(caches.open(CACHE).then((c) => Promise.all(event.data.precache.map((u) => c.match(u).then((hit) => hit || c.add(u).catch(() => {}))))));
  }
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/proxy/") || req.headers.has("range")) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      // Demo blobs and emulator files never change under a name: cache first.
      if (url.pathname.startsWith("/demos/blobs/") || url.pathname.startsWith("/v86/")) {
        const hit = await cache.match(req, { ignoreSearch: true, ignoreVary: true });
        if (hit) return hit;
      }
      try {
        const res = await fetch(req);
        if (res.ok && res.type === "basic") void cache.put(req, res.clone());
        return res;
      } catch (e) {
        // ignoreVary: the dev server answers with Vary: Origin, and the stored copy may lack the header.
        const hit = (await cache.match(req, { ignoreVary: true })) || (req.mode === "navigate" ? await cache.match("/", { ignoreVary: true }) : undefined);
        if (hit) return hit;
        throw e;
      }
    })(),
  );
});
