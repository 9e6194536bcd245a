/**
 * just-bash runs a line to the end and hands back its output as one string: nothing reaches the
 * terminal while the line runs. A terminal needs the opposite (`docker pull` draws progress for
 * seconds; `echo start; docker run -it …` must print "start" before the container takes the screen),
 * so before a line runs, this rewrites its syntax tree, through just-bash's public transform hook:
 *
 * - every command whose stdout (stderr) is the terminal — the last stage of a top-level pipeline, and
 *   the commands inside top-level if/for/while/case/{ }/( ) that do not redirect — gets
 *   `>>/dev/tty 2>>/dev/.tty-stderr` put before its own redirections (which therefore still win), so
 *   its output reaches the terminal the moment it finishes rather than when the line does;
 * - a host command (`docker`, `lab`) in such a place, with no redirection of its stdout or stderr, is
 *   renamed to its terminal variant, which writes to the terminal as it runs and, when its stdin is
 *   the keyboard too, may take the keyboard (`docker run -it`). Elsewhere (in a pipe, redirected, in
 *   `$(…)`, in a function body) the plain command runs with its output captured.
 *
 * Redirections do not change a command's status, its effect on the shell (cd, export, assignments)
 * or PIPESTATUS, so the line means what it meant; only when its output shows changes.
 */
import type { CommandNode, PipelineNode, ScriptNode, SimpleCommandNode, StatementNode, WordNode } from "just-bash";
import { TTY_STDERR, TTY_STDOUT } from "./bash-fs.ts";

type Redirection = SimpleCommandNode["redirections"][number];

/** The shell's own `help` (bash's builtin `help` only knows builtins). */
export const HELP_COMMAND = "__layerlab_help";

/** How a host command's stdio is connected: "io" = terminal out and keyboard in, "o" = terminal out only. */
export type TtyMode = "o" | "io";

/** The internal name of a host command's terminal variant. */
export function ttyCommandName(name: string, mode: TtyMode): string {
  return `__tty_${mode}__${name}`;
}

interface Place {
  /** stdout reaches the terminal */
  out: boolean;
  /** stderr reaches the terminal */
  err: boolean;
  /** stdin is the keyboard */
  kbd: boolean;
}

function literal(value: string): WordNode {
  return { type: "Word", parts: [{ type: "Literal", value }] } as WordNode;
}

/** The word's text if it is one plain literal (`docker`, not `"$D"` or `d\ocker`). */
export function literalOf(word: WordNode | null | undefined): string | undefined {
  if (!word || word.parts.length !== 1) return undefined;
  const p = word.parts[0]!;
  return p.type === "Literal" ? p.value : undefined;
}

function redirect(fd: number, target: string): Redirection {
  return { type: "Redirection", fd, operator: ">>", target: literal(target) } as Redirection;
}

const INPUT_OPERATORS = new Set(["<", "<<", "<<-", "<<<", "<&"]);

function isInput(r: Redirection): boolean {
  return INPUT_OPERATORS.has(r.operator) && (r.fd === null || r.fd === 0);
}

function terminalRedirections(p: Place): Redirection[] {
  return [...(p.out ? [redirect(1, TTY_STDOUT)] : []), ...(p.err ? [redirect(2, TTY_STDERR)] : [])];
}

export class TtyRewriter {
  constructor(private readonly hostCommands: ReadonlySet<string>) {}

  /** Rewrites a top-level script in place (its stdio is the terminal) and returns it. */
  rewrite(script: ScriptNode): ScriptNode {
    this.statements(script.statements, { out: true, err: true, kbd: true });
    return script;
  }

  private statements(list: StatementNode[], place: Place): void {
    for (const s of list) {
      // A background job's output would arrive whenever; leave it to just-bash.
      if (s.background) continue;
      for (const p of s.pipelines) this.pipeline(p, place);
    }
  }

  private pipeline(p: PipelineNode, place: Place): void {
    const n = p.commands.length;
    p.commands.forEach((c, i) => {
      this.command(c, {
        out: place.out && i === n - 1,
        err: place.err && !(p.pipeStderr?.[i] ?? false),
        kbd: place.kbd && i === 0,
      });
    });
  }

  private command(c: CommandNode, place: Place): void {
    if (!place.out && !place.err) return;
    switch (c.type) {
      case "SimpleCommand":
        return this.simple(c, place);
      case "FunctionDef":
        return;
      case "If":
      case "For":
      case "CStyleFor":
      case "While":
      case "Until":
      case "Case":
      case "Subshell":
      case "Group": {
        if (c.redirections.every(isInput)) {
          const inner = { ...place, kbd: place.kbd && c.redirections.length === 0 };
          for (const body of bodiesOf(c)) this.statements(body, inner);
        } else {
          c.redirections.unshift(...terminalRedirections(place));
        }
        return;
      }
      default:
        // (( … )) and [[ … ]]: only error messages.
        c.redirections.unshift(...terminalRedirections(place));
    }
  }

  private simple(c: SimpleCommandNode, place: Place): void {
    if (!c.name) return; // assignments only
    // `sudo docker …` (tutorials are written for hosts where docker needs root): the lab is root.
    if (literalOf(c.name) === "sudo" && c.args.length > 0 && !literalOf(c.args[0])?.startsWith("-")) {
      c.name = c.args.shift()!;
    }
    const name = literalOf(c.name);
    if (name === "help" && c.args.length === 0) c.name = literal(HELP_COMMAND);
    if (name && this.hostCommands.has(name) && place.out && place.err && c.redirections.every(isInput)) {
      c.name = literal(ttyCommandName(name, place.kbd && c.redirections.length === 0 ? "io" : "o"));
      return;
    }
    c.redirections.unshift(...terminalRedirections(place));
  }
}

function bodiesOf(c: Exclude<CommandNode, SimpleCommandNode | { type: "FunctionDef" }>): StatementNode[][] {
  switch (c.type) {
    case "If":
      return [...c.clauses.flatMap((cl) => [cl.condition, cl.body]), ...(c.elseBody ? [c.elseBody] : [])];
    case "While":
    case "Until":
      return [c.condition, c.body];
    case "For":
    case "CStyleFor":
    case "Subshell":
    case "Group":
      return [c.body];
    case "Case":
      return c.items.map((i) => i.body);
    default:
      return [];
  }
}

/** Top-level function definitions of a script, to define them again before the next line. */
export function functionDefinitions(script: ScriptNode): StatementNode[] {
  return script.statements.filter((s) => !s.background && s.pipelines.length === 1 && s.pipelines[0]!.commands.length === 1 && s.pipelines[0]!.commands[0]!.type === "FunctionDef");
}

/** `( exit N ) && :` sets `$?` for the line that follows; in a `&&` list it does not trip `set -e`. */
export function statusStatement(code: number): StatementNode {
  const exit = simpleCommand("exit", String(code));
  const subshell = { type: "Subshell", body: [statementOf(exit)], redirections: [] } as unknown as CommandNode;
  return { type: "Statement", pipelines: [pipelineOf(subshell), pipelineOf(simpleCommand(":"))], operators: ["&&"], background: false } as StatementNode;
}

function simpleCommand(name: string, ...args: string[]): CommandNode {
  return { type: "SimpleCommand", assignments: [], name: literal(name), args: args.map(literal), redirections: [] } as unknown as CommandNode;
}

function pipelineOf(c: CommandNode): PipelineNode {
  return { type: "Pipeline", commands: [c], negated: false } as PipelineNode;
}

function statementOf(c: CommandNode): StatementNode {
  return { type: "Statement", pipelines: [pipelineOf(c)], operators: [], background: false } as StatementNode;
}
