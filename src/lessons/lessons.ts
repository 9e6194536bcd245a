/**
 * The guided lessons, in English and Simplified Chinese. They use the bundled demo images
 * (layerlab.demo/…), so every lesson works offline. Each step's check reads the lab's state.
 */
import { changedInContainerOnly, container, exited, image, imageLayers, logsOf, ran } from "./checks.ts";
import type { Lesson } from "./types.ts";

const ALPINE = "layerlab.demo/alpine:3.15";
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
        check: async (ctx) => ctx.ui.selection?.kind === "image" && ctx.ui.selection.id === (await image(ctx, TEACHING))?.id,
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
          en: "busybox starts FROM scratch: its first layer adds the whole root filesystem (ADD file:… in /). The teaching image is built on it: its first two layers are busybox's.",
          zh: "busybox 是 FROM scratch 构建的：它的第一层用 ADD 加入整个根文件系统。教学镜像建立在它之上：前两层就是 busybox 的层。",
        },
        command: `docker history ${BUSYBOX}`,
        check: async (ctx) => ran(ctx, /^docker history /) && (await imageLayers(ctx, BUSYBOX)) === 2,
      },
      {
        text: {
          en: "Compare with the teaching image's history: the same two layers at the bottom, three more on top.",
          zh: "对比教学镜像的历史：底部是同样的两层，上面又加了三层。",
        },
        command: `docker history ${TEACHING}`,
        check: async (ctx) => {
          const [b, t] = [await image(ctx, BUSYBOX), await image(ctx, TEACHING)];
          return ran(ctx, /^docker history .*teaching/) && !!b && !!t && b.chainIds.every((c, i) => t.chainIds[i] === c);
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
          en: "A container brings its root filesystem (rootfs) from the image, but not a kernel (bootfs): it runs on the host's. Ask Alpine which kernel it runs.",
          zh: "容器从镜像带来自己的根文件系统（rootfs），但不带内核（bootfs）：它运行在宿主机的内核上。问问 Alpine 运行的是哪个内核。",
        },
        command: `docker run --name k-alpine ${ALPINE} uname -sr`,
        check: async (ctx) => (await exited(ctx, "k-alpine")) && (await logsOf(ctx, "k-alpine")).startsWith("Linux 6.1"),
      },
      {
        text: {
          en: "Now busybox: a different rootfs (cat /etc/os-release differs), the same kernel.",
          zh: "再看 busybox：根文件系统不同（/etc/os-release 不同），内核却相同。",
        },
        command: `docker run --name k-busybox ${BUSYBOX} sh -c "uname -sr; cat /etc/os-release"`,
        check: async (ctx) => (await exited(ctx, "k-busybox")) && (await logsOf(ctx, "k-busybox")).startsWith((await logsOf(ctx, "k-alpine")).trim()),
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
        check: async (ctx) => ctx.ui.selection?.id === (await image(ctx, TEACHING))?.id && ctx.ui.layer === 4,
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
        command: `docker run --name cow ${ALPINE} sh -c "echo changed by the container >> /etc/motd"`,
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
          en: "Open the container in the Containers panel: /etc/motd is marked C (the container layer); everything else still comes from L0.",
          zh: "在“容器”面板中打开该容器：/etc/motd 标记为 C（容器层），其余文件仍来自 L0。",
        },
        click: { en: "Click cow in the Containers panel", zh: "在“容器”面板中点击 cow" },
        check: async (ctx) => ctx.ui.selection?.kind === "container" && ctx.ui.selection.id === (await container(ctx, "cow"))?.id,
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
        command: `docker run --name iso-a ${ALPINE} sh -c "echo a > /a.txt"`,
        check: async (ctx) => exited(ctx, "iso-a"),
      },
      {
        text: { en: "The second one cannot see /a.txt.", zh: "第二个容器看不到 /a.txt。" },
        command: `docker run --name iso-b ${ALPINE} sh -c "ls /a.txt; echo b > /b.txt"`,
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
          en: "Commit the cow container from lesson 5: its container layer is packed as a new read-only layer on top of Alpine's.",
          zh: "提交第 5 课的 cow 容器：它的容器层被打包成一个新的只读层，叠加在 Alpine 的层之上。",
        },
        command: "docker commit -m 'motd changed' cow lab/motd:1",
        check: async (ctx) => (await imageLayers(ctx, "lab/motd:1")) === ((await imageLayers(ctx, ALPINE)) ?? 0) + 1,
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
    id: "drivers",
    title: { en: "8. Storage drivers: file-level vs block-level copy-on-write", zh: "8. 存储驱动：文件级与块级写时复制" },
    steps: [
      {
        text: {
          en: "/app/big.bin in L2 is 1 MiB. Change one byte of it in a container. overlay2 copies up whole files: the container layer now holds all 1,048,576 bytes. devicemapper copies blocks: it would copy one 64 KiB block (65,536 bytes), 16 times less.",
          zh: "L2 中的 /app/big.bin 有 1 MiB。在容器中修改它的一个字节。overlay2 按整个文件复制：容器层现在保存了全部 1,048,576 字节。devicemapper 按块复制：只需复制一个 64 KiB 的块（65,536 字节），少 16 倍。",
        },
        command: `docker run --name big ${TEACHING} sh -c "printf Z | dd of=/app/big.bin bs=1 seek=1000 conv=notrunc"`,
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
];
