/**
 * What the fuzzer feeds, and what each input may end in: the Dockerfile parser (BuildKit's rules and
 * Docker 20.10's), shell-word expansion, image references, Docker's Go-template subset, the tar reader
 * the gzip and zstd streams, manifest/index/config validation, the 9P2000.L server's message decoder and
 * the registry proxy's request handling (it answers everything and reaches only what it allows). Seeds are real inputs: BuildKit's own parser cases and expansion table (read in
 * place from ../shared/conformance when present), the lab's test Dockerfiles, and archives the lab's
 * own writer makes.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DockerfileError, dockerfileInstructions } from "../../src/build/dockerfile-instructions.ts";
import { dump, parse, processWord, processWords, ShellExpansionError, DockerfileParseError } from "../../src/build/dockerfile/index.ts";
import { parseDockerTemplate, TemplateError } from "../../src/cli/template.ts";
import { DecompressionError, gunzipStream, zstdStream } from "../../src/layer/compression.ts";
import { ManifestError, parseImageConfig, parseIndex, parseManifest, parseManifestOrIndex } from "../../src/oci/validate.ts";
import { TarFormatError, TarStreamParser } from "../../src/layer/tar.ts";
import { InvalidReferenceError, parseReference } from "../../src/oci/reference.ts";
import { P9Server } from "../../src/runtime/x86/p9.ts";
import { LowerView } from "../../src/unionfs/lower.ts";
import { UnionFS } from "../../src/unionfs/union.ts";
import { MemoryUpperStorage } from "../../src/unionfs/upper.ts";
import type { TarEntry } from "../../src/layer/tar.ts";
import type { FuzzTarget } from "./engine.ts";
import { createProxyHandler } from "../../proxy/handler.ts";
import { AllowList } from "../../proxy/allowlist.ts";
import { isIpLiteral, isPrivateAddress } from "../../proxy/addresses.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const CONFORMANCE = new URL("../../../shared/conformance/buildkit/frontend/dockerfile/", import.meta.url).pathname;

const DOCKERFILES = [
  "FROM busybox\nRUN echo hi > /x\nCMD [\"sh\"]\n",
  '# escape=`\nFROM busybox\nRUN echo a `\n  b\nENV A="x y" B=${A:-z}\nLABEL k=v "q r"=s\n',
  "ARG BASE=busybox\nFROM $BASE AS builder\nRUN --mount=type=cache,target=/x true\nFROM scratch\nCOPY --from=builder --chown=1:2 /a /b/\nHEALTHCHECK --interval=5s CMD true\nONBUILD RUN x\n",
  "FROM busybox\nRUN <<EOF\necho one\nEOF\nCOPY <<-'EOT' /f\n\tx=$X\nEOT\nSHELL [\"/bin/sh\", \"-ec\"]\nEXPOSE 80/udp 8080\nVOLUME [\"/data\"]\nUSER nobody\nWORKDIR a/b\nSTOPSIGNAL SIGINT\nMAINTAINER me\n",
];

function conformanceDockerfiles(): string[] {
  const dir = join(CONFORMANCE, "parser/testfiles");
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((c) => readFileSync(join(dir, c, "Dockerfile"), "utf8"));
}

function conformanceWords(): string[] {
  const out: string[] = [];
  for (const f of ["shell/envVarTest", "shell/wordsTest"]) {
    const p = join(CONFORMANCE, f);
    if (!existsSync(p)) continue;
    for (const line of readFileSync(p, "utf8").split("\n")) {
      const parts = line.split("|");
      if (parts.length >= 2 && !line.startsWith("#")) out.push((parts.length === 3 ? parts[1]! : parts[0]!).trim());
    }
  }
  return out;
}

const ENV = new Map([["PWD", "/home"], ["SHELL", "bash"], ["KOREAN", "한국어"], ["NULL", ""], ["A", "a b"]]);

async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  const r = stream.getReader();
  for (;;) if ((await r.read()).done) return;
}

/** A small archive with what layers hold: files, a directory, links, a long name (PAX). */
function sampleTar(): Uint8Array {
  const blocks: Uint8Array[] = [];
  const header = (name: string, type: string, size: number, link = "") => {
    const h = new Uint8Array(512);
    const put = (s: string, at: number, len: number) => h.set(enc.encode(s).subarray(0, len), at);
    put(name, 0, 100);
    put("0000644\0", 100, 8);
    put("0000000\0", 108, 8);
    put("0000000\0", 116, 8);
    put(`${size.toString(8).padStart(11, "0")}\0`, 124, 12);
    put("14000000000\0", 136, 12);
    put("        ", 148, 8);
    put(type, 156, 1);
    put(link, 157, 100);
    put("ustar\0", 257, 6);
    put("00", 263, 2);
    let sum = 0;
    for (const b of h) sum += b;
    put(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
    return h;
  };
  const file = (name: string, body: string) => {
    const data = enc.encode(body);
    blocks.push(header(name, "0", data.length));
    const padded = new Uint8Array(Math.ceil(data.length / 512) * 512);
    padded.set(data);
    blocks.push(padded);
  };
  blocks.push(header("etc/", "5", 0));
  file("etc/hostname", "lab\n");
  blocks.push(header("bin/sh", "2", 0, "busybox"));
  blocks.push(header("bin/ash", "1", 0, "bin/busybox"));
  const long = `${"d".repeat(120)}/f`;
  const pax = enc.encode(`${(`30 path=${long}\n`.length + 0).toString()} path=${long}\n`);
  blocks.push(header("PaxHeaders/f", "x", pax.length));
  const padded = new Uint8Array(512);
  padded.set(pax);
  blocks.push(padded);
  file("placeholder", "x");
  file("etc/.wh.removed", "");
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** A 9P2000.L message: size[4] type[1] tag[2] and the fields (u8/u16/u32/u64 numbers, strings, bytes). */
export function p9(type: number, tag: number, ...fields: (["b" | "w" | "d" | "q", number] | ["s", string] | ["raw", Uint8Array])[]): Uint8Array {
  const parts: number[] = [];
  const le = (v: number | bigint, n: number) => {
    let x = BigInt(v);
    for (let i = 0; i < n; i++, x >>= 8n) parts.push(Number(x & 255n));
  };
  for (const f of fields) {
    if (f[0] === "b") le(f[1], 1);
    else if (f[0] === "w") le(f[1], 2);
    else if (f[0] === "d") le(f[1], 4);
    else if (f[0] === "q") le(f[1], 8);
    else if (f[0] === "s") {
      const b = enc.encode(f[1]);
      le(b.length, 2);
      parts.push(...b);
    } else parts.push(...(f[1] as Uint8Array));
  }
  const out = new Uint8Array(7 + parts.length);
  new DataView(out.buffer).setUint32(0, out.length, true);
  out[4] = type;
  new DataView(out.buffer).setUint16(5, tag, true);
  out.set(parts, 7);
  return out;
}

const NOFID = 0xffffffff;
/** A session as the guest's kernel would run it: attach, walk, stat, read, list, create, write, rename, remove. */
function p9Session(): Uint8Array {
  const w = (fid: number, newfid: number, names: string[]) => p9(110, 3, ["d", fid], ["d", newfid], ["w", names.length], ...names.map((n): ["s", string] => ["s", n]));
  const msgs = [
    p9(104, 1, ["d", 1], ["d", NOFID], ["s", ""], ["s", "c"], ["d", 0]),
    w(1, 2, ["etc"]),
    p9(24, 4, ["d", 2], ["q", 0x3fff]),
    w(1, 3, ["etc", "hostname"]),
    p9(12, 5, ["d", 3], ["d", 0]),
    p9(116, 6, ["d", 3], ["q", 0], ["d", 100]),
    p9(12, 7, ["d", 2], ["d", 0o200000]),
    p9(40, 8, ["d", 2], ["q", 0], ["d", 4096]),
    w(1, 4, ["etc"]),
    p9(14, 9, ["d", 4], ["s", "new"], ["d", 0o102], ["d", 0o644], ["d", 0]),
    p9(118, 10, ["d", 4], ["q", 0], ["d", 5], ["raw", enc.encode("hello")]),
    p9(72, 11, ["d", 2], ["s", "dir"], ["d", 0o755], ["d", 0]),
    p9(74, 12, ["d", 2], ["s", "new"], ["d", 2], ["s", "moved"]),
    p9(26, 13, ["d", 3], ["d", 1], ["d", 0o600], ["d", 0], ["d", 0], ["q", 3], ["q", 0], ["q", 0], ["q", 0], ["q", 0]),
    p9(30, 14, ["d", 3], ["d", 5], ["s", "user.x"]),
    p9(16, 15, ["d", 2], ["s", "link"], ["s", "hostname"], ["d", 0]),
    p9(76, 16, ["d", 2], ["s", "moved"], ["d", 0]),
    p9(8, 17, ["d", 1]),
    p9(120, 18, ["d", 3]),
    p9(108, 19, ["w", 6]),
  ];
  const out = new Uint8Array(msgs.reduce((n, m) => n + m.length, 0));
  let at = 0;
  for (const m of msgs) {
    out.set(m, at);
    at += m.length;
  }
  return out;
}

/** A small root: /etc/hostname and /bin in the lower layer. */
async function p9Root(): Promise<UnionFS> {
  const data = enc.encode("lab\n");
  const entry = (path: string, type: TarEntry["type"], size = 0, linkname?: string): TarEntry => ({ path, type, mode: type === "dir" ? 0o755 : 0o644, uid: 0, gid: 0, size, mtime: 1.7e9, headerOffset: 0, dataOffset: 0, ...(linkname ? { linkname } : {}) });
  const lower = new LowerView([{ diffId: "l0", entries: [entry("etc", "dir"), entry("etc/hostname", "file", data.length), entry("bin", "dir"), entry("bin/sh", "symlink", 0, "busybox")], read: async (a, b) => data.slice(a, b) }]);
  return UnionFS.open(lower, new MemoryUpperStorage());
}

export const TARGETS: readonly FuzzTarget[] = [
  {
    name: "dockerfile",
    seeds: () => [...DOCKERFILES, ...conformanceDockerfiles()].map((s) => enc.encode(s)),
    run(input) {
      const text = dec.decode(input);
      try {
        dump(parse(text).ast);
      } catch (e) {
        if (!(e instanceof DockerfileParseError)) throw e;
      }
      for (const classic of [true, false]) {
        try {
          dockerfileInstructions(text, { classic });
        } catch (e) {
          if (!(e instanceof DockerfileError)) throw e;
        }
      }
    },
    allowed: () => false,
    tokens: ["\\\n", "`\n", "\n", "# escape=`\n", "# syntax=x\n", "#", "${", "}", "$", ":-", ":+", '"', "'", "[", "]", ",", "=", "--", "--from=", "<<EOF\n", "<<-EOF", "\nEOF\n", "FROM ", "RUN ", "ONBUILD ", "HEALTHCHECK ", "CMD ", "ENV ", "ARG ", "COPY ", "\t", "\r\n", "\0", "\uFEFF"],
  },
  {
    name: "shell-words",
    seeds: () => ["$PWD", "${PWD:-x}", "${A:+$B}", "'$x'\"$y\"", "${KOREAN#한}", "${PWD%/*}", "a\\ b", "${X/a/b}", ...conformanceWords()].map((s) => enc.encode(s)),
    run(input) {
      const word = dec.decode(input);
      for (const esc of ["\\", "`"]) {
        processWord(word, ENV, esc);
        processWords(word, ENV, esc);
      }
    },
    allowed: (e) => e instanceof ShellExpansionError,
    tokens: ["$", "${", "}", ":-", ":+", ":?", "#", "##", "%", "%%", "/", "//", "\\", "'", '"', " ", "\t", "\n", "KOREAN", "NULL", "PWD"],
  },
  {
    name: "reference",
    seeds: () => ["busybox", "busybox:1.36", "docker.io/library/busybox@sha256:" + "a".repeat(64), "127.0.0.1:5000/lab/busybox:v2", "[::1]:5000/x", "ghcr.io/o/r/s:t", "localhost/x"].map((s) => enc.encode(s)),
    run(input) {
      parseReference(dec.decode(input));
    },
    allowed: (e) => e instanceof InvalidReferenceError,
    tokens: [":", "@", "/", "sha256:", "sha512:", ".", "-", "_", "__", "[", "]", "A", "0"],
  },
  {
    name: "template",
    seeds: () =>
      [
        "{{.ID}}",
        "{{json .Config}}",
        "table {{.Repository}}\\t{{.Tag}}",
        '{{range .RepoTags}}{{.}} {{end}}',
        '{{if eq .State "running"}}up{{else}}down{{end}}',
        '{{printf "%q %5.2f" .Name 3.14159}}',
        "{{index .Labels \"k\"}}{{len .Names}}",
        "{{with $x := .A}}{{$x}}{{end}}{{/* c */}}",
        "{{- .A -}} {{upper .B}} {{split .C \",\"}} {{join .D \":\"}}",
      ].map((s) => enc.encode(s)),
    async run(input) {
      const t = parseDockerTemplate(dec.decode(input));
      t.execute({ ID: "abc", Config: { Env: ["A=1"] }, Repository: "r", Tag: "t", RepoTags: ["a", "b"], State: "running", Name: "n", Labels: { k: "v" }, Names: ["x"], A: 1, B: "b", C: "a,b", D: ["x", "y"] });
    },
    allowed: (e) => e instanceof TemplateError,
    tokens: ["{{", "}}", "{{-", "-}}", ".", "$", "|", "(", ")", '"', "`", "range", "end", "if", "else", "with", "define", "template", "block", "printf", "json", "index", "len", "eq", "and", "or", "not", ":=", "=", "%"],
  },
  {
    name: "p9",
    seeds: () => [p9Session()],
    async run(input) {
      // The server answers every message (an Rlerror for a bad one); an error it did not expect is
      // logged as "9p server:" and is the crash.
      const server = new P9Server();
      server.export("c", await p9Root());
      const unexpected: unknown[] = [];
      const log = console.error;
      console.error = (...a: unknown[]) => void (a[0] === "9p server:" ? unexpected.push(a[1]) : log(...a));
      try {
        await new Promise<void>((r) => server.handle(p9(100, 0xffff, ["d", 65536], ["s", "9P2000.L"]), () => r()));
        for (let at = 0; at < input.length; ) {
          const size = input.length - at >= 4 ? new DataView(input.buffer, input.byteOffset + at).getUint32(0, true) : 0;
          const len = size >= 7 && size <= input.length - at ? size : input.length - at;
          const msg = input.slice(at, at + len);
          at += len;
          if (msg.length < 7) continue;
          await new Promise<void>((r) => server.handle(msg, () => r()));
        }
      } finally {
        console.error = log;
      }
      if (unexpected.length) throw unexpected[0];
    },
    allowed: () => false,
  },
  {
    name: "tar",
    seeds: () => [sampleTar()],
    run(input) {
      const p = new TarStreamParser(() => {}, () => {});
      p.push(input);
      p.end();
    },
    allowed: (e) => e instanceof TarFormatError,
  },
  {
    name: "gzip",
    seeds: () => [new Uint8Array(gzipSync(sampleTar())), new Uint8Array(gzipSync(enc.encode("hello ".repeat(100))))],
    async run(input) {
      await drain(new Blob([input as BlobPart]).stream().pipeThrough(gunzipStream("fflate")));
    },
    allowed: (e) => e instanceof DecompressionError,
  },
  {
    name: "zstd",
    seeds: zstdSeeds,
    async run(input) {
      await drain(new Blob([input as BlobPart]).stream().pipeThrough(zstdStream()));
    },
    allowed: (e) => e instanceof DecompressionError,
  },
  {
    name: "manifest",
    seeds: demoDocuments,
    run(input) {
      for (const parse of [(b: Uint8Array) => parseManifestOrIndex(b), (b: Uint8Array) => parseManifestOrIndex(b, "application/vnd.oci.image.index.v1+json"), parseManifest, parseIndex, parseImageConfig]) {
        try {
          parse(input);
        } catch (e) {
          if (!(e instanceof ManifestError)) throw e;
        }
      }
    },
    allowed: () => false,
    tokens: ['"', "{", "}", "[", "]", ",", ":", "null", "true", "1", '"schemaVersion"', '"mediaType"', '"digest"', '"size"', '"layers"', '"manifests"', '"config"', '"rootfs"', '"diff_ids"', '"history"', '"platform"', "sha256:", "\\u0000"],
  },
  {
    // The registry proxy on whatever a page (or anyone on the machine) sends: it answers every request,
    // and the only hosts it ever reaches are allow-listed ones, at public addresses unless allowed by hand.
    name: "proxy",
    seeds: () => PROXY_REQUESTS.map((s) => enc.encode(s)),
    async run(input) {
      const [line = "", ...headerLines] = dec.decode(input).split("\n");
      const [method = "GET", ...rest] = line.split(" ");
      const headers = new Headers();
      let req: Request;
      try {
        for (const h of headerLines) {
          const i = h.indexOf(":");
          if (i > 0) headers.append(h.slice(0, i), h.slice(i + 1).trim());
        }
        req = new Request(new URL(rest.join(" ") || "/", "http://lab.test"), { method, headers, body: ["GET", "HEAD"].includes(method.toUpperCase()) ? undefined : "body" });
      } catch (e) {
        if (e instanceof TypeError) return; // not a request an HTTP server would hand over
        throw e;
      }
      const reached: string[] = [];
      const handler = createProxyHandler({
        allowRegistries: ["127.0.0.1:5000", "lab.registry.test"],
        allowDownloads: ["files.test"],
        // Names resolve as an attacker would like: some to loopback, some to private, the rest public.
        resolve: async (h) => (h.includes("loop") ? ["127.0.0.1"] : h.includes("priv") ? ["10.0.0.1"] : ["93.184.216.34"]),
        fetch: async (input) => {
          const url = new URL(input instanceof Request ? input.url : String(input));
          reached.push(url.href);
          // Upstreams answer with redirects the input chose (the path's "to=" query), or a small body.
          const to = url.searchParams.get("to");
          return to ? new Response(null, { status: 307, headers: { Location: to } }) : new Response("ok", { status: 200, headers: { "Content-Type": "text/plain" } });
        },
        timeoutMs: 1000,
        idleTimeoutMs: 1000,
        maxRedirects: 3,
        log: () => {},
      });
      const res = await handler(req);
      if (!(res instanceof Response) || res.status < 100 || res.status > 599) throw new Error(`not an answer: ${String(res)}`);
      await res.arrayBuffer();
      const allow = new AllowList(["127.0.0.1:5000", "lab.registry.test"], ["files.test"]);
      for (const href of reached) {
        const u = new URL(href);
        const entry = allow.findUrl(u, ["registry", "cdn", "download"]);
        if (!entry) throw new Error(`the proxy reached ${href}, which is not allow-listed`);
        const host = u.hostname.replace(/^\[|\]$/g, "");
        if (!entry.explicit && ((isIpLiteral(host) && isPrivateAddress(host)) || host.includes("loop") || host.includes("priv"))) throw new Error(`the proxy reached ${href}: a private address`);
      }
    },
    allowed: () => false,
    tokens: ["/proxy/", "registry-1.docker.io", "127.0.0.1:5000", "lab.registry.test", "loop.example", "priv.example", "/v2/", "blobs/", "manifests/", "sha256:", "?to=", "http://", "https://", "@", "%2f", "%40", "..", "/", "[::1]", "[::ffff:127.0.0.1]", "0x7f.1", "2130706433", "017700000001", "~download/", "files.test", "\nOrigin: http://evil.test", "\nAuthorization: Basic x", "\nRange: bytes=0-", "\nHost: 127.0.0.1", ":", " ", "OPTIONS ", "PUT ", "PATCH "],
  },
];

/** Requests to the proxy as the page sends them, and as attacks spell them. */
const PROXY_REQUESTS = [
  "GET /proxy/registry-1.docker.io/v2/library/busybox/manifests/latest\nAccept: application/vnd.oci.image.index.v1+json",
  "HEAD /proxy/127.0.0.1:5000/v2/lab/busybox/blobs/sha256:" + "a".repeat(64),
  "GET /proxy/lab.registry.test/v2/x/blobs/sha256:b?to=https://priv.example/x\nRange: bytes=10-",
  "GET /proxy/lab.registry.test/v2/x/blobs/sha256:c?to=http://127.0.0.1:22/\nAuthorization: Bearer t",
  "POST /proxy/127.0.0.1:5000/v2/lab/x/blobs/uploads/\nContent-Type: application/octet-stream",
  "PATCH /proxy/127.0.0.1:5000/v2/lab/x/blobs/uploads/uuid?_state=s\nContent-Range: 0-3",
  "OPTIONS /proxy/registry-1.docker.io/v2/\nOrigin: http://lab.test\nAccess-Control-Request-Method: GET\nAccess-Control-Request-Headers: authorization",
  "GET /proxy/~download/https/files.test/file.tgz?to=https://files.test/other",
  "GET /proxy/~download/http/files.test/a",
  "GET /proxy/[::ffff:7f00:1]/v2/",
  "GET /proxy/2130706433/v2/",
  "GET /proxy/loop.example/v2/",
  "GET /proxy/user:pass@registry-1.docker.io/v2/",
  "GET /proxy/registry-1.docker.io%2f..%2f127.0.0.1/v2/",
  "GET /proxy/registry-1.docker.io/v2/token?to=https://auth.docker.io/token\nOrigin: http://evil.test",
];

/** The bundled demo images' documents (public/demos): index, manifests and configs as registries serve them. */
function demoDocuments(): Uint8Array[] {
  const root = new URL("../../public/demos/", import.meta.url).pathname;
  const index = readFileSync(join(root, "index.json"));
  const out = [new Uint8Array(index)];
  const blob = (d: string) => new Uint8Array(readFileSync(join(root, "blobs", "sha256", d.slice(7))));
  for (const m of (JSON.parse(index.toString()) as { manifests: { digest: string }[] }).manifests) {
    const manifest = blob(m.digest);
    out.push(manifest, blob((JSON.parse(dec.decode(manifest)) as { config: { digest: string } }).config.digest));
  }
  return out;
}

/** zstd frames: one with a raw block written here, and, where the zstd tool is, compressed ones of real data. */
function zstdSeeds(): Uint8Array[] {
  const data = enc.encode("hello zstd ".repeat(20));
  // Magic, a frame header (single segment, 1-byte content size), one raw block marked last.
  const raw = Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, data.length, ((data.length << 3) | 1) & 0xff, (data.length >> 5) & 0xff, 0, ...data]);
  const seeds = [raw];
  for (const input of [sampleTar(), enc.encode("layer ".repeat(500))]) {
    try {
      seeds.push(new Uint8Array(execFileSync("zstd", ["-q", "-c", "-19", "--check"], { input })));
    } catch {
      // no zstd tool: the raw frame alone
    }
  }
  return seeds;
}

export function target(name: string): FuzzTarget {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`no fuzz target ${name}: try ${TARGETS.map((x) => x.name).join(", ")}`);
  return t;
}
