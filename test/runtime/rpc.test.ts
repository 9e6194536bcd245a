/** The workers' request/reply helper (src/store/rpc.ts), over a real MessageChannel. */
import { afterEach, describe, expect, it } from "vitest";
import { FirstFailure, Pipeline, Rpc, transfer, type WireError } from "../../src/store/rpc.ts";

interface WorkerSide {
  add(a: number, b: number): number;
  take(buf: ArrayBuffer): number;
  give(n: number): ArrayBuffer;
  fail(message: string): void;
  slow(ms: number, tag: string): string;
  note(text: string): void;
}

interface PageSide {
  ask(q: string): string;
}

class CodedError extends Error {
  override name = "CodedError";
  constructor(message: string, readonly code: number) {
    super(message);
  }
}

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
});

function pair(opts: { sequential?: boolean; revive?: (e: WireError) => Error } = {}) {
  const ch = new MessageChannel();
  channels.push(ch);
  const order: string[] = [];
  const notes: string[] = [];
  const worker: Rpc<PageSide, WorkerSide> = new Rpc(
    (m, t) => ch.port2.postMessage(m, t),
    {
      add: (a, b) => a + b,
      take: (buf) => buf.byteLength,
      give: (n) => {
        const b = new ArrayBuffer(n);
        return transfer(b, [b]);
      },
      fail: (message) => {
        throw new CodedError(message, 7);
      },
      slow: async (ms, tag) => {
        await new Promise((r) => setTimeout(r, ms));
        order.push(tag);
        return tag;
      },
      note: (text) => void notes.push(text),
    },
    { sequential: opts.sequential },
  );
  const page = new Rpc<WorkerSide, PageSide>((m, t) => ch.port1.postMessage(m, t), { ask: async (q) => `${q}!` }, { revive: opts.revive });
  ch.port1.onmessage = (e) => page.receive(e.data);
  ch.port2.onmessage = (e) => worker.receive(e.data);
  return { page, worker, order, notes };
}

describe("worker rpc", () => {
  it("calls methods on the other side and returns their results, either way", async () => {
    const { page, worker } = pair();
    expect(await page.call("add", [2, 3])).toBe(5);
    expect(await worker.call("ask", ["hi"])).toBe("hi!");
  });

  it("moves buffers named in a transfer list, both ways", async () => {
    const { page } = pair();
    const buf = new ArrayBuffer(1024);
    expect(await page.call("take", [buf], [buf])).toBe(1024);
    expect(buf.byteLength).toBe(0); // detached: moved, not copied
    const back = await page.call("give", [64]);
    expect(back.byteLength).toBe(64);
  });

  it("rejects with the other side's error: name, message and fields, or as revived", async () => {
    const plain = pair().page;
    const e = (await plain.call("fail", ["nope"]).catch((x: unknown) => x)) as Error & { code?: number };
    expect(e).toBeInstanceOf(Error);
    expect([e.name, e.message, e.code]).toEqual(["CodedError", "nope", 7]);
    const revived = pair({ revive: (w) => new CodedError(`again: ${w.message}`, Number(w.fields?.code)) }).page;
    const r = await revived.call("fail", ["no"]).catch((x: unknown) => x);
    expect(r).toBeInstanceOf(CodedError);
    expect((r as CodedError).message).toBe("again: no");
  });

  it("runs calls in arrival order when sequential", async () => {
    const seq = pair({ sequential: true });
    await Promise.all([seq.page.call("slow", [30, "a"]), seq.page.call("slow", [0, "b"])]);
    expect(seq.order).toEqual(["a", "b"]);
    const par = pair();
    await Promise.all([par.page.call("slow", [30, "a"]), par.page.call("slow", [0, "b"])]);
    expect(par.order).toEqual(["b", "a"]);
  });

  it("delivers notifications without an answer, and fail() rejects what waits", async () => {
    const { page, notes } = pair();
    page.notify("note", ["hello"]);
    expect(await page.call("add", [1, 1])).toBe(2);
    expect(notes).toEqual(["hello"]);
    const waiting = page.call("slow", [50, "late"]);
    page.fail(new Error("worker died"));
    await expect(waiting).rejects.toThrow("worker died");
  });

  it("ignores messages that are not its own", () => {
    const { page } = pair();
    expect(page.receive({ t: "loaded" })).toBe(false);
  });

  it("pipelines: at most max unanswered calls, failures surface at the next add or drain", async () => {
    const answers: (() => void)[] = [];
    const call = () => new Promise<void>((r) => answers.push(r));
    const p = new Pipeline(2);
    await p.add(call());
    let second = false;
    const added = p.add(call()).then(() => (second = true));
    await Promise.resolve();
    expect(second).toBe(false); // two unanswered: waits for the first
    answers[0]!();
    await added;
    answers[1]!();
    await p.drain();
    await p.add(Promise.reject(new Error("ack failed")));
    await expect(p.drain()).rejects.toThrow("ack failed");
  });

  it("FirstFailure: after one failure every later run fails the same without running", async () => {
    const f = new FirstFailure();
    let runs = 0;
    await f.run(async () => void runs++);
    await expect(f.run(async () => { runs++; throw new Error("first"); })).rejects.toThrow("first");
    await expect(f.run(async () => void runs++)).rejects.toThrow("first");
    expect(() => f.check()).toThrow("first");
    expect(runs).toBe(2);
    f.reset();
    await f.run(async () => void runs++);
    expect(runs).toBe(3);
  });
});
