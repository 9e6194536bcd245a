/**
 * The guided lessons, in English and Simplified Chinese. They use the bundled demo images
 * (layerlab.demo/…), so every lesson works offline. Each step's check reads the lab's state.
 * Lessons 13–16, on docker build, are in build-lessons.ts.
 */
import { changedInContainerOnly, container, exited, image, imageLayers, logsOf, ran, ranAfter } from "./checks.ts";
import { BUILD_LESSONS } from "./build-lessons.ts";
import type { Lesson } from "./types.ts";

const DEBIAN = "layerlab.demo/debian:bookworm";
const BUSYBOX = "layerlab.demo/busybox";
const TEACHING = "layerlab.demo/teaching";

export const LESSONS: Lesson[] = [
  {
    id: "layers",
    title: { en: "1. An image is a stack of read-only layers", zh: "1. 镜像是一叠只读层" },
    steps: [
      {
        text: {
          en: "Pull the teaching image. Each line of the pull is one layer: a tar archive of files, identified by its digest.",
          zh: "拉取教学镜像。拉取输出的每一行都是一个层：一个文件的 tar 归档，以摘要（digest）标识。",
        },
        command: `docker pull ${TEACHING}`,
        check: async (ctx) => (await imageLayers(ctx, TEACHING)) === 5,
      },
      {
        text: {
          en: "Choose the image in the Images panel. The stack shows its 5 layers, newest on top, each as big as its bytes. Layers never change: a new layer is added instead.",
          zh: "在“镜像”面板中选择该镜像。层栈显示它的 5 个层，最新的在上面，大小与字节数相称。层永远不会被修改：变化总是作为新层加上去。",
        },
        click: { en: "Click layerlab.demo/teaching in the Images panel", zh: "在“镜像”面板中点击 layerlab.demo/teaching" },
        check: async (ctx) => ctx.ui.seen(`select:image:${(await image(ctx, TEACHING))?.id}`),
      },
      {
        text: {
          en: "See what each layer adds, modifies and removes.",
          zh: "查看每一层添加、修改和删除了什么。",
        },
        command: `lab layers ${TEACHING}`,
        check: async (ctx) => ran(ctx, /^lab layers /),
      },
    ],
  },
  {
    id: "base",
    title: { en: "2. Base images and FROM scratch", zh: "2. 基础镜像与 FROM scratch" },
    steps: [
      {
        text: {
          en: "Pull busybox, a base image. If you pulled the teaching image in lesson 1, both of busybox's layers say “Already exists”: the teaching image is built on busybox, and the lab already has them.",
          zh: "拉取基础镜像 busybox。如果第 1 课已经拉取了教学镜像，busybox 的两层都会显示“Already exists”：教学镜像建立在 busybox 之上，实验室里已经有这两层了。",
        },
        command: `docker pull ${BUSYBOX}`,
        check: async (ctx) => (await imageLayers(ctx, BUSYBOX)) === 2,
      },
      {
        text: {
          en: "busybox starts FROM scratch (an empty image): its first layer adds the whole root filesystem (ADD file:… in /).",
          zh: "busybox 是 FROM scratch（空镜像）构建的：它的第一层用 ADD 加入整个根文件系统。",
        },
        command: `docker history ${BUSYBOX}`,
        check: async (ctx) => ran(ctx, /^docker (image )?history .*busybox/) && (await imageLayers(ctx, BUSYBOX)) === 2,
      },
      {
        text: {
          en: "Compare with the teaching image's history: the same two layers at the bottom, three more on top.",
          zh: "对比教学镜像的历史：底部是同样的两层，上面又加了三层。",
        },
        command: `docker history ${TEACHING}`,
        check: async (ctx) => {
          const [b, t] = [await image(ctx, BUSYBOX), await image(ctx, TEACHING)];
          return ran(ctx, /^docker (image )?history .*teaching/) && !!b && !!t && b.chainIds.every((c, i) => t.chainIds[i] === c);
        },
      },
    ],
  },
  {
    id: "kernel",
    title: { en: "3. rootfs per container, one shared kernel", zh: "3. 每个容器有自己的 rootfs，内核是共享的" },
    steps: [
      {
        text: {
          en: "A container brings its root filesystem (rootfs) from the image, but not a kernel (bootfs): it runs on the host's. Ask Debian which kernel it runs; its /etc/os-release, from the image, says which system the files are.",
          zh: "容器从镜像带来自己的根文件系统（rootfs），但不带内核（bootfs）：它运行在宿主机的内核上。问问 Debian 运行的是哪个内核；它的 /etc/os-release 来自镜像，说明这些文件属于哪个系统。",
        },
        command: `docker run --name k-debian ${DEBIAN} sh -c "uname -sr; cat /etc/os-release"`,
        check: async (ctx) => (await exited(ctx, "k-debian")) && (await logsOf(ctx, "k-debian")).startsWith("Linux 6.1"),
      },
      {
        text: {
          en: "Now busybox: a different rootfs (its /etc/os-release differs), the same kernel.",
          zh: "再看 busybox：根文件系统不同（/etc/os-release 不同），内核却相同。",
        },
        command: `docker run --name k-busybox ${BUSYBOX} sh -c "uname -sr; cat /etc/os-release"`,
        check: async (ctx) => {
          const kernel = async (name: string) => (await logsOf(ctx, name)).split("\n")[0]!.trim();
          return (await exited(ctx, "k-busybox")) && !!(await kernel("k-debian")) && (await kernel("k-busybox")) === (await kernel("k-debian"));
        },
      },
    ],
  },
  {
    id: "union",
    title: { en: "4. The union mount and whiteouts", zh: "4. 联合挂载与 whiteout" },
    steps: [
      {
        text: {
          en: "Layer 3 (L3) of the teaching image deleted /app/README.txt. A layer cannot change the ones below, so it holds a whiteout, .wh.README.txt, that hides the file in the union.",
          zh: "教学镜像的第 3 层（L3）删除了 /app/README.txt。层不能修改下面的层，所以它放了一个 whiteout 文件 .wh.README.txt，在联合视图中把该文件隐藏起来。",
        },
        command: `lab tree ${TEACHING} --layer 3 --changes`,
        check: async (ctx) => ran(ctx, /^lab tree .*--layer 3/),
      },
      {
        text: {
          en: "L4 replaced /app/data: an opaque directory (.wh..wh..opq) hides everything below it. Choose L4 in the layer stack to see it; the union shows only fresh.txt.",
          zh: "L4 替换了 /app/data：一个不透明目录（.wh..wh..opq）隐藏下面各层中它的全部内容。在层栈中选择 L4 查看；联合视图里只剩 fresh.txt。",
        },
        click: { en: "Select the teaching image, then click L4 in the layer stack", zh: "选择教学镜像，然后在层栈中点击 L4" },
        check: async (ctx) => ctx.ui.seen(`layer:4:image:${(await image(ctx, TEACHING))?.id}`),
      },
    ],
  },
  {
    id: "cow",
    title: { en: "5. The container layer and copy-on-write", zh: "5. 容器层与写时复制" },
    steps: [
      {
        text: {
          en: "A container adds one writable layer on top of the image. Change /etc/motd in a container: the file is first copied up from the image layer, then changed.",
          zh: "容器在镜像之上加一个可写层。在容器里修改 /etc/motd：文件先从镜像层复制上来（copy-up），然后才被修改。",
        },
        command: `docker run --name cow ${BUSYBOX} sh -c "echo changed by the container >> /etc/motd"`,
        show: { container: "cow" },
        check: async (ctx) => changedInContainerOnly(ctx, "cow", "etc/motd"),
      },
      {
        text: {
          en: "docker diff lists the container layer: C for changed, A for added, D for deleted. The image's /etc/motd is untouched.",
          zh: "docker diff 列出容器层的内容：C 表示修改，A 表示新增，D 表示删除。镜像里的 /etc/motd 没有变。",
        },
        command: "docker diff cow",
        check: async (ctx) => ran(ctx, /^docker diff cow/),
      },
      {
        text: {
          en: "Open the container in the Containers panel: /etc/motd is marked C (the container layer); everything else still comes from the image's layers, L0 and L1.",
          zh: "在“容器”面板中打开该容器：/etc/motd 标记为 C（容器层），其余文件仍来自镜像的层 L0 和 L1。",
        },
        click: { en: "Click cow in the Containers panel", zh: "在“容器”面板中点击 cow" },
        check: async (ctx) => ctx.ui.seen(`select:container:${(await container(ctx, "cow"))?.id}`),
      },
    ],
  },
  {
    id: "isolation",
    title: { en: "6. Containers do not see each other's writes", zh: "6. 容器之间互不可见对方的写入" },
    steps: [
      {
        text: {
          en: "Two containers of the same image share its layers but each has its own container layer.",
          zh: "同一镜像的两个容器共享镜像层，但各有自己的容器层。",
        },
        command: `docker run --name iso-a ${BUSYBOX} sh -c "echo a > /a.txt"`,
        show: { container: "iso-a" },
        check: async (ctx) => exited(ctx, "iso-a"),
      },
      {
        text: { en: "The second one cannot see /a.txt.", zh: "第二个容器看不到 /a.txt。" },
        command: `docker run --name iso-b ${BUSYBOX} sh -c "ls /a.txt; echo b > /b.txt"`,
        show: { container: "iso-b" },
        check: async (ctx) => (await exited(ctx, "iso-b", 1)) || (await exited(ctx, "iso-b", 0)),
      },
    ],
  },
  {
    id: "commit",
    title: { en: "7. docker commit: the container layer becomes an image layer", zh: "7. docker commit：容器层变成镜像层" },
    steps: [
      {
        text: {
          en: "Commit the cow container from lesson 5: its container layer is packed as a new read-only layer on top of busybox's two.",
          zh: "提交第 5 课的 cow 容器：它的容器层被打包成一个新的只读层，叠加在 busybox 的两层之上。",
        },
        command: "docker commit -m 'motd changed' cow lab/motd:1",
        show: { image: "lab/motd:1" },
        check: async (ctx) => (await imageLayers(ctx, "lab/motd:1")) === ((await imageLayers(ctx, BUSYBOX)) ?? 0) + 1,
      },
      {
        text: { en: "history and inspect show the new layer and its comment.", zh: "history 和 inspect 会显示新层及其注释。" },
        command: "docker history lab/motd:1",
        check: async (ctx) => ran(ctx, /^docker (history|image inspect|inspect) lab\/motd:1/),
      },
      {
        text: { en: "A container of the new image starts with the change.", zh: "新镜像的容器一开始就带着这个修改。" },
        command: "docker run --rm lab/motd:1 tail -1 /etc/motd",
        check: async (ctx) => ran(ctx, /^docker run .*lab\/motd:1/),
      },
    ],
  },
  {
    id: "history",
    title: { en: "8. docker history and docker inspect", zh: "8. docker history 与 docker inspect" },
    steps: [
      {
        text: {
          en: "Each row of docker history is one instruction that built the image, newest first. Rows of 0B made no layer: CMD, ENV and friends change only the image's config.",
          zh: "docker history 的每一行是构建镜像的一条指令，最新的在上面。0B 的行没有产生层：CMD、ENV 等只修改镜像的配置。",
        },
        command: `docker history ${TEACHING}`,
        check: async (ctx) => ran(ctx, /^docker (image )?history .*teaching/),
      },
      {
        text: {
          en: "The explorer's History tab shows the same rows, each coloured like the layer it made.",
          zh: "资源管理器的“History”标签页显示同样的行，每行的颜色与它产生的层相同。",
        },
        click: { en: "Select the teaching image, then click History above the file view", zh: "选择教学镜像，然后点击文件视图上方的 History" },
        check: async (ctx) => ctx.ui.seen(`pane:history:image:${(await image(ctx, TEACHING))?.id}`),
      },
      {
        text: {
          en: "docker inspect shows the config. RootFS.Layers lists the diff IDs: the sha256 of each layer's uncompressed tar, bottom first. The image ID is the sha256 of the config itself.",
          zh: "docker inspect 显示镜像配置。RootFS.Layers 列出各层的 diff ID：即每层未压缩 tar 的 sha256，自底向上。镜像 ID 就是配置本身的 sha256。",
        },
        command: `docker image inspect --format '{{json .RootFS.Layers}}' ${TEACHING}`,
        check: async (ctx) => ran(ctx, /^docker (image )?inspect .*teaching/),
      },
      {
        text: { en: "The Inspect tab shows the whole document.", zh: "“Inspect”标签页显示完整的文档。" },
        click: { en: "With the teaching image selected, click Inspect above the file view", zh: "选中教学镜像，点击文件视图上方的 Inspect" },
        check: async (ctx) => ctx.ui.seen(`pane:inspect:image:${(await image(ctx, TEACHING))?.id}`),
      },
    ],
  },
  {
    id: "pull",
    title: { en: "9. How a pull works, and layers shared between images", zh: "9. 拉取的过程与镜像间共享的层" },
    steps: [
      {
        text: {
          en: "Remove busybox (-f: containers from earlier lessons were made from it). Its image and tags go, but its two layers stay: the teaching image and those containers still use them.",
          zh: "删除 busybox（-f：前面课程的容器是用它创建的）。它的镜像和标签被删除，但两个层保留下来：教学镜像和那些容器仍在使用它们。",
        },
        command: `docker rmi -f ${BUSYBOX}`,
        check: async (ctx) => ran(ctx, /^docker (image )?(rmi|rm) .*busybox/) && !!(await image(ctx, TEACHING)),
      },
      {
        text: {
          en: "Pull it again. The client fetches the manifest (the list of layer digests) and the config, checks each layer against the layer database, and downloads only what is missing — here nothing: “Already exists”. Each downloaded blob is verified against its digest before it is kept.",
          zh: "再次拉取。客户端先取得清单（manifest，列出各层的摘要）和配置，再逐层对照本地的层数据库，只下载缺少的层——这里一个也不缺：“Already exists”。每个下载的 blob 在保存前都会按摘要校验。",
        },
        command: `docker pull ${BUSYBOX}`,
        check: async (ctx) => (await imageLayers(ctx, BUSYBOX)) === 2 && ranAfter(ctx, /^docker (image )?(rmi|rm) .*busybox/, /^docker (image )?pull .*busybox/),
      },
      {
        text: {
          en: "Choose the teaching image: its two bottom layers are marked shared with busybox. They are stored once.",
          zh: "选择教学镜像：它底部的两层标记为与 busybox 共享。它们只存储一份。",
        },
        click: { en: "Click layerlab.demo/teaching in the Images panel", zh: "在“镜像”面板中点击 layerlab.demo/teaching" },
        check: async (ctx) => !!(await image(ctx, BUSYBOX)) && ranAfter(ctx, /^docker (image )?pull .*busybox/, /^ui select:image:/) && ctx.ui.seen(`select:image:${(await image(ctx, TEACHING))?.id}`),
      },
    ],
  },
  {
    id: "storage",
    title: { en: "10. The local storage layout", zh: "10. 本地存储布局" },
    steps: [
      {
        text: {
          en: "Docker keeps images under /var/lib/docker: imagedb holds each config by image ID; layerdb holds each layer by chain ID — the diff ID hashed together with the chain ID of the layer below — with its diff ID, parent and size; distribution maps each compressed blob digest (what registries serve) to its diff ID.",
          zh: "Docker 把镜像保存在 /var/lib/docker 下：imagedb 按镜像 ID 保存配置；layerdb 按链 ID（chain ID，即该层的 diff ID 与下一层的链 ID 一起做哈希）保存每一层，记录其 diff ID、父层和大小；distribution 记录每个压缩 blob 的摘要（镜像仓库提供的）对应哪个 diff ID。",
        },
        command: `lab storage ${BUSYBOX}`,
        check: async (ctx) => ran(ctx, /^lab storage/),
      },
      {
        text: {
          en: "The Storage tab shows the whole store this way, with the selected image's entries highlighted. Busybox's layers appear once though two images use them.",
          zh: "“存储”标签页以同样方式显示整个存储，并高亮所选镜像的条目。busybox 的层虽然被两个镜像使用，却只出现一次。",
        },
        click: { en: "Open the Storage tab", zh: "打开“存储”标签页" },
        check: async (ctx) => ctx.ui.seen("tab:storage"),
      },
    ],
  },
  {
    id: "registry",
    title: { en: "11. The registry's layout and docker push", zh: "11. 镜像仓库的存储布局与 docker push" },
    steps: [
      {
        text: {
          en: "Name the image for a registry: a tag whose first part is the registry's address.",
          zh: "为镜像起一个指向镜像仓库的名字：标签的第一部分就是仓库地址。",
        },
        command: `docker tag ${TEACHING} localhost:5000/teaching`,
        check: async (ctx) => !!(await image(ctx, "localhost:5000/teaching")),
      },
      {
        text: {
          en: "A Distribution registry stores every blob once by digest (blobs/sha256/…), and per repository only links: _layers, _manifests/revisions, and tags/NAME/current/link. docker push uploads only the blobs the registry lacks (“Layer already exists”), then the manifest. With a registry running (e.g. registry:2 on port 5000, reached through the lab's proxy), try docker push localhost:5000/teaching.",
          zh: "Distribution 镜像仓库按摘要把每个 blob 只存一份（blobs/sha256/…），每个仓库（repository）只保存链接：_layers、_manifests/revisions 和 tags/名称/current/link。docker push 只上传仓库没有的 blob（“Layer already exists”），最后上传清单。如果有镜像仓库在运行（例如 5000 端口上的 registry:2，经实验室的代理访问），可以试试 docker push localhost:5000/teaching。",
        },
        command: "lab registry-layout localhost:5000/teaching",
        check: async (ctx) => ran(ctx, /^lab registry-layout /),
      },
      {
        text: { en: "The Registry tab draws the same files.", zh: "“镜像仓库”标签页画出同样的文件。" },
        click: { en: "Open the Registry tab", zh: "打开“镜像仓库”标签页" },
        check: async (ctx) => ctx.ui.seen("tab:registry"),
      },
    ],
  },
  {
    id: "drivers",
    title: { en: "12. Storage drivers: file-level vs block-level copy-on-write", zh: "12. 存储驱动：文件级与块级写时复制" },
    steps: [
      {
        text: {
          en: "/app/big.bin in L2 is 1 MiB. Change one byte of it in a container. overlay2 copies up whole files: the container layer now holds all 1,048,576 bytes. devicemapper copies blocks: it would copy one 64 KiB block (65,536 bytes), 16 times less.",
          zh: "L2 中的 /app/big.bin 有 1 MiB。在容器中修改它的一个字节。overlay2 按整个文件复制：容器层现在保存了全部 1,048,576 字节。devicemapper 按块复制：只需复制一个 64 KiB 的块（65,536 字节），少 16 倍。",
        },
        command: `docker run --name big ${TEACHING} sh -c "printf Z | dd of=/app/big.bin bs=1 seek=1000 conv=notrunc"`,
        show: { container: "big" },
        check: async (ctx) => changedInContainerOnly(ctx, "big", "app/big.bin"),
      },
      {
        text: {
          en: "docker ps -s shows the container layer's size: the whole copied-up file, not the one byte.",
          zh: "docker ps -s 显示容器层的大小：是整个被复制上来的文件，而不是那一个字节。",
        },
        command: "docker ps -a -s",
        check: async (ctx) => ran(ctx, /^docker ps .*-s/),
      },
    ],
  },
  ...BUILD_LESSONS,
];
