/**
 * A Dockerfile's text as the classic builder's instructions: the escape directive, comments, line
 * continuations, exec (JSON) and shell forms, `--flags`, ENV and LABEL pairs (both forms). Errors in
 * Docker's words with the line (`dockerfile parse error line 3: unknown instruction: RUNN` from the
 * classic builder, `… on line 3: …` from BuildKit).
 */
import type { Instruction } from "./classic.ts";
import { splitDockerfileWords } from "./instructions.ts";

/** A Dockerfile that does not parse; the message is BuildKit's, `classicMessage` the classic builder's (Docker 20.10). */
export class DockerfileError extends Error {
  override name = "DockerfileError";
  constructor(readonly line: number, readonly reason: string) {
    super(`dockerfile parse error on line ${line}: ${reason}`);
  }
  get classicMessage(): string {
    return `dockerfile parse error line ${this.line}: ${this.reason}`;
  }
}

const KNOWN = new Set(["FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"]);
const WITH_FLAGS = new Set(["FROM", "RUN", "ADD", "COPY", "HEALTHCHECK"]);
const JSON_FORMS = new Set(["RUN", "CMD", "ENTRYPOINT", "VOLUME", "SHELL", "ADD", "COPY"]);

function jsonArray(s: string): string[] | undefined {
  if (!s.startsWith("[")) return undefined;
  try {
    const v: unknown = JSON.parse(s);
    return Array.isArray(v) && v.every((x) => typeof x === "string") ? (v as string[]) : undefined;
  } catch {
    return undefined;
  }
}

export function dockerfileInstructions(text: string): Instruction[] {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  let escape = "\\";
  // Parser directives: only at the very top, as `# key=value`.
  for (const l of lines) {
    const m = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/.exec(l);
    if (!m) break;
    if (m[1]!.toLowerCase() === "escape") {
      if (m[2] !== "\\" && m[2] !== "`") throw new DockerfileError(1, `invalid escape token '${m[2]}' does not match ` + "` or \\");
      escape = m[2]!;
    }
  }
  const out: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    const start = i + 1;
    if (/^\s*#/.test(line) || !line.trim()) continue;
    let joined = "";
    // Continuations: a trailing escape joins the next line; comment lines inside are dropped.
    for (;;) {
      const trimmed = line.replace(/\s+$/, "");
      if (trimmed.endsWith(escape) && i + 1 < lines.length) {
        joined += trimmed.slice(0, -1);
        i++;
        while (i < lines.length && /^\s*#/.test(lines[i]!)) i++;
        line = lines[i] ?? "";
        continue;
      }
      joined += trimmed.endsWith(escape) ? trimmed.slice(0, -1) : line;
      break;
    }
    const original = joined.trim();
    const m = /^(\S+)\s*(.*)$/s.exec(original)!;
    const cmd = m[1]!.toUpperCase();
    if (!KNOWN.has(cmd)) throw new DockerfileError(start, `unknown instruction: ${m[1]!.toUpperCase()}`);
    let rest = m[2]!.trim();
    const flags: string[] = [];
    if (WITH_FLAGS.has(cmd)) {
      while (rest.startsWith("--")) {
        const f = /^(--\S+)\s*(.*)$/s.exec(rest)!;
        flags.push(f[1]!);
        rest = f[2]!;
      }
    }
    const json = JSON_FORMS.has(cmd) ? jsonArray(rest) : undefined;
    let args: string[];
    if (json) args = json;
    else if (cmd === "ENV" || cmd === "LABEL") {
      if (!rest) throw new DockerfileError(start, `${cmd} requires at least one argument`);
      const words = splitDockerfileWords(rest);
      args = [];
      if (!words[0]!.includes("=")) {
        // The old form: `ENV key value with spaces`.
        const sp = /^(\S+)\s+(.*)$/s.exec(rest);
        if (!sp) throw new DockerfileError(start, `${cmd} must have two arguments`);
        args = [sp[1]!, splitDockerfileWords(sp[2]!).join(" ")];
      } else {
        for (const w of words) {
          const eq = w.indexOf("=");
          if (eq < 0) throw new DockerfileError(start, `Syntax error - can't find = in "${w}". Must be of the form: name=value`);
          if (eq === 0) throw new DockerfileError(start, `${cmd} names can not be blank`);
          args.push(w.slice(0, eq), w.slice(eq + 1));
        }
      }
    } else if (cmd === "RUN" || cmd === "CMD" || cmd === "ENTRYPOINT" || cmd === "WORKDIR" || cmd === "USER" || cmd === "STOPSIGNAL" || cmd === "MAINTAINER" || cmd === "ONBUILD" || cmd === "HEALTHCHECK") {
      args = rest ? [rest] : [];
    } else args = rest ? splitDockerfileWords(rest) : [];
    if (!args.length && cmd !== "CMD" && cmd !== "ENTRYPOINT" && cmd !== "RUN") throw new DockerfileError(start, `${cmd} requires at least one argument`);
    out.push({ cmd, original, flags, args, json: json !== undefined, line: start });
  }
  if (!out.length) throw new DockerfileError(1, "file with no instructions");
  return out;
}
