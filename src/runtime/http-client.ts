/**
 * An HTTP/1.1 client over one connection into a container (a published port), for what the page and
 * the host shell ask of a server in a container: one request per connection (`Connection: close`), the
 * answer's body streamed as it arrives — by Content-Length, chunked, or until the server closes.
 * Servers in tutorials are busybox httpd, python's http.server, nginx: all speak this.
 */
import { concatBytes } from "../oci/bytes.ts";
import type { GuestConnection } from "./types.ts";

export interface HttpClientRequest {
  method: string;
  /** The request target: `/index.html?x=1`. */
  target: string;
  /** The Host header's value. */
  host: string;
  headers?: [string, string][];
  body?: Uint8Array;
}

export interface HttpClientResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: ReadableStream<Uint8Array>;
}

export class HttpClientError extends Error {
  override name = "HttpClientError";
}

/** Request headers the client sets itself (or that make no sense over this connection). */
const OWN_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", "upgrade", "te", "trailer", "proxy-connection"]);
const MAX_HEAD = 64 * 1024;
/** How long the container's server has to begin its answer. */
const HEAD_TIMEOUT_MS = 30_000;

const latin1 = (b: Uint8Array) => String.fromCharCode(...b);

function indexOfCrlfCrlf(b: Uint8Array): number {
  for (let i = 3; i < b.length; i++) if (b[i] === 10 && b[i - 1] === 13 && b[i - 2] === 10 && b[i - 3] === 13) return i - 3;
  return -1;
}

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => (a.length ? concatBytes([a, b]) : b);

/** Decodes a chunked body as bytes arrive; `push` returns the data and whether the last chunk came. */
class ChunkedDecoder {
  private buf: Uint8Array = new Uint8Array(0);
  private left = 0;
  private state: "size" | "data" | "crlf" | "trailer" | "done" = "size";

  push(data: Uint8Array): { out: Uint8Array[]; done: boolean } {
    this.buf = concat(this.buf, data);
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.state === "done") return { out, done: true };
      if (this.state === "data") {
        if (!this.buf.length) break;
        const take = Math.min(this.left, this.buf.length);
        out.push(this.buf.slice(0, take));
        this.buf = this.buf.subarray(take);
        this.left -= take;
        if (this.left === 0) this.state = "crlf";
        continue;
      }
      const nl = this.buf.indexOf(10);
      if (nl < 0) {
        if (this.buf.length > 4096) throw new HttpClientError("malformed chunked encoding from the container");
        break;
      }
      const line = latin1(this.buf.subarray(0, nl)).replace(/\r$/, "");
      this.buf = this.buf.subarray(nl + 1);
      if (this.state === "crlf") {
        if (line !== "") throw new HttpClientError("malformed chunked encoding from the container");
        this.state = "size";
      } else if (this.state === "size") {
        const m = /^([0-9a-fA-F]+)(;.*)?$/.exec(line.trim());
        if (!m) throw new HttpClientError(`malformed chunk size ${JSON.stringify(line)} from the container`);
        this.left = parseInt(m[1]!, 16);
        this.state = this.left === 0 ? "trailer" : "data";
      } else if (line === "") this.state = "done";
    }
    return { out, done: false };
  }
}

/** Sends `req` over `conn` (opened or opening) and resolves with the answer's head; the body follows as a stream. */
export function httpRequest(conn: GuestConnection, req: HttpClientRequest): Promise<HttpClientResponse> {
  const lines = [`${req.method} ${req.target} HTTP/1.1`, `Host: ${req.host}`];
  for (const [k, v] of req.headers ?? []) if (!OWN_HEADERS.has(k.toLowerCase())) lines.push(`${k}: ${v}`);
  if (req.body?.length || !["GET", "HEAD", "OPTIONS", "DELETE"].includes(req.method)) lines.push(`Content-Length: ${req.body?.length ?? 0}`);
  lines.push("Connection: close", "", "");
  conn.write(new TextEncoder().encode(lines.join("\r\n")));
  if (req.body?.length) conn.write(req.body);

  return new Promise((resolve, reject) => {
    let head: Uint8Array = new Uint8Array(0);
    let body: ReadableStreamDefaultController<Uint8Array> | undefined;
    let finished = false;
    let remaining = -1; // Content-Length left; -1: until the end
    let chunked: ChunkedDecoder | undefined;
    const headTimer = setTimeout(() => finish(new HttpClientError(`the container accepted the connection but did not answer within ${HEAD_TIMEOUT_MS / 1000} s`)), HEAD_TIMEOUT_MS);
    (headTimer as { unref?: () => void }).unref?.();
    const finish = (error?: Error) => {
      clearTimeout(headTimer);
      if (finished) return;
      finished = true;
      if (!body) reject(error ?? new HttpClientError("the container closed the connection without an answer"));
      else if (error) body.error(error);
      else body.close();
      // Done: our FIN (the server closes too, having been asked to); failed: a reset.
      if (error) conn.close();
      else conn.end();
    };
    const feed = (data: Uint8Array) => {
      if (finished || !body) return;
      try {
        if (chunked) {
          const { out, done } = chunked.push(data);
          for (const d of out) body.enqueue(d);
          if (done) finish();
          return;
        }
        if (remaining >= 0) {
          const take = data.subarray(0, remaining);
          if (take.length) body.enqueue(take.slice());
          remaining -= take.length;
          if (remaining === 0) finish();
          return;
        }
        body.enqueue(data);
      } catch (e) {
        finish(e as Error);
      }
    };
    conn.onData = (data) => {
      if (body) return feed(data);
      head = concat(head, data);
      const end = indexOfCrlfCrlf(head);
      if (end < 0) {
        if (head.length > MAX_HEAD) finish(new HttpClientError("the container's answer has a head over 64 KiB"));
        return;
      }
      const [statusLine = "", ...fields] = latin1(head.subarray(0, end)).split("\r\n");
      const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
      if (!m) return finish(new HttpClientError(`the container did not answer in HTTP: ${JSON.stringify(statusLine.slice(0, 80))}`));
      const status = Number(m[1]);
      // An interim answer (100 Continue, 103 Early Hints): the real one follows.
      if (status >= 100 && status < 200 && status !== 101) {
        const after = head.subarray(end + 4).slice();
        head = new Uint8Array(0);
        if (after.length) conn.onData(after);
        return;
      }
      clearTimeout(headTimer);
      const headers: [string, string][] = [];
      for (const f of fields) {
        const i = f.indexOf(":");
        if (i > 0) headers.push([f.slice(0, i).trim(), f.slice(i + 1).trim()]);
      }
      const get = (name: string) => headers.find(([k]) => k.toLowerCase() === name)?.[1];
      const rest = head.subarray(end + 4);
      const stream = new ReadableStream<Uint8Array>({
        start: (c) => {
          body = c;
        },
        cancel: () => {
          finished = true;
          conn.close();
        },
      });
      resolve({ status, statusText: m[2] ?? "", headers, body: stream });
      if (req.method === "HEAD" || status === 204 || status === 304 || (status >= 100 && status < 200)) return finish();
      if (/chunked/i.test(get("transfer-encoding") ?? "")) chunked = new ChunkedDecoder();
      else if (get("content-length") !== undefined && /^\d+$/.test(get("content-length")!)) {
        remaining = Number(get("content-length"));
        if (remaining === 0) return finish();
      }
      if (rest.length) feed(rest.slice());
    };
    conn.onEnd = (error) => {
      if (error) return finish(error);
      if (body && (chunked || remaining > 0)) return finish(new HttpClientError("the container closed the connection before the answer's end"));
      finish();
    };
    conn.opened.catch((e: Error) => finish(e));
  });
}
