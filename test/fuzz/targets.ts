/**
 * What the fuzzer feeds, and what each input may end in: the Dockerfile parser (BuildKit's rules and
 * Docker 20.10's), shell-word expansion, image references, Docker's Go-template subset, the tar reader
 * and the gzip streams. Seeds are real inputs: BuildKit's own parser cases and expansion table (read in
 * place from ../shared/conformance when present), the lab's test Dockerfiles, and archives the lab's
 * own writer makes.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DockerfileError, dockerfileInstructions } from "../../src/build/dockerfile-instructions.ts";
import { dump, parse, processWord, processWords, ShellExpansionError, DockerfileParseError } from "../../src/build/dockerfile/index.ts";
import { parseDockerTemplate, TemplateError } from "../../src/cli/template.ts";
import { DecompressionError, gunzipStream } from "../../src/layer/compression.ts";
import { TarFormatError, TarStreamParser } from "../../src/layer/tar.ts";
import { InvalidReferenceError, parseReference } from "../../src/oci/reference.ts";
import type { FuzzTarget } from "./engine.ts";

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
];

export function target(name: string): FuzzTarget {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`no fuzz target ${name}: try ${TARGETS.map((x) => x.name).join(", ")}`);
  return t;
}
