/**
 * Go's text/template as Docker users write `--format`, written for Layerlab (no DOM or Node API: it
 * runs in the page). Behaviour follows Go 1.19's text/template and fmt (the Go that built Docker
 * 20.10.24) and docker/cli's templates and formatter packages; test/integration/docker-format.test.ts
 * compares it with real Docker.
 *
 * Values are plain JS values, read as Go reads `interface{}` values decoded from JSON:
 * - `undefined` is Go's invalid value (a missing map key): it prints `<no value>`;
 * - `null` is a nil `interface{}`: at the end of a pipeline it becomes invalid (`<no value>`), inside a
 *   map or slice it prints `<nil>`;
 * - a JS number that is an integer (below 2^63) is an `int64` (prints `7316`, `%T` int64), any other
 *   number a `float64` (prints as Go's %v: `1.5`, `1e+06`); a bigint is an `int64`;
 * - an array is a `[]interface {}` (`[a b c]`), a plain object a `map[string]interface {}`
 *   (`map[k:v]`, keys sorted), read by own property (non-enumerable ones too: a way to add aliases
 *   that printing and `json` do not show); a JS function property is a method.
 * Go types beyond these are values of the classes below (GoStruct, GoMap, GoSlice, GoNil, GoBasic,
 * GoStringer); `goTyped()` builds them from JSON and a description of the Go types
 * (`DOCKER_TYPES` has `docker image inspect`'s). Docker's list rows are `dockerRow()`s.
 *
 * Docker's side: `parseDockerFormat()` (the `table` prefix, `\t`/`\n`, headers, the tabwriter) and
 * `dockerInspect()` (typed execution first, then the raw JSON with missingkey=error).
 * Error messages are Go's exactly (Docker prints them after "template parsing error: ").
 */

// ─── Go values ───────────────────────────────────────────────────────────────────────────────────

export type GoBasicKind = "bool" | "int" | "uint" | "float" | "string";

/** A basic value of a named Go type: `int` (literals, len), `uint8` (a byte), `json.Number`, `nat.Port`… */
export class GoBasic {
  readonly value: boolean | bigint | number | string;
  constructor(readonly type: string, readonly kind: GoBasicKind, value: boolean | bigint | number | string) {
    this.value = (kind === "int" || kind === "uint") && typeof value === "number" ? BigInt(Math.trunc(value)) : value;
  }
}
export const goInt = (v: number | bigint, type = "int"): GoBasic => new GoBasic(type, "int", v);
export const goFloat = (v: number, type = "float64"): GoBasic => new GoBasic(type, "float", v);

/** A slice of a named type (`[]string`, `strslice.StrSlice`). */
export class GoSlice {
  constructor(readonly type: string, readonly items: readonly unknown[]) {}
}
/** A map of a named type; `zero` is what `index` gives for a missing key (Go's zero of the element type). */
export class GoMap {
  constructor(readonly type: string, readonly entries: Readonly<Record<string, unknown>>, readonly zero: unknown = null) {}
}
/** A nil map (prints `map[]`), slice (`[]`) or pointer (`<nil>`) of a Go type; JSON `null`. `zero`: as GoMap's. */
export class GoNil {
  constructor(readonly kind: "map" | "slice" | "pointer", readonly type: string, readonly zero: unknown = null) {}
}
export interface GoStructOptions {
  /** A pointer to the struct (`*T` in messages; printed as the struct, as templates dereference). */
  pointer?: boolean;
  /** What `json` encodes for it (e.g. the JSON it was read from); default: its fields in order. */
  json?: unknown;
  /** Its own MarshalJSON: the exact JSON text. */
  marshalJSON?: () => string;
}
/** A struct: fields in declaration order (printed `{v1 v2}`); a missing field is an error, not `<no value>`. */
export class GoStruct {
  constructor(readonly type: string, readonly fields: Readonly<Record<string, unknown>>, readonly options: GoStructOptions = {}) {}
}
/** A value with a String() method (time.Time, time.Duration): prints `text`, encodes `json`; compares as `underlying`. */
export class GoStringer {
  constructor(readonly type: string, readonly text: string, readonly json: unknown, readonly underlying?: unknown) {}
}

/** One of Docker's formatter contexts (`*formatter.imageContext`…): string fields, JSON with sorted keys as formatter.MarshalJSON writes it. */
export function dockerRow(type: string, fields: Readonly<Record<string, string>>): GoStruct {
  return new GoStruct(type, fields, {
    pointer: true,
    marshalJSON: () => `{${sortedKeys(fields).map((k) => `${jsonString(k, true)}:${jsonString(fields[k]!, true)}`).join(",")}}`,
  });
}

type V =
  | { k: "invalid" }
  | { k: "nil"; t: string }
  | { k: "bool"; t: string; v: boolean }
  | { k: "int" | "uint"; t: string; v: bigint }
  | { k: "float"; t: string; v: number }
  | { k: "string"; t: string; v: string }
  | { k: "slice"; t: string; items: readonly unknown[]; isNil: boolean; strings: boolean }
  | { k: "map"; t: string; obj: Readonly<Record<string, unknown>>; isNil: boolean; zero: unknown }
  | { k: "struct"; t: string; s: GoStruct }
  | { k: "nilptr"; t: string }
  | { k: "stringer"; t: string; s: GoStringer }
  | { k: "func"; t: string; f: (...args: unknown[]) => unknown };

const TWO63 = 2 ** 63;
const isPlainObject = (x: object): x is Record<string, unknown> => !Array.isArray(x);
const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function desc(x: unknown): V {
  switch (typeof x) {
    case "undefined":
      return { k: "invalid" };
    case "boolean":
      return { k: "bool", t: "bool", v: x };
    case "string":
      return { k: "string", t: "string", v: x };
    case "bigint":
      return { k: "int", t: "int64", v: x };
    case "number":
      return Number.isInteger(x) && Math.abs(x) < TWO63 ? { k: "int", t: "int64", v: BigInt(x) } : { k: "float", t: "float64", v: x };
    case "function":
      return { k: "func", t: "func", f: x as (...args: unknown[]) => unknown };
    case "symbol":
      return { k: "string", t: "string", v: String(x) };
  }
  if (x === null) return { k: "nil", t: "interface {}" };
  if (x instanceof GoBasic) {
    const t = x.type;
    switch (x.kind) {
      case "bool":
        return { k: "bool", t, v: Boolean(x.value) };
      case "int":
      case "uint":
        return { k: x.kind, t, v: typeof x.value === "bigint" ? x.value : BigInt(Math.trunc(Number(x.value))) };
      case "float":
        return { k: "float", t, v: Number(x.value) };
      case "string":
        return { k: "string", t, v: String(x.value) };
    }
  }
  if (x instanceof GoSlice) return { k: "slice", t: x.type, items: x.items, isNil: false, strings: x.type !== "[]interface {}" && x.items.every((i) => typeof i === "string") };
  if (x instanceof GoMap) return { k: "map", t: x.type, obj: x.entries, isNil: false, zero: x.zero };
  if (x instanceof GoNil) {
    if (x.kind === "slice") return { k: "slice", t: x.type, items: [], isNil: true, strings: x.type !== "[]interface {}" };
    if (x.kind === "map") return { k: "map", t: x.type, obj: {}, isNil: true, zero: x.zero };
    return { k: "nilptr", t: x.type };
  }
  if (x instanceof GoStruct) return { k: "struct", t: x.options.pointer ? `*${x.type}` : x.type, s: x };
  if (x instanceof GoStringer) return { k: "stringer", t: x.type, s: x };
  if (Array.isArray(x)) return { k: "slice", t: "[]interface {}", items: x, isNil: false, strings: false };
  if (isPlainObject(x as object)) return { k: "map", t: "map[string]interface {}", obj: x as Record<string, unknown>, isNil: false, zero: null };
  return { k: "string", t: "string", v: String(x) };
}

/** Go's type name of a value, as %T prints it. */
export function goTypeName(x: unknown): string {
  const v = desc(x);
  return v.k === "invalid" ? "<nil>" : v.k === "nil" ? "<nil>" : v.t;
}

// ─── strings, bytes and Go's sorting ─────────────────────────────────────────────────────────────

const enc = new TextEncoder();
const dec = new TextDecoder();
const utf8 = (s: string): Uint8Array => enc.encode(s);
const fromUtf8 = (b: Uint8Array): string => dec.decode(b);
function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}
const runeCount = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};
/** Go compares strings byte-wise: code point order, not JS's UTF-16 order. */
function compareGo(a: string, b: string): number {
  if (!/[\uD800-\uDFFF]/.test(a) && !/[\uD800-\uDFFF]/.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
const sortedKeys = (o: Readonly<Record<string, unknown>>): string[] => Object.keys(o).sort(compareGo);

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const isPrint = (r: number): boolean => r === 0x20 || (r >= 0x21 && r < 0x7f) || (r > 0x7f && PRINTABLE.test(String.fromCodePoint(r)));
const hex = (n: number, width: number): string => n.toString(16).padStart(width, "0");

function escapeRune(r: number, quote: number, asciiOnly: boolean): string {
  if (r === quote || r === 0x5c) return `\\${String.fromCodePoint(r)}`;
  if (asciiOnly ? r < 0x80 && isPrint(r) : isPrint(r)) return String.fromCodePoint(r);
  switch (r) {
    case 7: return "\\a";
    case 8: return "\\b";
    case 12: return "\\f";
    case 10: return "\\n";
    case 13: return "\\r";
    case 9: return "\\t";
    case 11: return "\\v";
  }
  if (r < 0x20 || r === 0x7f) return `\\x${hex(r, 2)}`;
  if (r >= 0xd800 && r <= 0xdfff) r = 0xfffd;
  return r < 0x10000 ? `\\u${hex(r, 4)}` : `\\U${hex(r, 8)}`;
}
/** strconv.Quote (asciiOnly: QuoteToASCII). */
export function goQuote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const ch of s) out += escapeRune(ch.codePointAt(0)!, 0x22, asciiOnly);
  return `${out}"`;
}
const quoteRune = (r: number, asciiOnly = false): string => `'${escapeRune(r > 0x10ffff ? 0xfffd : r, 0x27, asciiOnly)}'`;
const canBackquote = (s: string): boolean => [...s].every((c) => {
  const r = c.codePointAt(0)!;
  return r !== 0x60 && r !== 0xfeff && (r === 9 || (r >= 0x20 && r !== 0x7f));
});

// ─── fmt ─────────────────────────────────────────────────────────────────────────────────────────

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  plusV: boolean;
  sharpV: boolean;
  wid?: number;
  prec?: number;
}
const noFlags = (): Flags => ({ plus: false, minus: false, sharp: false, space: false, zero: false, plusV: false, sharpV: false });

class Printer {
  out = "";
  f: Flags = noFlags();

  private padding(n: number, zero = this.f.zero): void {
    if (n > 0) this.out += (zero ? "0" : " ").repeat(n);
  }
  /** fmt.pad: width counted in runes; '-' pads right with spaces. */
  pad(s: string): void {
    const w = this.f.wid;
    if (w === undefined || w === 0) {
      this.out += s;
      return;
    }
    const n = w - runeCount(s);
    if (this.f.minus) {
      this.out += s;
      this.padding(n, false);
    } else {
      this.padding(n);
      this.out += s;
    }
  }
  fmtS(s: string): void {
    this.pad(this.truncate(s));
  }
  truncate(s: string): string {
    if (this.f.prec === undefined) return s;
    return [...s].slice(0, this.f.prec).join("");
  }
  fmtQ(s: string): void {
    s = this.truncate(s);
    if (this.f.sharp && canBackquote(s)) this.pad(`\`${s}\``);
    else this.pad(goQuote(s, this.f.plus));
  }
  fmtSx(s: string, upper: boolean): void {
    let bytes = utf8(s);
    if (this.f.prec !== undefined && this.f.prec < bytes.length) bytes = bytes.slice(0, this.f.prec);
    const length = bytes.length;
    let width = 2 * length;
    if (width > 0) {
      if (this.f.space) {
        if (this.f.sharp) width *= 2;
        width += length - 1;
      } else if (this.f.sharp) width += 2;
    } else {
      if (this.f.wid !== undefined) this.padding(this.f.wid, false);
      return;
    }
    if (this.f.wid !== undefined && this.f.wid > width && !this.f.minus) this.padding(this.f.wid - width, false);
    const x = upper ? "0X" : "0x";
    let body = "";
    if (this.f.sharp && !this.f.space) body += x;
    bytes.forEach((b, i) => {
      if (this.f.space && i > 0) body += " ";
      if (this.f.sharp && this.f.space) body += x;
      const h = hex(b, 2);
      body += upper ? h.toUpperCase() : h;
    });
    this.out += body;
    if (this.f.wid !== undefined && this.f.wid > width && this.f.minus) this.padding(this.f.wid - width, false);
  }
  fmtInteger(v: bigint, signed: boolean, base: number, verb: string, upper: boolean): void {
    const negative = signed && v < 0n;
    let u = negative ? -v : v;
    let prec = 0;
    if (this.f.prec !== undefined) {
      prec = this.f.prec;
      if (prec === 0 && u === 0n) {
        const z = this.f.zero;
        this.f.zero = false;
        this.padding(this.f.wid ?? 0);
        this.f.zero = z;
        return;
      }
    } else if (this.f.zero && this.f.wid !== undefined) {
      prec = this.f.wid;
      if (negative || this.f.plus || this.f.space) prec--;
    }
    if (u < 0n) u = -u;
    let digits = u.toString(base);
    if (upper) digits = digits.toUpperCase();
    if (digits.length < prec) digits = "0".repeat(prec - digits.length) + digits;
    if (this.f.sharp) {
      if (base === 2) digits = `0b${digits}`;
      else if (base === 8 && digits[0] !== "0") digits = `0${digits}`;
      else if (base === 16) digits = `${upper ? "0X" : "0x"}${digits}`;
    }
    if (verb === "O") digits = `0o${digits}`;
    if (negative) digits = `-${digits}`;
    else if (this.f.plus) digits = `+${digits}`;
    else if (this.f.space) digits = ` ${digits}`;
    const z = this.f.zero;
    this.f.zero = false;
    this.pad(digits);
    this.f.zero = z;
  }
  fmtFloat(v: number, verb: string, prec: number): void {
    if (this.f.prec !== undefined) prec = this.f.prec;
    let num = formatFloat(v, verb, prec);
    num = num[0] === "-" || num[0] === "+" ? num : `+${num}`;
    if (this.f.space && num[0] === "+" && !this.f.plus) num = ` ${num.slice(1)}`;
    if (num[1] === "I" || num[1] === "N") {
      const z = this.f.zero;
      this.f.zero = false;
      if (num[1] === "N" && !this.f.space && !this.f.plus) num = num.slice(1);
      this.pad(num);
      this.f.zero = z;
      return;
    }
    if (this.f.sharp && verb !== "b") {
      let digits = 0;
      if (verb === "v" || verb === "g" || verb === "G" || verb === "x") digits = prec === -1 ? 6 : prec;
      let tail = "";
      let body = num;
      let hasDot = false;
      let sawNonzero = false;
      for (let i = 1; i < body.length; i++) {
        const c = body[i]!;
        if (c === ".") {
          hasDot = true;
          continue;
        }
        if (c === "p" || c === "P" || ((c === "e" || c === "E") && verb !== "x" && verb !== "X")) {
          tail = body.slice(i);
          body = body.slice(0, i);
          break;
        }
        if (c !== "0") sawNonzero = true;
        if (sawNonzero) digits--;
      }
      if (!hasDot) {
        if (body.length === 2 && body[1] === "0") digits--;
        body += ".";
      }
      while (digits-- > 0) body += "0";
      num = body + tail;
    }
    if (this.f.plus || num[0] !== "+") {
      if (this.f.zero && this.f.wid !== undefined && this.f.wid > num.length) {
        this.out += num[0];
        this.padding(this.f.wid - num.length);
        this.out += num.slice(1);
        return;
      }
      this.pad(num);
      return;
    }
    this.pad(num.slice(1));
  }
}

/** The exact decimal expansion of a positive finite double: digits (no trailing zeros) and the decimal point position. */
function exactDecimal(x: number): { d: string; dp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  let exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  if (exp === 0) exp = 1;
  else mant |= 1n << 52n;
  exp -= 1075;
  let d: string;
  let dp: number;
  if (exp >= 0) {
    d = (mant << BigInt(exp)).toString();
    dp = d.length;
  } else {
    d = (mant * 5n ** BigInt(-exp)).toString();
    dp = d.length + exp;
  }
  d = d.replace(/0+$/, "");
  return { d, dp };
}
/** Go's decimal rounding to nd digits: half to even on the exact value. */
function roundDigits(dec: { d: string; dp: number }, nd: number): { d: string; dp: number } {
  const { d, dp } = dec;
  if (nd < 0 || nd >= d.length) return dec;
  const up = d[nd] === "5" && nd + 1 === d.length ? nd > 0 && (d.charCodeAt(nd - 1) - 48) % 2 === 1 : d[nd]! >= "5";
  if (!up) return { d: d.slice(0, nd).replace(/0+$/, ""), dp };
  let i = nd - 1;
  while (i >= 0 && d[i] === "9") i--;
  if (i < 0) return { d: "1", dp: dp + 1 };
  return { d: d.slice(0, i) + String.fromCharCode(d.charCodeAt(i) + 1), dp };
}
function shortestDecimal(x: number): { d: string; dp: number } {
  const [m, e] = x.toExponential().split("e") as [string, string];
  const d = m.replace(".", "").replace(/0+$/, "");
  return { d: d || "0", dp: Number(e) + 1 };
}
function fmtE(neg: boolean, dec: { d: string; dp: number }, prec: number, e: string): string {
  let out = neg ? "-" : "";
  out += dec.d.length ? dec.d[0] : "0";
  if (prec > 0) out += `.${dec.d.slice(1, prec + 1).padEnd(prec, "0")}`;
  let exp = dec.d.length === 0 ? 0 : dec.dp - 1;
  const sign = exp < 0 ? "-" : "+";
  exp = Math.abs(exp);
  return `${out}${e}${sign}${exp < 10 ? `0${exp}` : exp}`;
}
function fmtF(neg: boolean, dec: { d: string; dp: number }, prec: number): string {
  let out = neg ? "-" : "";
  if (dec.dp > 0) out += dec.d.slice(0, dec.dp).padEnd(dec.dp, "0");
  else out += "0";
  if (prec > 0) {
    out += ".";
    for (let i = 1; i <= prec; i++) {
      const j = dec.dp + i - 1;
      out += j >= 0 && j < dec.d.length ? dec.d[j] : "0";
    }
  }
  return out;
}
/** strconv.FormatFloat(v, verb, prec, 64) for e E f F g G (and v = g shortest). */
function formatFloat(v: number, verb: string, prec: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  const neg = v < 0 || Object.is(v, -0);
  const a = Math.abs(v);
  let fmt = verb === "v" ? "g" : verb === "F" ? "f" : verb;
  if (fmt === "x" || fmt === "X" || fmt === "b") fmt = "g";
  const shortest = prec < 0;
  let dec = a === 0 ? { d: "", dp: 0 } : shortest ? shortestDecimal(a) : exactDecimal(a);
  if (shortest) {
    if (fmt === "e" || fmt === "E") prec = Math.max(dec.d.length - 1, 0);
    else if (fmt === "f") prec = Math.max(dec.d.length - dec.dp, 0);
    else prec = dec.d.length;
  } else if (a !== 0) {
    if (fmt === "e" || fmt === "E") dec = roundDigits(dec, prec + 1);
    else if (fmt === "f") dec = roundDigits(dec, dec.dp + prec);
    else {
      if (prec === 0) prec = 1;
      dec = roundDigits(dec, prec);
    }
  } else if ((fmt === "g" || fmt === "G") && prec === 0) prec = 1;
  switch (fmt) {
    case "e":
    case "E":
      return fmtE(neg, dec, prec, fmt);
    case "f":
      return fmtF(neg, dec, prec);
    default: {
      let eprec = prec;
      if (eprec > dec.d.length && dec.d.length >= dec.dp) eprec = dec.d.length;
      if (shortest) eprec = 6;
      const exp = dec.dp - 1;
      if (a !== 0 && (exp < -4 || exp >= eprec)) {
        if (prec > dec.d.length) prec = dec.d.length;
        return fmtE(neg, dec, prec - 1, fmt === "G" ? "E" : "e");
      }
      if (a === 0) return fmtF(neg, dec, 0);
      if (prec > dec.dp) prec = dec.d.length;
      return fmtF(neg, dec, Math.max(prec - dec.dp, 0));
    }
  }
}

function goSyntax(x: unknown, depth = 0): string {
  const v = desc(x);
  switch (v.k) {
    case "invalid":
      return "<invalid reflect.Value>";
    case "nil":
      return depth === 0 ? "<nil>" : "interface {}(nil)";
    case "string":
      return goQuote(v.v);
    case "bool":
      return String(v.v);
    case "int":
      return v.v.toString();
    case "uint":
      return `0x${v.v.toString(16)}`;
    case "float":
      return formatFloat(v.v, "g", -1);
    case "slice":
      return v.isNil ? `${v.t}(nil)` : `${v.t}{${v.items.map((i) => goSyntax(i, depth + 1)).join(", ")}}`;
    case "map":
      return v.isNil ? `${v.t}(nil)` : `${v.t}{${sortedKeys(v.obj).map((k) => `${goQuote(k)}:${goSyntax(v.obj[k], depth + 1)}`).join(", ")}}`;
    case "struct":
      return `${v.s.options.pointer ? "&" : ""}${v.s.type}{${Object.keys(v.s.fields).map((k) => `${k}:${goSyntax(v.s.fields[k], depth + 1)}`).join(", ")}}`;
    case "nilptr":
      return `(${v.t})(nil)`;
    case "stringer":
      return goQuote(v.s.text);
    case "func":
      return "(func)(nil)";
  }
}

function printArg(p: Printer, arg: unknown, verb: string): void {
  const v = desc(arg);
  if (v.k === "invalid" || v.k === "nil") {
    if (verb === "T" || verb === "v") p.pad("<nil>");
    else badVerb(p, verb, arg);
    return;
  }
  if (verb === "T") {
    p.fmtS(v.t);
    return;
  }
  printValue(p, v, arg, verb, 0);
}

function badVerb(p: Printer, verb: string, arg: unknown): void {
  p.out += `%!${verb}(`;
  const v = desc(arg);
  if (v.k === "invalid" || v.k === "nil") p.out += "<nil>";
  else {
    p.out += `${v.t}=`;
    printArg(p, arg, "v");
  }
  p.out += ")";
}

function fmtBool(p: Printer, b: boolean, verb: string, arg: unknown): void {
  if (verb === "t" || verb === "v") p.pad(b ? "true" : "false");
  else badVerb(p, verb, arg);
}

function fmtInt(p: Printer, v: bigint, signed: boolean, verb: string, arg: unknown): void {
  switch (verb) {
    case "v":
      if (p.f.sharpV && !signed) p.out += `0x${v.toString(16)}`;
      else p.fmtInteger(v, signed, 10, verb, false);
      return;
    case "d":
      return p.fmtInteger(v, signed, 10, verb, false);
    case "b":
      return p.fmtInteger(v, signed, 2, verb, false);
    case "o":
    case "O":
      return p.fmtInteger(v, signed, 8, verb, false);
    case "x":
      return p.fmtInteger(v, signed, 16, verb, false);
    case "X":
      return p.fmtInteger(v, signed, 16, verb, true);
    case "c": {
      const r = v < 0n || v > 0x10ffffn ? 0xfffd : Number(v);
      return p.pad(String.fromCodePoint(r >= 0xd800 && r <= 0xdfff ? 0xfffd : r));
    }
    case "q":
      return p.pad(quoteRune(v < 0n || v > 0x10ffffn ? 0xfffd : Number(v), p.f.plus));
    case "U": {
      let s = `U+${(v < 0n ? (1n << 64n) + v : v).toString(16).toUpperCase().padStart(Math.max(4, p.f.prec ?? 0), "0")}`;
      if (p.f.sharp && v >= 0n && v <= 0x10ffffn && isPrint(Number(v))) s += ` '${String.fromCodePoint(Number(v))}'`;
      const z = p.f.zero;
      p.f.zero = false;
      p.pad(s);
      p.f.zero = z;
      return;
    }
    default:
      badVerb(p, verb, arg);
  }
}

function fmtFloatVerb(p: Printer, x: number, verb: string, arg: unknown): void {
  switch (verb) {
    case "v":
      return p.fmtFloat(x, "g", -1);
    case "b":
    case "g":
    case "G":
    case "x":
    case "X":
      return p.fmtFloat(x, verb, -1);
    case "f":
    case "e":
    case "E":
      return p.fmtFloat(x, verb, 6);
    case "F":
      return p.fmtFloat(x, "f", 6);
    default:
      badVerb(p, verb, arg);
  }
}

function fmtString(p: Printer, s: string, verb: string, arg: unknown): void {
  switch (verb) {
    case "v":
      if (p.f.sharpV) p.fmtQ(s);
      else p.fmtS(s);
      return;
    case "s":
      return p.fmtS(s);
    case "x":
      return p.fmtSx(s, false);
    case "X":
      return p.fmtSx(s, true);
    case "q":
      return p.fmtQ(s);
    default:
      badVerb(p, verb, arg);
  }
}

function printValue(p: Printer, v: V, arg: unknown, verb: string, depth: number): void {
  if (p.f.sharpV && v.k !== "string" && v.k !== "int" && v.k !== "float" && v.k !== "bool") {
    p.out += goSyntax(arg, depth);
    return;
  }
  switch (v.k) {
    case "invalid":
      if (depth === 0) p.out += "<invalid reflect.Value>";
      else if (verb === "v") p.out += "<nil>";
      else badVerb(p, verb, arg);
      return;
    case "nil":
      p.pad("<nil>");
      return;
    case "bool":
      return fmtBool(p, v.v, verb, arg);
    case "int":
      return fmtInt(p, v.v, true, verb, arg);
    case "uint":
      return fmtInt(p, v.v, false, verb, arg);
    case "float":
      return fmtFloatVerb(p, v.v, verb, arg);
    case "string":
      return fmtString(p, v.v, verb, arg);
    case "stringer":
      if (verb === "v" || verb === "s" || verb === "x" || verb === "X" || verb === "q") return fmtString(p, v.s.text, verb, arg);
      if (v.s.underlying !== undefined) return printValue(p, desc(v.s.underlying), v.s.underlying, verb, depth);
      return badVerb(p, verb, arg);
    case "map": {
      p.out += "map[";
      sortedKeys(v.obj).forEach((k, i) => {
        if (i > 0) p.out += " ";
        printValue(p, desc(k), k, verb, depth + 1);
        p.out += ":";
        const e = v.obj[k];
        printValue(p, desc(e), e, verb, depth + 1);
      });
      p.out += "]";
      return;
    }
    case "struct": {
      if (depth === 0 && v.s.options.pointer) p.out += "&";
      p.out += "{";
      Object.keys(v.s.fields).forEach((k, i) => {
        if (i > 0) p.out += " ";
        if (p.f.plusV) p.out += `${k}:`;
        const e = v.s.fields[k];
        printValue(p, desc(e), e, verb, depth + 1);
      });
      p.out += "}";
      return;
    }
    case "slice":
      p.out += "[";
      v.items.forEach((e, i) => {
        if (i > 0) p.out += " ";
        printValue(p, desc(e), e, verb, depth + 1);
      });
      p.out += "]";
      return;
    case "nilptr":
      if (verb === "v" || verb === "p") p.pad("<nil>");
      else badVerb(p, verb, arg);
      return;
    case "func":
      p.out += "0x0";
      return;
  }
}

const isStringKind = (x: unknown): boolean => {
  const v = desc(x);
  return v.k === "string";
};

/** fmt.Sprint: spaces between operands when neither is a string. */
export function goSprint(args: readonly unknown[]): string {
  const p = new Printer();
  let prevString = false;
  args.forEach((a, i) => {
    const s = a !== null && a !== undefined && isStringKind(a);
    if (i > 0 && !s && !prevString) p.out += " ";
    printArg(p, a, "v");
    prevString = s;
  });
  return p.out;
}
/** fmt.Sprintln: always spaces, and a newline. */
export function goSprintln(args: readonly unknown[]): string {
  const p = new Printer();
  args.forEach((a, i) => {
    if (i > 0) p.out += " ";
    printArg(p, a, "v");
  });
  return `${p.out}\n`;
}

function intArg(x: unknown): number | undefined {
  const v = desc(x);
  if ((v.k === "int" || v.k === "uint") && v.v >= -1000000n && v.v <= 1000000n) return Number(v.v);
  return undefined;
}

/**
 * fmt's parsenum: a width or precision in the format. A number past a million is "crazy long": Go
 * gives up on it and on the rest of the format (which then ends in %!(NOVERB)), and so must the lab —
 * a precision of 333333332 would otherwise be a 333 MB string.
 */
function parseNum(s: string, start: number): { num: number; isNum: boolean; next: number } {
  let num = 0;
  let isNum = false;
  let i = start;
  for (; i < s.length && s[i]! >= "0" && s[i]! <= "9"; i++) {
    if (num > 1e6 || num < -1e6) return { num: 0, isNum: false, next: s.length };
    num = num * 10 + (s.charCodeAt(i) - 48);
    isNum = true;
  }
  return { num, isNum, next: i };
}

/** fmt.Sprintf with Go's verbs, flags, width, precision (also `*`), argument indexes and error forms. */
export function goSprintf(format: string, args: readonly unknown[]): string {
  const p = new Printer();
  let argNum = 0;
  let reordered = false;
  let i = 0;
  const n = format.length;
  while (i < n) {
    const pct = format.indexOf("%", i);
    if (pct < 0) {
      p.out += format.slice(i);
      break;
    }
    p.out += format.slice(i, pct);
    i = pct + 1;
    p.f = noFlags();
    flags: for (; i < n; i++) {
      switch (format[i]) {
        case "#": p.f.sharp = true; break;
        case "0": p.f.zero = !p.f.minus; break;
        case "+": p.f.plus = true; break;
        case "-": p.f.minus = true; p.f.zero = false; break;
        case " ": p.f.space = true; break;
        default: break flags;
      }
    }
    let goodArgNum = true;
    const argIndex = (): void => {
      if (format[i] !== "[") return;
      reordered = true;
      const close = format.indexOf("]", i);
      const num = close > i ? Number(format.slice(i + 1, close)) : NaN;
      if (close < 0 || !/^\d+$/.test(format.slice(i + 1, close)) || num < 1) {
        goodArgNum = false;
        i = close < 0 ? n : close + 1;
        return;
      }
      i = close + 1;
      if (num - 1 < args.length) argNum = num - 1;
      else goodArgNum = false;
    };
    argIndex();
    if (format[i] === "*") {
      i++;
      const w = argNum < args.length ? intArg(args[argNum]) : undefined;
      argNum++;
      if (w === undefined) p.out += "%!(BADWIDTH)";
      else {
        p.f.wid = Math.abs(w);
        if (w < 0) {
          p.f.minus = true;
          p.f.zero = false;
        }
      }
    } else {
      const m = parseNum(format, i);
      if (m.isNum) p.f.wid = m.num;
      i = m.next;
    }
    if (format[i] === ".") {
      i++;
      argIndex();
      if (format[i] === "*") {
        i++;
        const pr = argNum < args.length ? intArg(args[argNum]) : undefined;
        argNum++;
        if (pr === undefined || pr < 0) p.out += "%!(BADPREC)";
        else p.f.prec = pr;
      } else {
        const m = parseNum(format, i);
        p.f.prec = m.isNum ? m.num : 0;
        i = m.next;
      }
    }
    argIndex();
    if (i >= n) {
      p.out += "%!(NOVERB)";
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === "%") p.out += "%";
    else if (!goodArgNum) p.out += `%!${verb}(BADINDEX)`;
    else if (argNum >= args.length) p.out += `%!${verb}(MISSING)`;
    else {
      if (verb === "v") {
        p.f.sharpV = p.f.sharp;
        p.f.sharp = false;
        p.f.plusV = p.f.plus;
        p.f.plus = false;
      }
      printArg(p, args[argNum], verb);
      argNum++;
    }
  }
  if (!reordered && argNum < args.length) {
    p.f = noFlags();
    p.out += "%!(EXTRA ";
    args.slice(argNum).forEach((a, j) => {
      if (j > 0) p.out += ", ";
      if (a === null || a === undefined) p.out += "<nil>";
      else {
        p.out += `${goTypeName(a)}=`;
        printArg(p, a, "v");
      }
    });
    p.out += ")";
  }
  return p.out;
}

/** What a template prints for a value (fmt.Fprint after text/template's printableValue). */
function printable(x: unknown): string {
  if (x === undefined) return "<no value>";
  if (x instanceof GoStruct && x.options.pointer) x = new GoStruct(x.type, x.fields, { ...x.options, pointer: false });
  return goSprint([x]);
}

// ─── encoding/json ───────────────────────────────────────────────────────────────────────────────

function jsonString(s: string, escapeHTML: boolean): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c < 0x20 || (escapeHTML && (c === 0x3c || c === 0x3e || c === 0x26))) out += `\\u00${hex(c, 2)}`;
    else if (c === 0x2028 || c === 0x2029) out += `\\u${hex(c, 4)}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += "\\ufffd";
    else out += ch;
  }
  return `${out}"`;
}
function jsonFloat(x: number): string {
  const a = Math.abs(x);
  const e = a !== 0 && (a < 1e-6 || a >= 1e21);
  let s = formatFloat(x, e ? "e" : "f", -1);
  if (e) s = s.replace(/e([+-])0(\d)$/, "e$1$2");
  return s;
}
class JSONError extends Error {}
function toJSON(x: unknown, escapeHTML: boolean, keepOrder = false): string {
  if (x instanceof GoStruct) {
    if (x.options.marshalJSON) return x.options.marshalJSON();
    if (x.options.json !== undefined) return toJSON(x.options.json, escapeHTML, true);
    return `{${Object.keys(x.fields).map((k) => `${jsonString(k, escapeHTML)}:${toJSON(x.fields[k], escapeHTML)}`).join(",")}}`;
  }
  if (x instanceof GoStringer) return toJSON(x.json, escapeHTML);
  if (x instanceof GoBasic && x.type === "json.Number") return String(x.value);
  const v = desc(x);
  switch (v.k) {
    case "invalid":
    case "nil":
    case "nilptr":
      return "null";
    case "bool":
      return String(v.v);
    case "int":
    case "uint":
      return v.v.toString();
    case "float":
      if (!Number.isFinite(v.v)) throw new JSONError(`json: unsupported value: ${formatFloat(v.v, "g", -1)}`);
      return jsonFloat(v.v);
    case "string":
      return jsonString(v.v, escapeHTML);
    case "slice":
      return v.isNil ? "null" : `[${v.items.map((i) => toJSON(i, escapeHTML, keepOrder)).join(",")}]`;
    case "map": {
      if (v.isNil) return "null";
      const keys = keepOrder && !(x instanceof GoMap) ? Object.keys(v.obj) : sortedKeys(v.obj);
      return `{${keys.map((k) => `${jsonString(k, escapeHTML)}:${toJSON(v.obj[k], escapeHTML, keepOrder)}`).join(",")}}`;
    }
    case "func":
      throw new JSONError("json: unsupported type: func()");
    default:
      return "null";
  }
}
/**
 * Docker's `json` function: encoding/json with SetEscapeHTML(false) (`<` stays `<`); an encoding error
 * prints nothing, as Docker ignores it. Maps (plain objects too) have their keys sorted, as Go's are; a
 * GoStruct read from JSON encodes that JSON in its own order (Docker's JSON of a struct is in
 * declaration order).
 */
export function goJSON(x: unknown): string {
  try {
    return toJSON(x, false);
  } catch (e) {
    if (e instanceof JSONError) return "";
    throw e;
  }
}

// ─── lexer ───────────────────────────────────────────────────────────────────────────────────────

type ItemType =
  | "error" | "bool" | "char" | "charConstant" | "complex" | "assign" | "declare" | "EOF" | "field" | "identifier"
  | "leftDelim" | "leftParen" | "number" | "pipe" | "rawString" | "rightDelim" | "rightParen" | "space" | "string"
  | "text" | "variable"
  // keywords
  | "block" | "break" | "continue" | "dot" | "define" | "else" | "end" | "if" | "nil" | "range" | "template" | "with";

const KEYWORDS: Record<string, ItemType> = {
  ".": "dot", block: "block", break: "break", continue: "continue", define: "define", else: "else", end: "end",
  if: "if", range: "range", nil: "nil", template: "template", with: "with",
};
const KEYWORD_TYPES = new Set<ItemType>(["block", "break", "continue", "dot", "define", "else", "end", "if", "nil", "range", "template", "with"]);

interface Item {
  t: ItemType;
  pos: number;
  val: string;
  line: number;
}

function itemString(i: Item): string {
  if (i.t === "EOF") return "EOF";
  if (i.t === "error") return i.val;
  if (KEYWORD_TYPES.has(i.t)) return `<${i.val}>`;
  if (utf8Length(i.val) > 10) return `${goQuote([...i.val].slice(0, 10).join(""))}...`;
  return goQuote(i.val);
}

const isSpace = (c: string | undefined): boolean => c === " " || c === "\t" || c === "\r" || c === "\n";
const ALNUM = /^[\p{L}\p{Nd}_]$/u;
const isAlphaNumeric = (c: string | undefined): boolean => c !== undefined && ALNUM.test(c);
const hasLeftTrimMarker = (s: string, at: number): boolean => s[at] === "-" && isSpace(s[at + 1]);
const hasRightTrimMarker = (s: string, at: number): boolean => isSpace(s[at]) && s[at + 1] === "-";
/** %#U of a rune. */
const unicodeName = (c: string): string => {
  const r = c.codePointAt(0)!;
  const u = `U+${r.toString(16).toUpperCase().padStart(4, "0")}`;
  return isPrint(r) ? `${u} '${c}'` : u;
};

function lex(input: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let start = 0;
  let parenDepth = 0;
  // Items are emitted in order: count newlines incrementally.
  let linePos = 0;
  let line = 1;
  const lineAt = (p: number): number => {
    if (p < linePos) {
      linePos = 0;
      line = 1;
    }
    for (let i = input.indexOf("\n", linePos); i >= 0 && i < p; i = input.indexOf("\n", i + 1)) line++;
    linePos = p;
    return line;
  };
  const emit = (t: ItemType): void => {
    items.push({ t, pos: start, val: input.slice(start, pos), line: lineAt(start) });
    start = pos;
  };
  const error = (msg: string): false => {
    items.push({ t: "error", pos: start, val: msg, line: lineAt(start) });
    return false;
  };
  const peekChar = (): string | undefined => (pos < input.length ? String.fromCodePoint(input.codePointAt(pos)!) : undefined);
  const nextChar = (): string | undefined => {
    const c = peekChar();
    if (c !== undefined) pos += c.length;
    return c;
  };
  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (hasRightTrimMarker(input, pos) && input.startsWith("}}", pos + 2)) return { delim: true, trim: true };
    if (input.startsWith("}}", pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  };
  const atTerminator = (): boolean => {
    const c = peekChar();
    if (c === undefined || isSpace(c)) return true;
    if (".,|:)(".includes(c)) return true;
    return input.startsWith("}}", pos);
  };
  /** The rest of a word (letters, digits, _), which must end at a terminator. */
  const scanWord = (): boolean => {
    let r = peekChar();
    while (isAlphaNumeric(r)) {
      nextChar();
      r = peekChar();
    }
    return atTerminator() || error(`bad character ${unicodeName(r!)}`);
  };
  const skipSpaces = (): void => {
    while (isSpace(input[pos])) pos++;
  };

  /** One action's tokens after its "{{"; false on a lexing error. */
  const insideAction = (): boolean => {
    for (;;) {
      const { delim, trim } = atRightDelim();
      if (delim) {
        if (parenDepth !== 0) return error("unclosed left paren");
        if (trim) {
          pos += 2;
          start = pos;
        }
        pos += 2;
        emit("rightDelim");
        if (trim) {
          skipSpaces();
          start = pos;
        }
        return true;
      }
      const c = nextChar();
      if (c === undefined) return error("unclosed action");
      if (isSpace(c)) {
        pos--;
        let spaces = 0;
        while (isSpace(input[pos])) {
          pos++;
          spaces++;
        }
        if (hasRightTrimMarker(input, pos - 1) && input.startsWith("}}", pos + 1)) {
          pos--;
          if (spaces === 1) continue;
        }
        emit("space");
        continue;
      }
      switch (c) {
        case "=":
          emit("assign");
          continue;
        case ":":
          if (nextChar() !== "=") return error("expected :=");
          emit("declare");
          continue;
        case "|":
          emit("pipe");
          continue;
        case '"':
        case "'": {
          const unterminated = c === '"' ? "unterminated quoted string" : "unterminated character constant";
          for (;;) {
            const d = nextChar();
            if (d === "\\") {
              const e = nextChar();
              if (e !== undefined && e !== "\n") continue;
              return error(unterminated);
            }
            if (d === undefined || d === "\n") return error(unterminated);
            if (d === c) break;
          }
          emit(c === '"' ? "string" : "charConstant");
          continue;
        }
        case "`": {
          const end = input.indexOf("`", pos);
          if (end < 0) return error("unterminated raw quoted string");
          pos = end + 1;
          emit("rawString");
          continue;
        }
        case "$":
        case ".": {
          if (c === "." && (pos >= input.length || /[0-9]/.test(input[pos]!))) break;
          if (atTerminator()) {
            emit(c === "$" ? "variable" : "dot");
            continue;
          }
          if (!scanWord()) return false;
          emit(c === "$" ? "variable" : "field");
          continue;
        }
        case "(":
          emit("leftParen");
          parenDepth++;
          continue;
        case ")":
          emit("rightParen");
          parenDepth--;
          if (parenDepth < 0) return error(`unexpected right paren ${unicodeName(c)}`);
          continue;
      }
      if (c === "." || c === "+" || c === "-" || /[0-9]/.test(c)) {
        pos -= c.length;
        if (!scanNumber()) return error(`bad number syntax: ${goQuote(input.slice(start, pos))}`);
        if (input[pos] === "+" || input[pos] === "-") {
          if (!scanNumber() || input[pos - 1] !== "i") return error(`bad number syntax: ${goQuote(input.slice(start, pos))}`);
          emit("complex");
        } else emit("number");
        continue;
      }
      if (isAlphaNumeric(c)) {
        if (!scanWord()) return false;
        const word = input.slice(start, pos);
        const key = KEYWORDS[word];
        emit(key && key !== "dot" ? key : word === "true" || word === "false" ? "bool" : "identifier");
        continue;
      }
      const r = c.codePointAt(0)!;
      if (r < 0x80 && isPrint(r)) {
        emit("char");
        continue;
      }
      return error(`unrecognized character in action: ${unicodeName(c)}`);
    }
  };
  const accept = (valid: string): boolean => {
    const c = input[pos];
    if (c !== undefined && valid.includes(c)) {
      pos++;
      return true;
    }
    return false;
  };
  const acceptRun = (valid: string): void => {
    while (accept(valid));
  };
  const scanNumber = (): boolean => {
    accept("+-");
    let digits = "0123456789_";
    if (accept("0")) {
      if (accept("xX")) digits = "0123456789abcdefABCDEF_";
      else if (accept("oO")) digits = "01234567_";
      else if (accept("bB")) digits = "01_";
    }
    acceptRun(digits);
    if (accept(".")) acceptRun(digits);
    if (digits.length === 11 && accept("eE")) {
      accept("+-");
      acceptRun("0123456789_");
    }
    if (digits.length === 23 && accept("pP")) {
      accept("+-");
      acceptRun("0123456789_");
    }
    accept("i");
    if (isAlphaNumeric(peekChar())) {
      nextChar();
      return false;
    }
    return true;
  };

  for (;;) {
    const x = input.indexOf("{{", pos);
    if (x < 0) {
      pos = input.length;
      if (pos > start) emit("text");
      emit("EOF");
      return items;
    }
    pos = x;
    let textEnd = pos;
    if (hasLeftTrimMarker(input, pos + 2)) while (textEnd > start && isSpace(input[textEnd - 1])) textEnd--;
    if (textEnd > start) {
      const save = pos;
      pos = textEnd;
      emit("text");
      pos = save;
    }
    start = pos;
    pos += 2;
    const trim = hasLeftTrimMarker(input, pos);
    const after = trim ? 2 : 0;
    if (input.startsWith("/*", pos + after)) {
      pos += after;
      start = pos;
      pos += 2;
      const end = input.indexOf("*/", pos);
      if (end < 0) {
        error("unclosed comment");
        return items;
      }
      pos = end + 2;
      const { delim, trim: trimRight } = atRightDelim();
      if (!delim) {
        error("comment ends before closing delimiter");
        return items;
      }
      if (trimRight) pos += 2;
      pos += 2;
      if (trimRight) skipSpaces();
      start = pos;
      continue;
    }
    emit("leftDelim");
    pos += after;
    start = pos;
    parenDepth = 0;
    if (!insideAction()) return items;
  }
}

// ─── parse tree ──────────────────────────────────────────────────────────────────────────────────

interface NumberNode {
  type: "number";
  pos: number;
  text: string;
  isInt: boolean;
  isUint: boolean;
  isFloat: boolean;
  int: bigint;
  float: number;
}
type Node =
  | { type: "text"; pos: number; text: string }
  | { type: "action"; pos: number; pipe: PipeNode }
  | ControlNode
  | { type: "template"; pos: number; name: string; pipe: PipeNode | undefined }
  | { type: "break" | "continue" | "end" | "else" | "dot" | "nil"; pos: number }
  | ListNode
  | PipeNode
  | CommandNode
  | { type: "field"; pos: number; ident: string[] }
  | { type: "variable"; pos: number; ident: string[] }
  | { type: "chain"; pos: number; node: Node; field: string[] }
  | { type: "identifier"; pos: number; ident: string }
  | { type: "bool"; pos: number; value: boolean }
  | NumberNode
  | { type: "string"; pos: number; quoted: string; text: string };
interface ControlNode {
  type: "if" | "range" | "with";
  pos: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | undefined;
}
interface ListNode {
  type: "list";
  pos: number;
  nodes: Node[];
}
interface PipeNode {
  type: "pipe";
  pos: number;
  isAssign: boolean;
  decl: { type: "variable"; pos: number; ident: string[] }[];
  cmds: CommandNode[];
}
interface CommandNode {
  type: "command";
  pos: number;
  args: Node[];
}

function nodeString(n: Node): string {
  switch (n.type) {
    case "text":
      return n.text;
    case "action":
      return `{{${nodeString(n.pipe)}}}`;
    case "if":
    case "range":
    case "with":
      return `{{${n.type} ${nodeString(n.pipe)}}}${nodeString(n.list)}${n.elseList ? `{{else}}${nodeString(n.elseList)}` : ""}{{end}}`;
    case "template":
      return `{{template ${goQuote(n.name)}${n.pipe ? ` ${nodeString(n.pipe)}` : ""}}}`;
    case "break":
    case "continue":
    case "end":
    case "else":
      return `{{${n.type}}}`;
    case "dot":
      return ".";
    case "nil":
      return "nil";
    case "list":
      return n.nodes.map(nodeString).join("");
    case "pipe":
      return `${n.decl.length ? `${n.decl.map(nodeString).join(", ")} := ` : ""}${n.cmds.map(nodeString).join(" | ")}`;
    case "command":
      return n.args.map((a) => (a.type === "pipe" ? `(${nodeString(a)})` : nodeString(a))).join(" ");
    case "field":
      return n.ident.map((i) => `.${i}`).join("");
    case "variable":
      return n.ident.join(".");
    case "chain":
      return `${n.node.type === "pipe" ? `(${nodeString(n.node)})` : nodeString(n.node)}${n.field.map((f) => `.${f}`).join("")}`;
    case "identifier":
      return n.ident;
    case "bool":
      return String(n.value);
    case "number":
      return n.text;
    case "string":
      return n.quoted;
  }
}

/** strconv.Unquote for "…", `…` and '…'. */
function unquote(s: string): string | undefined {
  const q = s[0];
  if (q === "`") return s.length >= 2 && s.endsWith("`") ? s.slice(1, -1).replace(/\r/g, "") : undefined;
  if ((q !== '"' && q !== "'") || s.length < 2 || !s.endsWith(q)) return undefined;
  const body = s.slice(1, -1);
  const bytes: number[] = [];
  const pushStr = (t: string) => bytes.push(...utf8(t));
  for (let i = 0; i < body.length; ) {
    const c = String.fromCodePoint(body.codePointAt(i)!);
    if (c === q && q === '"') return undefined;
    if (c !== "\\") {
      pushStr(c);
      i += c.length;
      continue;
    }
    const e = body[i + 1];
    i += 2;
    const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, "\\": 92 };
    if (e !== undefined && e in simple) bytes.push(simple[e]!);
    else if (e === q) bytes.push(q.charCodeAt(0));
    else if (e === "x" || e === "u" || e === "U") {
      const len = e === "x" ? 2 : e === "u" ? 4 : 8;
      const h = body.slice(i, i + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(h)) return undefined;
      i += len;
      const v = parseInt(h, 16);
      if (e === "x") bytes.push(v);
      else {
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return undefined;
        pushStr(String.fromCodePoint(v));
      }
    } else if (e !== undefined && /[0-7]/.test(e)) {
      const o = body.slice(i - 1, i + 2);
      if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) return undefined;
      bytes.push(parseInt(o, 8));
      i += 2;
    } else return undefined;
  }
  const out = fromUtf8(Uint8Array.from(bytes));
  if (q === "'" && [...out].length !== 1) return undefined;
  return out;
}

function parseGoInt(text: string): bigint | undefined {
  let s = text;
  let neg = false;
  if (s[0] === "+" || s[0] === "-") {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  let base = 10;
  let digits = s;
  if (/^0[xX]/.test(s)) (base = 16), (digits = s.slice(2));
  else if (/^0[oO]/.test(s)) (base = 8), (digits = s.slice(2));
  else if (/^0[bB]/.test(s)) (base = 2), (digits = s.slice(2));
  else if (/^0\d/.test(s) || /^0_/.test(s)) (base = 8), (digits = s.slice(1));
  if (digits.includes("_")) {
    if (!/^_?[^_]+(_[^_]+)*$/.test(digits) || (base === 10 && digits.startsWith("_"))) return undefined;
    digits = digits.replace(/_/g, "");
  }
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^\d+$/, 16: /^[0-9a-fA-F]+$/ }[base as 2 | 8 | 10 | 16];
  if (!valid.test(digits)) return undefined;
  const prefix = { 2: "0b", 8: "0o", 10: "", 16: "0x" }[base as 2 | 8 | 10 | 16];
  const v = BigInt(prefix + digits);
  return neg ? -v : v;
}
function parseGoFloat(text: string): number | undefined {
  const s = text.replace(/_/g, "");
  if (/^[+-]?0[xX]/.test(s)) {
    const m = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(s);
    if (!m) return undefined;
    const mant = parseInt((m[2] || "0") + (m[3] ?? ""), 16) / 16 ** (m[3]?.length ?? 0);
    const v = mant * 2 ** Number(m[4]);
    return m[1] === "-" ? -v : v;
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}

function newNumber(pos: number, text: string, typ: ItemType): NumberNode {
  const n: NumberNode = { type: "number", pos, text, isInt: false, isUint: false, isFloat: false, int: 0n, float: 0 };
  if (typ === "charConstant") {
    const r = unquote(text);
    if (r === undefined) {
      // strconv.UnquoteChar: a bad escape is "invalid syntax", more than one character "malformed".
      const first = unquote(`'${/^'(\\(?:[0-7]{3}|x..|u.{4}|U.{8}|.)|.)/su.exec(text)?.[1] ?? ""}'`);
      throw new ParseFail(first === undefined ? "invalid syntax" : `malformed character constant: ${text}`);
    }
    const c = r.codePointAt(0)!;
    return { ...n, isInt: true, isUint: true, isFloat: true, int: BigInt(c), float: c };
  }
  if (typ === "complex" || text.endsWith("i")) throw new ParseFail(`complex constants are not supported: ${goQuote(text)}`);
  const i = parseGoInt(text);
  if (i !== undefined) {
    if (i >= 0n && i < 2n ** 64n) n.isUint = true;
    if (i >= -(2n ** 63n) && i < 2n ** 63n) n.isInt = true;
    n.int = i;
    if (n.isInt || n.isUint) {
      n.isFloat = true;
      n.float = Number(i);
    }
  }
  if (!n.isInt && !n.isUint) {
    const f = parseGoFloat(text);
    if (f !== undefined) {
      if (!/[.eEpP]/.test(text)) throw new ParseFail(`integer overflow: ${goQuote(text)}`);
      n.isFloat = true;
      n.float = f;
      if (Number.isInteger(f) && Math.abs(f) < TWO63) {
        n.isInt = true;
        n.int = BigInt(f);
        if (f >= 0) n.isUint = true;
      }
    }
  }
  if (!n.isInt && !n.isUint && !n.isFloat) throw new ParseFail(`illegal number syntax: ${goQuote(text)}`);
  return n;
}

class ParseFail extends Error {}

/** A template parse or execution error; `message` is Go's own text. */
export class TemplateError extends Error {
  constructor(
    message: string,
    /** "parse" (Docker exits 64 for inspect) or "exec". */
    readonly phase: "parse" | "exec",
    /** 1-based line and column (in characters) in the template text, when known. */
    readonly line: number,
    readonly column: number | undefined,
    readonly source: string,
    /** What execution had written before the error (Docker keeps it for table headers). */
    readonly output = "",
  ) {
    super(message);
    this.name = "TemplateError";
  }
  /** The template's line with a caret under the place, for people. */
  pointer(): string {
    const text = this.source.split("\n")[this.line - 1] ?? "";
    return this.column === undefined ? text : `${text}\n${" ".repeat(Math.max(0, this.column - 1))}^`;
  }
}

function location(source: string, pos: number): { line: number; column: number; goColumn: number } {
  const before = source.slice(0, pos);
  const nl = before.lastIndexOf("\n");
  const lineText = before.slice(nl + 1);
  return { line: 1 + (before.match(/\n/g)?.length ?? 0), column: lineText.length + 1, goColumn: nl < 0 ? utf8Length(before) : utf8Length(lineText) };
}

class Parser {
  private items: Item[];
  private next_ = 0;
  /** Go's lookahead buffer: token[0] is the latest item read from the lexer. */
  private token: Item[] = [];
  private peekCount = 0;
  vars: string[] = ["$"];
  rangeDepth = 0;
  actionLine = 0;

  constructor(private readonly text: string, private readonly name: string, private readonly hasFunc: (n: string) => boolean, readonly treeSet: Map<string, ListNode>) {
    this.items = lex(text);
  }
  private lexNext(): Item {
    const it = this.items[Math.min(this.next_, this.items.length - 1)]!;
    this.next_++;
    return it;
  }
  private next(): Item {
    if (this.peekCount > 0) this.peekCount--;
    else this.token[0] = this.lexNext();
    return this.token[this.peekCount]!;
  }
  private backup(): void {
    this.peekCount++;
  }
  private backup2(t1: Item): void {
    this.token[1] = t1;
    this.peekCount = 2;
  }
  private backup3(t2: Item, t1: Item): void {
    this.token[1] = t1;
    this.token[2] = t2;
    this.peekCount = 3;
  }
  private peek(): Item {
    if (this.peekCount > 0) return this.token[this.peekCount - 1]!;
    this.peekCount = 1;
    this.token[0] = this.lexNext();
    return this.token[0];
  }
  private nextNonSpace(): Item {
    let t: Item;
    do t = this.next();
    while (t.t === "space");
    return t;
  }
  private peekNonSpace(): Item {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }
  errorf(msg: string): never {
    const tok = this.token[0];
    const loc = tok ? location(this.text, tok.pos) : { line: 1, column: 1 };
    throw new TemplateError(`template: ${this.name}:${tok?.line ?? 1}: ${msg}`, "parse", tok?.line ?? loc.line, loc.column, this.text);
  }
  private unexpected(token: Item, context: string): never {
    if (token.t === "error") {
      let extra = "";
      if (this.actionLine !== 0 && this.actionLine !== token.line) {
        extra = ` in action started at ${this.name}:${this.actionLine}`;
        if (token.val.endsWith(" action")) extra = extra.slice(" in action".length);
      }
      this.errorf(`${token.val}${extra}`);
    }
    this.errorf(`unexpected ${itemString(token)} in ${context}`);
  }
  private expect(t: ItemType, context: string): Item {
    const token = this.nextNonSpace();
    if (token.t !== t) this.unexpected(token, context);
    return token;
  }

  parse(): ListNode {
    try {
      const root: ListNode = { type: "list", pos: this.peek().pos, nodes: [] };
      while (this.peek().t !== "EOF") {
        if (this.peek().t === "leftDelim") {
          const delim = this.next();
          if (this.nextNonSpace().t === "define") {
            this.parseDefinition();
            continue;
          }
          this.backup2(delim);
        }
        const n = this.textOrAction();
        if (n.type === "end" || n.type === "else") this.errorf(`unexpected ${nodeString(n)}`);
        root.nodes.push(n);
      }
      return root;
    } catch (e) {
      if (e instanceof ParseFail) this.errorf(e.message);
      throw e;
    }
  }
  private parseDefinition(): void {
    const context = "define clause";
    const name = this.templateName(this.nextNonSpace(), context);
    this.expect("rightDelim", context);
    this.definitionBody(name, context);
  }
  /** A {{define}} or {{block}} body, up to its {{end}}: a template of its own (with only $ defined). */
  private definitionBody(name: string, context: string): void {
    const saved = this.vars;
    this.vars = ["$"];
    const [list, end] = this.itemList();
    this.vars = saved;
    if (end.type !== "end") this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    this.addTree(name, list);
  }
  private addTree(name: string, list: ListNode): void {
    const old = this.treeSet.get(name);
    if (old && !isEmptyTree(old) && !isEmptyTree(list)) this.errorf(`template: multiple definition of template ${goQuote(name)}`);
    if (!old || isEmptyTree(old)) this.treeSet.set(name, list);
  }
  private itemList(): [ListNode, Node] {
    const list: ListNode = { type: "list", pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().t !== "EOF") {
      const n = this.textOrAction();
      if (n.type === "end" || n.type === "else") return [list, n];
      list.nodes.push(n);
    }
    this.errorf("unexpected EOF");
  }
  private textOrAction(): Node {
    const token = this.nextNonSpace();
    switch (token.t) {
      case "text":
        return { type: "text", pos: token.pos, text: token.val };
      case "leftDelim": {
        this.actionLine = token.line;
        try {
          return this.action();
        } finally {
          this.actionLine = 0;
        }
      }
      default:
        this.unexpected(token, "input");
    }
  }
  private action(): Node {
    const token = this.nextNonSpace();
    switch (token.t) {
      case "block":
        return this.blockControl();
      case "break":
      case "continue": {
        const t = this.nextNonSpace();
        if (t.t !== "rightDelim") this.unexpected(t, `{{${token.t}}}`);
        if (this.rangeDepth === 0) this.errorf(`{{${token.t}}} outside {{range}}`);
        return { type: token.t, pos: token.pos };
      }
      case "else": {
        const peek = this.peekNonSpace();
        if (peek.t === "if") return { type: "else", pos: peek.pos };
        return { type: "else", pos: this.expect("rightDelim", "else").pos };
      }
      case "end":
        return { type: "end", pos: this.expect("rightDelim", "end").pos };
      case "if":
      case "range":
      case "with":
        return this.control(token.t);
      case "template":
        return this.templateControl();
    }
    this.backup();
    const t = this.peek();
    return { type: "action", pos: t.pos, pipe: this.pipeline("command", "rightDelim") };
  }
  private pipeline(context: string, end: ItemType): PipeNode {
    const token = this.peekNonSpace();
    const pipe: PipeNode = { type: "pipe", pos: token.pos, isAssign: false, decl: [], cmds: [] };
    decls: for (;;) {
      const v = this.peekNonSpace();
      if (v.t !== "variable") break;
      this.next();
      const tokenAfterVariable = this.peek();
      const next = this.peekNonSpace();
      if (next.t === "assign" || next.t === "declare") {
        pipe.isAssign = next.t === "assign";
        this.nextNonSpace();
        pipe.decl.push({ type: "variable", pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
      } else if (next.t === "char" && next.val === ",") {
        this.nextNonSpace();
        pipe.decl.push({ type: "variable", pos: v.pos, ident: [v.val] });
        this.vars.push(v.val);
        if (context === "range" && pipe.decl.length < 2) {
          const p = this.peekNonSpace().t;
          if (p === "variable" || p === "rightDelim" || p === "rightParen") continue decls;
          this.errorf("range can only initialize variables");
        }
        this.errorf(`too many declarations in ${context}`);
      } else if (tokenAfterVariable.t === "space") this.backup3(v, tokenAfterVariable);
      else this.backup2(v);
      break;
    }
    for (;;) {
      const token = this.nextNonSpace();
      if (token.t === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (token.t) {
        case "bool":
        case "charConstant":
        case "complex":
        case "dot":
        case "field":
        case "identifier":
        case "number":
        case "nil":
        case "rawString":
        case "string":
        case "variable":
        case "leftParen":
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(token, context);
      }
    }
  }
  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const t = c.args[0]!.type;
      if (t === "bool" || t === "dot" || t === "nil" || t === "number" || t === "string") this.errorf(`non executable command in pipeline stage ${i + 2}`);
    });
  }
  private control(kind: "if" | "range" | "with"): Node {
    const mark = this.vars.length;
    try {
      const pipe = this.pipeline(kind, "rightDelim");
      if (kind === "range") this.rangeDepth++;
      const [list, end] = this.itemList();
      let next = end;
      if (kind === "range") this.rangeDepth--;
      let elseList: ListNode | undefined;
      if (next.type === "else") {
        if (kind === "if" && this.peek().t === "if") {
          this.next();
          elseList = { type: "list", pos: next.pos, nodes: [this.control("if")] };
        } else {
          [elseList, next] = this.itemList();
          if (next.type !== "end") this.errorf(`expected end; found ${nodeString(next)}`);
        }
      }
      return { type: kind, pos: pipe.pos, pipe, list, elseList };
    } finally {
      this.vars.length = mark;
    }
  }
  private templateName(token: Item, context: string): string {
    if (token.t !== "string" && token.t !== "rawString") this.unexpected(token, context);
    const s = unquote(token.val);
    if (s === undefined) this.errorf("invalid syntax");
    return s;
  }
  private templateControl(): Node {
    const context = "template clause";
    const token = this.nextNonSpace();
    const name = this.templateName(token, context);
    let pipe: PipeNode | undefined;
    if (this.nextNonSpace().t !== "rightDelim") {
      this.backup();
      pipe = this.pipeline(context, "rightDelim");
    }
    return { type: "template", pos: token.pos, name, pipe };
  }
  private blockControl(): Node {
    const context = "block clause";
    const token = this.nextNonSpace();
    const name = this.templateName(token, context);
    const pipe = this.pipeline(context, "rightDelim");
    this.definitionBody(name, context);
    return { type: "template", pos: token.pos, name, pipe };
  }
  private command(): CommandNode {
    const cmd: CommandNode = { type: "command", pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const token = this.next();
      if (token.t === "space") continue;
      if (token.t === "rightDelim" || token.t === "rightParen") this.backup();
      else if (token.t !== "pipe") this.unexpected(token, "operand");
      break;
    }
    if (cmd.args.length === 0) this.errorf("empty command");
    return cmd;
  }
  private operand(): Node | undefined {
    let node = this.term();
    if (!node) return undefined;
    if (this.peek().t === "field") {
      const chainPos = this.peek().pos;
      const fields: string[] = [];
      while (this.peek().t === "field") fields.push(this.next().val.slice(1));
      switch (node.type) {
        case "field":
          node = { type: "field", pos: chainPos, ident: [...node.ident, ...fields] };
          break;
        case "variable":
          node = { type: "variable", pos: chainPos, ident: [...node.ident, ...fields] };
          break;
        case "bool":
        case "string":
        case "number":
        case "nil":
        case "dot":
          this.errorf(`unexpected . after term ${goQuote(nodeString(node))}`);
        // falls through (errorf never returns)
        default:
          node = { type: "chain", pos: chainPos, node, field: fields };
      }
    }
    return node;
  }
  private term(): Node | undefined {
    const token = this.nextNonSpace();
    switch (token.t) {
      case "identifier":
        if (!this.hasFunc(token.val)) this.errorf(`function ${goQuote(token.val)} not defined`);
        return { type: "identifier", pos: token.pos, ident: token.val };
      case "dot":
        return { type: "dot", pos: token.pos };
      case "nil":
        return { type: "nil", pos: token.pos };
      case "variable": {
        const ident = token.val.split(".");
        if (!this.vars.includes(ident[0]!)) this.errorf(`undefined variable ${goQuote(ident[0]!)}`);
        return { type: "variable", pos: token.pos, ident };
      }
      case "field":
        return { type: "field", pos: token.pos, ident: [token.val.slice(1)] };
      case "bool":
        return { type: "bool", pos: token.pos, value: token.val === "true" };
      case "charConstant":
      case "complex":
      case "number":
        try {
          return newNumber(token.pos, token.val, token.t);
        } catch (e) {
          if (e instanceof ParseFail) this.errorf(e.message);
          throw e;
        }
      case "leftParen":
        return this.pipeline("parenthesized pipeline", "rightParen");
      case "string":
      case "rawString": {
        const s = unquote(token.val);
        if (s === undefined) this.errorf("invalid syntax");
        return { type: "string", pos: token.pos, quoted: token.val, text: s };
      }
    }
    this.backup();
    return undefined;
  }
}

function isEmptyTree(n: Node): boolean {
  switch (n.type) {
    case "list":
      return n.nodes.every(isEmptyTree);
    case "text":
      return n.text.trim() === "";
    default:
      return false;
  }
}

// ─── functions ───────────────────────────────────────────────────────────────────────────────────

/** A parameter's Go type: interface{}, reflect.Value, string, int, bool or []string. */
export type ParamType = "any" | "value" | "string" | "int" | "bool" | "[]string";
/** A template function: its parameter types (the last repeated when `variadic`); throw FuncError to fail. */
export interface GoFunc {
  params: ParamType[];
  variadic?: ParamType;
  fn: (...args: unknown[]) => unknown;
}
/** A function's error: the template says `error calling NAME: message`. */
export class FuncError extends Error {}

const indirectInterface = (x: unknown): unknown => (x === null ? undefined : x);
const numOf = (x: unknown): number => {
  const v = desc(x);
  return v.k === "int" || v.k === "uint" ? Number(v.v) : v.k === "float" ? v.v : 0;
};

function isTrue(x: unknown): boolean {
  const v = desc(indirectInterface(x));
  switch (v.k) {
    case "invalid":
    case "nil":
    case "nilptr":
      return false;
    case "bool":
      return v.v;
    case "int":
    case "uint":
      return v.v !== 0n;
    case "float":
      return v.v !== 0;
    case "string":
      return v.v.length > 0;
    case "slice":
      return v.items.length > 0;
    case "map":
      return Object.keys(v.obj).length > 0;
    case "stringer":
      return v.s.underlying === undefined ? true : isTrue(v.s.underlying);
    default:
      return true;
  }
}

type BasicKind = "invalid" | "bool" | "int" | "uint" | "float" | "string";
function basicKind(x: unknown): { k: BasicKind; v: V } {
  let v = desc(x);
  if (v.k === "stringer" && v.s.underlying !== undefined) v = desc(v.s.underlying);
  switch (v.k) {
    case "bool":
    case "int":
    case "uint":
    case "float":
    case "string":
      return { k: v.k, v };
    default:
      return { k: "invalid", v };
  }
}
const val = (v: V): unknown => ("v" in v ? v.v : undefined);
const BAD_TYPE = "invalid type for comparison";
const BAD_COMPARE = "incompatible types for comparison";

function eq(arg1: unknown, ...rest: unknown[]): boolean {
  arg1 = indirectInterface(arg1);
  if (rest.length === 0) throw new FuncError("missing argument for comparison");
  const a = basicKind(arg1);
  for (let arg of rest) {
    arg = indirectInterface(arg);
    const b = basicKind(arg);
    let truth = false;
    if (a.k !== b.k) {
      if ((a.k === "int" && b.k === "uint") || (a.k === "uint" && b.k === "int")) truth = val(a.v) === val(b.v);
      else if (arg1 !== undefined && arg !== undefined) throw new FuncError(BAD_COMPARE);
    } else if (a.k !== "invalid") truth = val(a.v) === val(b.v);
    else {
      const nil1 = arg1 === undefined || a.v.k === "nilptr" || ((a.v.k === "map" || a.v.k === "slice") && a.v.isNil);
      const nil2 = arg === undefined || b.v.k === "nilptr" || ((b.v.k === "map" || b.v.k === "slice") && b.v.isNil);
      if (arg1 !== undefined && arg !== undefined && a.v.k !== b.v.k) throw new FuncError(`non-comparable types ${goSprintf("%s", [arg1])}: ${goTypeName(arg1)}, ${goTypeName(arg)}: ${goSprint([arg])}`);
      if (nil1 || nil2) truth = nil1 === nil2;
      else if (b.v.k === "map" || b.v.k === "slice" || b.v.k === "func") throw new FuncError(`non-comparable type ${goSprintf("%s", [arg])}: ${goTypeName(arg)}`);
      else truth = arg1 === arg;
    }
    if (truth) return true;
  }
  return false;
}
function lt(arg1: unknown, arg2: unknown): boolean {
  const a = basicKind(indirectInterface(arg1));
  if (a.k === "invalid") throw new FuncError(BAD_TYPE);
  const b = basicKind(indirectInterface(arg2));
  if (b.k === "invalid") throw new FuncError(BAD_TYPE);
  if (a.k !== b.k) {
    if (a.k === "int" && b.k === "uint") return (val(a.v) as bigint) < (val(b.v) as bigint);
    if (a.k === "uint" && b.k === "int") return (val(a.v) as bigint) < (val(b.v) as bigint);
    throw new FuncError(BAD_COMPARE);
  }
  if (a.k === "bool") throw new FuncError(BAD_TYPE);
  if (a.k === "string") return compareGo(val(a.v) as string, val(b.v) as string) < 0;
  return (val(a.v) as number) < (val(b.v) as number);
}
const le = (a: unknown, b: unknown): boolean => lt(a, b) || eq(a, b);

function indexArg(index: unknown, cap: number): number {
  const v = desc(index);
  if (v.k === "int" || v.k === "uint") {
    if (v.v < 0n || v.v > BigInt(cap)) throw new FuncError(`index out of range: ${v.v}`);
    return Number(v.v);
  }
  if (v.k === "invalid" || v.k === "nil") throw new FuncError("cannot index slice/array with nil");
  throw new FuncError(`cannot index slice/array with type ${v.t}`);
}
const derefStruct = (x: unknown): unknown => (x instanceof GoStruct && x.options.pointer ? new GoStruct(x.type, x.fields, { ...x.options, pointer: false }) : x);

function index(item: unknown, ...indexes: unknown[]): unknown {
  item = indirectInterface(item);
  if (item === undefined) throw new FuncError("index of untyped nil");
  for (let idx of indexes) {
    idx = indirectInterface(idx);
    const v = desc(derefStruct(item));
    switch (v.k) {
      case "nilptr":
      case "nil":
        throw new FuncError("index of nil pointer");
      case "slice": {
        const x = indexArg(idx, v.items.length);
        if (x >= v.items.length) throw new FuncError("reflect: slice index out of range");
        item = v.items[x];
        break;
      }
      case "string": {
        const bytes = utf8(v.v);
        const x = indexArg(idx, bytes.length);
        if (x >= bytes.length) throw new FuncError("reflect: string index out of range");
        item = new GoBasic("uint8", "uint", bytes[x]!);
        break;
      }
      case "map": {
        const k = desc(idx);
        if (k.k === "invalid") throw new FuncError("value is nil; should be of type string");
        if (k.k !== "string" || k.t !== "string") throw new FuncError(`value has type ${k.k === "nil" ? "interface {}" : k.t}; should be string`);
        item = hasOwn(v.obj, k.v) ? v.obj[k.v] : v.zero;
        break;
      }
      default:
        throw new FuncError(`can't index item of type ${v.k === "invalid" ? "invalid" : v.t}`);
    }
  }
  return item;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  item = indirectInterface(item);
  if (item === undefined) throw new FuncError("slice of untyped nil");
  if (indexes.length > 3) throw new FuncError(`too many slice indexes: ${indexes.length}`);
  const v = desc(item);
  let len: number;
  let bytes: Uint8Array | undefined;
  if (v.k === "string") {
    if (indexes.length === 3) throw new FuncError("cannot 3-index slice a string");
    bytes = utf8(v.v);
    len = bytes.length;
  } else if (v.k === "slice") len = v.items.length;
  else throw new FuncError(`can't slice item of type ${v.k === "invalid" ? "invalid" : v.t}`);
  const idx = [0, len, len];
  indexes.forEach((x, i) => (idx[i] = indexArg(indirectInterface(x), len)));
  if (idx[0]! > idx[1]!) throw new FuncError(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1]! > idx[2]!) throw new FuncError(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (bytes) {
    const s = fromUtf8(bytes.slice(idx[0], idx[1]));
    return v.t === "string" ? s : new GoBasic(v.t, "string", s);
  }
  const items = (v as { items: readonly unknown[] }).items.slice(idx[0], idx[1]);
  return item instanceof GoSlice || item instanceof GoNil ? new GoSlice(v.t, items) : items;
}

function length(item: unknown): unknown {
  if (item === undefined) throw new FuncError("reflect: call of reflect.Value.Type on zero Value");
  const v = desc(derefStruct(item));
  switch (v.k) {
    case "nil":
    case "nilptr":
      throw new FuncError("len of nil pointer");
    case "string":
      return goInt(utf8Length(v.v));
    case "slice":
      return goInt(v.items.length);
    case "map":
      return goInt(Object.keys(v.obj).length);
    default:
      throw new FuncError(`len of type ${"t" in v ? v.t : "invalid"}`);
  }
}

/** text/template's evalArgs for html, js and urlquery. */
function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === "string") return args[0];
  return goSprint(args.map((a) => (a === null || a === undefined ? "<no value>" : derefStruct(a))));
}
function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => ({ "\0": "\uFFFD", '"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]!);
}
function jsEscape(s: string): string {
  let out = "";
  for (const ch of s) {
    const r = ch.codePointAt(0)!;
    const named: Record<string, string> = { "\\": "\\\\", "'": "\\'", '"': '\\"', "<": "\\u003C", ">": "\\u003E", "&": "\\u0026", "=": "\\u003D" };
    if (named[ch]) out += named[ch];
    else if (r < 0x20) out += `\\u00${hex(r, 2).toUpperCase()}`;
    else if (r >= 0x80 && !isPrint(r)) out += `\\u${hex(r, 4).toUpperCase()}`;
    else out += ch;
  }
  return out;
}
function queryEscape(s: string): string {
  let out = "";
  for (const b of utf8(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += `%${hex(b, 2).toUpperCase()}`;
  }
  return out;
}

const anyVariadic = (fn: (...a: unknown[]) => unknown): GoFunc => ({ params: [], variadic: "any", fn });

/** Go's builtin template functions (and/or are evaluated lazily by the executor). */
const BUILTINS: Record<string, GoFunc> = {
  and: { params: ["value"], variadic: "value", fn: () => undefined },
  or: { params: ["value"], variadic: "value", fn: () => undefined },
  not: { params: ["value"], fn: (a) => !isTrue(a) },
  call: {
    params: ["value"],
    variadic: "value",
    fn: (f, ...args) => {
      const v = desc(indirectInterface(f));
      if (v.k === "invalid") throw new FuncError("call of nil");
      if (v.k !== "func") throw new FuncError(`non-function of type ${v.t}`);
      return v.f(...args.map(indirectInterface));
    },
  },
  html: anyVariadic((...a) => htmlEscape(evalArgs(a))),
  js: anyVariadic((...a) => jsEscape(evalArgs(a))),
  urlquery: anyVariadic((...a) => queryEscape(evalArgs(a))),
  index: { params: ["value"], variadic: "value", fn: index },
  slice: { params: ["value"], variadic: "value", fn: slice },
  len: { params: ["value"], fn: length },
  print: anyVariadic((...a) => goSprint(a)),
  println: anyVariadic((...a) => goSprintln(a)),
  printf: { params: ["string"], variadic: "any", fn: (f, ...a) => goSprintf(f as string, a) },
  eq: { params: ["value"], variadic: "value", fn: eq },
  ne: { params: ["value", "value"], fn: (a, b) => !eq(a, b) },
  lt: { params: ["value", "value"], fn: lt },
  le: { params: ["value", "value"], fn: le },
  gt: { params: ["value", "value"], fn: (a, b) => !le(a, b) },
  ge: { params: ["value", "value"], fn: (a, b) => !lt(a, b) },
};

/** Go's simple (one rune to one rune) case mapping: JS's full mapping turns "ß" into "SS". */
function mapRunes(s: string, f: (c: string) => string): string {
  let out = "";
  for (const c of s) {
    if (c === "\u0130" && f === lowerRune) out += "i";
    else {
      const m = f(c);
      out += [...m].length === 1 ? m : c;
    }
  }
  return out;
}
const lowerRune = (c: string): string => c.toLowerCase();
const upperRune = (c: string): string => c.toUpperCase();
/** unicode.ToTitle differs from ToUpper only for these digraphs. */
const TITLE_DIGRAPHS: Record<string, string> = Object.fromEntries(
  [[0x1c4, 0x1c5], [0x1c7, 0x1c8], [0x1ca, 0x1cb], [0x1f1, 0x1f2]].flatMap(([first, title]) => [0, 1, 2].map((i) => [String.fromCodePoint(first! + i), String.fromCodePoint(title!)])),
);
/** strings.Title: the first letter of each word upper-cased. */
function title(s: string): string {
  let prev = " ";
  let out = "";
  const isSeparator = (c: string): boolean => {
    const r = c.codePointAt(0)!;
    if (r <= 0x7f) return !/[0-9A-Za-z_]/.test(c);
    if (/[\p{L}\p{Nd}]/u.test(c)) return false;
    return /\s/u.test(c);
  };
  for (const c of s) {
    out += isSeparator(prev) ? (TITLE_DIGRAPHS[c] ?? mapRunes(c, upperRune)) : c;
    prev = c;
  }
  return out;
}
function repeat(s: string, n: number): string {
  if (n < 0) throw new FuncError("strings: negative Repeat count");
  return s.repeat(n);
}

/** docker/cli's template functions (templates.basicFunctions). */
export const DOCKER_FUNCS: Readonly<Record<string, GoFunc>> = {
  json: { params: ["any"], fn: (v) => goJSON(v) },
  split: { params: ["string", "string"], fn: (s, sep) => new GoSlice("[]string", sep === "" ? [...(s as string)] : (s as string).split(sep as string)) },
  join: { params: ["[]string", "string"], fn: (a, sep) => (a as string[]).join(sep as string) },
  title: { params: ["string"], fn: (s) => title(s as string) },
  lower: { params: ["string"], fn: (s) => mapRunes(s as string, lowerRune) },
  upper: { params: ["string"], fn: (s) => mapRunes(s as string, upperRune) },
  pad: { params: ["string", "int", "int"], fn: (s, a, b) => ((s as string) === "" ? "" : repeat(" ", numOf(a)) + (s as string) + repeat(" ", numOf(b))) },
  truncate: {
    params: ["string", "int"],
    fn: (s, n) => {
      const bytes = utf8(s as string);
      const len = numOf(n);
      if (bytes.length < len) return s;
      if (len < 0) throw new FuncError(`runtime error: slice bounds out of range [:${len}]`);
      return fromUtf8(bytes.slice(0, len));
    },
  },
};
/** docker/cli's templates.HeaderFunctions: what a table header is executed with (pad stays as it is). */
export const DOCKER_HEADER_FUNCS: Readonly<Record<string, GoFunc>> = {
  json: { params: ["string"], fn: (v) => v },
  split: { params: ["string", "string"], fn: (v) => v },
  join: { params: ["string", "string"], fn: (v) => v },
  title: { params: ["string"], fn: (v) => v },
  lower: { params: ["string"], fn: (v) => v },
  upper: { params: ["string"], fn: (v) => v },
  truncate: { params: ["string", "int"], fn: (v) => v },
};

// ─── execution ───────────────────────────────────────────────────────────────────────────────────

export type MissingKey = "default" | "zero" | "error";
export interface ExecuteOptions {
  /** Go's Option("missingkey=…"): a missing map key prints `<no value>` (default), the zero value, or fails. */
  missingKey?: MissingKey;
  /** Functions replacing the template's own ones of the same name (Go's tmpl.Funcs after parsing). */
  funcs?: Readonly<Record<string, GoFunc>>;
}
export interface ParseOptions {
  /** The template's name (Docker's is ""), in messages. */
  name?: string;
  /** Functions besides Go's builtins (e.g. DOCKER_FUNCS). */
  funcs?: Readonly<Record<string, GoFunc>>;
}

const MISSING = Symbol("missing");
const BREAK = Symbol("break");
const CONTINUE = Symbol("continue");
const MAX_DEPTH = 100000;

class ExecFail {
  constructor(readonly message: string) {}
}

class State {
  out = "";
  node: Node | undefined;
  vars: { name: string; value: unknown; iface?: boolean }[];
  depth = 0;
  /** Dot is a value taken out of an interface{} container (a range element of JSON): Go names its type `interface {}`. */
  dotIface = false;
  /** Whether evalField's last result came out of an interface{} container. */
  private lastIface = false;
  constructor(readonly tmpl: Template, readonly funcs: Readonly<Record<string, GoFunc>>, readonly missingKey: MissingKey, dot: unknown) {
    this.vars = [{ name: "$", value: dot }];
  }
  at(n: Node): void {
    this.node = n;
  }
  errorf(msg: string): never {
    const name = this.tmpl.name;
    if (!this.node) throw new ExecFail(`template: ${name}: ${msg}`);
    const { line, goColumn } = location(this.tmpl.text, this.node.pos);
    let context = nodeString(this.node);
    if (utf8Length(context) > 20) context = `${[...context].slice(0, 20).join("")}...`;
    throw new ExecFail(`template: ${name}:${line}:${goColumn}: executing ${goQuote(name)} at <${context}>: ${msg}`);
  }
  varValue(name: string): unknown {
    return this.variable(name).value;
  }
  private variable(name: string): { value: unknown; iface?: boolean } {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!;
    this.errorf(`undefined variable: ${name}`);
  }
  setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }
  findFunc(name: string): GoFunc | undefined {
    return this.funcs[name] ?? BUILTINS[name];
  }

  walk(dot: unknown, node: Node): void {
    this.at(node);
    switch (node.type) {
      case "action": {
        const v = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, v);
        return;
      }
      case "break":
        throw BREAK;
      case "continue":
        throw CONTINUE;
      case "if":
      case "with": {
        const mark = this.vars.length;
        const v = this.evalPipeline(dot, node.pipe);
        if (isTrue(v)) {
          if (node.type === "with") {
            const saved = this.dotIface;
            this.dotIface = false;
            try {
              this.walk(v, node.list);
            } finally {
              this.dotIface = saved;
            }
          } else this.walk(dot, node.list);
        } else if (node.elseList) this.walk(dot, node.elseList);
        this.vars.length = mark;
        return;
      }
      case "list":
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case "range":
        return this.walkRange(dot, node);
      case "template":
        return this.walkTemplate(dot, node);
      case "text":
        this.out += node.text;
        return;
      default:
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }
  private walkRange(dot: unknown, r: ControlNode): void {
    this.at(r);
    const mark = this.vars.length;
    try {
      const x = derefStruct(this.evalPipeline(dot, r.pipe));
      const inner = this.vars.length;
      const v = desc(x);
      const iface = (v.k === "slice" && v.t === "[]interface {}") || (v.k === "map" && v.t === "map[string]interface {}");
      const savedIface = this.dotIface;
      const one = (i: unknown, elem: unknown): void => {
        if (r.pipe.decl.length > 0) Object.assign(this.vars[this.vars.length - 1]!, { value: elem, iface });
        if (r.pipe.decl.length > 1) Object.assign(this.vars[this.vars.length - 2]!, { value: i, iface: false });
        this.dotIface = iface;
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (e !== CONTINUE) throw e;
        } finally {
          this.vars.length = inner;
          this.dotIface = savedIface;
        }
      };
      let ran = false;
      if (v.k === "slice") {
        v.items.forEach((e, i) => one(goInt(i), e));
        ran = v.items.length > 0;
      } else if (v.k === "map") {
        const keys = sortedKeys(v.obj);
        for (const k of keys) one(k, v.obj[k]);
        ran = keys.length > 0;
      } else if (v.k !== "invalid") this.errorf(`range can't iterate over ${goSprint([x])}`);
      if (!ran && r.elseList) this.walk(dot, r.elseList);
    } catch (e) {
      if (e !== BREAK) throw e;
    } finally {
      this.vars.length = mark;
    }
  }
  private walkTemplate(dot: unknown, t: Extract<Node, { type: "template" }>): void {
    this.at(t);
    const root = this.tmpl.trees.get(t.name);
    if (!root) this.errorf(`template ${goQuote(t.name)} not defined`);
    if (this.depth >= MAX_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_DEPTH})`);
    const d = t.pipe ? this.evalPipeline(dot, t.pipe) : undefined;
    const saved = this.vars;
    const savedIface = this.dotIface;
    this.vars = [{ name: "$", value: d }];
    this.dotIface = false;
    this.depth++;
    try {
      this.walk(d, root);
    } finally {
      this.depth--;
      this.vars = saved;
      this.dotIface = savedIface;
    }
  }
  private printValue(n: Node, v: unknown): void {
    this.at(n);
    if (typeof v === "function") this.errorf(`can't print ${nodeString(n)} of type func`);
    this.out += printable(v);
  }

  evalPipeline(dot: unknown, pipe: PipeNode | undefined): unknown {
    if (!pipe) return undefined;
    this.at(pipe);
    let value: unknown = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      if (value === null) value = undefined;
    }
    for (const d of pipe.decl) {
      if (pipe.isAssign) this.setVar(d.ident[0]!, value);
      else this.vars.push({ name: d.ident[0]!, value });
    }
    return value;
  }
  private notAFunction(args: Node[] | undefined, final: unknown): void {
    if ((args && args.length > 1) || final !== MISSING) this.errorf(`can't give argument to non-function ${nodeString(args![0]!)}`);
  }
  private evalCommand(dot: unknown, cmd: CommandNode, final: unknown): unknown {
    const first = cmd.args[0]!;
    switch (first.type) {
      case "field":
        return this.evalFieldNode(dot, first, cmd.args, final);
      case "chain":
        return this.evalChainNode(dot, first, cmd.args, final);
      case "identifier":
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case "pipe":
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case "variable":
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case "bool":
        return first.value;
      case "dot":
        return dot;
      case "nil":
        this.errorf("nil is not a command");
      // falls through (errorf never returns)
      case "number":
        return this.idealConstant(first);
      case "string":
        return first.text;
    }
    this.errorf(`can't evaluate command ${goQuote(nodeString(first))}`);
  }
  private idealConstant(n: NumberNode): unknown {
    this.at(n);
    const t = n.text;
    const isHexInt = t.length > 2 && t[0] === "0" && (t[1] === "x" || t[1] === "X") && !/[pP]/.test(t);
    if (n.isFloat && !isHexInt && t[0] !== "'" && /[.eEpP]/.test(t)) return goFloat(n.float);
    if (n.isInt) return goInt(n.int);
    if (n.isUint) this.errorf(`${n.text} overflows int`);
    return undefined;
  }
  private evalFieldNode(dot: unknown, field: Extract<Node, { type: "field" }>, args: Node[] | undefined, final: unknown): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final, this.dotIface);
  }
  private evalChainNode(dot: unknown, chain: Extract<Node, { type: "chain" }>, args: Node[] | undefined, final: unknown): unknown {
    this.at(chain);
    if (chain.node.type === "nil") this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, "none", chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.field, args, final, false);
  }
  private evalVariableNode(dot: unknown, v: Extract<Node, { type: "variable" }>, args: Node[] | undefined, final: unknown): unknown {
    this.at(v);
    const variable = this.variable(v.ident[0]!);
    if (v.ident.length === 1) {
      this.notAFunction(args, final);
      return variable.value;
    }
    return this.evalFieldChain(dot, variable.value, v, v.ident.slice(1), args, final, variable.iface ?? false);
  }
  private evalFieldChain(dot: unknown, receiver: unknown, node: Node, ident: string[], args: Node[] | undefined, final: unknown, iface: boolean): unknown {
    for (let i = 0; i < ident.length - 1; i++) {
      receiver = this.evalField(dot, ident[i]!, node, undefined, MISSING, receiver, iface);
      iface = this.lastIface;
    }
    return this.evalField(dot, ident[ident.length - 1]!, node, args, final, receiver, iface);
  }
  private evalFunction(dot: unknown, node: Extract<Node, { type: "identifier" }>, cmd: Node, args: Node[] | undefined, final: unknown): unknown {
    this.at(node);
    const f = this.findFunc(node.ident);
    if (!f) this.errorf(`${goQuote(node.ident)} is not a defined function`);
    return this.evalCall(dot, f, cmd, node.ident, args, final);
  }
  private evalField(dot: unknown, name: string, node: Node, args: Node[] | undefined, final: unknown, receiver: unknown, iface: boolean): unknown {
    this.lastIface = false;
    if (receiver === undefined) {
      if (this.missingKey === "error") this.errorf(`nil data; no entry for key ${goQuote(name)}`);
      return undefined;
    }
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${name}`);
    const v = desc(receiver);
    const hasArgs = (args !== undefined && args.length > 1) || final !== MISSING;
    const method = (f: unknown, self: object): unknown =>
      this.evalCall(dot, { params: [], variadic: "any", fn: (...a: unknown[]) => (f as (...x: unknown[]) => unknown).apply(self, a) }, node, name, args, final);
    switch (v.k) {
      case "struct":
        if (hasOwn(v.s.fields, name)) {
          const f = v.s.fields[name];
          if (typeof f === "function") return method(f, v.s.fields);
          if (hasArgs) this.errorf(`${name} has arguments but cannot be invoked as function`);
          return f;
        }
        break;
      case "map": {
        if (hasOwn(v.obj, name) && typeof v.obj[name] === "function") return method(v.obj[name], v.obj);
        if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
        this.lastIface = v.t === "map[string]interface {}";
        if (hasOwn(v.obj, name)) return v.obj[name];
        if (this.missingKey === "zero") return v.zero;
        if (this.missingKey === "error") this.errorf(`map has no entry for key ${goQuote(name)}`);
        return undefined;
      }
      case "nilptr":
        this.errorf(`nil pointer evaluating ${v.t}.${name}`);
    }
    this.errorf(`can't evaluate field ${name} in type ${iface ? "interface {}" : v.k === "invalid" ? "" : v.t}`);
  }
  private evalCall(dot: unknown, fn: GoFunc, node: Node, name: string, argNodes: Node[] | undefined, final: unknown): unknown {
    const args = argNodes ? argNodes.slice(1) : [];
    const numIn = args.length + (final !== MISSING ? 1 : 0);
    const numFixed = fn.params.length;
    if (fn.variadic) {
      if (numIn < numFixed) this.errorf(`wrong number of args for ${name}: want at least ${numFixed} got ${args.length}`);
    } else if (numIn !== numFixed) this.errorf(`wrong number of args for ${name}: want ${numFixed} got ${numIn}`);
    const builtin = BUILTINS[name] === fn;
    if (builtin && (name === "and" || name === "or")) {
      let v: unknown;
      for (const a of args) {
        v = this.evalArg(dot, "value", a);
        if (isTrue(v) === (name === "or")) return v;
      }
      if (final !== MISSING) v = final;
      return v;
    }
    const argv: unknown[] = [];
    let i = 0;
    for (; i < numFixed && i < args.length; i++) argv.push(this.evalArg(dot, fn.params[i]!, args[i]!));
    if (fn.variadic) for (; i < args.length; i++) argv.push(this.evalArg(dot, fn.variadic, args[i]!));
    if (final !== MISSING) {
      const t = fn.variadic ? (numIn - 1 < numFixed ? fn.params[numIn - 1]! : fn.variadic) : fn.params[numFixed - 1]!;
      argv.push(this.validateType(final, t));
    }
    try {
      return fn.fn(...argv);
    } catch (e) {
      if (e instanceof ExecFail || e === BREAK || e === CONTINUE) throw e;
      this.at(node);
      this.errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  private validateType(value: unknown, typ: ParamType | "none"): unknown {
    if (value === undefined) {
      switch (typ) {
        case "none":
        case "value":
          return undefined;
        case "any":
          return null;
        case "[]string":
          return [];
        default:
          this.errorf(`invalid value; expected ${typ}`);
      }
    }
    if (typ === "none" || typ === "value" || typ === "any") return value;
    const v = desc(value);
    const got = v.k === "nil" ? "interface {}" : v.k === "invalid" ? "" : v.t;
    switch (typ) {
      case "string":
        if (v.k === "string" && v.t === "string") return v.v;
        break;
      case "int":
        if (v.k === "int" && v.t === "int") return value;
        break;
      case "bool":
        if (v.k === "bool" && v.t === "bool") return v.v;
        break;
      case "[]string":
        if (v.k === "slice" && v.strings) return [...(v.items as string[])];
        break;
    }
    this.errorf(`wrong type for value; expected ${typ}; got ${got}`);
  }
  private evalArg(dot: unknown, typ: ParamType | "none", n: Node): unknown {
    this.at(n);
    switch (n.type) {
      case "dot":
        return this.validateType(dot, typ);
      case "nil":
        if (typ === "any") return null;
        if (typ === "value" || typ === "none") return undefined;
        if (typ === "[]string") return new GoNil("slice", "[]string");
        this.errorf(`cannot assign nil to ${typ}`);
      // falls through (errorf never returns)
      case "field":
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), typ);
      case "variable":
        return this.validateType(this.evalVariableNode(dot, n, undefined, MISSING), typ);
      case "pipe":
        return this.validateType(this.evalPipeline(dot, n), typ);
      case "identifier":
        return this.validateType(this.evalFunction(dot, n, n, undefined, MISSING), typ);
      case "chain":
        return this.validateType(this.evalChainNode(dot, n, undefined, MISSING), typ);
    }
    switch (typ) {
      case "bool":
        if (n.type === "bool") return n.value;
        this.errorf(`expected bool; found ${nodeString(n)}`);
      // falls through (errorf never returns)
      case "int":
        if (n.type === "number" && n.isInt) return goInt(n.int);
        this.errorf(`expected integer; found ${nodeString(n)}`);
      // falls through (errorf never returns)
      case "string":
        if (n.type === "string") return n.text;
        this.errorf(`expected string; found ${nodeString(n)}`);
      // falls through (errorf never returns)
      case "any":
      case "value":
        switch (n.type) {
          case "bool":
            return n.value;
          case "number":
            return this.idealConstant(n);
          case "string":
            return n.text;
        }
    }
    this.errorf(`can't handle ${nodeString(n)} for arg of type ${typ}`);
  }
}

/** A parsed template (with the templates it defines). */
export class Template {
  /** @internal */
  readonly trees = new Map<string, ListNode>();
  private readonly funcs: Readonly<Record<string, GoFunc>>;
  readonly name: string;
  constructor(readonly text: string, opts: ParseOptions = {}) {
    this.name = opts.name ?? "";
    this.funcs = opts.funcs ?? {};
    const parser = new Parser(text, this.name, (n) => n in this.funcs || n in BUILTINS, this.trees);
    const root = parser.parse();
    const old = this.trees.get(this.name);
    if (!old || isEmptyTree(old)) this.trees.set(this.name, root);
    else if (!isEmptyTree(root)) parser.errorf(`template: multiple definition of template ${goQuote(this.name)}`);
  }
  /** Runs the template on `data` and returns what it printed; throws TemplateError (with `output` so far). */
  execute(data: unknown, opts: ExecuteOptions = {}): string {
    const funcs = { ...this.funcs, ...(opts.funcs ?? {}) };
    if (data === null) data = undefined;
    const s: State = new State(this, funcs, opts.missingKey ?? "default", data);
    try {
      const root = this.trees.get(this.name);
      if (!root) s.errorf(`${goQuote(this.name)} is an incomplete or empty template`);
      s.walk(data, root);
      return s.out;
    } catch (e) {
      if (e instanceof ExecFail) {
        const loc = s.node ? location(this.text, s.node.pos) : undefined;
        throw new TemplateError(e.message, "exec", loc?.line ?? 1, loc?.column, this.text, s.out);
      }
      throw e;
    }
  }
}

/** Parses Go template text with Go's builtins plus `opts.funcs`; throws TemplateError. */
export function parseTemplate(text: string, opts: ParseOptions = {}): Template {
  return new Template(text, opts);
}
/** Parses as docker/cli's templates.Parse does: name "", Docker's functions. */
export function parseDockerTemplate(text: string): Template {
  return new Template(text, { name: "", funcs: DOCKER_FUNCS });
}

// ─── Go types for JSON (typed values as Docker's structs are) ────────────────────────────────────

/** A named Go type: a struct (fields in order: Go name, type, JSON name if not the Go name) or another type's alias. */
export type GoTypeDef = { struct: readonly (readonly [name: string, type: string, json?: string])[] } | { alias: string };
export type GoTypes = Readonly<Record<string, GoTypeDef>>;

/** Go's time.Time.String() of an RFC 3339 time. */
function goTime(s: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) return s;
  const frac = (m[3] ?? "").replace(/0+$/, "");
  const zone = m[4] === "Z" ? "+0000 UTC" : `${m[4]!.replace(":", "")} ${m[4]!.replace(":", "")}`;
  return `${m[1]} ${m[2]}${frac ? `.${frac}` : ""} ${zone}`;
}
/** Go's time.Duration.String(). */
export function goDuration(ns: number): string {
  if (ns === 0) return "0s";
  const neg = ns < 0;
  let u = Math.abs(ns);
  let out: string;
  const frac = (v: number, digits: number): string => {
    const s = v.toString().padStart(digits, "0").replace(/0+$/, "");
    return s ? `.${s}` : "";
  };
  if (u < 1e9) {
    if (u < 1e3) out = `${u}ns`;
    else if (u < 1e6) out = `${Math.floor(u / 1e3)}${frac(u % 1e3, 3)}µs`;
    else out = `${Math.floor(u / 1e6)}${frac(u % 1e6, 6)}ms`;
  } else {
    const secs = Math.floor(u / 1e9);
    const rest = u % 1e9;
    u = secs;
    out = `${u % 60}${frac(rest, 9)}s`;
    u = Math.floor(u / 60);
    if (u > 0) {
      out = `${u % 60}m${out}`;
      u = Math.floor(u / 60);
      if (u > 0) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

const BASIC_KINDS: Record<string, GoBasicKind> = {
  string: "string", bool: "bool", int: "int", int8: "int", int16: "int", int32: "int", int64: "int",
  uint: "uint", uint8: "uint", uint16: "uint", uint32: "uint", uint64: "uint", float32: "float", float64: "float",
};

function splitMapType(t: string): [string, string] {
  let depth = 0;
  for (let i = 4; i < t.length; i++) {
    if (t[i] === "[") depth++;
    else if (t[i] === "]") {
      if (depth === 0) return [t.slice(4, i), t.slice(i + 1)];
      depth--;
    }
  }
  throw new Error(`bad Go map type ${t}`);
}

/**
 * Reads JSON as Go would decode it into `type` (a Go type expression: `types.ImageInspect`,
 * `*container.Config`, `[]string`, `map[string]string`, `int64`, `time.Time`, `interface {}`…, named
 * types from `types`): structs become GoStruct (missing JSON fields become zero values), null slices
 * and maps typed nils, so templates print them as Docker does (`[]`, `map[]`, `<nil>`).
 */
export function goTyped(json: unknown, type: string, types: GoTypes = DOCKER_TYPES, name = type): unknown {
  if (type.startsWith("*")) {
    if (json === null || json === undefined) return new GoNil("pointer", name);
    const v = goTyped(json, type.slice(1), types);
    return v instanceof GoStruct ? new GoStruct(v.type, v.fields, { ...v.options, pointer: true }) : v;
  }
  if (type.startsWith("[]")) {
    if (!Array.isArray(json)) return new GoNil("slice", name);
    return new GoSlice(name, json.map((e) => goTyped(e, type.slice(2), types)));
  }
  if (type.startsWith("map[")) {
    const [, elem] = splitMapType(type);
    const zero = goTyped(undefined, elem, types);
    if (json === null || json === undefined || typeof json !== "object" || Array.isArray(json)) return new GoNil("map", name, zero);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(json as Record<string, unknown>)) out[k] = goTyped(v, elem, types);
    return new GoMap(name, out, zero === undefined ? null : zero);
  }
  if (type === "interface {}") return json === undefined ? null : json;
  if (type === "struct {}") return new GoStruct("struct {}", {});
  if (type === "time.Time") {
    const s = typeof json === "string" ? json : "0001-01-01T00:00:00Z";
    return new GoStringer(name, goTime(s), s);
  }
  if (type === "time.Duration") {
    const n = typeof json === "number" ? json : 0;
    return new GoStringer(name, goDuration(n), n, n);
  }
  const basic = BASIC_KINDS[type];
  if (basic) {
    const zero = basic === "string" ? "" : basic === "bool" ? false : 0;
    const v = json === undefined || json === null ? zero : json;
    if (name === "string" && typeof v === "string") return v;
    if (name === "bool" && typeof v === "boolean") return v;
    if (name === "int64" && typeof v === "number" && Number.isInteger(v)) return v;
    return new GoBasic(name, basic, basic === "string" ? String(v) : basic === "bool" ? Boolean(v) : (v as number));
  }
  const def = types[type];
  if (!def) throw new Error(`unknown Go type ${type}`);
  if ("alias" in def) return goTyped(json, def.alias, types, type);
  const obj = json !== null && typeof json === "object" && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  const fields: Record<string, unknown> = {};
  for (const [goName, t, jsonName] of def.struct) fields[goName] = goTyped(obj?.[jsonName ?? goName], t, types);
  return new GoStruct(type, fields, obj ? { json: obj } : {});
}

/** JSON as Docker's raw fallback decodes it (UseNumber): numbers are json.Number, a string type. */
export function goRawJSON(json: unknown): unknown {
  if (typeof json === "number") return new GoBasic("json.Number", "string", String(json));
  if (Array.isArray(json)) return json.map(goRawJSON);
  if (json !== null && typeof json === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(json as Record<string, unknown>)) out[k] = goRawJSON(v);
    return out;
  }
  return json;
}

/** Go types of `docker image inspect` (Docker 20.10: types.ImageInspect and what it holds). */
export const DOCKER_TYPES: GoTypes = {
  "types.ImageInspect": {
    struct: [
      ["ID", "string", "Id"], ["RepoTags", "[]string"], ["RepoDigests", "[]string"], ["Parent", "string"], ["Comment", "string"],
      ["Created", "string"], ["Container", "string"], ["ContainerConfig", "*container.Config"], ["DockerVersion", "string"],
      ["Author", "string"], ["Config", "*container.Config"], ["Architecture", "string"], ["Variant", "string"], ["Os", "string"],
      ["OsVersion", "string"], ["Size", "int64"], ["VirtualSize", "int64"], ["GraphDriver", "types.GraphDriverData"],
      ["RootFS", "types.RootFS"], ["Metadata", "types.ImageMetadata"],
    ],
  },
  "container.Config": {
    struct: [
      ["Hostname", "string"], ["Domainname", "string"], ["User", "string"], ["AttachStdin", "bool"], ["AttachStdout", "bool"],
      ["AttachStderr", "bool"], ["ExposedPorts", "nat.PortSet"], ["Tty", "bool"], ["OpenStdin", "bool"], ["StdinOnce", "bool"],
      ["Env", "[]string"], ["Cmd", "strslice.StrSlice"], ["Healthcheck", "*container.HealthConfig"], ["ArgsEscaped", "bool"],
      ["Image", "string"], ["Volumes", "map[string]struct {}"], ["WorkingDir", "string"], ["Entrypoint", "strslice.StrSlice"],
      ["NetworkDisabled", "bool"], ["MacAddress", "string"], ["OnBuild", "[]string"], ["Labels", "map[string]string"],
      ["StopSignal", "string"], ["StopTimeout", "*int"], ["Shell", "strslice.StrSlice"],
    ],
  },
  // types.ContainerJSON embeds *ContainerJSONBase; its fields are listed here as promoted. HostConfig and
  // NetworkSettings are read as plain JSON (their fields are reached the same way; only printing one
  // whole differs).
  "types.ContainerJSON": {
    struct: [
      ["ID", "string", "Id"], ["Created", "string"], ["Path", "string"], ["Args", "[]string"], ["State", "*types.ContainerState"],
      ["Image", "string"], ["ResolvConfPath", "string"], ["HostnamePath", "string"], ["HostsPath", "string"], ["LogPath", "string"],
      ["Name", "string"], ["RestartCount", "int"], ["Driver", "string"], ["Platform", "string"], ["MountLabel", "string"],
      ["ProcessLabel", "string"], ["AppArmorProfile", "string"], ["ExecIDs", "[]string"], ["HostConfig", "interface {}"],
      ["GraphDriver", "types.GraphDriverData"], ["SizeRw", "*int64"], ["SizeRootFs", "*int64"], ["Mounts", "[]types.MountPoint"],
      ["Config", "*container.Config"], ["NetworkSettings", "interface {}"],
    ],
  },
  "types.NetworkResource": {
    struct: [
      ["Name", "string"], ["ID", "string", "Id"], ["Created", "time.Time"], ["Scope", "string"], ["Driver", "string"], ["EnableIPv6", "bool"],
      ["IPAM", "interface {}"], ["Internal", "bool"], ["Attachable", "bool"], ["Ingress", "bool"], ["ConfigFrom", "interface {}"],
      ["ConfigOnly", "bool"], ["Containers", "interface {}"], ["Options", "map[string]string"], ["Labels", "map[string]string"],
    ],
  },
  "types.ContainerState": {
    struct: [
      ["Status", "string"], ["Running", "bool"], ["Paused", "bool"], ["Restarting", "bool"], ["OOMKilled", "bool"], ["Dead", "bool"],
      ["Pid", "int"], ["ExitCode", "int"], ["Error", "string"], ["StartedAt", "string"], ["FinishedAt", "string"], ["Health", "*types.Health"],
    ],
  },
  "types.Health": { struct: [["Status", "string"], ["FailingStreak", "int"], ["Log", "[]interface {}"]] },
  "types.MountPoint": {
    struct: [["Type", "string"], ["Name", "string"], ["Source", "string"], ["Destination", "string"], ["Driver", "string"], ["Mode", "string"], ["RW", "bool"], ["Propagation", "string"]],
  },
  "container.HealthConfig": {
    struct: [["Test", "[]string"], ["Interval", "time.Duration"], ["Timeout", "time.Duration"], ["StartPeriod", "time.Duration"], ["Retries", "int"]],
  },
  "types.GraphDriverData": { struct: [["Data", "map[string]string"], ["Name", "string"]] },
  "types.RootFS": { struct: [["Type", "string"], ["Layers", "[]string"], ["BaseLayer", "string"]] },
  "types.ImageMetadata": { struct: [["LastTagTime", "time.Time"]] },
  "strslice.StrSlice": { alias: "[]string" },
  "nat.PortSet": { alias: "map[nat.Port]struct {}" },
  "nat.Port": { alias: "string" },
};

/**
 * Docker's `--format` for inspect commands (cli/command/inspect): each element runs on its typed value;
 * if that fails, on its raw JSON with missingkey=error (numbers as json.Number), and that second error
 * is reported. Output: each element's text and a newline ("\n" alone when nothing was printed);
 * errors: Docker's messages; status 64 when the template does not parse, 1 when an element failed.
 */
export function dockerInspect(format: string, elements: readonly { typed: unknown; raw: unknown }[]): { output: string; errors: string[]; status: 0 | 1 | 64 } {
  let tmpl: Template;
  try {
    tmpl = parseDockerTemplate(format);
  } catch (e) {
    if (e instanceof TemplateError) return { output: "", errors: [`template parsing error: ${e.message}`], status: 64 };
    throw e;
  }
  let output = "";
  const errors: string[] = [];
  for (const el of elements) {
    try {
      output += `${tmpl.execute(el.typed)}\n`;
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      try {
        output += `${tmpl.execute(goRawJSON(el.raw), { missingKey: "error" })}\n`;
      } catch (e2) {
        if (!(e2 instanceof TemplateError)) throw e2;
        errors.push(`template parsing error: ${e2.message}`);
      }
    }
  }
  return { output: output || "\n", errors, status: errors.length ? 1 : 0 };
}

// ─── Docker's list formats: table, headers, tabwriter ────────────────────────────────────────────

/** Header names of `docker images` fields (docker/cli 20.10 formatter.newImageContext). */
export const IMAGE_HEADERS: Readonly<Record<string, string>> = {
  ID: "IMAGE ID", Repository: "REPOSITORY", Tag: "TAG", Digest: "DIGEST", CreatedSince: "CREATED", CreatedAt: "CREATED AT",
  Size: "SIZE", Containers: "CONTAINERS", VirtualSize: "SIZE", SharedSize: "SHARED SIZE", UniqueSize: "UNIQUE SIZE",
};
/** Header names of `docker history` fields (cli/command/image HistoryWrite). */
export const HISTORY_HEADERS: Readonly<Record<string, string>> = {
  ID: "IMAGE", CreatedSince: "CREATED", CreatedAt: "CREATED AT", CreatedBy: "CREATED BY", Size: "SIZE", Comment: "COMMENT",
};
/** Header names of `docker ps` fields (formatter.NewContainerContext). */
export const CONTAINER_HEADERS: Readonly<Record<string, string>> = {
  ID: "CONTAINER ID", Names: "NAMES", Image: "IMAGE", Command: "COMMAND", CreatedAt: "CREATED AT", RunningFor: "CREATED",
  Ports: "PORTS", State: "STATE", Status: "STATUS", Size: "SIZE", Labels: "LABELS", Mounts: "MOUNTS",
  LocalVolumes: "LOCAL VOLUMES", Networks: "NETWORKS",
};
/** The Go type names of Docker's row contexts, for error messages. */
export const ROW_TYPES = { image: "formatter.imageContext", history: "image.historyContext", container: "formatter.ContainerContext", network: "network.networkContext" } as const;

/**
 * Go's text/tabwriter as docker/cli 20.10 configures it (minwidth 10, tabwidth 1, padding 3, spaces):
 * tab-terminated cells of consecutive lines form a column, widths counted in runes.
 */
export function tabwrite(text: string, minwidth = 10, padding = 3): string {
  const lines = text.split("\n").map((l) => l.split("\t"));
  const out: string[] = lines.map(() => "");
  const widths: number[] = [];
  const writeLines = (line0: number, line1: number): void => {
    for (let i = line0; i < line1; i++) {
      const cells = lines[i]!;
      cells.forEach((c, j) => {
        out[i] += c;
        if (j < widths.length && j < cells.length - 1) out[i] += " ".repeat(Math.max(0, widths[j]! - runeCount(c)));
      });
    }
  };
  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t]!.length - 1) continue;
      writeLines(line0, t);
      line0 = t;
      let width = minwidth;
      for (; t < line1; t++) {
        const cells = lines[t]!;
        if (column >= cells.length - 1) break;
        width = Math.max(width, runeCount(cells[column]!) + padding);
      }
      widths.push(width);
      format(line0, t);
      widths.pop();
      line0 = t;
      t--;
    }
    writeLines(line0, line1);
  };
  format(0, lines.length);
  return out.join("\n");
}

/** A parsed `--format` of a list command (`docker images`, `history`, `ps`…). */
export interface DockerFormat {
  /** The format as given. */
  readonly format: string;
  /** It starts with `table`: a header line, and columns through the tabwriter. */
  readonly isTable: boolean;
  /** The template text after Docker's preFormat (`table` removed, spaces trimmed, `\t` and `\n` replaced). */
  readonly text: string;
  readonly template: Template;
  /** One row as Docker executes it (no newline); throws TemplateError. */
  row(data: unknown): string;
  /** The header line for these per-field header names, as Docker makes it (errors leave what was printed). */
  header(headers: Readonly<Record<string, string>>): string;
  /** All Docker prints: each row and a newline; for a table, the header first and everything through the tabwriter. */
  render(rows: readonly unknown[], headers: Readonly<Record<string, string>>): string;
}

/**
 * Parses a list command's `--format` as docker/cli's formatter.Context does (throws TemplateError:
 * Docker prints "template parsing error: " + message). The command itself replaces a bare `table`
 * (and `raw`) with its default format before calling this.
 */
export function parseDockerFormat(format: string): DockerFormat {
  const isTable = format.startsWith("table");
  let text = isTable ? format.slice("table".length) : format;
  text = text.replace(/^ +| +$/g, "").replace(/\\[tn]/g, (m) => (m === "\\t" ? "\t" : "\n"));
  const template = parseDockerTemplate(text);
  const header = (headers: Readonly<Record<string, string>>): string => {
    try {
      return template.execute(headers, { funcs: DOCKER_HEADER_FUNCS });
    } catch (e) {
      if (e instanceof TemplateError) return e.output;
      throw e;
    }
  };
  return {
    format,
    isTable,
    text,
    template,
    row: (data) => template.execute(data),
    header,
    render(rows, headers) {
      const body = rows.map((r) => `${template.execute(r)}\n`).join("");
      return isTable ? tabwrite(`${header(headers)}\n${body}`) : body;
    },
  };
}
