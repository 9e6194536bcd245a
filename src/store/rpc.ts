/**
 * One typed request/reply protocol for the lab's workers (Web Workers, and Node's worker_threads in
 * tests): each side serves the methods of an interface and calls the other side's. A call resolves with
 * the method's result or rejects with its error (name, message and own fields, which the caller may
 * revive into its class); a notification is a call nobody answers (serial bytes, output). Arguments
 * and results carry transfer lists, so buffers are moved, not copied.
 *
 * It lives in store/ because the store's workers (layers, gzip) are its lowest users; the runtime's
 * (machines, WASI) import it from here.
 */

type Method = (...args: never[]) => unknown;

/** An interface of methods (what one side of a worker serves). */
export type Methods<T> = { [K in keyof T]: Method };

/** A result to send back with buffers to transfer (`return transfer(state, [state])`). */
export class Transfer<T> {
  constructor(readonly value: T, readonly list: Transferable[]) {}
}

export function transfer<T>(value: T, list: Transferable[]): Transfer<T> {
  return new Transfer(value, list);
}

type Result<T> = Awaited<T> | Transfer<Awaited<T>>;

/** The implementation of `T` on the serving side: each method may be async, and may return transfer(…). */
export type Handlers<T extends Methods<T>> = { [K in keyof T]: (...args: Parameters<T[K]>) => Result<ReturnType<T[K]>> | Promise<Result<ReturnType<T[K]>>> };

/** An error as it crosses: name, message and the fields a class of its own adds (expected, actual…). */
export interface WireError {
  name: string;
  message: string;
  fields?: Record<string, string | number | boolean>;
}

type Wire =
  /** id 0: a notification, not answered. */
  | { rpc: "call"; id: number; method: string; args: unknown[] }
  | { rpc: "ok"; id: number; value: unknown }
  | { rpc: "err"; id: number; error: WireError };

/** Where messages to the other side go. */
export type Post = (message: unknown, transfer: Transferable[]) => void;

export interface RpcOptions {
  /** Runs calls one after another in arrival order, each after the one before has settled. */
  sequential?: boolean;
  /** Turns an error from the other side back into the class it was thrown as (default: reviveError). */
  revive?: (e: WireError) => Error;
}

export function toWireError(e: unknown): WireError {
  if (!(e instanceof Error)) return { name: "Error", message: String(e) };
  const fields: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(e)) if (k !== "name" && k !== "message" && (typeof v === "string" || typeof v === "number" || typeof v === "boolean")) fields[k] = v;
  return { name: e.name, message: e.message, fields };
}

/** An Error with the other side's name, message and fields. */
export function reviveError(w: WireError): Error {
  const e = Object.assign(new Error(w.message), w.fields);
  e.name = w.name;
  return e;
}

function isWire(m: unknown): m is Wire {
  return typeof m === "object" && m !== null && typeof (m as { rpc?: unknown }).rpc === "string";
}

/**
 * One side of a worker's channel: calls `Remote`'s methods on the other side and serves `Local`'s.
 * Feed it every message that arrives (`receive`).
 */
export class Rpc<Remote extends Methods<Remote>, Local extends Methods<Local> = Record<never, Method>> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly post: Post,
    private readonly handlers: Handlers<Local>,
    private readonly opts: RpcOptions = {},
  ) {}

  /** Calls `method` on the other side; `transferList` moves buffers among `args` instead of copying them. */
  call<K extends keyof Remote & string>(method: K, args: Parameters<Remote[K]>, transferList: Transferable[] = []): Promise<Awaited<ReturnType<Remote[K]>>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.post({ rpc: "call", id, method, args } satisfies Wire, transferList);
    });
  }

  /** Calls `method` on the other side without waiting for (or getting) an answer. */
  notify<K extends keyof Remote & string>(method: K, args: Parameters<Remote[K]>, transferList: Transferable[] = []): void {
    this.post({ rpc: "call", id: 0, method, args } satisfies Wire, transferList);
  }

  /** Takes one message from the other side; false when it is not one of this protocol's. */
  receive(m: unknown): boolean {
    if (!isWire(m)) return false;
    if (m.rpc === "call") this.serve(m);
    else {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.rpc === "ok") p?.resolve(m.value);
      else p?.reject((this.opts.revive ?? reviveError)(m.error));
    }
    return true;
  }

  /** The other side failed (a worker's error event): every call waiting for an answer rejects with `e`. */
  fail(e: Error): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.reject(e);
  }

  private serve(m: Wire & { rpc: "call" }): void {
    const handler = (this.handlers as unknown as Record<string, ((...a: unknown[]) => unknown) | undefined>)[m.method];
    const run = () => {
      if (!handler) throw new Error(`no method ${m.method}`);
      return handler(...m.args);
    };
    let result: unknown;
    if (this.opts.sequential) {
      const done = this.queue.then(run);
      this.queue = done.catch(() => {});
      result = done;
    } else {
      // Called at once: a synchronous handler's answer goes back in the same task.
      try {
        result = run();
      } catch (e) {
        result = Promise.reject(e);
      }
    }
    if (m.id === 0) {
      if (result instanceof Promise) result.catch((e: unknown) => console.error(`${m.method}:`, e));
      return;
    }
    const ok = (v: unknown) => (v instanceof Transfer ? this.post({ rpc: "ok", id: m.id, value: v.value } satisfies Wire, v.list) : this.post({ rpc: "ok", id: m.id, value: v } satisfies Wire, []));
    const err = (e: unknown) => this.post({ rpc: "err", id: m.id, error: toWireError(e) } satisfies Wire, []);
    if (result instanceof Promise) result.then(ok, err);
    else ok(result);
  }
}

/** Calls sent without waiting for each answer: at most `max` unanswered; a failure surfaces at the next add or drain. */
export class Pipeline {
  private pending: Promise<unknown>[] = [];
  constructor(private readonly max: number) {}

  async add(call: Promise<unknown>): Promise<void> {
    call.catch(() => {}); // surfaced by the add or drain that awaits it
    this.pending.push(call);
    if (this.pending.length >= this.max) await this.pending.shift();
  }

  /** Waits for the unanswered calls in order; throws the first failure. */
  async drain(): Promise<void> {
    const all = this.pending;
    this.pending = [];
    for (const p of all) await p;
  }

  /** Waits until every unanswered call has settled, whatever the outcome. */
  async settle(): Promise<void> {
    const all = this.pending;
    this.pending = [];
    await Promise.allSettled(all);
  }
}

/**
 * For calls the page pipelines (it sends the next before the last is answered): once one has failed,
 * every later one fails the same way without running, as a local sink would have thrown at once.
 */
export class FirstFailure {
  private failed?: { error: unknown };

  reset(): void {
    this.failed = undefined;
  }

  /** Runs `fn` unless an earlier run failed; throws the first failure. */
  async run(fn: () => Promise<void>): Promise<void> {
    if (!this.failed) {
      try {
        await fn();
      } catch (error) {
        this.failed = { error };
      }
    }
    this.check();
  }

  check(): void {
    if (this.failed) throw this.failed.error;
  }
}

/** The page's side of a Web Worker: calls into it, serves `handlers` to it, and fails calls when it errs. */
export function connectWorker<Remote extends Methods<Remote>, Local extends Methods<Local> = Record<never, Method>>(worker: Worker, label: string, handlers: Handlers<Local>, opts: RpcOptions = {}): Rpc<Remote, Local> {
  const rpc = new Rpc<Remote, Local>((m, t) => worker.postMessage(m, t), handlers, opts);
  worker.addEventListener("message", (e: MessageEvent) => rpc.receive(e.data));
  worker.addEventListener("error", (e) => rpc.fail(new Error(`${label} failed: ${e.message}`)));
  return rpc;
}

/** Inside a Web Worker: serves `handlers` to the page (and returns the means to call the page's). */
export function serveInWorker<Local extends Methods<Local>, Remote extends Methods<Remote> = Record<never, Method>>(handlers: Handlers<Local>, opts: RpcOptions = {}): Rpc<Remote, Local> {
  const scope = self as unknown as Worker;
  const rpc = new Rpc<Remote, Local>((m, t) => scope.postMessage(m, t), handlers, opts);
  scope.addEventListener("message", (e: MessageEvent) => rpc.receive(e.data));
  return rpc;
}
