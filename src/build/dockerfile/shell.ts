/**
 * Shell-word expansion as BuildKit's Dockerfile frontend does it (a port of moby/buildkit
 * `frontend/dockerfile/shell`, Lex at commit 73ed6825c4), so that a Dockerfile here expands `$VAR`,
 * `${VAR:-x}`, quotes and escapes to the same words `docker build` would. Quirks of the original are
 * kept on purpose, because a build that differs from Docker's is a bug in a lab about Docker: the
 * word buffer shared between nested `${…}` scans, `<<` always kept raw, `\` inside "…" only escaping
 * `"`, `$` and the escape token, Go's regexp replacement templates in `${V//p/r}`, and the messages.
 */

/** Where variables come from; `get` answers undefined for an unset variable. */
export interface EnvGetter {
  get(key: string): string | undefined;
  keys(): string[];
}

/** `KEY=VALUE` strings (the last one of a key wins; `KEY` alone is set and empty), a Map, a record or a getter. */
export type EnvInput = EnvGetter | readonly string[] | ReadonlyMap<string, string> | Readonly<Record<string, string>>;

/** A failed expansion, worded as BuildKit words it: `failed to process "…": <reason>`. */
export class ShellExpansionError extends Error {
  override name = "ShellExpansionError";
  constructor(
    /** The word that was being expanded. */
    readonly word: string,
    /** The message without the `failed to process` prefix. */
    readonly reason: string,
  ) {
    super(`failed to process ${goQuote(word)}: ${reason}`);
  }
}

/** A reason a nested scan gives up; wrapped once into ShellExpansionError at the top. */
class LexFailure extends Error {}

export interface LexOptions {
  /** Keep the quote characters in the output. */
  rawQuotes?: boolean;
  /** Keep the escape characters in the output. */
  rawEscapes?: boolean;
  /** Treat quotes as ordinary characters. */
  skipProcessQuotes?: boolean;
  /** Leave references to unset variables as written. */
  skipUnsetEnv?: boolean;
}

export interface ProcessWordResult {
  result: string;
  words: string[];
  matched: Set<string>;
  unmatched: Set<string>;
}

/** Unix semantics: keys are case-sensitive. */
export function envFromList(env: readonly string[]): EnvGetter {
  const values = new Map<string, string>();
  const keys: string[] = [];
  for (const entry of env) {
    const eq = entry.indexOf("=");
    const key = eq < 0 ? entry : entry.slice(0, eq);
    keys.push(key);
    values.set(key, eq < 0 ? "" : entry.slice(eq + 1));
  }
  return { get: (k) => values.get(k), keys: () => keys };
}

export function toEnvGetter(env: EnvInput): EnvGetter {
  if (Array.isArray(env)) return envFromList(env as readonly string[]);
  if (env instanceof Map) {
    const m = env as ReadonlyMap<string, string>;
    return { get: (k) => m.get(k), keys: () => [...m.keys()] };
  }
  const maybe = env as Partial<EnvGetter>;
  if (typeof maybe.get === "function" && typeof maybe.keys === "function") return env as EnvGetter;
  const rec = env as Readonly<Record<string, string>>;
  return { get: (k) => (Object.hasOwn(rec, k) ? rec[k] : undefined), keys: () => Object.keys(rec) };
}

export const EMPTY_ENV: EnvGetter = { get: () => undefined, keys: () => [] };

/** End of input, as Go's text/scanner reports it. */
const EOF = "";

/** Go's text/scanner as Lex uses it: one Unicode character at a time, a leading BOM skipped. */
class RuneScanner {
  private readonly chars: string[];
  private pos = 0;
  constructor(source: string) {
    // Go's scanner reads an invalid UTF-8 byte as U+FFFD
    this.chars = Array.from(source, (c) => (isByteEscape(c) ? "\uFFFD" : c));
    if (this.chars[0] === "\uFEFF") this.pos = 1;
  }
  peek(): string {
    return this.chars[this.pos] ?? EOF;
  }
  next(): string {
    const ch = this.chars[this.pos];
    if (ch === undefined) return EOF;
    this.pos++;
    return ch;
  }
}

const SPACE_RE = /^\p{White_Space}$/u;
const LETTER_RE = /^\p{L}$/u;
const DIGIT_RE = /^\p{Nd}$/u;

/** Go's unicode.IsSpace. */
export function isGoSpace(ch: string): boolean {
  return ch !== "" && SPACE_RE.test(ch);
}
const isLetter = (ch: string): boolean => ch !== "" && LETTER_RE.test(ch);
const isDigit = (ch: string): boolean => ch !== "" && DIGIT_RE.test(ch);

/**
 * A byte of invalid UTF-8 carried through a JS string as the lone surrogate U+DC00+byte (the parser
 * makes these where BuildKit cuts a character in two); Go's scanners read one as U+FFFD.
 */
export function isByteEscape(ch: string): boolean {
  const cp = ch.charCodeAt(0);
  return ch.length === 1 && cp >= 0xdc80 && cp <= 0xdcff;
}

/** Go's string(rune) for a scanner result: EOF (-1) becomes U+FFFD. */
const runeString = (ch: string): string => (ch === EOF ? "\uFFFD" : ch);

const PRINTABLE_RE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

const GO_NAMED_ESCAPES = new Map([
  ["\x07", "\\a"],
  ["\b", "\\b"],
  ["\f", "\\f"],
  ["\n", "\\n"],
  ["\r", "\\r"],
  ["\t", "\\t"],
  ["\v", "\\v"],
]);

/** Go's strconv.Quote (and so `%q` of a string). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") {
      out += "\\" + ch;
    } else if (cp >= 0x20 && cp < 0x7f) {
      out += ch;
    } else if (cp >= 0xdc80 && cp <= 0xdcff) {
      out += "\\x" + (cp - 0xdc00).toString(16);
    } else if (cp >= 0xd800 && cp <= 0xdfff) {
      out += "\uFFFD";
    } else if (cp >= 0x80 && PRINTABLE_RE.test(ch)) {
      out += ch;
    } else {
      const hex = cp.toString(16);
      const named = GO_NAMED_ESCAPES.get(ch);
      if (named !== undefined) out += named;
      else if (cp < 0x20 || cp === 0x7f) out += "\\x" + hex.padStart(2, "0");
      else if (cp < 0x10000) out += "\\u" + hex.padStart(4, "0");
      else out += "\\U" + hex.padStart(8, "0");
    }
  }
  return out + '"';
}

/** Collects the words of ProcessWords; `buf` is the Lex-wide buffer BuildKit shares between nested scans. */
class WordCollector {
  words: string[] = [];
  inWord = false;
  constructor(private readonly buf: { s: string }) {}
  addChar(ch: string): void {
    if (isGoSpace(ch) && this.inWord) {
      if (this.buf.s.length !== 0) {
        this.words.push(this.buf.s);
        this.buf.s = "";
        this.inWord = false;
      }
    } else if (!isGoSpace(ch)) {
      this.addRawChar(ch);
    }
  }
  addRawChar(ch: string): void {
    this.buf.s += ch;
    this.inWord = true;
  }
  addString(str: string): void {
    for (const ch of str) this.addChar(ch);
  }
  addRawString(str: string): void {
    this.buf.s += str;
    this.inWord = true;
  }
  getWords(): string[] {
    if (this.buf.s.length > 0) {
      this.words.push(this.buf.s);
      this.buf.s = "";
      this.inWord = false;
    }
    return this.words;
  }
}

/** One expansion of one word (BuildKit's shellWord). */
class WordExpansion {
  private readonly scanner: RuneScanner;
  private rawEscapes: boolean;
  private readonly wordsBuffer = { s: "" };
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();

  constructor(
    private readonly lex: ShellLex,
    word: string,
    private readonly env: EnvGetter,
  ) {
    this.scanner = new RuneScanner(word);
    this.rawEscapes = lex.rawEscapes;
  }

  run(): { result: string; words: string[] } {
    return this.processStopOn(EOF, this.rawEscapes);
  }

  private processStopOn(stopChar: string, rawEscapes: boolean): { result: string; words: string[] } {
    let result = "";
    this.wordsBuffer.s = "";
    const words = new WordCollector(this.wordsBuffer);
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      const sc = this.scanner;
      while (sc.peek() !== EOF) {
        let ch = sc.peek();
        if (stopChar !== EOF && ch === stopChar) {
          sc.next();
          return { result, words: words.getWords() };
        }
        let special: (() => string) | undefined;
        if (ch === "$") special = () => this.processDollar();
        else if (ch === "<") special = () => this.processPossibleHeredoc();
        else if (!this.lex.skipProcessQuotes && ch === "'") special = () => this.processSingleQuote();
        else if (!this.lex.skipProcessQuotes && ch === '"') special = () => this.processDoubleQuote();
        if (special) {
          const tmp = special();
          result += tmp;
          if (ch === "$") words.addString(tmp);
          else words.addRawString(tmp);
          continue;
        }
        ch = sc.next();
        if (ch === this.lex.escapeToken) {
          if (this.rawEscapes) {
            words.addRawChar(ch);
            result += ch;
          }
          ch = sc.next();
          if (ch === EOF) break;
          words.addRawChar(ch);
        } else {
          words.addChar(ch);
        }
        result += ch;
      }
      if (stopChar !== EOF) throw new LexFailure(`unexpected end of statement while looking for matching ${stopChar}`);
      return { result, words: words.getWords() };
    } finally {
      this.rawEscapes = saved;
    }
  }

  private processSingleQuote(): string {
    let result = "";
    let ch = this.scanner.next();
    if (this.lex.rawQuotes) result += ch;
    for (;;) {
      ch = this.scanner.next();
      if (ch === EOF) throw new LexFailure("unexpected end of statement while looking for matching single-quote");
      if (ch === "'") {
        if (this.lex.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  private processDoubleQuote(): string {
    let result = "";
    const sc = this.scanner;
    const first = sc.next();
    if (this.lex.rawQuotes) result += first;
    for (;;) {
      const peek = sc.peek();
      if (peek === EOF) throw new LexFailure("unexpected end of statement while looking for matching double-quote");
      if (peek === '"') {
        const ch = sc.next();
        if (this.lex.rawQuotes) result += ch;
        return result;
      }
      if (peek === "$") {
        result += this.processDollar();
        continue;
      }
      let ch = sc.next();
      if (ch === this.lex.escapeToken) {
        if (this.rawEscapes) result += ch;
        const after = sc.peek();
        if (after === EOF) continue;
        if (after === '"' || after === "$" || after === this.lex.escapeToken) ch = sc.next();
      }
      result += ch;
    }
  }

  private processDollar(): string {
    const sc = this.scanner;
    sc.next();
    if (sc.peek() !== "{") {
      const name = this.processName();
      if (name === "") return "$";
      const value = this.getEnv(name);
      if (value === undefined && this.lex.skipUnsetEnv) return "$" + name;
      return value ?? "";
    }
    sc.next();
    const afterBrace = sc.peek();
    if (afterBrace === EOF) throw new LexFailure("syntax error: missing '}'");
    if (afterBrace === "{" || afterBrace === "}" || afterBrace === ":") throw new LexFailure("syntax error: bad substitution");
    const name = this.processName();
    let ch = sc.next();
    let chs = runeString(ch);
    let nullIsUnset = false;

    if (ch === "}") {
      const value = this.getEnv(name);
      if (value === undefined && this.lex.skipUnsetEnv) return `\${${name}}`;
      return value ?? "";
    }
    if (ch === ":" || ch === "+" || ch === "-" || ch === "?" || ch === "#" || ch === "%") {
      if (ch === ":") {
        nullIsUnset = true;
        ch = sc.next();
        chs += runeString(ch);
      }
      const rawEscapes = ch === "#" || ch === "%";
      if (nullIsUnset && rawEscapes) throw new LexFailure(`unsupported modifier (${chs}) in substitution`);
      let word: string;
      try {
        word = this.processStopOn("}", rawEscapes).result;
      } catch (e) {
        if (e instanceof LexFailure && sc.peek() === EOF) throw new LexFailure("syntax error: missing '}'");
        throw e;
      }
      const value = this.getEnv(name);
      const set = value !== undefined;
      if (this.lex.skipUnsetEnv && !set) return `\${${name}${chs}${word}}`;
      const v = value ?? "";
      switch (ch) {
        case "-":
          return !set || (nullIsUnset && v === "") ? word : v;
        case "+":
          return !set || (nullIsUnset && v === "") ? "" : word;
        case "?":
          if (!set) throw new LexFailure(`${name}: ${word !== "" ? word : "is not allowed to be unset"}`);
          if (nullIsUnset && v === "") throw new LexFailure(`${name}: ${word !== "" ? word : "is not allowed to be empty"}`);
          return v;
        case "%":
        case "#": {
          let greedy = false;
          if (word.length > 0 && word[0] === ch) {
            greedy = true;
            word = word.slice(1);
          }
          return ch === "%" ? trimSuffix(word, v, greedy) : trimPrefix(word, v, greedy);
        }
        default:
          throw new LexFailure(`unsupported modifier (${chs}) in substitution`);
      }
    }
    if (ch === "/") {
      const replaceAll = sc.peek() === "/";
      if (replaceAll) sc.next();
      let pattern: string;
      try {
        pattern = this.processStopOn("/", true).result;
      } catch (e) {
        if (e instanceof LexFailure && sc.peek() === EOF) throw new LexFailure("syntax error: missing '/' in ${}");
        throw e;
      }
      let replacement: string;
      try {
        replacement = this.processStopOn("}", true).result;
      } catch (e) {
        if (e instanceof LexFailure && sc.peek() === EOF) throw new LexFailure("syntax error: missing '}'");
        throw e;
      }
      const value = this.getEnv(name);
      if (this.lex.skipUnsetEnv && value === undefined) return `\${${name}/${pattern}/${replacement}}`;
      let v = value ?? "";
      const re = patternRegex(pattern, true, false, "g");
      if (replaceAll) {
        v = goReplaceAll(re, v, (match) => expandGoTemplate(replacement, match));
      } else {
        re.lastIndex = 0;
        const m = re.exec(v);
        if (m) v = v.slice(0, m.index) + replacement + v.slice(m.index + m[0].length);
      }
      return v;
    }
    throw new LexFailure(`unsupported modifier (${chs}) in substitution`);
  }

  private processName(): string {
    const sc = this.scanner;
    let name = "";
    while (sc.peek() !== EOF) {
      const ch = sc.peek();
      if (name.length === 0 && isDigit(ch)) {
        while (sc.peek() !== EOF && isDigit(sc.peek())) name += sc.next();
        return name;
      }
      if (name.length === 0 && isSpecialParam(ch)) return sc.next();
      if (!isLetter(ch) && !isDigit(ch) && ch !== "_") break;
      name += sc.next();
    }
    return name;
  }

  private processPossibleHeredoc(): string {
    const sc = this.scanner;
    sc.next();
    if (sc.peek() !== "<") return "<";
    sc.next();
    let space = "";
    while (sc.peek() === "\t" || sc.peek() === "\r" || sc.peek() === " ") space += sc.next();
    return "<<" + space;
  }

  private getEnv(name: string): string | undefined {
    const v = this.env.get(name);
    if (v !== undefined) this.matched.add(name);
    else this.unmatched.add(name);
    return v;
  }
}

function isSpecialParam(ch: string): boolean {
  return "@*#?-$!0".includes(ch) && ch.length === 1;
}

/**
 * Go's Regexp.ReplaceAllString loop, which differs from String.prototype.replace in one way: an empty
 * match right after another match is not replaced (`.*` on "abc" replaces once, not twice).
 */
function goReplaceAll(re: RegExp, src: string, repl: (match: string) => string): string {
  let out = "";
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= src.length) {
    re.lastIndex = searchPos;
    const m = re.exec(src);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    out += src.slice(lastMatchEnd, start);
    if (end > lastMatchEnd || start === 0) out += repl(m[0]);
    lastMatchEnd = end;
    const width = searchPos < src.length ? (src.codePointAt(searchPos)! > 0xffff ? 2 : 1) : 0;
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  return out + src.slice(lastMatchEnd);
}

/** Go regexp's Regexp.Expand template for ReplaceAllString: `$0`/`${0}` is the match, `$$` a dollar, other names are empty. */
function expandGoTemplate(template: string, match: string): string {
  let out = "";
  let t = template;
  for (;;) {
    const i = t.indexOf("$");
    if (i < 0) break;
    out += t.slice(0, i);
    t = t.slice(i + 1);
    if (t.startsWith("$")) {
      out += "$";
      t = t.slice(1);
      continue;
    }
    let brace = false;
    let s = t;
    if (s.startsWith("{")) {
      brace = true;
      s = s.slice(1);
    }
    const nameMatch = /^[\p{L}\p{Nd}_]*/u.exec(s)![0];
    if (nameMatch === "" || (brace && s[nameMatch.length] !== "}")) {
      out += "$";
      continue;
    }
    t = s.slice(nameMatch.length + (brace ? 1 : 0));
    let num = -1;
    if (/^[0-9]+$/.test(nameMatch) && !(nameMatch[0] === "0" && nameMatch.length > 1) && nameMatch.length <= 9) num = Number(nameMatch);
    if (num === 0) out += match;
  }
  return out + t;
}

/**
 * BuildKit's convertShellPatternToRegex: `*` (lazy unless greedy), `?`, `\` escapes of `*`, `?`, `\`
 * (and a dropped `\` before `}` or `/`), everything else literal. `.` is `[^\n]` as in Go.
 */
function patternRegex(pattern: string, greedy: boolean, anchored: boolean, flags = ""): RegExp {
  const sc = new RuneScanner(pattern);
  let out = anchored ? "^" : "";
  const star = greedy ? "[^\\n]*" : "[^\\n]*?";
  for (let tok = sc.next(); tok !== EOF; tok = sc.next()) {
    if (tok === "*") {
      out += star;
      continue;
    }
    if (tok === "?") {
      out += "[^\\n]";
      continue;
    }
    if (tok === "\\") {
      if (sc.peek() === "}" || sc.peek() === "/") continue;
      out += "\\";
      tok = sc.next();
      if (tok !== "*" && tok !== "?" && tok !== "\\") {
        throw new LexFailure(`invalid pattern (${pattern}) in substitution: invalid escape '\\${runeString(tok)}'`);
      }
    } else if ("[]{}.+()|^$".includes(tok)) {
      out += "\\";
    }
    out += tok;
  }
  return new RegExp(out, "u" + flags);
}

function trimPrefix(word: string, value: string, greedy: boolean): string {
  const m = patternRegex(word, greedy, true).exec(value);
  return m ? value.slice(m[0].length) : value;
}

/** Reverses a pattern, keeping each `\x` escape in front of its character. */
function reversePattern(pattern: string): string {
  const runes = Array.from(pattern);
  const out: string[] = new Array<string>(runes.length);
  const last = runes.length - 1;
  for (let i = 0; i <= last; ) {
    const tok = runes[i]!;
    const outIdx = last - i;
    if (tok === "\\" && i !== last) {
      out[outIdx - 1] = tok;
      out[outIdx] = runes[i + 1]!;
      i += 2;
    } else {
      out[outIdx] = tok;
      i++;
    }
  }
  return out.join("");
}

const reverseString = (s: string): string => Array.from(s).reverse().join("");

function trimSuffix(pattern: string, word: string, greedy: boolean): string {
  return reverseString(trimPrefix(reversePattern(pattern), reverseString(word), greedy));
}

/** BuildKit's shell.Lex: expands one word (ProcessWord) or splits it into words after expansion (ProcessWords). */
export class ShellLex {
  rawQuotes: boolean;
  rawEscapes: boolean;
  skipProcessQuotes: boolean;
  skipUnsetEnv: boolean;

  constructor(
    readonly escapeToken: string = "\\",
    options: LexOptions = {},
  ) {
    this.rawQuotes = options.rawQuotes ?? false;
    this.rawEscapes = options.rawEscapes ?? false;
    this.skipProcessQuotes = options.skipProcessQuotes ?? false;
    this.skipUnsetEnv = options.skipUnsetEnv ?? false;
  }

  processWordWithMatches(word: string, env: EnvInput): ProcessWordResult {
    const expansion = new WordExpansion(this, word, toEnvGetter(env));
    try {
      const { result, words } = expansion.run();
      return { result, words, matched: expansion.matched, unmatched: expansion.unmatched };
    } catch (e) {
      if (e instanceof LexFailure) throw new ShellExpansionError(word, e.message);
      throw e;
    }
  }

  processWord(word: string, env: EnvInput): string {
    return this.processWordWithMatches(word, env).result;
  }

  processWords(word: string, env: EnvInput): string[] {
    return this.processWordWithMatches(word, env).words;
  }
}

/** BuildKit's ProcessWord: expands variables and removes quotes and escapes, keeping spaces. */
export function processWord(word: string, env: EnvInput, escapeToken = "\\"): string {
  return new ShellLex(escapeToken).processWord(word, env);
}

/** BuildKit's ProcessWords: expands, then splits into words on unquoted whitespace. */
export function processWords(word: string, env: EnvInput, escapeToken = "\\"): string[] {
  return new ShellLex(escapeToken).processWords(word, env);
}
