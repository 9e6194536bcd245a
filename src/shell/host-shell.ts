/**
 * The host shell: the terminal's command line once the terminal is a host. Bash's language and the
 * everyday commands come from just-bash (loaded on the first line, ~350 KB gzip, so it stays off the
 * first page) over our HostFiles; `docker` and `lab` are CommandLines of their own that run as
 * commands inside it, so `docker images | grep demo`, `docker save x > x.tar` and `cd demo && docker
 * build .` work as on a real host.
 *
 * just-bash starts every exec() as a fresh shell, so what a shell keeps between lines is carried here:
 * the working directory, variables, `$?`, shell options (`set -o …`) and top-level functions.
 * Output reaches the terminal as each command finishes, and a host command whose stdio is the terminal
 * writes to it while it runs and may take the keyboard (see tty-rewrite.ts).
 */
import type { Bash, BashOptions, Command, ExecResult } from "just-bash/browser";
import type { ScriptNode, StatementNode } from "just-bash";
import type { CliIO, CommandLine, HostFileAccess } from "../terminal/types.ts";
import { BashFileSystem } from "./bash-fs.ts";
import { bytesToLatin1, latin1ToBytes } from "./latin1.ts";
import { absolutePath, type HostDirEntry, type HostFiles } from "../terminal/host-files.ts";
import { MemoryFiles } from "./files.ts";
import { functionDefinitions, HELP_COMMAND, statusStatement, TtyRewriter, ttyCommandName, type TtyMode } from "./tty-rewrite.ts";

/** just-bash's fetch for curl: a URL and options in, the whole answer out. */
export type ShellFetch = NonNullable<BashOptions["fetch"]>;

/** What a host command gets: the terminal's IO, or a pipe's, with what is piped into it and the host's files. */
export type HostCommandIO = CliIO;

export interface HostShellOptions {
  /** Host commands by name (`{ docker: cli, lab: cli }`), each called with its own command line (`docker images -q`). */
  commands?: Record<string, CommandLine>;
  /** The host's files (default: in memory). */
  files?: HostFiles;
  /** The home directory and first working directory (default /home/lab), created if missing. */
  home?: string;
  /** More environment variables for the first line. */
  env?: Record<string, string>;
  /** What `curl` reaches (none: curl is not there). */
  fetch?: ShellFetch;
}

const DEFAULT_SHELLOPTS = new Set(["braceexpand", "hashall", "interactive-comments"]);
/** Variables the shell derives itself: never carried from one line to the next. */
const DERIVED = new Set(["?", "SHELLOPTS", "BASHOPTS", "PWD", "OLDPWD", "PPID", "BASHPID", "RANDOM", "LINENO", "SECONDS"]);
const SHELL_WORDS = ["cd", "export", "unset", "set", "alias", "source", "exit", "if", "for", "while", "history", "help", "sudo"];

/** Quotes a word so the host command's own splitter (single quotes, backslashes) gives it back. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}


export class HostShell implements CommandLine {
  readonly files: HostFiles;
  readonly home: string;
  private readonly commands: Record<string, CommandLine>;
  private readonly fs: BashFileSystem;
  private readonly rewriter: TtyRewriter;
  private bash: Promise<Bash> | undefined;
  private commandNames: string[] = [];
  private cwdPath: string;
  private vars: Record<string, string>;
  private status = 0;
  private shellopts: string[] = [];
  private readonly functions = new Map<string, StatementNode>();
  private readonly lines: string[] = [];
  /** Lines run one at a time (the shell's state is the last line's). */
  private queue: Promise<unknown> = Promise.resolve();
  /** The terminal of the line being run (host commands in terminal places write to it). */
  private term: CliIO | undefined;
  /** Set just before a line runs: the transform hook rewrites that line's script, and only it. */
  private armed = false;
  private lastScript: ScriptNode | undefined;
  private readonly listings = new Map<string, HostDirEntry[]>();
  private readonly fetch?: ShellFetch;

  constructor(opts: HostShellOptions = {}) {
    this.files = opts.files ?? new MemoryFiles();
    this.home = opts.home ?? "/home/lab";
    this.commands = { ...opts.commands };
    this.fetch = opts.fetch;
    this.fs = new BashFileSystem(this.files);
    this.rewriter = new TtyRewriter(new Set(Object.keys(this.commands)));
    this.cwdPath = this.home;
    this.vars = { HOME: this.home, USER: "lab", LOGNAME: "lab", SHELL: "/bin/bash", TERM: "xterm-256color", ...opts.env };
  }

  /** The working directory. */
  get cwd(): string {
    return this.cwdPath;
  }

  /** The shell's variables as the last line left them. */
  get env(): Readonly<Record<string, string>> {
    return this.vars;
  }

  /** `$?`. */
  get lastStatus(): number {
    return this.status;
  }

  /** Lines run, oldest first (the `history` command). */
  get history(): readonly string[] {
    return this.lines;
  }

  /** Loads just-bash (the first line does it anyway; a page may start it early). */
  load(): Promise<Bash> {
    this.bash ??= this.create();
    return this.bash;
  }

  private async create(): Promise<Bash> {
    // Both off the first page: just-bash (~350 KB gzip), our tar and gzip (the tar code, fflate).
    const [jb, archive] = await Promise.all([import("just-bash/browser"), import("./archive-commands.ts")]);
    const custom: Command[] = [];
    for (const name of Object.keys(this.commands)) {
      custom.push(jb.defineCommand(name, (args, ctx) => this.runHost(name, args, ctx, undefined)));
      for (const mode of ["o", "io"] as const) custom.push(jb.defineCommand(ttyCommandName(name, mode), (args, ctx) => this.runHost(name, args, ctx, mode)));
    }
    custom.push(
      jb.defineCommand("history", async () => ({ stdout: this.lines.map((l, i) => `${String(i + 1).padStart(5)}  ${l}\n`).join(""), stderr: "", exitCode: 0 })),
      // Bash's `help` is a builtin (it wins over commands): a bare `help` is renamed to this one (tty-rewrite.ts).
      jb.defineCommand(HELP_COMMAND, async () => ({ stdout: this.helpText(), stderr: "", exitCode: 0 })),
      // just-bash's browser build has no tar, and its gzip needs node:zlib.
      archive.tarCommand(this.files),
      archive.gzipCommand(this.files, "gzip"),
      archive.gzipCommand(this.files, "gunzip"),
      archive.gzipCommand(this.files, "zcat"),
      // Files out of the page: the browser's download of a host file (a folder as a tar).
      jb.defineCommand("download", async (args, ctx) => this.download(args, ctx.cwd)),
      // Tutorials say `sudo docker …`; the lab has no users to switch between: `sudo CMD…` runs CMD.
      jb.defineCommand("sudo", async (args, ctx) => {
        const words = args[0] === "-E" ? args.slice(1) : args;
        if (words.length === 0 || !ctx.exec) return { stdout: "", stderr: "usage: sudo command\n", exitCode: 1 };
        return ctx.exec(words.map(shellQuote).join(" "), { cwd: ctx.cwd, stdin: ctx.stdin as unknown as string, stdinKind: "bytes", ...(ctx.signal ? { signal: ctx.signal } : {}) });
      }),
    );
    const bash = new jb.Bash({
      fs: this.fs,
      cwd: this.home,
      env: this.vars,
      customCommands: custom,
      ...(this.fetch ? { fetch: this.fetch } : {}),
      // A terminal session, not a sandboxed agent: no wall clock (`docker run -it` lasts), generous output.
      executionLimits: { maxExecutionTimeMs: Infinity, maxOutputSize: 1 << 30, maxCommandCount: 1_000_000 },
    });
    bash.registerTransformPlugin({
      name: "layerlab-terminal",
      transform: ({ ast }: { ast: ScriptNode }) => {
        if (!this.armed) return { ast };
        this.armed = false;
        this.lastScript = { ...ast, statements: [...ast.statements] };
        this.rewriter.rewrite(ast);
        const prelude: StatementNode[] = [...[...this.functions.values()].map((f) => structuredClone(f)), ...this.optionStatements()];
        if (this.status !== 0) prelude.push(statusStatement(this.status));
        ast.statements.unshift(...prelude);
        return { ast };
      },
    } as Parameters<Bash["registerTransformPlugin"]>[0]);
    this.parser = bash;
    this.commandNames = [...new Set([...jb.getCommandNames(), ...custom.map((c) => c.name).filter((n) => !n.startsWith("__")), ...SHELL_WORDS])].sort();
    await this.files.mkdir(this.home, { recursive: true });
    return bash;
  }

  /** `set -o X` / `set +o X` for the options the last line left changed from bash's defaults. */
  private optionStatements(): StatementNode[] {
    if (this.shellopts.length === 0) return [];
    return this.parse(this.shellopts.join("\n"))?.statements ?? [];
  }

  private parseCache = new Map<string, ScriptNode>();
  private parser: Bash | undefined;

  /** Parses a small script with just-bash's own parser (through transform, hook disarmed). */
  private parse(script: string): ScriptNode | undefined {
    const bash = this.parser;
    if (!bash) return undefined;
    let ast = this.parseCache.get(script);
    if (!ast) {
      ast = bash.transform(script).ast as unknown as ScriptNode;
      this.parseCache.set(script, ast);
    }
    return structuredClone(ast);
  }

  async exec(line: string, io: CliIO): Promise<number> {
    if (!line.trim()) return this.status;
    this.lines.push(line);
    const run = this.queue.then(() => this.run(line, io));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(line: string, io: CliIO): Promise<number> {
    const bash = await this.load();
    this.fs.sink = { stdout: (s) => io.stdout(s), stderr: (s) => io.stderr(s) };
    this.term = io;
    this.armed = true;
    let result: ExecResult & { env: Record<string, string> };
    try {
      result = await bash.exec(line, { cwd: this.cwdPath, env: this.carriedEnv(), rawScript: true, ...(io.signal ? { signal: io.signal } : {}) });
    } catch (e) {
      io.stderr(`bash: ${(e as Error).message}\n`);
      result = { stdout: "", stderr: "", exitCode: 1, env: { ...this.vars, PWD: this.cwdPath } };
    } finally {
      this.armed = false;
      this.fs.sink = undefined;
      this.term = undefined;
    }
    if (result.stdout) io.stdout(result.stdout);
    if (result.stderr) io.stderr(result.stderr);
    let code = result.exitCode;
    if (io.signal?.aborted && code === 124) code = 130; // just-bash's "aborted" is a timeout's 124; Ctrl-C is 128+SIGINT
    this.remember(result.env, this.lastScript);
    this.lastScript = undefined;
    this.status = code;
    void this.refreshListing(this.cwdPath);
    return code;
  }

  private carriedEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.vars)) if (!DERIVED.has(k)) env[k] = v;
    env.PWD = this.cwdPath;
    if (this.vars.OLDPWD) env.OLDPWD = this.vars.OLDPWD;
    return env;
  }

  private remember(env: Record<string, string>, script: ScriptNode | undefined): void {
    this.vars = { ...env };
    if (env.PWD) this.cwdPath = env.PWD;
    const opts = new Set((env.SHELLOPTS ?? "").split(":").filter(Boolean));
    this.shellopts = [
      ...[...opts].filter((o) => !DEFAULT_SHELLOPTS.has(o)).map((o) => `set -o ${o}`),
      ...[...DEFAULT_SHELLOPTS].filter((o) => env.SHELLOPTS !== undefined && !opts.has(o)).map((o) => `set +o ${o}`),
    ];
    for (const s of script ? functionDefinitions(script) : []) {
      const def = s.pipelines[0]!.commands[0] as { name: string };
      this.functions.set(def.name, s);
    }
    // `unset -f NAME` in this line: forget it (the line's own definitions were just taken).
    for (const name of this.functions.keys()) if (script && unsetsFunction(script, name)) this.functions.delete(name);
  }

  /** Runs a host command: on the terminal (`mode`) or with its output captured for a pipe or a file. */
  private async runHost(name: string, args: string[], ctx: Parameters<Command["execute"]>[1], mode: TtyMode | undefined): Promise<ExecResult> {
    const cli = this.commands[name]!;
    const term = this.term;
    const line = [name, ...args].map(shellQuote).join(" ");
    // just-bash's ByteString is a latin1 string (one char a byte) behind an opaque type.
    const raw = ctx.stdin as unknown as string;
    const stdin = raw.length > 0 && mode !== "io" ? latin1ToBytes(raw) : undefined;
    const signal = ctx.signal ?? term?.signal;
    const files = this.fileAccess(ctx.cwd);
    // What the command's environment holds: the exported variables (an assignment before the command included).
    const env: Record<string, string> = ctx.exportedEnv ?? Object.fromEntries(ctx.env);
    let io: HostCommandIO;
    const out: Uint8Array[] = [];
    let err = "";
    const encoder = new TextEncoder();
    if (mode && term) {
      io = {
        tty: term.tty,
        columns: term.columns,
        ...(term.rows !== undefined ? { rows: term.rows } : {}),
        ...(signal ? { signal } : {}),
        ...(stdin ? { stdin } : {}),
        files,
        env,
        stdout: (s) => term.stdout(s),
        stderr: (s) => term.stderr(s),
        ...(term.writeRaw ? { writeRaw: (d: Uint8Array) => term.writeRaw!(d) } : {}),
        ...(mode === "io" && term.takeInput ? { takeInput: (fn: (data: string) => void) => term.takeInput!(fn) } : {}),
        ...(term.onResize ? { onResize: (fn: (rows: number, cols: number) => void) => term.onResize!(fn) } : {}),
        ...(term.activity ? { activity: (a: Parameters<NonNullable<CliIO["activity"]>>[0]) => term.activity!(a) } : {}),
        ...(term.download ? { download: term.download.bind(term) } : {}),
        ...(term.upload ? { upload: term.upload.bind(term) } : {}),
      };
    } else {
      io = {
        tty: false,
        pipe: true,
        columns: term?.columns ?? 80,
        ...(signal ? { signal } : {}),
        ...(stdin ? { stdin } : {}),
        files,
        env,
        stdout: (s) => void out.push(encoder.encode(s)),
        stderr: (s) => void (err += s),
        writeRaw: (d) => void out.push(d.slice()),
        ...(term?.activity ? { activity: (a: Parameters<NonNullable<CliIO["activity"]>>[0]) => term.activity!(a) } : {}),
        ...(term?.download ? { download: term.download.bind(term) } : {}),
        ...(term?.upload ? { upload: term.upload.bind(term) } : {}),
      };
    }
    let exitCode: number;
    try {
      exitCode = await cli.exec(line, io);
    } catch (e) {
      err += `${name}: ${(e as Error).message}\n`;
      exitCode = 1;
    }
    // Captured output is bytes (a `docker save` tar as well as text): just-bash forwards it verbatim.
    let size = 0;
    for (const c of out) size += c.length;
    const all = new Uint8Array(size);
    let at = 0;
    for (const c of out) {
      all.set(c, at);
      at += c.length;
    }
    return { stdout: bytesToLatin1(all), stderr: err, exitCode, stdoutKind: "bytes" };
  }

  private async download(args: string[], cwd: string): Promise<ExecResult> {
    const term = this.term;
    if (args.length === 0) return { stdout: "", stderr: "usage: download FILE...\n", exitCode: 2 };
    if (!term?.download) return { stdout: "", stderr: "download: this terminal cannot hand out files\n", exitCode: 1 };
    const files = this.fileAccess(cwd);
    let stderr = "";
    for (const a of args) {
      try {
        const path = files.resolve(a);
        const st = await this.files.stat(path);
        const name = path.split("/").pop() || "root";
        if (st.type === "directory") {
          const { tarOfHostDir } = await import("./archive-commands.ts");
          await term.download(`${name}.tar`, tarOfHostDir(this.files, path, name));
        } else await term.download(name, new Blob([(await this.files.readFile(path)) as BlobPart]).stream() as ReadableStream<Uint8Array>);
      } catch (e) {
        stderr += `download: ${a}: ${(e as Error).message.replace(/^E[A-Z]+: /, "").replace(/, \w+ '.*'$/, "")}\n`;
      }
    }
    return { stdout: "", stderr, exitCode: stderr ? 1 : 0 };
  }

  /** The host's files for a command running in `cwd`. */
  private fileAccess(cwd: string): HostFileAccess {
    const resolve = (p: string) => absolutePath(cwd, p.startsWith("~/") || p === "~" ? `${this.home}${p.slice(1)}` : p);
    return {
      resolve,
      stat: (p) => this.files.stat(resolve(p)),
      lstat: (p) => this.files.lstat(resolve(p)),
      readdir: (p) => this.files.readdir(resolve(p)),
      readlink: (p) => this.files.readlink(resolve(p)),
      readFile: (p) => this.files.readFile(resolve(p)),
      writeFile: (p, data) => this.files.writeFile(resolve(p), data),
    };
  }

  /** Whether `line` needs more lines before it can run (an open quote or here-document, a trailing `|`, `&&` or `\`). */
  needsMore(line: string): boolean {
    // A trailing backslash, `|`, `&&` or `||` continues on the next line (just-bash parses them as complete).
    if (/(\\|\||&&)\s*$/.test(line)) return true;
    const bash = this.parser;
    if (!bash) return openHereDocument(line);
    try {
      const ast = bash.transform(line).ast as unknown as ScriptNode;
      return JSON.stringify(ast).includes('"terminated":false');
    } catch (e) {
      return /unterminated|unexpected end|end of file|EOF/i.test((e as Error).message);
    }
  }

  complete(line: string): string[] {
    const seg = line.split(/\|\||&&|[|;&(`]|\$\(/).at(-1)!.replace(/^\s+/, "");
    const words = seg.split(/\s+/);
    const last = words.at(-1) ?? "";
    if (words.length <= 1) {
      const names = [...new Set([...this.commandNames, ...Object.keys(this.commands), ...this.functions.keys()])];
      if (last.includes("/")) return this.completePath(last);
      return names.filter((n) => n.startsWith(last)).sort();
    }
    const cmd = words[0] === "sudo" ? words[1] : words[0];
    const host = cmd ? this.commands[cmd] : undefined;
    if (host?.complete) {
      const found = host.complete(words[0] === "sudo" ? seg.replace(/^sudo\s+/, "") : seg);
      if (found.length > 0) return found;
    }
    return this.completePath(last);
  }

  private completePath(word: string): string[] {
    const expanded = word.startsWith("~/") ? `${this.home}${word.slice(1)}` : word;
    const slash = expanded.lastIndexOf("/");
    const dirPart = slash >= 0 ? word.slice(0, word.lastIndexOf("/") + 1) : "";
    const dir = absolutePath(this.cwdPath, slash >= 0 ? expanded.slice(0, slash + 1) || "/" : ".");
    const prefix = expanded.slice(slash + 1);
    const entries = this.listings.get(dir);
    if (!entries) {
      void this.refreshListing(dir); // ready for the next Tab
      return [];
    }
    return entries
      .filter((e) => e.name.startsWith(prefix) && (prefix.startsWith(".") || !e.name.startsWith(".")))
      .map((e) => `${dirPart}${e.name}${e.type === "directory" ? "/" : ""}`)
      .sort();
  }

  /** Keeps a directory's listing for completion (which must answer at once). */
  private async refreshListing(dir: string): Promise<void> {
    try {
      this.listings.set(dir, await this.files.readdir(dir));
    } catch {
      this.listings.delete(dir);
    }
  }

  private helpText(): string {
    const host = Object.keys(this.commands);
    const names = this.commandNames.filter((n) => !host.includes(n));
    const rows: string[] = [];
    for (let i = 0; i < names.length; i += 8) rows.push(`  ${names.slice(i, i + 8).join(" ")}`);
    return [
      "A bash-like shell (just-bash) over the lab's host files: pipes, ; && ||, redirections, here-documents,",
      "$VAR and $(…), cd, export, $?, functions, if/for/while.",
      "",
      ...(host.length ? [`Lab commands: ${host.join(", ")} (try '${host[0]} --help')`, ""] : []),
      "Commands:",
      ...rows,
      "",
    ].join("\n");
  }
}

/** Before just-bash is loaded: whether a here-document of `text` is still waiting for its delimiter line. */
function openHereDocument(text: string): boolean {
  for (const m of text.matchAll(/<<(-?)\s*(['"]?)(\w+)\2/g)) {
    const after = text.slice(m.index).split("\n").slice(1);
    if (!after.some((l) => (m[1] ? l.replace(/^\t+/, "") : l) === m[3])) return true;
  }
  return false;
}

function unsetsFunction(script: ScriptNode, name: string): boolean {
  return script.statements.some((s) =>
    s.pipelines.some((p) =>
      p.commands.some((c) => {
        if (c.type !== "SimpleCommand") return false;
        const words = [c.name, ...c.args].map((w) => (w?.parts.length === 1 && w.parts[0]!.type === "Literal" ? w.parts[0]!.value : undefined));
        return words[0] === "unset" && words.includes("-f") && words.includes(name);
      }),
    ),
  );
}
