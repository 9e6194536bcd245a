/**
 * A Dockerfile's text as the builder's instructions, read by the BuildKit parser port
 * (./dockerfile). The classic builder of Docker 20.10 vendors an older parser: no here-documents,
 * its own flag sets and wording (`dockerfile parse error line 2: Unknown flag: link`), so `classic`
 * selects those rules; BuildKit's are the default.
 */
import type { Heredoc, Node } from "./dockerfile/index.ts";
import { checkInstructions, DockerfileParseError, nodeArgs, parse } from "./dockerfile/index.ts";

/** One instruction as the builders read it. */
export interface Instruction {
  /** Upper-case: RUN, COPY… */
  cmd: string;
  /** As written, continuations joined (Step N/M shows it). */
  original: string;
  flags: string[];
  /** The arguments; ENV and LABEL as key, value pairs; HEALTHCHECK its type first; ONBUILD the trigger's text. */
  args: string[];
  /** Exec (JSON) form. */
  json: boolean;
  line: number;
  endLine: number;
  heredocs: Heredoc[];
  /** The escape character its words are expanded with (`# escape=`). */
  escape: string;
}

/**
 * A Dockerfile that does not parse, with the line; the message is BuildKit's, `classicMessage` Docker
 * 20.10's. `kind`: an instruction's error (the line is named), the text's (`file with no instructions`),
 * or the stage check's (`no build stage in current context`).
 */
export class DockerfileError extends Error {
  override name = "DockerfileError";
  constructor(
    readonly line: number,
    readonly reason: string,
    readonly endLine = line,
    readonly kind: "instruction" | "text" | "stage" = "instruction",
  ) {
    super(kind === "instruction" ? `dockerfile parse error on line ${line}: ${reason}` : reason);
  }
  get classicMessage(): string {
    if (this.kind === "text") return `failed to parse Dockerfile: ${this.reason}`;
    if (this.kind === "stage") return this.reason;
    return `dockerfile parse error line ${this.line}: ${this.reason}`;
  }
}

/** Docker 20.10's BFlags: the flags each instruction takes in the classic builder. */
const CLASSIC_FLAGS: Readonly<Record<string, Readonly<Record<string, "string" | "bool">>>> = {
  FROM: { platform: "string" },
  RUN: { mount: "string", network: "string", security: "string" },
  COPY: { chown: "string", from: "string", chmod: "string" },
  ADD: { chown: "string", chmod: "string" },
  HEALTHCHECK: { interval: "string", timeout: "string", "start-period": "string", retries: "string" },
};

function classicFlags(cmd: string, flags: readonly string[]): void {
  const defs = CLASSIC_FLAGS[cmd] ?? {};
  const seen = new Set<string>();
  for (const f of flags) {
    if (!f.startsWith("--")) throw new Error(`Arg should start with -- : ${f}`);
    const body = f.slice(2);
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const type = defs[name];
    if (!type) throw new Error(`Unknown flag: ${name}`);
    if (seen.has(name) && name !== "mount") throw new Error(`Duplicate flag specified: ${name}`);
    seen.add(name);
    if (type === "string" && (eq < 0 || eq === body.length - 1)) throw new Error(`Missing a value on flag: ${name}`);
    if (type === "bool" && eq >= 0 && !["true", "false"].includes(body.slice(eq + 1).toLowerCase())) {
      throw new Error(`Expecting boolean value for flag ${name}, not: ${body.slice(eq + 1)}`);
    }
  }
}

function instructionOf(node: Node, escape: string): Instruction {
  const cmd = node.value.toUpperCase();
  let args = nodeArgs(node);
  if (cmd === "ENV" || cmd === "LABEL") {
    // The parser gives key, value, separator triples.
    const pairs: string[] = [];
    for (let i = 0; i < args.length; i += 3) pairs.push(args[i]!, args[i + 1] ?? "");
    args = pairs;
  } else if (cmd === "ONBUILD") {
    args = [node.original.replace(/^\s*ONBUILD\s*/i, "").trim()];
  }
  return { cmd, original: node.original, flags: node.flags, args, json: node.attributes.json, line: node.startLine, endLine: node.endLine, heredocs: node.heredocs, escape };
}

/** The instructions of a Dockerfile; throws DockerfileError. `classic`: Docker 20.10's classic builder's rules. */
export function dockerfileInstructions(text: string, opts: { classic?: boolean; stages?: boolean } = {}): Instruction[] {
  let nodes: Node[];
  let escape = "\\";
  try {
    const { ast, escapeToken } = parse(text, { heredocs: !opts.classic });
    escape = escapeToken;
    nodes = ast.children;
    if (opts.classic) {
      for (const n of nodes) {
        try {
          classicFlags(n.value.toUpperCase(), n.flags);
        } catch (e) {
          throw new DockerfileError(n.startLine, (e as Error).message, n.endLine);
        }
      }
    }
    checkInstructions(ast, { stages: opts.stages !== false });
  } catch (e) {
    if (e instanceof DockerfileError) throw e;
    if (e instanceof DockerfileParseError) {
      const m = /^dockerfile parse error on line \d+: ([\s\S]*)$/.exec(e.message);
      // Docker 20.10's parser suggests no spelling and upper-cases the unknown word.
      const reason = m ? (opts.classic ? m[1]!.replace(/ \(did you mean [^)]*\?\)$/, "").replace(/^(unknown instruction: )(\S+)/, (_, a: string, w: string) => a + w.toUpperCase()) : m[1]!) : e.message;
      throw new DockerfileError(e.line, reason, e.endLine, m ? "instruction" : e.message === "no build stage in current context" ? "stage" : "text");
    }
    throw e;
  }
  return nodes.map((n) => instructionOf(n, escape));
}

/** Parses one ONBUILD trigger (as the image's config keeps it) into its instruction. */
export function triggerInstruction(trigger: string, line: number, classic: boolean): Instruction {
  // A trigger is one instruction line: no continuation, parsed with the default escape.
  const [ins] = dockerfileInstructions(trigger, { classic, stages: false });
  return { ...ins!, line, endLine: line };
}
