/**
 * The Dockerfile parser, a port of moby/buildkit `frontend/dockerfile/parser` (commit 73ed6825c4), so
 * that a Dockerfile parses here into the tree, line numbers, heredocs, warnings and errors `docker
 * build` gives it — down to quirks such as builder flags being read byte by byte, ENV's old `k v` form
 * taking the raw rest of the line, and `dump()` writing BuildKit's `Node.Dump()` text. `parse` is
 * BuildKit's `parser.Parse`; `parseDockerfile` adds the checks of its `instructions.Parse` that a
 * build meets before it starts (unknown instructions, argument counts, flags), with Docker's wording
 * (`dockerfile parse error on line 3: unknown instruction: RUNN (did you mean RUN?)`).
 */
import { EMPTY_ENV, goQuote, isByteEscape, isGoSpace, ShellExpansionError, ShellLex } from "./shell.ts";

export interface Heredoc {
  name: string;
  /** The `3` of `3<<EOF`; 0 when absent. */
  fileDescriptor: number;
  /** False when any part of the terminator word was quoted (`<<'EOF'`, `<<E"O"F`). */
  expand: boolean;
  /** `<<-EOF`: leading tabs are stripped (from the terminator line here, from the content by `chompHeredocContent`). */
  chomp: boolean;
  /** The lines between the instruction and the terminator, each with its line ending. */
  content: string;
}

/**
 * A node of BuildKit's tree. The root's `children` are the instructions; an instruction's arguments
 * are the linked list `next` (ENV and LABEL as key, value, separator triples; ONBUILD's one argument
 * is a node whose single child is the trigger instruction).
 */
export interface Node {
  /** For an instruction, the command lower-cased (`run`); for an argument, its text. */
  value: string;
  /** For an instruction, the command as written (`RUN`, `Run`); otherwise "". */
  command: string;
  next: Node | undefined;
  children: Node[];
  heredocs: Heredoc[];
  attributes: { json: boolean };
  /** The instruction line with continuations joined (escape characters and comment lines removed). */
  original: string;
  flags: string[];
  startLine: number;
  endLine: number;
  /** The comment lines right above the instruction, without `#`. */
  prevComment: string[];
}

export interface ParseWarning {
  short: string;
  detail: string;
  url: string;
  line: number;
}

export interface Directives {
  /** `# syntax=` as BuildKit's DetectSyntax reads it (first word of the value). */
  syntax?: string;
  /** `# escape=`. */
  escape?: string;
  /** `# check=` (first word of the value). */
  check?: string;
}

export interface ParseResult {
  ast: Node;
  directives: Directives;
  /** As Docker prints them, one a line (without `[WARNING]: `). */
  warnings: string[];
  warningDetails: ParseWarning[];
  escapeToken: string;
}

/** A Dockerfile that does not parse; `line`/`endLine` are 1-based. */
export class DockerfileParseError extends Error {
  override name = "DockerfileParseError";
  constructor(
    message: string,
    readonly line: number,
    readonly endLine: number = line,
  ) {
    super(message);
  }
}

/** An error that gets its location from the caller, as BuildKit's withLocation does. */
class ParseFailure extends Error {}

const DEFAULT_ESCAPE_TOKEN = "\\";
const MAX_SCAN_TOKEN_SIZE = 64 * 1024;
const EMPTY_CONTINUATION_DETAIL = "Empty continuation lines will become errors in a future release";
const EMPTY_CONTINUATION_URL = "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/";
const ERR_NOT_STRING_ARRAY = "when using JSON array syntax, arrays must be comprised of strings only";

const HEREDOC_DIRECTIVES = new Set(["add", "copy", "run"]);
const HEREDOC_COMPOUND_DIRECTIVES = new Set(["onbuild"]);

// ---------------------------------------------------------------------------------------------------
// Go string helpers

/** Go's strings.ToLower/ToUpper map rune by rune (simple case mapping). */
function goCase(s: string, upper: boolean): string {
  let out = "";
  for (const ch of s) {
    if (ch === "\u0130" && !upper) {
      out += "i";
      continue;
    }
    const mapped = upper ? ch.toUpperCase() : ch.toLowerCase();
    out += Array.from(mapped).length === 1 ? mapped : ch;
  }
  return out;
}
export const goToLower = (s: string): string => goCase(s, false);
const goToUpper = (s: string): string => goCase(s, true);

function trimLeftSpace(s: string): string {
  let i = 0;
  const chars = Array.from(s);
  while (i < chars.length && isGoSpace(chars[i]!)) i++;
  return chars.slice(i).join("");
}
function trimSpace(s: string): string {
  const chars = Array.from(s);
  let start = 0;
  let end = chars.length;
  while (start < end && isGoSpace(chars[start]!)) start++;
  while (end > start && isGoSpace(chars[end - 1]!)) end--;
  return chars.slice(start, end).join("");
}
const trimNewline = (s: string): string => s.replace(/[\r\n]+$/, "");

/** Go's regexp.Split(s, n) for a regexp that cannot match the empty string. */
function goSplit(re: RegExp, s: string, n: number): string[] {
  if (n === 0) return [];
  if (s.length === 0) return [""];
  const global = new RegExp(re.source, re.flags.includes("g") ? re.flags : re.flags + "g");
  const matches: [number, number][] = [];
  for (const m of s.matchAll(global)) {
    if (n > 0 && matches.length >= n) break;
    matches.push([m.index, m.index + m[0].length]);
  }
  const parts: string[] = [];
  let beg = 0;
  let end = 0;
  for (const [mStart, mEnd] of matches) {
    if (n > 0 && parts.length === n - 1) break;
    end = mStart;
    if (mEnd !== 0) parts.push(s.slice(beg, end));
    beg = mEnd;
  }
  if (end !== s.length) parts.push(s.slice(beg));
  return parts;
}

const RE_WHITESPACE = /[\t\v\f\r ]+/;

/*
 * UTF-8 by hand: builder flags and HEALTHCHECK are read byte by byte in BuildKit, which can cut a
 * character in two. A byte that is not valid UTF-8 is carried as the lone surrogate U+DC00+byte (as
 * Python's surrogateescape does), so that it quotes as Go quotes it (`\xc3`) and encodes back to itself.
 */
function utf8Encode(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) {
    let cp = ch.codePointAt(0)!;
    if (cp >= 0xdc80 && cp <= 0xdcff) {
      out.push(cp - 0xdc00);
      continue;
    }
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return out;
}
function utf8Decode(bytes: readonly number[]): string {
  let out = "";
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const need = b < 0x80 ? 0 : b >= 0xf0 && b < 0xf8 ? 3 : b >= 0xe0 ? 2 : b >= 0xc2 && b < 0xe0 ? 1 : -1;
    if (need < 0) {
      out += String.fromCharCode(0xdc00 + b);
      i++;
      continue;
    }
    let cp = need === 0 ? b : need === 1 ? b & 0x1f : need === 2 ? b & 0x0f : b & 0x07;
    let ok = i + need < bytes.length;
    for (let k = 1; ok && k <= need; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 0x3f);
    }
    const min = [0, 0x80, 0x800, 0x10000][need]!;
    if (!ok || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      out += String.fromCharCode(0xdc00 + b);
      i++;
      continue;
    }
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}
function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    n += cp < 0x80 || (cp >= 0xdc80 && cp <= 0xdcff) ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}
/** unicode.IsSpace(rune(b)) for a byte. */
const isSpaceByte = (b: number): boolean => (b >= 9 && b <= 13) || b === 32 || b === 0x85 || b === 0xa0;

// ---------------------------------------------------------------------------------------------------
// Nodes

function newNode(value = ""): Node {
  return {
    value,
    command: "",
    next: undefined,
    children: [],
    heredocs: [],
    attributes: { json: false },
    original: "",
    flags: [],
    startLine: 0,
    endLine: 0,
    prevComment: [],
  };
}

/** BuildKit's `Node.Dump()`: one `(command ["flags"] "arg" …)` line per instruction of a root. */
export function dump(node: Node): string {
  let out = goToLower(node.value);
  if (node.flags.length > 0) out += " [" + node.flags.map(goQuote).join(" ") + "]";
  for (const child of node.children) out += "(" + dump(child) + ")\n";
  for (let n = node.next; n; n = n.next) {
    out += " ";
    out += n.children.length > 0 ? dump(n) : goQuote(n.value);
  }
  return trimSpace(out);
}

/** An instruction's arguments as strings (BuildKit's instructions.nodeArgs; ONBUILD gives the trigger's command and arguments). */
export function nodeArgs(node: Node): string[] {
  const result: string[] = [];
  for (let n = node; n.next; n = n.next) {
    const arg = n.next;
    if (arg.children.length === 0) result.push(arg.value);
    else if (arg.children.length === 1) {
      const sub = arg.children[0]!;
      result.push(sub.command || sub.value);
      result.push(...nodeArgs(sub));
    }
  }
  return result;
}

function canContainHeredoc(node: Node): boolean {
  let n = node;
  if (HEREDOC_COMPOUND_DIRECTIVES.has(goToLower(n.value)) && n.next && n.next.children.length > 0) n = n.next.children[0]!;
  if (!HEREDOC_DIRECTIVES.has(goToLower(n.value))) return false;
  return !n.attributes.json;
}

// ---------------------------------------------------------------------------------------------------
// Directives

const DIRECTIVE_RE = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*([^\n]+?)[\t\n\f\r ]*$/;
const VALID_DIRECTIVES = new Set(["syntax", "escape", "check"]);

interface Directive {
  name: string;
  value: string;
  line: number;
}

/** BuildKit's DirectiveParser: `# key=value` lines, only before anything else, each key once. */
class DirectiveParser {
  private line: number;
  private done = false;
  private readonly seen = new Set<string>();
  constructor(
    private readonly comment = "#",
    startLine = 0,
  ) {
    this.line = startLine;
  }

  parseLine(text: string): Directive | undefined {
    this.line++;
    if (this.done) return undefined;
    if (!text.startsWith(this.comment)) {
      this.done = true;
      return undefined;
    }
    const m = DIRECTIVE_RE.exec(trimLeftSpace(text.slice(this.comment.length)));
    if (!m) {
      this.done = true;
      return undefined;
    }
    const name = m[1]!.toLowerCase();
    if (!VALID_DIRECTIVES.has(name)) {
      this.done = true;
      return undefined;
    }
    if (this.seen.has(name)) throw new ParseFailure(`only one ${name} parser directive can be used`);
    this.seen.add(name);
    return { name, value: m[2]!, line: this.line };
  }

  parseAll(text: string): Directive[] {
    const found: Directive[] = [];
    for (const line of goScanLines(text)) {
      if (this.done) break;
      let d: Directive | undefined;
      try {
        d = this.parseLine(line);
      } catch {
        return found;
      }
      if (d) found.push(d);
    }
    return found;
  }
}

/** bufio.ScanLines: lines without `\n` and one trailing `\r`. */
function goScanLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}

/** The parse-time state BuildKit calls directives: escape token, continuation pattern, directive parser. */
class ParserDirectives {
  escapeToken = DEFAULT_ESCAPE_TOKEN;
  lineContinuation = /([^\\])\\[ \t]*$|^\\[ \t]*$/u;
  readonly parser = new DirectiveParser();
  readonly found: Directive[] = [];

  setEscapeToken(s: string): void {
    if (s !== "`" && s !== "\\") throw new ParseFailure(`invalid escape token '${s}' does not match \` or \\`);
    this.escapeToken = s;
    const e = s === "\\" ? "\\\\" : "`";
    this.lineContinuation = new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`, "u");
  }

  possibleParserDirective(line: string): boolean {
    const directive = this.parser.parseLine(line);
    if (directive) this.found.push(directive);
    if (directive && directive.name === "escape") {
      this.setEscapeToken(directive.value);
      return true;
    }
    return directive !== undefined;
  }
}

function discardBOM(s: string): string {
  return s.startsWith("\uFEFF") ? s.slice(1) : s;
}
function discardShebang(s: string): [string, boolean] {
  const nl = s.indexOf("\n");
  const first = nl < 0 ? s : s.slice(0, nl);
  if (first.startsWith("#!")) return [nl < 0 ? "" : s.slice(nl + 1), true];
  return [s, false];
}

export interface DirectiveMatch {
  /** The value's first word (`docker/dockerfile:1` of `docker/dockerfile:1 // opts`). */
  ref: string;
  /** The whole value. */
  cmdline: string;
  line: number;
}

function directiveFromText(key: string, text: string, anyFormat: boolean): DirectiveMatch | undefined {
  const [dt, hadShebang] = discardShebang(discardBOM(text));
  const line = hadShebang ? 1 : 0;
  const fromParser = (comment: string): DirectiveMatch | undefined => {
    for (const d of new DirectiveParser(comment, line).parseAll(dt)) {
      if (d.name === key) {
        const sp = d.value.indexOf(" ");
        return { ref: sp < 0 ? d.value : d.value.slice(0, sp), cmdline: d.value, line: d.line };
      }
    }
    return undefined;
  };
  const hash = fromParser("#");
  if (hash || !anyFormat) return hash;
  const slashes = fromParser("//");
  if (slashes) return slashes;
  try {
    const json: unknown = JSON.parse(dt);
    if (json && typeof json === "object" && !Array.isArray(json)) {
      const v = (json as Record<string, unknown>)[key];
      if (typeof v === "string") return { ref: v, cmdline: v, line };
    }
  } catch {
    // not JSON
  }
  return undefined;
}

/** BuildKit's DetectSyntax: `# syntax=`, else `// syntax=`, else a JSON `{"syntax": …}`; a shebang line is skipped. */
export function detectSyntax(text: string): DirectiveMatch | undefined {
  return directiveFromText("syntax", text, true);
}

/** BuildKit's ParseDirective(key): the `# key=value` directive only. */
export function parseDirective(key: string, text: string): DirectiveMatch | undefined {
  return directiveFromText(key, text, false);
}

// ---------------------------------------------------------------------------------------------------
// Heredocs

const RE_HEREDOC = /^(\d*)<<(-?)[\t\n\f\r ]*([^<]*)$/;

function heredocFromMatch(match: RegExpExecArray | null): Heredoc | undefined {
  if (!match) return undefined;
  const digits = match[1]!;
  const fd = digits === "" ? 0 : Math.min(Number(digits), 18446744073709551615);
  const chomp = match[2] === "-";
  const rest = match[3]!;
  if (rest.length === 0) return undefined;
  const lex = new ShellLex("\\", { skipUnsetEnv: true });
  const words = lex.processWords(rest, EMPTY_ENV);
  if (words.length !== 1) return undefined;
  lex.rawQuotes = true;
  const wordsRaw = lex.processWords(rest, EMPTY_ENV);
  if (wordsRaw.length !== words.length) throw new ParseFailure(`internal lexing of heredoc produced inconsistent results: ${rest}`);
  const word = words[0]!;
  const quotes = (s: string): number => s.split("'").length - 1 + (s.split('"').length - 1);
  return { name: word, fileDescriptor: fd, expand: quotes(word) === quotes(wordsRaw[0]!), chomp, content: "" };
}

/** BuildKit's ParseHeredoc: the heredoc a word such as `<<-'EOF'` starts, or undefined; throws for `<<'EOF`. */
export function parseHeredoc(src: string): Heredoc | undefined {
  try {
    return heredocFromMatch(RE_HEREDOC.exec(src));
  } catch (e) {
    if (e instanceof ShellExpansionError) throw new ParseFailure(e.message);
    throw e;
  }
}

function mustParseHeredoc(src: string): Heredoc | undefined {
  try {
    return parseHeredoc(src);
  } catch {
    return undefined;
  }
}

/** The heredocs an instruction line opens, in order. */
export function heredocsFromLine(line: string): Heredoc[] {
  const lex = new ShellLex("\\", { rawQuotes: true, rawEscapes: true, skipUnsetEnv: true });
  let words: string[];
  try {
    words = lex.processWords(line, EMPTY_ENV);
  } catch {
    words = [];
  }
  const docs: Heredoc[] = [];
  for (const word of words) {
    const h = parseHeredoc(word);
    if (h) docs.push(h);
  }
  return docs;
}

/** Strips the leading tabs of every line, as `<<-` asks. */
export function chompHeredocContent(src: string): string {
  return src.replace(/^\t+/gm, "");
}

// ---------------------------------------------------------------------------------------------------
// Line parsers (BuildKit's line_parsers.go and split_command.go)

type LineParser = (rest: string, d: ParserDirectives) => { node: Node | undefined; json: boolean };

/** Words of a statement with quotes and escapes kept (they are removed later by the shell lexer). */
export function parseWords(rest: string, escapeToken = DEFAULT_ESCAPE_TOKEN): string[] {
  const IN_SPACES = 0;
  const IN_WORD = 1;
  const IN_QUOTE = 2;
  const chars = Array.from(rest, (c) => (isByteEscape(c) ? "\uFFFD" : c));
  const words: string[] = [];
  let phase = IN_SPACES;
  let quote = "";
  let blankOK = false;
  let word = "";
  for (let pos = 0; pos <= chars.length; pos++) {
    let ch = chars[pos] ?? "";
    const atEnd = pos === chars.length;
    if (phase === IN_SPACES) {
      if (atEnd) break;
      if (isGoSpace(ch)) continue;
      phase = IN_WORD;
    }
    if ((phase === IN_WORD || phase === IN_QUOTE) && atEnd) {
      if (blankOK || word.length > 0) words.push(word);
      break;
    }
    if (phase === IN_WORD) {
      if (isGoSpace(ch)) {
        phase = IN_SPACES;
        if (blankOK || word.length > 0) words.push(word);
        word = "";
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = IN_QUOTE;
      }
      if (ch === escapeToken) {
        if (pos + 1 === chars.length) continue;
        word += ch;
        pos++;
        ch = chars[pos]!;
      }
      word += ch;
      continue;
    }
    if (phase === IN_QUOTE) {
      if (ch === quote) phase = IN_WORD;
      if (ch === escapeToken && quote !== "'") {
        if (pos + 1 === chars.length) {
          phase = IN_WORD;
          continue;
        }
        pos++;
        word += ch;
        ch = chars[pos]!;
      }
      word += ch;
    }
  }
  return words;
}

function newKeyValueNode(key: string, value: string, sep: string): Node {
  const k = newNode(key);
  const v = newNode(value);
  k.next = v;
  v.next = newNode(sep);
  return k;
}

function parseNameVal(rest: string, key: string, d: ParserDirectives): Node | undefined {
  const words = parseWords(rest, d.escapeToken);
  if (words.length === 0) return undefined;
  if (!words[0]!.includes("=")) {
    const parts = goSplit(RE_WHITESPACE, rest, 2);
    if (parts.length < 2) throw new ParseFailure(`${key} must have two arguments`);
    return newKeyValueNode(parts[0]!, parts[1]!, "");
  }
  let root: Node | undefined;
  let prev: Node | undefined;
  for (const word of words) {
    if (!word.includes("=")) throw new ParseFailure(`Syntax error - can't find = in ${goQuote(word)}. Must be of the form: name=value`);
    const eq = word.indexOf("=");
    const node = newKeyValueNode(word.slice(0, eq), word.slice(eq + 1), "=");
    if (!root) root = node;
    if (prev) prev.next = node;
    prev = node.next!.next!;
  }
  return root;
}

const parseIgnore: LineParser = () => ({ node: newNode(), json: false });

const parseSubCommand: LineParser = (rest, d) => {
  if (rest === "") return { node: undefined, json: false };
  const holder = newNode();
  holder.children.push(newNodeFromLine(rest, d, []));
  return { node: holder, json: false };
};

const parseEnv: LineParser = (rest, d) => ({ node: parseNameVal(rest, "ENV", d), json: false });
const parseLabel: LineParser = (rest, d) => ({ node: parseNameVal(rest, "LABEL", d), json: false });

function chain(values: readonly string[]): Node | undefined {
  let root: Node | undefined;
  let prev: Node | undefined;
  for (const v of values) {
    const node = newNode(v);
    if (!root) root = node;
    if (prev) prev.next = node;
    prev = node;
  }
  return root;
}

const parseNameOrNameVal: LineParser = (rest, d) => ({ node: chain(parseWords(rest, d.escapeToken)), json: false });

const parseStringsWhitespaceDelimited: LineParser = (rest) => {
  if (rest === "") return { node: undefined, json: false };
  return { node: chain(goSplit(RE_WHITESPACE, rest, -1)), json: false };
};

const parseString: LineParser = (rest) => ({ node: rest === "" ? undefined : newNode(rest), json: false });

class NotJSON extends Error {}

/** Go's json.Unmarshal into []any for a JSON array of strings; NotJSON for anything Go would refuse to decode. */
function parseJSON(input: string): { node: Node | undefined; json: true } {
  const rest = trimLeftSpace(input);
  if (!rest.startsWith("[")) throw new NotJSON("not a JSON array");
  let overflow = false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(rest, (_k, v: unknown) => {
      if (typeof v === "number" && !Number.isFinite(v)) overflow = true;
      return v;
    });
  } catch (e) {
    throw new NotJSON(String(e));
  }
  if (overflow || !Array.isArray(parsed)) throw new NotJSON("cannot unmarshal");
  const values: string[] = [];
  for (const item of parsed as unknown[]) {
    if (typeof item !== "string") throw new ParseFailure(ERR_NOT_STRING_ARRAY);
    values.push(item.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD"));
  }
  return { node: chain(values), json: true };
}

const parseMaybeJSON: LineParser = (rest) => {
  if (rest === "") return { node: undefined, json: false };
  try {
    return parseJSON(rest);
  } catch (e) {
    if (!(e instanceof NotJSON)) throw e;
  }
  return { node: newNode(rest), json: false };
};

const parseMaybeJSONToList: LineParser = (rest, d) => {
  try {
    return parseJSON(rest);
  } catch (e) {
    if (!(e instanceof NotJSON)) throw e;
  }
  return parseStringsWhitespaceDelimited(rest, d);
};

const parseHealthConfig: LineParser = (rest, d) => {
  const bytes = utf8Encode(rest);
  let sep = 0;
  while (sep < bytes.length && !isSpaceByte(bytes[sep]!)) sep++;
  let next = sep;
  while (next < bytes.length && isSpaceByte(bytes[next]!)) next++;
  if (sep === 0) return { node: undefined, json: false };
  const typ = newNode(utf8Decode(bytes.slice(0, sep)));
  const cmd = parseMaybeJSON(utf8Decode(bytes.slice(next)), d);
  typ.next = cmd.node;
  return { node: typ, json: cmd.json };
};

const DISPATCH = new Map<string, LineParser>(Object.entries({
  add: parseMaybeJSONToList,
  arg: parseNameOrNameVal,
  cmd: parseMaybeJSON,
  copy: parseMaybeJSONToList,
  entrypoint: parseMaybeJSON,
  env: parseEnv,
  expose: parseStringsWhitespaceDelimited,
  from: parseStringsWhitespaceDelimited,
  healthcheck: parseHealthConfig,
  label: parseLabel,
  maintainer: parseString,
  onbuild: parseSubCommand,
  run: parseMaybeJSON,
  shell: parseMaybeJSON,
  stopsignal: parseString,
  user: parseString,
  volume: parseMaybeJSONToList,
  workdir: parseString,
}));

/** The leading `--flag` words of an instruction's arguments, read byte by byte as BuildKit does. */
function extractBuilderFlags(line: string, escapeToken: string): { rest: string; flags: string[] } {
  const IN_SPACES = 0;
  const IN_WORD = 1;
  const IN_QUOTE = 2;
  const bytes = utf8Encode(line);
  const esc = escapeToken.charCodeAt(0);
  const words: string[] = [];
  let phase = IN_SPACES;
  let word = "";
  let quote = 0;
  let blankOK = false;
  let ch = 0;
  const dash = 0x2d;
  for (let pos = 0; pos <= bytes.length; pos++) {
    if (pos !== bytes.length) ch = bytes[pos]!;
    if (phase === IN_SPACES) {
      if (pos === bytes.length) break;
      if (isSpaceByte(ch)) continue;
      if (ch !== dash || pos + 1 === bytes.length || bytes[pos + 1] !== dash) return { rest: utf8Decode(bytes.slice(pos)), flags: words };
      phase = IN_WORD;
    }
    if ((phase === IN_WORD || phase === IN_QUOTE) && pos === bytes.length) {
      if (word !== "--" && (blankOK || word.length > 0)) words.push(word);
      break;
    }
    if (phase === IN_WORD) {
      if (isSpaceByte(ch)) {
        phase = IN_SPACES;
        if (word === "--") return { rest: utf8Decode(bytes.slice(pos)), flags: words };
        if (blankOK || word.length > 0) words.push(word);
        word = "";
        blankOK = false;
        continue;
      }
      if (ch === 0x27 || ch === 0x22) {
        quote = ch;
        blankOK = true;
        phase = IN_QUOTE;
        continue;
      }
      if (ch === esc) {
        if (pos + 1 === bytes.length) continue;
        pos++;
        ch = bytes[pos]!;
      }
      word += String.fromCharCode(ch);
      continue;
    }
    if (phase === IN_QUOTE) {
      if (ch === quote) {
        phase = IN_WORD;
        continue;
      }
      if (ch === esc) {
        if (pos + 1 === bytes.length) {
          phase = IN_WORD;
          continue;
        }
        pos++;
        ch = bytes[pos]!;
      }
      word += String.fromCharCode(ch);
    }
  }
  return { rest: "", flags: words };
}

function splitCommand(line: string, d: ParserDirectives): { cmd: string; flags: string[]; args: string } {
  const cmdline = goSplit(RE_WHITESPACE, trimSpace(line), 2);
  let args = "";
  let flags: string[] = [];
  if (cmdline.length === 2) ({ rest: args, flags } = extractBuilderFlags(cmdline[1]!, d.escapeToken));
  return { cmd: cmdline[0]!, flags, args: trimSpace(args) };
}

function newNodeFromLine(line: string, d: ParserDirectives, comments: string[]): Node {
  const { cmd, flags, args } = splitCommand(line, d);
  const fn = DISPATCH.get(goToLower(cmd)) ?? parseIgnore;
  const { node: next, json } = fn(args, d);
  const node = newNode(goToLower(cmd));
  node.command = cmd;
  node.original = line;
  node.flags = flags;
  node.next = next;
  node.attributes = { json };
  node.prevComment = comments;
  return node;
}

// ---------------------------------------------------------------------------------------------------
// Parse

/** bufio.Scanner with BuildKit's line splitter: lines keep their `\n`; a line over 64 KiB stops it with an error. */
class LineScanner {
  private pos = 0;
  private current = "";
  tooLong = false;
  constructor(private readonly text: string) {}
  scan(): boolean {
    if (this.tooLong || this.pos >= this.text.length) return false;
    const nl = this.text.indexOf("\n", this.pos);
    const end = nl < 0 ? this.text.length : nl + 1;
    const token = this.text.slice(this.pos, end);
    const size = utf8Length(token);
    if (nl < 0 ? size >= MAX_SCAN_TOKEN_SIZE : size > MAX_SCAN_TOKEN_SIZE) {
      this.tooLong = true;
      return false;
    }
    this.current = token;
    this.pos = end;
    return true;
  }
  token(): string {
    return this.current;
  }
}

function isComment(line: string): boolean {
  return trimLeftSpace(line).startsWith("#");
}

function processLine(d: ParserDirectives, token: string, stripLeftWhitespace: boolean): { line: string; directive: boolean } {
  let t = trimNewline(token);
  if (stripLeftWhitespace) t = trimLeftSpace(t);
  const directive = d.possibleParserDirective(t);
  return { line: isComment(t) ? "" : t, directive };
}

function trimContinuationCharacter(line: string, d: ParserDirectives): { line: string; endOfLine: boolean } {
  if (d.lineContinuation.test(line)) return { line: line.replace(d.lineContinuation, "$1"), endOfLine: false };
  return { line, endOfLine: true };
}

const isEmptyContinuationLine = (line: string): boolean => trimLeftSpace(trimNewline(line)).length === 0;

function failAt<T>(start: number, end: number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ParseFailure) throw new DockerfileParseError(e.message, start, Math.max(start, end));
    if (e instanceof ShellExpansionError) throw new DockerfileParseError(e.message, start, Math.max(start, end));
    throw e;
  }
}

/** BuildKit's parser.Parse: the tree of a Dockerfile, without checking what the instructions say. */
export interface ParseOptions {
  /** Here-documents (`RUN <<EOF`); Docker 20.10's classic builder predates them and reads the body as instructions. */
  heredocs?: boolean;
}

export function parse(text: string, options: ParseOptions = {}): ParseResult {
  const d = new ParserDirectives();
  let currentLine = 0;
  const root = newNode();
  root.startLine = -1;
  const scanner = new LineScanner(text);
  const warningDetails: ParseWarning[] = [];
  let comments: string[] = [];

  while (scanner.scan()) {
    let bytesRead = scanner.token();
    if (currentLine === 0) bytesRead = discardBOM(bytesRead);
    if (isComment(bytesRead)) {
      // BuildKit drops the first byte, not the `#`: a leading non-ASCII space leaves invalid bytes
      const lead = Array.from(bytesRead)[0]!;
      const comment = trimSpace(utf8Decode(utf8Encode(lead).slice(1)) + bytesRead.slice(lead.length));
      if (comment === "") comments = [];
      else comments.push(comment);
    }
    const first = failAt(currentLine + 1, currentLine + 1, () => processLine(d, bytesRead, true));
    if (first.directive) comments.pop();
    currentLine++;

    const startLine = currentLine;
    let { line: part, endOfLine } = trimContinuationCharacter(first.line, d);
    if (endOfLine && part.length === 0) continue;
    let buf = part;

    let hasEmptyContinuationLine = false;
    while (!endOfLine && scanner.scan()) {
      const raw = scanner.token();
      const cont = failAt(currentLine + 1, currentLine + 1, () => processLine(d, raw, false));
      currentLine++;
      if (isComment(raw)) continue;
      if (isEmptyContinuationLine(cont.line)) {
        hasEmptyContinuationLine = true;
        continue;
      }
      ({ line: part, endOfLine } = trimContinuationCharacter(cont.line, d));
      buf += part;
    }

    const line = buf;
    if (hasEmptyContinuationLine) {
      warningDetails.push({
        short: "Empty continuation line found in: " + line,
        detail: EMPTY_CONTINUATION_DETAIL,
        url: EMPTY_CONTINUATION_URL,
        line: currentLine,
      });
    }

    const child = failAt(startLine, currentLine, () => newNodeFromLine(line, d, comments));

    if (options.heredocs !== false && canContainHeredoc(child) && line.includes("<<")) {
      const heredocs = failAt(startLine, currentLine, () => heredocsFromLine(line));
      for (const heredoc of heredocs) {
        let terminated = false;
        let content = heredoc.content;
        while (scanner.scan()) {
          const raw = scanner.token();
          currentLine++;
          let possibleTerminator = trimNewline(raw);
          if (heredoc.chomp) possibleTerminator = possibleTerminator.replace(/^\t+/, "");
          if (possibleTerminator === heredoc.name) {
            terminated = true;
            break;
          }
          content += raw;
        }
        if (!terminated) throw new DockerfileParseError("unterminated heredoc", startLine, currentLine);
        heredoc.content = content;
        child.heredocs.push(heredoc);
      }
    }

    child.startLine = startLine;
    child.endLine = currentLine;
    if (root.startLine < 0) root.startLine = startLine;
    root.endLine = currentLine;
    root.children.push(child);
    comments = [];
  }

  if (root.startLine < 0) throw new DockerfileParseError("file with no instructions", Math.max(currentLine, 1));
  if (scanner.tooLong) {
    throw new DockerfileParseError(`dockerfile line greater than max allowed size of ${MAX_SCAN_TOKEN_SIZE - 1}`, currentLine + 1);
  }

  const directives: Directives = {};
  const escape = d.found.find((x) => x.name === "escape");
  if (escape) directives.escape = escape.value;
  const syntax = detectSyntax(text);
  if (syntax) directives.syntax = syntax.ref;
  const check = parseDirective("check", text);
  if (check) directives.check = check.ref;

  const warnings = warningDetails.map((w) => w.short);
  if (warnings.length > 0) warnings.push(EMPTY_CONTINUATION_DETAIL + ".");
  return { ast: root, directives, warnings, warningDetails, escapeToken: d.escapeToken };
}

// ---------------------------------------------------------------------------------------------------
// Instruction checks (the parse errors of BuildKit's instructions.Parse)

const COMMANDS = [
  "add",
  "arg",
  "cmd",
  "copy",
  "entrypoint",
  "env",
  "expose",
  "from",
  "healthcheck",
  "label",
  "maintainer",
  "onbuild",
  "run",
  "shell",
  "stopsignal",
  "user",
  "volume",
  "workdir",
];

function levenshtein(a: string, b: string): number {
  const s = Array.from(a);
  const t = Array.from(b);
  let prev = Array.from({ length: t.length + 1 }, (_, i) => i);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[t.length]!;
}

/** BuildKit's suggest.WrapError: `msg (did you mean X?)` for an option within edit distance 2 (ties: first in list). */
function withSuggestion(message: string, value: string, options: readonly string[], caseSensitive: boolean): string {
  const val = caseSensitive ? value : goToLower(value);
  let match = "";
  let minDist = 3;
  for (const option of options) {
    const opt = caseSensitive ? option : goToLower(option);
    if (val === opt) return message;
    const dist = levenshtein(val, opt);
    if (dist < minDist) {
      match = caseSensitive ? opt : value === goToLower(value) ? goToLower(opt) : value === goToUpper(value) ? goToUpper(opt) : opt;
      minDist = dist;
    }
  }
  return match === "" ? message : `${message} (did you mean ${match}?)`;
}

type FlagType = "bool" | "string" | "strings";

/** BuildKit's BFlags: the flags an instruction accepts, checked against what was written. */
class BuildFlags {
  private readonly defs = new Map<string, FlagType>();
  readonly values = new Map<string, string>();
  constructor(private readonly args: readonly string[]) {}

  add(name: string, type: FlagType, def = ""): this {
    this.defs.set(name, type);
    if (type === "bool") this.values.set(name, def === "true" ? "true" : "false");
    else if (type === "string") this.values.set(name, def);
    return this;
  }

  parse(): void {
    const used = new Set<string>();
    for (const a of this.args) {
      if (a === "--") return;
      if (!a.startsWith("--")) throw new ParseFailure(`arg should start with -- : ${a}`);
      const eq = a.indexOf("=");
      const flagName = eq < 0 ? a : a.slice(0, eq);
      const hasValue = eq >= 0;
      const value = hasValue ? a.slice(eq + 1) : "";
      const arg = flagName.slice(2);
      const type = this.defs.get(arg);
      if (!type) throw new ParseFailure(withSuggestion(`unknown flag: ${flagName}`, arg, [...this.defs.keys()], true));
      if (used.has(arg) && type !== "strings") throw new ParseFailure(`duplicate flag specified: ${flagName}`);
      used.add(arg);
      if (type === "bool") {
        if (hasValue && value === "") throw new ParseFailure(`missing a value on flag: ${flagName}`);
        const lower = goToLower(value);
        if (lower === "true" || lower === "") this.values.set(arg, "true");
        else if (lower === "false") this.values.set(arg, "false");
        else throw new ParseFailure(`expecting boolean value for flag ${flagName}, not: ${value}`);
      } else {
        if (!hasValue) throw new ParseFailure(`missing a value on flag: ${flagName}`);
        this.values.set(arg, value);
      }
    }
  }
}

const errAtLeastOneArgument = (c: string): ParseFailure => new ParseFailure(`${c} requires at least one argument`);
const errExactlyOneArgument = (c: string): ParseFailure => new ParseFailure(`${c} requires exactly one argument`);
const errNoDestinationArgument = (c: string): ParseFailure =>
  new ParseFailure(`${c} requires at least two arguments, but only one was provided. Destination could not be determined`);

function checkKvps(args: readonly string[], cmd: string): void {
  if (args.length === 0) throw errAtLeastOneArgument(cmd);
  if (args.length % 3 !== 0) throw new ParseFailure(`Bad input to ${cmd}, too many arguments`);
  for (let j = 0; j < args.length; j += 3) if (args[j]!.length === 0) throw new ParseFailure(`${cmd} names can not be blank`);
}

function handleJSONArgs(args: readonly string[], json: boolean): string[] {
  if (args.length === 0) return [];
  return json ? [...args] : [args.join(" ")];
}

function checkSourcesAndDest(args: readonly string[], cmd: string): void {
  if (mustParseHeredoc(args[args.length - 1]!)) throw new ParseFailure(`${cmd} cannot accept a heredoc as a destination`);
}

const DURATION_UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  "\u00b5s": 1000n,
  "\u03bcs": 1000n,
  ms: 1000000n,
  s: 1000000000n,
  m: 60000000000n,
  h: 3600000000000n,
};

/** Go's time package quote(), used in its error messages. */
function timeQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x80 || cp < 0x20) for (const b of utf8Encode(ch)) out += "\\x" + b.toString(16).padStart(2, "0");
    else out += (ch === '"' || ch === "\\" ? "\\" : "") + ch;
  }
  return out + '"';
}

/** Go's time.ParseDuration, in nanoseconds. */
export function parseGoDuration(orig: string): bigint {
  const invalid = (): ParseFailure => new ParseFailure(`time: invalid duration ${timeQuote(orig)}`);
  const MAX = 1n << 63n;
  let s = orig;
  let d = 0n;
  let neg = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") throw invalid();
  const isDigitChar = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
  while (s !== "") {
    if (!(s[0] === "." || isDigitChar(s[0]))) throw invalid();
    let i = 0;
    let v = 0n;
    while (isDigitChar(s[i])) {
      if (v > MAX / 10n) throw invalid();
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > MAX) throw invalid();
      i++;
    }
    const pre = i > 0;
    s = s.slice(i);
    let post = false;
    let f = 0n;
    let scale = 1;
    if (s[0] === ".") {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      while (isDigitChar(s[j])) {
        if (!overflow) {
          if (f > (MAX - 1n) / 10n) overflow = true;
          else {
            const y = f * 10n + BigInt(s.charCodeAt(j) - 48);
            if (y > MAX) overflow = true;
            else {
              f = y;
              scale *= 10;
            }
          }
        }
        j++;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) throw invalid();
    let u = 0;
    while (u < s.length && !(s[u] === "." || isDigitChar(s[u]))) u++;
    if (u === 0) throw new ParseFailure(`time: missing unit in duration ${timeQuote(orig)}`);
    const unitName = s.slice(0, u);
    s = s.slice(u);
    const unit = DURATION_UNITS[unitName];
    if (unit === undefined) throw new ParseFailure(`time: unknown unit ${timeQuote(unitName)} in duration ${timeQuote(orig)}`);
    if (v > MAX / unit) throw invalid();
    v *= unit;
    if (f > 0n) {
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > MAX) throw invalid();
    }
    d += v;
    if (d > MAX) throw invalid();
  }
  if (neg) return -d;
  if (d > MAX - 1n) throw invalid();
  return d;
}

function checkOptInterval(name: string, value: string): void {
  if (value === "") return;
  const d = parseGoDuration(value);
  if (d === 0n) return;
  if (d < 1000000n) throw new ParseFailure(`Interval ${goQuote(name)} cannot be less than 1ms`);
}

/** Go's strconv.ParseInt(s, 10, 32). */
function parseInt32(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new ParseFailure(`strconv.ParseInt: parsing ${goQuote(s)}: invalid syntax`);
  const n = BigInt(s);
  if (n > 2147483647n || n < -2147483648n) throw new ParseFailure(`strconv.ParseInt: parsing ${goQuote(s)}: value out of range`);
  return Number(n);
}

function equalFoldAs(s: string): boolean {
  const chars = Array.from(s);
  return chars.length === 2 && (chars[0] === "a" || chars[0] === "A") && (chars[1] === "s" || chars[1] === "S" || chars[1] === "\u017f");
}

const VALID_STAGE_NAME = /^[a-z][a-z0-9\-_.]*$/;

/**
 * What BuildKit's ParseInstruction rejects in one instruction (the error text without location), in
 * its order of checks. Returns whether it starts a stage (FROM). RUN's --mount and --device values are
 * left to the builder.
 */
function checkInstruction(node: Node): "stage" | "arg" | "command" {
  const args = nodeArgs(node);
  const flags = new BuildFlags(node.flags);
  const json = node.attributes.json;
  switch (goToLower(node.value)) {
    case "env":
      flags.parse();
      checkKvps(args, "ENV");
      return "command";
    case "maintainer":
      if (args.length !== 1) throw errExactlyOneArgument("MAINTAINER");
      flags.parse();
      return "command";
    case "label":
      flags.parse();
      checkKvps(args, "LABEL");
      return "command";
    case "add":
      if (args.length < 2) throw errNoDestinationArgument("ADD");
      flags
        .add("chown", "string")
        .add("chmod", "string")
        .add("link", "bool")
        .add("keep-git-dir", "bool")
        .add("checksum", "string")
        .add("unpack", "bool")
        .add("exclude", "strings")
        .parse();
      checkSourcesAndDest(args, "ADD");
      return "command";
    case "copy":
      if (args.length < 2) throw errNoDestinationArgument("COPY");
      flags
        .add("chown", "string")
        .add("from", "string")
        .add("chmod", "string")
        .add("link", "bool")
        .add("exclude", "strings")
        .add("parents", "bool")
        .parse();
      checkSourcesAndDest(args, "COPY");
      return "command";
    case "from":
      if (args.length === 3 && equalFoldAs(args[1]!)) {
        if (!VALID_STAGE_NAME.test(goToLower(args[2]!))) {
          throw new ParseFailure(`invalid name for build stage: ${goQuote(args[2]!)}, name can't start with a number or contain symbols`);
        }
      } else if (args.length !== 1) {
        throw new ParseFailure("FROM requires either one or three arguments");
      }
      flags.add("platform", "string").parse();
      return "stage";
    case "onbuild": {
      if (args.length === 0) throw errAtLeastOneArgument("ONBUILD");
      flags.parse();
      const trigger = goToUpper(trimSpace(args[0]!));
      if (trigger === "ONBUILD") throw new ParseFailure("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if (trigger === "MAINTAINER" || trigger === "FROM") throw new ParseFailure(`${trigger} isn't allowed as an ONBUILD trigger`);
      return "command";
    }
    case "workdir":
      if (args.length !== 1) throw errExactlyOneArgument("WORKDIR");
      flags.parse();
      return "command";
    case "run": {
      flags.add("device", "strings").add("mount", "strings").add("network", "string", "default").add("security", "string", "sandbox");
      flags.parse();
      const network = flags.values.get("network")!;
      if (!["default", "none", "host"].includes(network)) throw new ParseFailure(`invalid network mode ${goQuote(network)}`);
      const security = flags.values.get("security")!;
      if (!["insecure", "sandbox"].includes(security)) throw new ParseFailure(`security ${goQuote(security)} is not valid`);
      return "command";
    }
    case "cmd":
    case "entrypoint":
      flags.parse();
      return "command";
    case "healthcheck": {
      if (args.length === 0) throw errAtLeastOneArgument("HEALTHCHECK");
      const typ = goToUpper(args[0]!);
      const rest = args.slice(1);
      if (typ === "NONE") {
        if (rest.length !== 0) throw new ParseFailure("HEALTHCHECK NONE takes no arguments");
        return "command";
      }
      for (const name of ["interval", "timeout", "start-period", "start-interval", "retries"]) flags.add(name, "string");
      flags.parse();
      if (typ !== "CMD") throw new ParseFailure(`Unknown type ${goQuote(typ)} in HEALTHCHECK (try CMD)`);
      if (handleJSONArgs(rest, json).length === 0) throw new ParseFailure("Missing command after HEALTHCHECK CMD");
      for (const name of ["interval", "timeout", "start-period", "start-interval"]) checkOptInterval(name, flags.values.get(name)!);
      const retries = flags.values.get("retries")!;
      if (retries !== "") {
        const n = parseInt32(retries);
        if (n < 0) throw new ParseFailure(`--retries cannot be negative (${n})`);
      }
      return "command";
    }
    case "expose":
      if (args.length === 0) throw errAtLeastOneArgument("EXPOSE");
      flags.parse();
      return "command";
    case "user":
      if (args.length !== 1) throw errExactlyOneArgument("USER");
      flags.parse();
      return "command";
    case "volume":
      if (args.length === 0) throw errAtLeastOneArgument("VOLUME");
      flags.parse();
      for (const v of args) if (trimSpace(v) === "") throw new ParseFailure("VOLUME specified can not be an empty string");
      return "command";
    case "stopsignal":
      if (args.length !== 1) throw errExactlyOneArgument("STOPSIGNAL");
      return "command";
    case "arg":
      if (args.length < 1) throw errAtLeastOneArgument("ARG");
      for (const a of args) if (a.startsWith("=")) throw new ParseFailure("ARG names can not be blank");
      return "arg";
    case "shell": {
      flags.parse();
      const shell = handleJSONArgs(args, json);
      if (shell.length === 0) throw errAtLeastOneArgument("SHELL");
      if (!json) throw new ParseFailure("SHELL requires the arguments to be in JSON form");
      return "command";
    }
  }
  const shown = node.command || node.value;
  throw new ParseFailure(
    withSuggestion(
      `unknown instruction: ${shown}`,
      shown,
      COMMANDS.map((c) => c.toUpperCase()),
      false,
    ),
  );
}

/**
 * The checks of BuildKit's instructions.Parse over a parsed tree: each instruction's arguments and
 * flags (`dockerfile parse error on line N: …`), and that instructions other than ARG come after a FROM.
 */
/** `stages: false` checks instructions alone (an ONBUILD trigger has no FROM before it). */
export function checkInstructions(ast: Node, opts: { stages?: boolean } = {}): void {
  let stages = 0;
  for (const node of ast.children) {
    let kind: "stage" | "arg" | "command";
    try {
      kind = checkInstruction(node);
    } catch (e) {
      if (e instanceof ParseFailure) {
        throw new DockerfileParseError(`dockerfile parse error on line ${node.startLine}: ${e.message}`, node.startLine, node.endLine);
      }
      throw e;
    }
    if (kind === "stage") stages++;
    else if (opts.stages !== false && stages === 0 && kind !== "arg") throw new DockerfileParseError("no build stage in current context", node.startLine, node.endLine);
  }
}

/** Parses a Dockerfile as `docker build` does before building: BuildKit's parser, then its instruction checks. */
export function parseDockerfile(text: string): ParseResult {
  const result = parse(text);
  checkInstructions(result.ast);
  return result;
}
