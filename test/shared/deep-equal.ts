/**
 * A structural comparison with no test-framework dependency (it runs in Node and inside Chromium):
 * where two values differ, as a path and both sides, or undefined when they are equal.
 *
 * Strict: `null` and `undefined` differ, a key holding `undefined` differs from a missing key, numbers
 * compare with Object.is (NaN equals NaN, 0 and -0 differ), arrays and typed arrays by length and
 * element, Maps and Sets by their entries, Dates by time, other objects by their own enumerable keys
 * and their prototype.
 */

type Kind = "undefined" | "null" | "boolean" | "number" | "bigint" | "string" | "symbol" | "function" | "array" | "typed" | "map" | "set" | "date" | "object";

function kindOf(v: unknown): Kind {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return "typed";
  if (v instanceof Map) return "map";
  if (v instanceof Set) return "set";
  if (v instanceof Date) return "date";
  return typeof v as Kind;
}

/** A short printable form of a value for a message. */
export function show(v: unknown): string {
  const k = kindOf(v);
  let s: string;
  if (k === "undefined") s = "undefined";
  else if (k === "bigint") s = `${String(v)}n`;
  else if (k === "number" && Object.is(v, -0)) s = "-0";
  else if (k === "number" || k === "symbol" || k === "function") s = String(v);
  else if (k === "typed") s = `${(v as object).constructor.name}[${Array.from(v as ArrayLike<number>).join(",")}]`;
  else if (k === "map") s = `Map(${[...(v as Map<unknown, unknown>)].map(([a, b]) => `${show(a)} => ${show(b)}`).join(", ")})`;
  else if (k === "set") s = `Set(${[...(v as Set<unknown>)].map(show).join(", ")})`;
  else if (k === "date") s = `Date(${(v as Date).toISOString()})`;
  else {
    try {
      s = JSON.stringify(v, (_k, x: unknown) => (x === undefined ? "<undefined>" : typeof x === "bigint" ? `${x}n` : x)) ?? String(v);
    } catch {
      s = String(v);
    }
  }
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

function differs(at: string, actual: unknown, expected: unknown, detail?: string): string {
  return `${at || "the value"}: ${detail ?? `expected ${show(expected)}, got ${show(actual)}`}`;
}

/** Where `actual` differs from `expected` (a path like `[2].mode` and both sides), or undefined if they are equal. */
export function deepDifference(actual: unknown, expected: unknown, at = "", seen: WeakMap<object, object> = new WeakMap()): string | undefined {
  if (Object.is(actual, expected)) return undefined;
  const ka = kindOf(actual);
  const ke = kindOf(expected);
  if (ka !== ke) {
    const side = (k: Kind, v: unknown) => (show(v) === k ? k : `${k} ${show(v)}`);
    return differs(at, actual, expected, `expected ${side(ke, expected)}, got ${side(ka, actual)}`);
  }
  switch (ka) {
    case "array":
    case "typed": {
      const a = actual as ArrayLike<unknown>;
      const e = expected as ArrayLike<unknown>;
      if (ka === "typed" && (actual as object).constructor !== (expected as object).constructor) {
        return differs(at, actual, expected, `expected a ${(expected as object).constructor.name}, got a ${(actual as object).constructor.name}`);
      }
      const n = Math.min(a.length, e.length);
      for (let i = 0; i < n; i++) {
        const d = deepDifference(a[i], e[i], `${at}[${i}]`, seen);
        if (d) return d;
      }
      if (a.length !== e.length) return differs(at, actual, expected, `expected length ${e.length}, got ${a.length} (expected ${show(expected)}, got ${show(actual)})`);
      return undefined;
    }
    case "map": {
      const a = actual as Map<unknown, unknown>;
      const e = expected as Map<unknown, unknown>;
      for (const [k, v] of e) {
        if (!a.has(k)) return differs(at, actual, expected, `missing key ${show(k)} (expected ${show(expected)}, got ${show(actual)})`);
        const d = deepDifference(a.get(k), v, `${at}.get(${show(k)})`, seen);
        if (d) return d;
      }
      for (const k of a.keys()) if (!e.has(k)) return differs(at, actual, expected, `unexpected key ${show(k)} (expected ${show(expected)}, got ${show(actual)})`);
      return undefined;
    }
    case "set": {
      const a = actual as Set<unknown>;
      const e = expected as Set<unknown>;
      for (const v of e) if (!a.has(v)) return differs(at, actual, expected, `missing member ${show(v)} (expected ${show(expected)}, got ${show(actual)})`);
      for (const v of a) if (!e.has(v)) return differs(at, actual, expected, `unexpected member ${show(v)} (expected ${show(expected)}, got ${show(actual)})`);
      return undefined;
    }
    case "date":
      return Object.is((actual as Date).getTime(), (expected as Date).getTime()) ? undefined : differs(at, actual, expected);
    case "object": {
      const a = actual as Record<string, unknown>;
      const e = expected as Record<string, unknown>;
      // A cycle compares equal once both sides have reached the same pair again.
      if (seen.get(a) === e) return undefined;
      seen.set(a, e);
      if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(e)) {
        const name = (o: object) => (Object.getPrototypeOf(o) as { constructor?: { name?: string } } | null)?.constructor?.name ?? "null-prototype object";
        return differs(at, actual, expected, `expected a ${name(e)}, got a ${name(a)}`);
      }
      const keysA = Object.keys(a);
      const keysE = Object.keys(e);
      for (const k of keysE) {
        if (!Object.prototype.hasOwnProperty.call(a, k)) return differs(at, actual, expected, `missing key ${JSON.stringify(k)} (expected ${show(expected)}, got ${show(actual)})`);
        const d = deepDifference(a[k], e[k], `${at}.${k}`, seen);
        if (d) return d;
      }
      for (const k of keysA) if (!Object.prototype.hasOwnProperty.call(e, k)) return differs(at, actual, expected, `unexpected key ${JSON.stringify(k)} (expected ${show(expected)}, got ${show(actual)})`);
      return undefined;
    }
    default:
      // Primitives of one kind that are not Object.is-equal, or two distinct functions or symbols.
      return differs(at, actual, expected);
  }
}

/** Throws, saying `what` and where the values differ, unless `actual` equals `expected` structurally. */
export function assertEqual(actual: unknown, expected: unknown, what: string): void {
  const d = deepDifference(actual, expected);
  if (d !== undefined) throw new Error(`${what}: ${d}`);
}
