/**
 * The daemon's side of `docker build` (moby's builder.Backend): what the classic builder (src/build)
 * asks for, done with the daemon's images, containers and engine — FROM's image (pulled when missing),
 * the children of an image for the cache, intermediate containers with the step's run config, runs,
 * copies from the context, commits with the builder's config and history text, tags.
 */
import { BuildError, type BuildBackend, type BuildContainer, type BuildImage, type CopySource } from "../build/classic.ts";
import { BuildContext, type ContextEntry } from "../build/context.ts";
import type { Digest } from "../oci/digest.ts";
import type { ContainerConfig, HistoryEntry } from "../oci/types.ts";
import { commitContainer, recordBuiltImage } from "../store/commit.ts";
import type { ContainerRecord, ImageRecord } from "../store/schema.ts";
import type { ContainerEngine } from "../runtime/engine.ts";
import { cleanPath } from "../unionfs/path.ts";
import { tarStreamOf } from "../layer/archive.ts";
import { extractInto, type ContainerService } from "./containers.ts";
import type { ImageService } from "./images.ts";

/** The daemon's host's users and groups (a Debian host's root; other ids have no name there). */
const HOST_NAMES: Readonly<Record<number, string>> = { 0: "root" };

function asBuildImage(i: ImageRecord): BuildImage {
  return { id: i.id, config: i.config.config ?? {}, containerConfig: i.config.container_config as ContainerConfig | undefined, os: i.config.os, history: i.config.history ?? [] };
}

export class DaemonBuildBackend implements BuildBackend {
  private readonly made = new Map<string, ContainerRecord>();

  constructor(
    private readonly images: ImageService,
    private readonly containers: ContainerService,
    private readonly engine: ContainerEngine,
    /** Fetches a URL for ADD (through the lab's proxy in the page). */
    private readonly fetchUrl: (url: string, signal?: AbortSignal) => Promise<Response> = (url, signal) => fetch(url, signal ? { signal } : {}),
    /** `docker build --network`: the RUN containers' HostConfig.NetworkMode. */
    private readonly networkMode = "default",
  ) {}

  async download(url: string, signal?: AbortSignal): Promise<{ data: Uint8Array; mtime?: number }> {
    let res: Response;
    try {
      res = await this.fetchUrl(url, signal);
    } catch (e) {
      const offline = typeof navigator !== "undefined" && navigator.onLine === false;
      throw new BuildError(`ADD failed: Get "${url}": ${offline ? "the lab is offline" : `the lab's proxy cannot be reached: ${(e as Error).message}`}`);
    }
    if (res.headers.get("content-type")?.startsWith("application/json") && !res.ok) {
      // The proxy's own refusal (not allow-listed, a private address, too large): its words.
      const body = (await res.json().catch(() => undefined)) as { errors?: { message?: string }[] } | undefined;
      const message = body?.errors?.[0]?.message;
      if (message?.startsWith("layerlab proxy: ")) throw new BuildError(`ADD failed: Get "${url}": ${message}`);
      throw new BuildError(`ADD failed: failed to GET ${url} with status ${res.status} ${res.statusText}: ${JSON.stringify(body)}`);
    }
    // The client prints the message with one line end: the body's own last one stands for it.
    if (!res.ok) throw new BuildError(`ADD failed: failed to GET ${url} with status ${res.status} ${res.statusText}: ${(await res.text()).replace(/\n$/, "")}`);
    const data = new Uint8Array(await res.arrayBuffer());
    // copy.go: the file keeps the server's Last-Modified.
    const modified = Date.parse(res.headers.get("last-modified") ?? "");
    return Number.isFinite(modified) ? { data, mtime: modified / 1000 } : { data };
  }

  async fromImage(ref: string, out: (text: string) => void): Promise<BuildImage> {
    const found = await this.images.resolve(ref);
    if (found) return asBuildImage(found);
    let header = false;
    const r = await this.images.pull(ref, {
      onEvent: (e) => {
        if (!header && (e.kind === "resolved" || e.kind === "done")) {
          out(`${ref.includes(":") && !ref.includes("@") ? ref.split(":").pop() : "latest"}: Pulling from ${e.kind === "resolved" ? e.repository : ref}\n`);
          header = true;
        }
        if (e.kind === "layer" && e.status === "Pull complete") out(`${e.id}: Pull complete\n`);
      },
    });
    out(`Digest: ${r.digest}\n`);
    out(`Status: Downloaded newer image for ${r.familiar}\n`);
    return asBuildImage(r.image);
  }

  async children(parent: Digest | null, cache: "classic" | "buildkit" = "classic"): Promise<BuildImage[]> {
    const all = await this.containers.records.store.listImages();
    return all
      .filter((i) => (i.parent ?? null) === parent && i.config.container_config && (cache === "buildkit") === (i.buildCache === true))
      .sort((a, b) => b.createdAt - a.createdAt)
      .map(asBuildImage);
  }

  async exportImage(top: BuildImage | null, config: Record<string, unknown>, history: HistoryEntry[], created: string): Promise<BuildImage> {
    const record = top ? await this.images.resolve(top.id) : null;
    return asBuildImage(await recordBuiltImage(this.containers.records.store, record ?? null, config, history, created));
  }

  async create(image: BuildImage | null, config: ContainerConfig): Promise<BuildContainer> {
    const record = image ? ((await this.images.resolve(image.id)) ?? null) : null;
    // A step's machine is restored while its container is made (a spare, kept if no RUN takes it).
    if (record) this.engine.prewarm(record);
    const rec = await this.containers.records.createForBuild(record, config, this.networkMode);
    this.made.set(rec.id, rec);
    return { id: rec.id };
  }

  async run(c: BuildContainer, out: (fd: 1 | 2, data: Uint8Array) => void, signal?: AbortSignal): Promise<number> {
    const rec = this.made.get(c.id)!;
    if (!rec.imageId) throw new BuildError(shimFailure(`exec: "${rec.config.Cmd?.[0] ?? ""}": stat ${rec.config.Cmd?.[0] ?? ""}: no such file or directory: unknown`));
    let exited: Promise<number>;
    try {
      ({ exited } = await this.engine.start(rec, { listener: out }));
    } catch (e) {
      // The process could not start (no /bin/sh in the image…): runc's words, as the builder prints them.
      const m = /failed to create shim task: ([\s\S]*)$/.exec((e as Error).message);
      if (m) throw new BuildError(shimFailure(m[1]!.replace(/^OCI runtime create failed: runc create failed: unable to start container process: /, "")));
      throw e;
    }
    const stop = () => this.engine.kill(rec, "KILL");
    // Cancelled while the machine was starting (booting, waiting for its relay): stop it now.
    if (signal?.aborted) stop();
    signal?.addEventListener("abort", stop, { once: true });
    try {
      const code = await exited;
      // The next step's machine is restored while this one is committed (0.3 s and more), so a RUN
      // after a RUN finds it ready. Not for every container's exit: restoring beside an interactive
      // `docker run --rm`'s removal made that run 40 ms slower (measured).
      const record = await this.images.resolve(rec.imageId).catch(() => undefined); // a store error is not the step's
      if (record) this.engine.prewarm(record);
      return code;
    } finally {
      signal?.removeEventListener("abort", stop);
      this.made.set(c.id, (await this.containers.records.get(c.id)) ?? rec);
    }
  }

  async mkdirAll(c: BuildContainer, path: string): Promise<void> {
    const fs = await this.containers.fs(this.made.get(c.id)!);
    const p = cleanPath(path);
    if (p && !(await fs.tryStat(p))) await fs.mkdirAll(p, { mode: 0o755, uid: 0, gid: 0 });
  }

  /**
   * COPY/ADD (builder/dockerfile/copy.go): a directory's contents go into the destination; a file
   * goes into it when it ends in `/`, is a directory already, or more than one source is copied;
   * otherwise the destination is the file's new path. Parents are made; owner root unless --chown.
   */
  async copy(c: BuildContainer, source: BuildContext, files: readonly CopySource[], dest: string, opts: { chown?: string; chmod?: number; extract?: boolean; keep?: ReadonlySet<string> }): Promise<void> {
    const fs = await this.containers.fs(this.made.get(c.id)!);
    const owner = opts.chown ? await chownIdentity(fs, c.id, opts.chown) : { uid: 0, gid: 0 };
    const destPath = cleanPath(dest);
    const destIsDir = dest.endsWith("/") || files.length > 1 || (await fs.tryStat(destPath))?.type === "dir";
    const ensureDir = async (p: string) => {
      if (p && !(await fs.tryStat(p))) await fs.mkdirAll(p, { mode: 0o755, uid: 0, gid: 0 });
    };
    for (const src of files) {
      const entry = source.get(src.path)!;
      const archive = opts.extract && !opts.keep?.has(src.path) && entry.type === "file" && entry.data ? await tarStreamOf(entry.data) : undefined;
      if (archive) {
        // ADD of a local archive: its contents land in the destination directory.
        await ensureDir(destPath);
        await extractInto(fs, destPath, archive);
        continue;
      }
      if (entry.type === "dir") {
        await ensureDir(destPath);
        for (const e of source.below(src.path)) {
          const rel = e.path.slice(src.path ? src.path.length + 1 : 0);
          await this.put(fs, cleanPath(`${destPath}/${rel}`), e, owner, opts.chmod);
        }
        continue;
      }
      const target = destIsDir ? cleanPath(`${destPath}/${src.target}`) : destPath;
      await ensureDir(target.includes("/") ? target.slice(0, target.lastIndexOf("/")) : "");
      await this.put(fs, target, entry, owner, opts.chmod);
    }
  }

  private async put(fs: Awaited<ReturnType<ContainerService["fs"]>>, path: string, e: ReturnType<BuildContext["get"]> & object, owner: { uid: number; gid: number }, chmod?: number): Promise<void> {
    const existing = await fs.tryStat(path);
    const mode = chmod ?? e.mode;
    if (e.type === "dir") {
      if (!existing) await fs.mkdirAll(path, { mode, uid: owner.uid, gid: owner.gid });
      return;
    }
    if (existing && existing.type !== "dir") await fs.unlink(path);
    if (e.type === "symlink") await fs.symlink(e.linkname ?? "", path);
    else {
      await fs.writeFile(path, e.data ?? new Uint8Array(0));
      await fs.chmod(path, mode);
      if (e.mtime !== undefined) await fs.utimes(path, e.mtime, e.mtime);
    }
    if (e.type !== "symlink") await fs.chown(path, owner.uid, owner.gid);
  }

  /** The files of `image` at `paths` (a pattern's directory for a glob), read from its union. */
  async imageSource(image: BuildImage, paths: readonly string[]): Promise<BuildContext> {
    const record = await this.images.resolve(image.id);
    if (!record) throw new Error(`image ${image.id} is gone`);
    const fs = await this.containers.imageFs(record);
    const entries: ContextEntry[] = [];
    const seen = new Set<string>();
    const add = async (path: string): Promise<void> => {
      if (seen.has(path)) return;
      seen.add(path);
      const st = await fs.tryStat(path);
      if (!st) return;
      // The names Go's archive code looks up on the daemon's host for the files' owners.
      const e: ContextEntry = { path, type: st.type, mode: st.mode & 0o7777, size: st.type === "file" ? st.size : 0, uid: st.uid, gid: st.gid, uname: HOST_NAMES[st.uid] ?? "", gname: HOST_NAMES[st.gid] ?? "" };
      if (st.type === "file") e.data = await fs.read(path);
      if (st.type === "symlink") e.linkname = await fs.readlink(path);
      entries.push(e);
      if (st.type === "dir") for (const d of await fs.readdir(path)) await add(path ? `${path}/${d.name}` : d.name);
    };
    for (const p of paths) {
      const clean = cleanPath(p);
      const glob = /[*?[\\]/.exec(clean);
      await add(glob ? cleanPath(clean.slice(0, clean.lastIndexOf("/", glob.index) + 1)) : clean);
    }
    return BuildContext.fromEntries(entries);
  }

  async commit(c: BuildContainer, _parent: BuildImage | null, config: ContainerConfig, runConfig: ContainerConfig, createdBy: string, author?: string, buildCache?: boolean): Promise<BuildImage> {
    const rec = this.made.get(c.id)!;
    const image = await commitContainer(this.containers.records, rec, { build: { config, runConfig, createdBy }, ...(author ? { author } : {}), ...(buildCache ? { buildCache } : {}) });
    return asBuildImage(image);
  }

  async remove(c: BuildContainer): Promise<void> {
    const rec = (await this.containers.records.get(c.id)) ?? this.made.get(c.id)!;
    await this.containers.records.remove(rec, true);
    this.made.delete(c.id);
  }

  async tag(image: BuildImage, tag: string): Promise<void> {
    await this.images.tag(image.id, tag);
  }
}

/** Docker 20.10's message when a step's process cannot be started. */
function shimFailure(why: string): string {
  return `failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${why}`;
}

/**
 * copy_unix.go parseChownFlag: `user[:group]` (the group defaults to the user's spelling), each a
 * number or a name looked up in the container's own /etc/passwd and /etc/group.
 */
async function chownIdentity(fs: Awaited<ReturnType<ContainerService["fs"]>>, containerId: string, chown: string): Promise<{ uid: number; gid: number }> {
  const fail = (why: string) => new BuildError(`unable to convert uid/gid chown string to host mapping: ${why}`);
  const parts = chown.split(":");
  if (parts.length > 2) throw fail(`invalid chown string format: ${chown}`);
  const [user, group = user] = parts as [string, string?];
  const lookup = async (file: "passwd" | "group", name: string, what: "uid" | "gid"): Promise<number> => {
    if (/^-?\d+$/.test(name)) return Number(name);
    const who = what === "uid" ? `user ${name}` : `group ${name}`;
    let text: string;
    try {
      text = new TextDecoder().decode(await fs.read(`etc/${file}`));
    } catch {
      throw fail(`can't find ${what} for ${who}: open /var/lib/docker/overlay2/${containerId}/merged/etc/${file}: no such file or directory`);
    }
    for (const line of text.split("\n")) {
      const f = line.split(":");
      if (f[0] === name && f.length >= 3) return Number(f[2]) || 0;
    }
    throw fail(`can't find ${what} for ${who}: no such ${what === "uid" ? "user" : "group"}: ${name}`);
  };
  return { uid: await lookup("passwd", user, "uid"), gid: await lookup("group", group, "gid") };
}

