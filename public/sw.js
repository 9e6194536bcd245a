/*
 * Layerlab's service worker: the lab works with the network off after one visit.
 *  - On install it stores the emulator's files and the small bundled demo images (public/v86,
 *    public/demos) so containers and lessons work offline even if none ran while online. A demo blob
 *    larger than PRECACHE_MAX (debian:bookworm's ~30 MB layer) is kept when it is first pulled
 *    instead: a visitor who never pulls it never downloads it.
 *  - The bundled Debian mirror (public/demos/mirror, ~8 MB, answered to containers in the page when
 *    there is no network relay) comes with the image that uses it: it is kept when a large demo layer
 *    (debian:bookworm's) is first pulled.
 *  - On activate it drops demo blobs and mirror files the current demo index no longer names.
 *  - Every other same-origin GET is network-first and kept in the cache, so the app's own code (in
 *    development and built alike) is there for the next offline load.
 *  - The registry proxy (/proxy/) is never touched: registries are online by nature, and the page
 *    must see their real answers.
 */
const CACHE = "layerlab-v1";
const STATIC = ["/", "/index.html", "/manifest.webmanifest", "/favicon.svg", "/v86/bios.bin", "/v86/bzImage", "/v86/initramfs.cpio.gz", "/v86/kernel.json", "/v86/guest.json", "/demos/index.json", "/demos/oci-layout"];

/** Demo blobs above this size are cached on their first pull rather than at install. */
const PRECACHE_MAX = 4 * 1024 * 1024;
const blobPath = (digest) => `/demos/blobs/sha256/${digest.slice(7)}`;

/** Every blob of the demo images: manifests and configs always, layers up to PRECACHE_MAX. */
async function demoBlobs(getJson, all = false) {
  const index = await getJson("/demos/index.json");
  const blobs = new Set();
  for (const m of index.manifests) {
    blobs.add(m.digest);
    const manifest = await getJson(blobPath(m.digest));
    blobs.add(manifest.config.digest);
    for (const l of manifest.layers) if (all || l.size <= PRECACHE_MAX) blobs.add(l.digest);
  }
  return [...blobs].map(blobPath);
}

const MIRROR_INDEX = "/demos/mirror/index.json";
// Spelt as the page asks for them (src/runtime/x86/mirror-net.ts's mirrorSegment): `+` kept.
const mirrorFile = (path) => `/demos/mirror/${path.split("/").map((s) => encodeURIComponent(s).replace(/%2B/g, "+")).join("/")}`;

/** Keeps every file of the bundled mirror that is not kept yet. */
async function keepMirror(cache) {
  try {
    const res = await fetch(MIRROR_INDEX);
    if (!res.ok) return;
    await cache.put(MIRROR_INDEX, res.clone());
    const { files } = await res.json();
    for (const f of files) {
      const url = mirrorFile(f.path);
      if (!(await cache.match(url, { ignoreVary: true }))) await cache.add(url);
    }
  } catch {
    // offline, or the page went away: the next large pull tries again
  }
}

/** Drops cached demo blobs that the cached demo index no longer names (an older set of demos). */
async function pruneDemoBlobs(cache) {
  let keep;
  try {
    keep = new Set(
      await demoBlobs(async (path) => {
        const hit = await cache.match(path, { ignoreVary: true });
        if (!hit) throw new Error(`${path} is not cached`);
        return hit.json();
      }, true),
    );
  } catch {
    return; // the index or a manifest is missing: keep everything rather than guess
  }
  const mirror = await cache.match(MIRROR_INDEX, { ignoreVary: true });
  const mirrorFiles = mirror ? new Set((await mirror.json()).files.map((f) => mirrorFile(f.path))) : undefined;
  for (const req of await cache.keys()) {
    const path = new URL(req.url).pathname;
    if (path.startsWith("/demos/blobs/") && !keep.has(path)) await cache.delete(req);
    if (mirrorFiles && path.startsWith("/demos/mirror/") && path !== MIRROR_INDEX && !mirrorFiles.has(path)) await cache.delete(req);
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(STATIC);
      await cache.addAll(await demoBlobs(async (path) => (await fetch(path)).json()));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
      await pruneDemoBlobs(await caches.open(CACHE));
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
  if (url.origin !== self.location.origin || url.pathname.startsWith("/proxy/") || url.pathname.startsWith("/net/") || req.headers.has("range")) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      // Demo blobs and emulator files never change under a name: cache first.
      const immutable = url.pathname.startsWith("/demos/blobs/") || url.pathname.startsWith("/v86/");
      if (immutable) {
        const hit = await cache.match(req, { ignoreSearch: true, ignoreVary: true });
        if (hit) return hit;
      }
      try {
        const res = await fetch(req);
        if (res.ok && res.type === "basic") {
          // A large demo layer is kept here, on its first pull: keep the worker alive until it is stored.
          const stored = cache.put(req, res.clone()).catch(() => {});
          if (immutable) event.waitUntil(stored);
          // Demo blobs not kept at install are the large layers: the mirror comes with them.
          if (url.pathname.startsWith("/demos/blobs/")) event.waitUntil(keepMirror(cache));
        }
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
