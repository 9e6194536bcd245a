/** docker push, and the registry's on-disk layout of what was pushed (`lab registry-layout`). */
import { digestHex, shortId, type Digest } from "../oci/digest.ts";
import { drawLayout } from "../store/docker-layout.ts";
import { parseReference } from "../oci/reference.ts";
import type { ImageIndex } from "../oci/types.ts";
import { pushImage } from "../store/push.ts";
import type { ImageStore } from "../store/images.ts";
import type { ImageRecord } from "../store/schema.ts";
import { boolFlag } from "./argv.ts";
import { DaemonError, type DockerCommand } from "./docker.ts";
import { qualifiedTagName } from "./images.ts";
import { ProgressDisplay } from "./progress.ts";

const push: DockerCommand = {
  name: "push",
  aliases: ["image push"],
  usage: "docker push [OPTIONS] NAME[:TAG]",
  summary: "Upload an image to a registry",
  flags: [{ name: "quiet", short: "q" }, { name: "all-tags", short: "a" }],
  minArgs: 1,
  maxArgs: 1,
  async run(lab, [name], p, io) {
    const ref = parseReference(name!);
    if (ref.digest) throw new DaemonError("cannot push a digest reference");
    const quiet = boolFlag(p, "quiet");
    const out = (s: string) => {
      if (!quiet) io.stdout(s);
    };
    let tags: string[];
    const repoName = `${ref.registry}/${ref.repository}`;
    if (boolFlag(p, "all-tags")) {
      tags = (await lab.store.listTags()).map((t) => t.name).filter((t) => t.slice(0, t.lastIndexOf(":")) === repoName).map((t) => t.slice(t.lastIndexOf(":") + 1));
      if (tags.length === 0) throw new DaemonError(`An image does not exist locally with the tag: ${name}`);
    } else {
      if (!ref.tag) out("Using default tag: latest\n");
      tags = [ref.tag ?? "latest"];
    }
    out(`The push refers to repository [${repoName}]\n`);
    for (const tag of tags) {
      const tagRec = await lab.store.getTag(qualifiedTagName({ ...ref, tag }));
      const image = tagRec && (await lab.store.getImage(tagRec.imageId));
      if (!image) throw new DaemonError(`An image does not exist locally with the tag: ${name}`);
      const display = new ProgressDisplay(io, `Pushing ${repoName}:${tag}`);
      const result = await pushImage(lab.store, lab.registry, { registry: ref.registry, repository: ref.repository, tag }, image, {
        signal: io.signal,
        chunkSize: lab.pushChunkSize,
        onEvent: (e) => {
          if (quiet) return;
          if (e.kind === "layer") display.update({ id: e.id, status: e.status, current: e.current, total: e.total });
          else io.stderr(`${e.text}\n`);
        },
      }).finally(() => display.end());
      const repoDigest = `${repoName}@${result.digest}`;
      if (!image.repoDigests.includes(repoDigest)) await lab.store.putImage({ ...image, repoDigests: [...image.repoDigests, repoDigest] });
      out(`${tag}: digest: ${result.digest} size: ${result.size}\n`);
      if (quiet) io.stdout(`${repoName}:${tag}\n`);
    }
    return 0;
  },
};

/**
 * The files the Distribution registry (filesystem driver) keeps for a repository after a push of this
 * image, relative to its root directory: blob data by digest; per repository, layer links, manifest
 * revision links and, per tag, the current link and the tag's index of every digest it pointed to.
 */
export async function registryLayout(store: ImageStore, image: ImageRecord, repository: string, tag: string): Promise<string[]> {
  const files = new Set<string>();
  const blob = (d: Digest) => files.add(`docker/registry/v2/blobs/sha256/${digestHex(d).slice(0, 2)}/${digestHex(d)}/data`);
  const repo = `docker/registry/v2/repositories/${repository}`;
  const layer = (d: Digest) => files.add(`${repo}/_layers/sha256/${digestHex(d)}/link`);
  const revision = (d: Digest) => files.add(`${repo}/_manifests/revisions/sha256/${digestHex(d)}/link`);
  for (const l of image.layers) {
    blob(l.digest);
    layer(l.digest);
  }
  blob(image.id);
  layer(image.id);
  blob(image.manifestDigest);
  revision(image.manifestDigest);
  let top = image.manifestDigest;
  const pushedIndex = image.repoDigests.some((r) => image.indexDigests.some((i) => r.endsWith(`@${i}`)));
  if (pushedIndex) {
    for (const indexDigest of image.indexDigests) {
      if (!image.repoDigests.some((r) => r.endsWith(`@${indexDigest}`))) continue;
      const index = JSON.parse(await store.content.readText(indexDigest)) as ImageIndex;
      blob(indexDigest);
      revision(indexDigest);
      for (const m of index.manifests) {
        blob(m.digest);
        revision(m.digest);
      }
      top = indexDigest;
    }
  }
  files.add(`${repo}/_manifests/tags/${tag}/current/link`);
  files.add(`${repo}/_manifests/tags/${tag}/index/sha256/${digestHex(top)}/link`);
  return [...files].sort();
}

/** Files as an indented tree (directories end with "/"). */
export function drawTree(paths: string[]): string {
  return drawLayout(paths.map((path) => ({ path })));
}

export const registryLayoutCommand = {
  name: "registry-layout",
  usage: "lab registry-layout NAME[:TAG]",
  summary: "The files the registry keeps for a pushed image (Distribution's filesystem layout)",
  async run(store: ImageStore, name: string): Promise<string> {
    const ref = parseReference(name);
    const tag = ref.tag ?? "latest";
    const tagRec = await store.getTag(qualifiedTagName({ ...ref, tag }));
    const image = tagRec && (await store.getImage(tagRec.imageId));
    if (!image) throw new DaemonError(`No such image: ${name}`);
    const paths = await registryLayout(store, image, ref.repository, tag);
    const pushed = image.repoDigests.some((r) => r.startsWith(`${ref.registry}/${ref.repository}@`));
    return `${pushed ? "" : `# not pushed to ${ref.registry}/${ref.repository} yet: this is what a push would create\n`}${drawTree(paths)}`;
  },
};

export const publishCommands: DockerCommand[] = [push];
export { shortId };
