/**
 * Dockerfile instructions that change an image's config, as `docker commit -c` accepts them (CMD,
 * ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR) — and, later, the
 * builder. Word splitting follows the Dockerfile rules: JSON (exec) form or shell form, quotes and
 * backslash escapes, $VAR and ${VAR} expanded from the config's environment where Docker expands them.
 */
import type { ContainerConfig } from "../oci/types.ts";

export class InstructionError extends Error {
  override name = "InstructionError";
}

export const COMMIT_CHANGE_INSTRUCTIONS = ["CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"];

/** `K=V` list → map (a bare `K` is K with an empty value). */
export function envMap(env: readonly string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of env ?? []) {
    const i = kv.indexOf("=");
    m.set(i < 0 ? kv : kv.slice(0, i), i < 0 ? "" : kv.slice(i + 1));
  }
  return m;
}

/**
 * Splits into words: whitespace separates outside quotes; "…" keeps spaces and honours \" and \\;
 * '…' is literal; a backslash escapes the next character; $VAR/${VAR} expand (not inside '…').
 */
export function splitDockerfileWords(s: string, env?: Map<string, string>): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  const expand = (i: number): [string, number] => {
    if (!env) return ["$", i + 1];
    if (s[i + 1] === "{") {
      const end = s.indexOf("}", i);
      if (end < 0) throw new InstructionError(`missing '}' in ${s}`);
      const inner = s.slice(i + 2, end);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-+])(.*))?$/.exec(inner);
      if (!m) throw new InstructionError(`bad substitution: \${${inner}}`);
      const v = env.get(m[1]!);
      if (m[2] === "-") return [v ? v : m[3]!, end + 1];
      if (m[2] === "+") return [v ? m[3]! : "", end + 1];
      return [v ?? "", end + 1];
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i + 1));
    if (!m) return ["$", i + 1];
    return [env.get(m[0]) ?? "", i + 1 + m[0].length];
  };
  for (let i = 0; i < s.length; ) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new InstructionError(`unterminated single quote in ${s}`);
      cur += s.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      inWord = true;
      i++;
      for (;;) {
        if (i >= s.length) throw new InstructionError(`unterminated double quote in ${s}`);
        const d = s[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === "\\" && (s[i + 1] === '"' || s[i + 1] === "\\" || s[i + 1] === "$")) {
          cur += s[i + 1];
          i += 2;
        } else if (d === "$") {
          const [v, next] = expand(i);
          cur += v;
          i = next;
        } else {
          cur += d;
          i++;
        }
      }
    } else if (c === "\\" && i + 1 < s.length) {
      cur += s[i + 1];
      inWord = true;
      i += 2;
    } else if (c === "$") {
      const [v, next] = expand(i);
      cur += v;
      inWord = true;
      i = next;
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** Exec form (a JSON array of strings) or shell form (wrapped in /bin/sh -c). */
function commandForm(rest: string): string[] {
  const t = rest.trim();
  if (t.startsWith("[")) {
    try {
      const v: unknown = JSON.parse(t);
      if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
    } catch {
      // not JSON: Docker falls back to the shell form
    }
  }
  return ["/bin/sh", "-c", t];
}

/** KEY=VALUE pairs (or the legacy "KEY VALUE" form with one pair). */
function keyValues(rest: string, instruction: string, env: Map<string, string>): [string, string][] {
  const words = splitDockerfileWords(rest, env);
  if (words.length === 0) throw new InstructionError(`${instruction} requires at least one argument`);
  if (!words[0]!.includes("=")) {
    const legacy = /^\s*(\S+)\s+([\s\S]*)$/.exec(rest);
    if (!legacy) throw new InstructionError(`${instruction} must have two arguments`);
    return [[legacy[1]!, splitDockerfileWords(legacy[2]!, env).join(" ")]];
  }
  return words.map((w) => {
    const i = w.indexOf("=");
    if (i <= 0) throw new InstructionError(`${instruction} names can not be blank: ${w}`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}

/** Applies one instruction line to a config (returns a new config). */
export function applyConfigInstruction(config: ContainerConfig, line: string, allowed = COMMIT_CHANGE_INSTRUCTIONS): ContainerConfig {
  const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(line);
  if (!m) throw new InstructionError("empty instruction");
  const name = m[1]!.toUpperCase();
  const rest = m[2]!;
  if (!allowed.includes(name)) throw new InstructionError(`${m[1]} is not a valid change command`);
  const c: ContainerConfig = structuredClone(config);
  const env = envMap(c.Env);
  switch (name) {
    case "CMD":
      c.Cmd = commandForm(rest);
      break;
    case "ENTRYPOINT":
      c.Entrypoint = commandForm(rest);
      break;
    case "ENV":
      for (const [k, v] of keyValues(rest, "ENV", env)) {
        env.set(k, v);
      }
      c.Env = [...env].map(([k, v]) => `${k}=${v}`);
      break;
    case "LABEL": {
      const labels = { ...(c.Labels ?? {}) };
      for (const [k, v] of keyValues(rest, "LABEL", env)) labels[k] = v;
      c.Labels = labels;
      break;
    }
    case "EXPOSE": {
      const ports = { ...(c.ExposedPorts ?? {}) };
      for (const p of splitDockerfileWords(rest, env)) {
        if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/i.test(p)) throw new InstructionError(`invalid containerPort: ${p}`);
        ports[p.includes("/") ? p.toLowerCase() : `${p}/tcp`] = {};
      }
      c.ExposedPorts = ports;
      break;
    }
    case "USER":
      c.User = splitDockerfileWords(rest, env).join(" ");
      break;
    case "WORKDIR": {
      const dir = splitDockerfileWords(rest, env).join(" ");
      const base = c.WorkingDir || "/";
      c.WorkingDir = dir.startsWith("/") ? dir : `${base.replace(/\/$/, "")}/${dir}`;
      break;
    }
    case "VOLUME": {
      const vols = { ...(c.Volumes ?? {}) };
      const t = rest.trim();
      const list = t.startsWith("[") ? (JSON.parse(t) as string[]) : splitDockerfileWords(t, env);
      for (const v of list) vols[v] = {};
      c.Volumes = vols;
      break;
    }
    case "STOPSIGNAL":
      c.StopSignal = splitDockerfileWords(rest, env).join(" ");
      break;
    case "ONBUILD": {
      const onbuild = Array.isArray(c.OnBuild) ? [...(c.OnBuild as string[])] : [];
      onbuild.push(rest.trim());
      c.OnBuild = onbuild;
      break;
    }
  }
  return c;
}
