/**
 * The lessons about `docker build` (the classic builder): one layer per instruction and merging RUNs
 * with &&, the build cache, debugging a failed build from its last good step, and a base image made
 * FROM scratch out of an exported container. Each writes a build context in the host's home directory
 * (`~/layers`, `~/cache`, `~/debug`, `~/scratch`) with the shell's here-documents, builds on the
 * bundled busybox (pulled by FROM if it is missing), and checks the images, tags, parent chains,
 * layers and history rows the builds leave — so they work offline.
 */
import { changedInContainerOnly, childrenOf, container, createdBy, exited, image, imageLayers, lineage, logsOf, ran, topLayerSize } from "./checks.ts";
import type { Lesson, LessonContext } from "./types.ts";

const BUSYBOX = "layerlab.demo/busybox";
const MiB = 1 << 20;

/** busybox's layer count (2), the floor every image of these lessons builds on. */
async function baseLayers(ctx: LessonContext): Promise<number> {
  const n = await imageLayers(ctx, BUSYBOX);
  if (n === undefined) throw new Error(`${BUSYBOX} is not in the lab`);
  return n;
}

/** An image built with `layers` more layers than busybox, whose last step matches `step`. */
async function builtOnBusybox(ctx: LessonContext, ref: string, layers: number, step: RegExp) {
  const img = await image(ctx, ref);
  if (!img || img.diffIds.length !== (await baseLayers(ctx)) + layers || !step.test(createdBy(img))) return undefined;
  return img;
}

/** The image lesson 15's build made at its step 2 (`RUN touch tmpfile` on busybox): the last good step. */
async function lastGoodStep(ctx: LessonContext) {
  return childrenOf(ctx, (await image(ctx, BUSYBOX))?.id, /^\/bin\/sh -c touch tmpfile$/);
}

const LAYERS_DIR = "mkdir -p ~/layers && cd ~/layers";
const CACHE_DIR = "mkdir -p ~/cache && cd ~/cache";
const DEBUG_DIR = "mkdir -p ~/debug && cd ~/debug";
const SCRATCH_DIR = "mkdir -p ~/scratch && cd ~/scratch";
const DD1 = "dd if=/dev/zero of=file1 bs=10M count=1";
const DD2 = "dd if=/dev/zero of=file2 bs=10M count=1";

/** A command that writes `lines` as ./Dockerfile (a quoted here-document: the shell leaves them alone). */
function dockerfile(lines: string[]): string {
  return ["cat > Dockerfile <<'EOF'", ...lines, "EOF"].join("\n");
}

const CACHE_DOCKERFILE = [`FROM ${BUSYBOX}`, "RUN date > /built-at", "COPY hello.txt /", "RUN wc -c /hello.txt > /size", 'CMD ["cat", "/built-at", "/hello.txt", "/size"]'];

export const BUILD_LESSONS: Lesson[] = [
  {
    id: "build-layers",
    title: { en: "13. docker build: one layer per instruction", zh: "13. docker build：每条指令一层" },
    steps: [
      {
        text: {
          en: "A Dockerfile is a list of instructions; docker build runs them in order, each starting from the image the one before left. Make a build context — a directory with a Dockerfile — whose only instruction is FROM, and build it. FROM alone adds nothing: lab/layers:1 has busybox's IMAGE ID and its 2 layers. (You can also edit the Dockerfile in the Files tab, or with edit Dockerfile.)",
          zh: "Dockerfile 是一串指令；docker build 按顺序执行，每条指令都从上一条留下的镜像开始。新建一个构建上下文——一个放着 Dockerfile 的目录——其中只有一条 FROM 指令，然后构建它。只有 FROM 的 Dockerfile 什么也不添加：lab/layers:1 的 IMAGE ID 就是 busybox 的，层数也是它的 2 层。（也可以在“文件”标签页中或用 edit Dockerfile 编辑 Dockerfile。）",
        },
        command: [LAYERS_DIR, dockerfile([`FROM ${BUSYBOX}`]), "docker build -t lab/layers:1 .", "docker image inspect -f '{{len .RootFS.Layers}}' lab/layers:1"].join("\n"),
        show: { image: "lab/layers:1" },
        check: async (ctx) => {
          const [base, built] = [await image(ctx, BUSYBOX), await image(ctx, "lab/layers:1")];
          return !!base && built?.id === base.id;
        },
      },
      {
        text: {
          en: "Add a RUN. The builder starts a container from the previous step's image (“Running in …”), runs the command in it, and commits the container layer as a new image (the ID after “--->”), as docker commit does (lesson 7). One more layer, holding file1's 10 MB: lab/layers:2 has 3.",
          zh: "加一条 RUN。构建器用上一步的镜像启动一个容器（“Running in …”），在其中执行命令，再像 docker commit（第 7 课）那样把容器层提交为一个新镜像（“--->”后面的 ID）。多了一层，里面是 file1 的 10 MB：lab/layers:2 有 3 层。",
        },
        command: ["cd ~/layers", dockerfile([`FROM ${BUSYBOX}`, `RUN ${DD1}`]), "docker build -t lab/layers:2 .", "docker image inspect -f '{{len .RootFS.Layers}}' lab/layers:2"].join("\n"),
        show: { image: "lab/layers:2" },
        check: async (ctx) => {
          const img = await builtOnBusybox(ctx, "lab/layers:2", 1, /of=file1/);
          return !!img && img.parent === (await image(ctx, BUSYBOX))?.id && (await topLayerSize(ctx, img)) >= 10 * MiB;
        },
      },
      {
        text: {
          en: "A second RUN makes a second layer: 4 layers. Step 2/3 says “Using cache”: that instruction had already been run on that image (lesson 14), so its layer is the very one lab/layers:2 has. docker history shows one row per instruction, newest first: two of 10.5MB on top of busybox's three. Only RUN, COPY and ADD make layers; CMD, ENV and the like change the config (0B rows).",
          zh: "第二条 RUN 产生第二个层：共 4 层。Step 2/3 显示“Using cache”：这条指令已经在同一个镜像上执行过（第 14 课），所以这一层正是 lab/layers:2 的那一层。docker history 每条指令一行，最新的在上面：busybox 的三行之上是两行 10.5MB。只有 RUN、COPY 和 ADD 产生层；CMD、ENV 等只修改配置（0B 的行）。",
        },
        command: ["cd ~/layers", dockerfile([`FROM ${BUSYBOX}`, `RUN ${DD1}`, `RUN ${DD2}`]), "docker build -t lab/layers:3 .", "docker history lab/layers:3"].join("\n"),
        show: { image: "lab/layers:3" },
        check: async (ctx) => {
          const [two, three] = [await image(ctx, "lab/layers:2"), await builtOnBusybox(ctx, "lab/layers:3", 2, /of=file2/)];
          if (!two || !three) return false;
          const n = await baseLayers(ctx);
          return three.chainIds[n] === two.chainIds[n] && (await topLayerSize(ctx, three)) >= 10 * MiB;
        },
      },
      {
        text: {
          en: "Merge the two RUNs into one with &&: the same two files, made by one instruction, in one layer of 21MB — lab/layers:4 has 3 layers again. Every layer is one more tar to store, pull and stack in the union mount, which is why Dockerfiles chain commands with && in one RUN.",
          zh: "用 && 把两条 RUN 合并成一条：同样的两个文件，由一条指令产生，放在一个 21MB 的层里——lab/layers:4 又只有 3 层了。每多一层，就多一个要存储、拉取并叠进联合挂载的 tar，所以 Dockerfile 常用 && 把多条命令写进一条 RUN。",
        },
        command: ["cd ~/layers", dockerfile([`FROM ${BUSYBOX}`, `RUN ${DD1} && ${DD2}`]), "docker build -t lab/layers:4 .", "docker history lab/layers:4"].join("\n"),
        show: { image: "lab/layers:4" },
        check: async (ctx) => {
          const img = await builtOnBusybox(ctx, "lab/layers:4", 1, /of=file1 .*&& .*of=file2/);
          return !!img && (await topLayerSize(ctx, img)) >= 20 * MiB;
        },
      },
      {
        text: {
          en: "Merging matters most when a command removes what an earlier one made. Delete file1 in a RUN of its own: that layer holds only a whiteout for file1 (lesson 4, 0B in docker history), while its 10 MB stay in the layer below — lab/layers:5 is no smaller than lab/layers:4.",
          zh: "当一条命令要删除前面命令产生的文件时，合并最为重要。用单独的一条 RUN 删除 file1：这一层只有一个 file1 的 whiteout（第 4 课，docker history 中为 0B），它的 10 MB 仍留在下面那层里——lab/layers:5 并不比 lab/layers:4 小。",
        },
        command: ["cd ~/layers", dockerfile([`FROM ${BUSYBOX}`, `RUN ${DD1} && ${DD2}`, "RUN rm file1"]), "docker build -t lab/layers:5 .", "docker history lab/layers:5"].join("\n"),
        show: { image: "lab/layers:5" },
        check: async (ctx) => {
          const [four, five] = [await image(ctx, "lab/layers:4"), await builtOnBusybox(ctx, "lab/layers:5", 2, /rm file1$/)];
          return !!four && !!five && five.size >= four.size;
        },
      },
      {
        text: {
          en: "Delete it in the same RUN that made it, and its bytes never reach a layer: lab/layers:6 is 10 MB smaller. This is why Dockerfiles write RUN apt-get update && apt-get install -y … && rm -rf /var/lib/apt/lists/* as one instruction.",
          zh: "在产生它的同一条 RUN 里删除，它的字节就根本不会进入任何层：lab/layers:6 小了 10 MB。这正是 Dockerfile 把 RUN apt-get update && apt-get install -y … && rm -rf /var/lib/apt/lists/* 写成一条指令的原因。",
        },
        command: ["cd ~/layers", dockerfile([`FROM ${BUSYBOX}`, `RUN ${DD1} && ${DD2} && rm file1`]), "docker build -t lab/layers:6 .", "docker images lab/layers"].join("\n"),
        show: { image: "lab/layers:6" },
        check: async (ctx) => {
          const [five, six] = [await image(ctx, "lab/layers:5"), await builtOnBusybox(ctx, "lab/layers:6", 1, /&& rm file1$/)];
          return !!five && !!six && six.size <= five.size - 9 * MiB;
        },
      },
    ],
  },
  {
    id: "build-cache",
    title: { en: "14. The build cache", zh: "14. 构建缓存" },
    steps: [
      {
        text: {
          en: "Build an image from a RUN that writes the time, a COPY of a file from the context, and a RUN that reads that file. Every step leaves an image; the ones without a tag are intermediate images (docker images -a lists them as <none>). They are the build cache.",
          zh: "构建一个镜像：一条写下当前时间的 RUN，一条从构建上下文复制文件的 COPY，再加一条读取该文件的 RUN。每一步都留下一个镜像；没有标签的是中间镜像（docker images -a 中显示为 <none>）。它们就是构建缓存。",
        },
        command: [CACHE_DIR, "echo hello > hello.txt", dockerfile(CACHE_DOCKERFILE), "docker build -t lab/cache:1 ."].join("\n"),
        show: { image: "lab/cache:1" },
        check: async (ctx) => {
          const chain = await lineage(ctx, "lab/cache:1");
          return (await builtOnBusybox(ctx, "lab/cache:1", 3, /CMD \["cat"/)) !== undefined && chain[4]?.id === (await image(ctx, BUSYBOX))?.id;
        },
      },
      {
        text: {
          en: "Build again, unchanged. At each step the builder looks among the images made from the current one (its children) for one made by the same instruction with the same config; it finds one every time, so every step says “Using cache” and nothing runs. lab/cache:2 is the very image lab/cache:1 is (the same ID), and its /built-at still holds the first build's time.",
          zh: "不做任何修改，再构建一次。每一步，构建器都在由当前镜像产生的镜像（它的子镜像）中查找一个由相同指令、相同配置产生的镜像；每次都能找到，于是每一步都显示“Using cache”，什么都没有执行。lab/cache:2 与 lab/cache:1 是同一个镜像（ID 相同），它的 /built-at 里仍是第一次构建的时间。",
        },
        command: ["cd ~/cache", "docker build -t lab/cache:2 .", "docker run --rm lab/cache:2"].join("\n"),
        check: async (ctx) => {
          const [one, two] = [await image(ctx, "lab/cache:1"), await image(ctx, "lab/cache:2")];
          return !!one && two?.id === one.id;
        },
      },
      {
        text: {
          en: "touch hello.txt changes its modification time, not its contents. For COPY and ADD the builder hashes the files — their contents and modes, not their times (the file:… in docker history) — so COPY is still found in the cache, and so is everything after it.",
          zh: "touch hello.txt 只改变它的修改时间，不改变内容。对 COPY 和 ADD，构建器计算文件的哈希——包括内容和权限，但不包括时间（即 docker history 里的 file:…）——所以 COPY 仍然命中缓存，其后的步骤也一样。",
        },
        command: ["cd ~/cache", "touch hello.txt", "docker build -t lab/cache:3 ."].join("\n"),
        check: async (ctx) => {
          const [one, three] = [await image(ctx, "lab/cache:1"), await image(ctx, "lab/cache:3")];
          return ran(ctx, /(^|[\n;&|]\s*)touch (\S+\/)?hello\.txt/) && !!one && three?.id === one.id;
        },
      },
      {
        text: {
          en: "Change the last line (CMD: cat → head) and rebuild. Steps 2–4 still match; step 5 no longer matches any child of its image, so only it is built anew. A change costs the steps from the changed line on: put what changes least early (installing packages) and what changes most late (your own files).",
          zh: "修改最后一行（CMD：cat → head）后重新构建。第 2–4 步仍然命中；第 5 步在它的镜像的子镜像中找不到匹配的，所以只有它重新构建。一处改动的代价是从改动那一行开始的所有步骤：把最少变化的内容（安装软件包）放在前面，把最常变化的内容（自己的文件）放在后面。",
        },
        command: ["cd ~/cache", `sed -i 's/"cat"/"head"/' Dockerfile`, "docker build -t lab/cache:4 ."].join("\n"),
        show: { image: "lab/cache:4" },
        check: async (ctx) => {
          const [one, four] = [await image(ctx, "lab/cache:1"), await image(ctx, "lab/cache:4")];
          return !!one?.parent && !!four && four.parent === one.parent && four.id !== one.id && /CMD \["head"/.test(createdBy(four));
        },
      },
      {
        text: {
          en: "Now change hello.txt's contents. RUN date is still cached, COPY is not (the file's hash differs) — and after the first miss nothing is cached: RUN wc runs again although its line did not change, because it now starts from a new image that has no children yet. /built-at still shows the first build's time.",
          zh: "现在修改 hello.txt 的内容。RUN date 仍然命中缓存，COPY 则没有（文件的哈希变了）——而第一次未命中之后，就再也不会命中缓存：RUN wc 那一行虽然没变，也要重新执行，因为它现在从一个新镜像开始，而这个镜像还没有任何子镜像。/built-at 里仍是第一次构建的时间。",
        },
        command: ["cd ~/cache", 'echo "hello, cache" > hello.txt', "docker build -t lab/cache:5 .", "docker run --rm lab/cache:5"].join("\n"),
        show: { image: "lab/cache:5" },
        check: async (ctx) => {
          const [one, five] = [await lineage(ctx, "lab/cache:1"), await lineage(ctx, "lab/cache:5")];
          if (one.length < 5 || five.length !== one.length) return false;
          // Newest first: [CMD, RUN wc, COPY, RUN date, busybox, …].
          return five[3]!.id === one[3]!.id && five[2]!.id !== one[2]!.id && five[1]!.id !== one[1]!.id && /wc -c/.test(createdBy(five[1]));
        },
      },
      {
        text: {
          en: "docker build --no-cache ignores the cache: every step runs, and /built-at shows the new time. The cache compares a RUN's text, not what the command would fetch: RUN apt-get update stays cached for months, until the line or a step before it changes, or you build with --no-cache.",
          zh: "docker build --no-cache 不使用缓存：每一步都会执行，/built-at 显示新的时间。缓存比较的是 RUN 的文本，而不是命令会取回什么：RUN apt-get update 可以一连几个月命中缓存，直到这一行或它之前的某一步改变，或者用 --no-cache 构建。",
        },
        command: ["cd ~/cache", "docker build --no-cache -t lab/cache:6 .", "docker run --rm lab/cache:6"].join("\n"),
        show: { image: "lab/cache:6" },
        check: async (ctx) => {
          const [one, six] = [await lineage(ctx, "lab/cache:1"), await lineage(ctx, "lab/cache:6")];
          const base = await image(ctx, BUSYBOX);
          return one.length >= 5 && six[4]?.id === base?.id && [1, 2, 3].every((i) => six[i]!.id !== one[i]!.id) && /date/.test(createdBy(six[3]));
        },
      },
    ],
  },
  {
    id: "build-debug",
    title: { en: "15. Debugging a failed build", zh: "15. 调试失败的构建" },
    steps: [
      {
        text: {
          en: "Build a Dockerfile whose third step fails: “The command '/bin/sh -c /bin/bash -c echo …' returned a non-zero code: 127”. A RUN in shell form runs its line with /bin/sh -c, and 127 is the shell's “command not found”. Nothing is tagged, but the steps that succeeded keep their images, and the classic builder leaves the failed step's container behind (docker ps -a).",
          zh: "构建一个第三步会失败的 Dockerfile：“The command '/bin/sh -c /bin/bash -c echo …' returned a non-zero code: 127”。shell 形式的 RUN 用 /bin/sh -c 执行它那一行，127 是 shell 的“命令未找到”。没有打上任何标签，但已成功的步骤保留了它们的镜像，经典构建器还把失败那一步的容器留了下来（docker ps -a）。",
        },
        command: [DEBUG_DIR, 'echo "a test file" > testfile', dockerfile([`FROM ${BUSYBOX}`, "RUN touch tmpfile", 'RUN /bin/bash -c echo "continue to build..."', "COPY testfile /"]), "docker build -t lab/debug:1 ."].join("\n"),
        check: async (ctx) => {
          const good = new Set((await lastGoodStep(ctx)).map((i) => i.id));
          if (good.size === 0) return false;
          const failed = (await ctx.daemon.containers.list({ all: true })).some((c) => good.has(c.imageId) && c.state === "exited" && c.exitCode === 127 && (c.config.Cmd ?? []).join(" ").includes("/bin/bash -c echo"));
          // Once the build is fixed (step 3) the failed container may be gone: the fixed image says the build got that far.
          return failed || (await lineage(ctx, "lab/debug:1")).some((i) => good.has(i.id));
        },
      },
      {
        text: {
          en: "Debug from the last step that worked. In the build output, the ID after “--->” that ends Step 2/4 is the image RUN touch tmpfile made (a <none> image in docker images). Start a container from it — docker run -it ID sh gives a shell to look around in; the Run button runs a command instead, finding the ID as the newest untagged image: tmpfile is there, /bin/bash is not. busybox has sh, not bash.",
          zh: "从最后一个成功的步骤开始调试。构建输出中，Step 2/4 末尾“--->”后面的 ID 就是 RUN touch tmpfile 产生的镜像（docker images 中的 <none> 镜像）。用它启动一个容器——docker run -it ID sh 可以进入 shell 四处查看；“运行”按钮则执行一条命令，并把最新的无标签镜像当作这个 ID：tmpfile 在，/bin/bash 却不在。busybox 只有 sh，没有 bash。",
        },
        command: `docker run --name debug $(docker images -q -f dangling=true | head -n 1) sh -c "ls -l /tmpfile; ls -l /bin/bash"`,
        show: { container: "debug" },
        check: async (ctx) => {
          const good = await lastGoodStep(ctx);
          const debug = await container(ctx, "debug");
          if (debug && debug.state === "exited" && good.some((i) => i.id === debug.imageId)) return true;
          // A container of that image started by its ID, typed by hand (with --rm it leaves nothing behind).
          return good.some((i) => ran(ctx, new RegExp(`^docker (container )?run\\b.*\\b(sha256:)?${i.id.slice(7, 19)}`)));
        },
      },
      {
        text: {
          en: "Fix the Dockerfile: run the command with /bin/sh, which busybox has. (The quotes make the whole echo command sh -c's argument; RUN echo \"continue to build...\" would do the same, as a shell-form RUN already runs /bin/sh -c.) Step 2 comes from the cache, the rest is built, and lab/debug:1 is tagged.",
          zh: "修改 Dockerfile：改用 busybox 自带的 /bin/sh 执行命令。（引号让整个 echo 命令成为 sh -c 的参数；写成 RUN echo \"continue to build...\" 效果相同，因为 shell 形式的 RUN 本来就通过 /bin/sh -c 执行。）第 2 步命中缓存，其余步骤重新构建，并打上标签 lab/debug:1。",
        },
        command: ["cd ~/debug", dockerfile([`FROM ${BUSYBOX}`, "RUN touch tmpfile", `RUN /bin/sh -c 'echo "continue to build..."'`, "COPY testfile /"]), "docker build -t lab/debug:1 ."].join("\n"),
        show: { image: "lab/debug:1" },
        check: async (ctx) => {
          const good = new Set((await lastGoodStep(ctx)).map((i) => i.id));
          const chain = await lineage(ctx, "lab/debug:1");
          // touch and COPY make layers; the echo changes no file, so its row is an empty layer (0B, none in RootFS).
          return (await builtOnBusybox(ctx, "lab/debug:1", 2, /COPY file:.* in \/ *$/)) !== undefined && chain.some((i) => good.has(i.id));
        },
      },
      {
        text: {
          en: "Check the result: the image has both files. The failed build's container is still listed by docker ps -a; docker rm removes it.",
          zh: "检查结果：镜像里两个文件都在。失败构建留下的容器仍然出现在 docker ps -a 中，可以用 docker rm 删除。",
        },
        command: "docker run --name debug-ok lab/debug:1 ls -l /tmpfile /testfile",
        check: async (ctx) => (await exited(ctx, "debug-ok")) && (await container(ctx, "debug-ok"))?.imageId === (await image(ctx, "lab/debug:1"))?.id,
      },
    ],
  },
  {
    id: "build-scratch",
    title: { en: "16. A base image FROM scratch", zh: "16. 用 FROM scratch 制作基础镜像" },
    steps: [
      {
        text: {
          en: "A base image is a root filesystem, usually in one layer. One way to get one: export a container. Start one from busybox that changes a file, so its container layer holds something of its own.",
          zh: "基础镜像就是一个根文件系统，通常只有一层。得到它的一种办法是导出一个容器。从 busybox 启动一个修改了某个文件的容器，让它的容器层里有些自己的内容。",
        },
        command: `docker run --name rootfs ${BUSYBOX} sh -c 'echo "exported from a container" > /etc/motd'`,
        show: { container: "rootfs" },
        check: async (ctx) => (await exited(ctx, "rootfs")) && (await changedInContainerOnly(ctx, "rootfs", "etc/motd")),
      },
      {
        text: {
          en: "docker export writes the container's whole filesystem as one tar: the union of the image's layers and the container layer, flattened — no layers, no history, no config. Keep it, compressed, in a new build context.",
          zh: "docker export 把容器的整个文件系统写成一个 tar：镜像各层与容器层的联合视图，被压平成一份——没有层，没有历史，也没有配置。把它压缩后放进一个新的构建上下文。",
        },
        command: [SCRATCH_DIR, "docker export rootfs > rootfs.tar", "gzip -f rootfs.tar", "ls -l"].join("\n"),
        check: async (ctx) => !!(await container(ctx, "rootfs")) && ran(ctx, /docker (container )?export\b.*\brootfs\b/),
      },
      {
        text: {
          en: "FROM scratch starts from the empty image (“--->” with no ID after it). ADD unpacks a local tar archive, gzip'd or not, into the image (COPY would copy the archive itself); CMD gives the image something to run.",
          zh: "FROM scratch 从空镜像开始（“--->”后面没有 ID）。ADD 把本地的 tar 归档（无论是否经过 gzip 压缩）解包到镜像里（COPY 则只会复制归档文件本身）；CMD 为镜像指定默认运行的命令。",
        },
        command: ["cd ~/scratch", dockerfile(["FROM scratch", "ADD rootfs.tar.gz /", 'CMD ["/bin/sh"]']), "docker build -t lab/scratch:1 ."].join("\n"),
        show: { image: "lab/scratch:1" },
        check: async (ctx) => {
          const img = await image(ctx, "lab/scratch:1");
          const chain = await lineage(ctx, "lab/scratch:1");
          return img?.diffIds.length === 1 && JSON.stringify(img.config.config?.Cmd) === '["/bin/sh"]' && /ADD file:/.test(createdBy(chain[1])) && !chain[1]?.parent;
        },
      },
      {
        text: {
          en: "Run it: a container of the new image sees the exported files, the container's change to /etc/motd among them.",
          zh: "运行它：新镜像的容器看到的是导出的文件，其中也包括那个容器对 /etc/motd 的修改。",
        },
        command: "docker run --name scratch lab/scratch:1 cat /etc/motd",
        check: async (ctx) => (await exited(ctx, "scratch")) && (await logsOf(ctx, "scratch")).includes("exported from a container"),
      },
      {
        text: {
          en: "Compare the histories. busybox was built in steps: an ADD of its files, a RUN, a CMD. lab/scratch:1 has one ADD layer holding all of that and the container's change, and a CMD. The files are the same; the layers, and the record of how they were made, are gone: export flattens, where docker commit (lesson 7) stacks a layer on top.",
          zh: "对比两者的历史。busybox 是分步构建的：一条 ADD 加入文件，一条 RUN，一条 CMD。lab/scratch:1 只有一个 ADD 层，装下了这一切以及容器的修改，再加一条 CMD。文件相同，但分层以及它们是如何产生的记录都没有了：export 把层压平，而 docker commit（第 7 课）是在上面再叠一层。",
        },
        command: `docker history lab/scratch:1\ndocker history ${BUSYBOX}`,
        check: async (ctx) => ran(ctx, /^docker (image )?history lab\/scratch:1/) && (await imageLayers(ctx, "lab/scratch:1")) === 1,
      },
    ],
  },
];
