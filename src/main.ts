/**
 * The page's composition: the daemon (with the page's runtimes, its proxy on this origin and the
 * bundled demo images), the docker-compatible command line over it as the `docker` and `lab` commands
 * of the host shell, the lessons, and the page that shows them.
 * Page-URL flags are read here, once, and passed down as options.
 */
import { Daemon } from "./daemon/daemon.ts";
import { servePublishedPorts } from "./ui/published-ports.ts";
import "./ui/lab-app.ts";
import { setUpOffline } from "./ui/offline.ts";
import type { MachineNetwork } from "./runtime/x86/v86.ts";

const params = new URLSearchParams(location.search);
const base = new URL(import.meta.env.BASE_URL, location.href).href;

/**
 * Where containers' networks go: the lab server's relay when `npm start` serves the page (GET /net/
 * answers with JSON; a static copy answers with its index page or 404), and the bundled Debian mirror
 * (public/demos/mirror), which the page answers itself when there is no relay. Offline, the relay is
 * not asked (a failed request would be a console error) and nothing is remembered.
 */
const mirrorUrl = `${base}demos/mirror/`;
let relay: Promise<MachineNetwork | undefined> | undefined;
const labNetwork = async (): Promise<MachineNetwork> => {
  if (!navigator.onLine) return { mirrorUrl };
  relay ??= fetch(new URL("/net/", location.href), { cache: "no-store" }).then(async (r) => {
    if (!r.ok || !r.headers.get("content-type")?.startsWith("application/json")) return undefined;
    const { relay: wisp, dns } = (await r.json()) as { relay: string; dns: string };
    return { relayUrl: new URL(wisp, location.href).href.replace(/^http/, "ws"), dnsUrl: new URL(dns, location.href).href };
  });
  const found = await relay.catch(() => {
    relay = undefined;
    return undefined;
  });
  return { ...found, mirrorUrl };
};

const app = document.querySelector("lab-app")!;
void app.start(async () => {
  // What the first screen does not draw is fetched beside the daemon's start, not with the page.
  const [{ browserRuntime, prepareBrowserMachine }, { browserWasiRuntime }, { DockerCli }, { HostShell }, { openHostFiles }, { localhostFetch }, { LESSONS }] = await Promise.all([
    import("./runtime/x86/browser.ts"),
    import("./runtime/wasi/browser.ts"),
    import("./cli/index.ts"),
    import("./shell/host-shell.ts"),
    import("./shell/idb-files.ts"),
    import("./shell/localhost.ts"),
    import("./lessons/lessons.ts"),
  ]);
  const daemon = await Daemon.open({
    proxyOrigin: location.origin,
    demosUrl: `${base}demos/`,
    // Layers are hashed, inflated and gzip'd in Web Workers (measured: bench/pull.ts); ?worker=0 compares without.
    useWorkers: params.get("worker") !== "0",
    runtimes: { x86: (store) => browserRuntime(store, { assetBase: `${base}v86/`, network: labNetwork }), wasi: () => browserWasiRuntime() },
  });
  const cli = new DockerCli(daemon);
  // The host's home directory persists in IndexedDB beside the image store.
  const files = await openHostFiles();
  const shell = new HostShell({ commands: { docker: cli, lab: cli, edit: app.editCommand }, files, fetch: localhostFetch(daemon) });
  // Lessons' checks run in a shell of their own: the learner's directory, variables and history stay theirs.
  const checks = new HostShell({ commands: { docker: cli, lab: cli }, files, fetch: localhostFetch(daemon) });
  // A check that waits (for input, for a container that never exits) fails after 15 s instead.
  const checkShell = (line: string) => checks.exec(line, { stdout() {}, stderr() {}, tty: false, columns: 80, signal: AbortSignal.timeout(15_000) });
  // /ports/<container>/<port>/ (the service worker asks this tab for ports its containers publish).
  servePublishedPorts(daemon);
  void shell.load(); // the shell language (just-bash) while the page settles, not on the first line
  // The emulator's code and assets once the page is idle: the first `docker run` then only boots.
  const idle = (fn: () => void) => ("requestIdleCallback" in window ? requestIdleCallback(fn, { timeout: 3000 }) : setTimeout(fn, 1000));
  idle(() => prepareBrowserMachine(`${base}v86/`));
  return { daemon, commandLine: shell, lessons: LESSONS, host: shell, checkShell };
});

void setUpOffline(params.get("sw") !== "0").catch((e: Error) => console.warn(`offline support unavailable: ${e.message}`));
