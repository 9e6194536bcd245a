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
 *  - /ports/<container>/<port>/… is what `localhost:<port>` is on the lab's host: a port a running
 *    container publishes (`docker run -p 8080:80`). The tab running the container answers it over the
 *    container's TCP (src/ui/published-ports.ts); this worker only asks each of the lab's tabs in turn.
 *    A page from a container runs without scripts: it would run with the lab's own origin (its store,
 *    its saved logins), and a document sandboxed into an opaque origin, which could not reach them,
 *    is not served by a service worker, so its images and styles would not load (measured). The
 *    Preview's frame is also sandboxed, keeping its origin: no scripts, no navigating the lab away.
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

const PORT_PATH = /^\/ports\/([^/]+)\/(\d{1,5})(\/.*)?$/;
/** What a container's page may do in the lab's origin: show itself, submit forms, link; never run code or frame the lab. */
const PORT_PAGE_POLICY = "script-src 'none'; object-src 'none'; worker-src 'none'; base-uri 'none'; frame-ancestors 'self'";
/** The lab is cross-origin isolated (COEP require-corp): a page framed in it must say it embeds safely too (credentialless: other sites' images still load, without cookies). */
const PORT_PAGE_HEADERS = { "content-security-policy": PORT_PAGE_POLICY, "cross-origin-embedder-policy": "credentialless", "cross-origin-resource-policy": "same-origin", "cache-control": "no-store", "referrer-policy": "same-origin" };
/** Answer headers that describe this one hop (the body is re-streamed) or would loosen the policy. */
const HOP_HEADERS = new Set(["referrer-policy", "connection", "keep-alive", "transfer-encoding", "content-length", "content-security-policy", "content-security-policy-report-only", "set-cookie", "service-worker-allowed", "clear-site-data", "cross-origin-embedder-policy", "cross-origin-opener-policy", "cross-origin-resource-policy"]);

/** The container port a request is for: /ports/NAME/PORT/…, or a root-relative URL asked for by a page under one (its `/style.css`). */
const decoded = (s) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

function portTarget(url, referrer) {
  if (url.origin !== self.location.origin) return undefined;
  const m = PORT_PATH.exec(url.pathname);
  if (m) return { container: decoded(m[1]), port: Number(m[2]), path: `${m[3] ?? "/"}${url.search}`, prefix: `/ports/${m[1]}/${m[2]}`, bare: m[3] === undefined };
  if (!referrer) return undefined;
  const r = new URL(referrer);
  const from = r.origin === self.location.origin && PORT_PATH.exec(r.pathname);
  if (!from) return undefined;
  return { container: decoded(from[1]), port: Number(from[2]), path: `${url.pathname}${url.search}`, prefix: `/ports/${from[1]}/${from[2]}`, rebased: true };
}

function portPage(status, title, text) {
  const esc = (s) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const body = `<!doctype html><meta charset="utf-8"><title>${esc(title)}</title><body style="font:14px system-ui,sans-serif;margin:2em;color:#222"><h1 style="font-size:18px">${esc(title)}</h1><p>${esc(text)}</p></body>`;
  return new Response(body, { status, headers: { "content-type": "text/html; charset=utf-8", ...PORT_PAGE_HEADERS } });
}

/** Asks one tab: it answers {mine:false}, or with the head and then the body's chunks over the channel. */
function askTab(client, request) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    let stream;
    let controller;
    const timer = setTimeout(() => {
      channel.port1.close();
      resolve({ mine: false });
    }, 15000);
    channel.port1.onmessage = (e) => {
      const m = e.data;
      if (m.kind === "head") {
        clearTimeout(timer);
        if (!m.mine) {
          channel.port1.close();
          return resolve(m);
        }
        stream = new ReadableStream({ start: (c) => (controller = c), cancel: () => channel.port1.postMessage({ kind: "cancel" }) });
        resolve({ ...m, body: stream });
      } else if (m.kind === "chunk") controller?.enqueue(new Uint8Array(m.data));
      else if (m.kind === "end") {
        controller?.close();
        channel.port1.close();
      } else if (m.kind === "error") {
        controller?.error(new Error(m.message));
        channel.port1.close();
      }
    };
    client.postMessage({ type: "layerlab-port", ...request }, [channel.port2]);
  });
}

async function answerPort(event, target) {
  const req = event.request;
  if (target.bare) return Response.redirect(`${target.prefix}/${new URL(req.url).search}`, 301);
  const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
  const request = { container: target.container, port: target.port, method: req.method, target: target.path, headers: [...req.headers].filter(([k]) => k !== "cookie"), body };
  const tabs = (await self.clients.matchAll({ type: "window" })).filter((c) => !PORT_PATH.test(new URL(c.url).pathname));
  let refusal;
  for (const tab of tabs) {
    const answer = await askTab(tab, request);
    if (!answer.mine) {
      refusal ??= answer.error;
      continue;
    }
    const headers = new Headers();
    for (const [k, v] of answer.headers) {
      const key = k.toLowerCase();
      if (HOP_HEADERS.has(key)) continue;
      // A redirect to the container's own address stays under its port's path.
      try {
        if (key === "location") {
          const to = new URL(v, `http://localhost:${target.port}${target.path}`);
          headers.append(k, to.hostname === "localhost" || to.hostname === "127.0.0.1" ? `${target.prefix}${to.pathname}${to.search}${to.hash}` : v);
        } else headers.append(k, v);
      } catch {
        // a header the Fetch API cannot carry (a bad name or value from the container): left out
      }
    }
    for (const [k, v] of Object.entries(PORT_PAGE_HEADERS)) headers.set(k, v);
    const nullBody = req.method === "HEAD" || [101, 204, 205, 304].includes(answer.status);
    return new Response(nullBody ? null : answer.body, { status: answer.status, statusText: answer.statusText, headers });
  }
  if (refusal) return portPage(502, `localhost:${target.port} did not answer`, refusal);
  return portPage(502, `Nothing answers on localhost:${target.port}`, `No running container of this lab publishes port ${target.port} as ${target.container} (docker run -d -p ${target.port}:80 …), or the tab that runs it was closed.`);
}

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  const target = portTarget(url, req.referrer);
  if (target) return event.respondWith(answerPort(event, target));
  if (req.method !== "GET") return;
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
