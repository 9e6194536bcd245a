/**
 * BuildKit's `--progress=plain` output (progressui/printer.go as Docker 20.10 ships it): every vertex
 * of the build graph gets a number in the order it starts, its name, its digest, its log lines stamped
 * with the seconds since it started, and one closing line — `DONE 0.3s`, `CACHED` or `ERROR: …`;
 * blocks are separated by a blank line. The lab runs vertices one after another, so the blocks never interleave.
 */
import { sha256Digest } from "../oci/digest.ts";

export class BuildKitProgress {
  private count = 0;
  private printed = 0;
  /** Numbers given out ahead of their turn (a vertex that finishes before ones queued earlier). */
  private readonly taken = new Set<number>();

  constructor(
    private readonly write: (text: string) => void,
    private readonly clock: () => number = () => performance.now(),
    /** Told each vertex's digest (the daemon remembers them: they are not image IDs). */
    private readonly onDigest: (digest: string) => void = () => {},
  ) {}

  /** Starts a vertex; `key` makes its digest (the same work gets the same digest in every build). */
  /** The number the next vertex gets. */
  get next(): number {
    let n = this.count + 1;
    while (this.taken.has(n)) n++;
    return n;
  }

  /** `at`: a number further on, for a vertex BuildKit queued later but shows first. */
  async vertex(name: string, key: string, digest?: string, at?: number): Promise<Vertex> {
    let n: number;
    if (at !== undefined) {
      n = at;
      this.taken.add(at);
    } else {
      n = this.count = this.next;
    }
    const d = digest ?? (await sha256Digest(`${name}\n${key}`));
    this.onDigest(d);
    // A blank line before every block but the first.
    this.write(`${this.printed++ > 0 ? "\n" : ""}#${n} ${name}\n#${n} ${d}\n`);
    return new Vertex(n, name, this.write, this.clock);
  }
}

export class Vertex {
  private readonly start: number;
  private partial: Record<1 | 2, string> = { 1: "", 2: "" };

  constructor(
    readonly n: number,
    readonly name: string,
    private readonly write: (text: string) => void,
    private readonly clock: () => number,
  ) {
    this.start = clock();
  }

  private seconds(): number {
    return (this.clock() - this.start) / 1000;
  }

  /** A status line of the vertex itself (`transferring context: 2B done`). */
  line(text: string): void {
    this.write(`#${this.n} ${text}\n`);
  }

  /** A process's output, a line at a time with its time stamp. */
  log(fd: 1 | 2, text: string): void {
    const all = this.partial[fd] + text;
    const lines = all.split("\n");
    this.partial[fd] = lines.pop()!;
    for (const l of lines) this.write(`#${this.n} ${this.seconds().toFixed(3)} ${l}\n`);
  }

  private flush(): void {
    for (const fd of [1, 2] as const) if (this.partial[fd]) this.log(fd, "\n");
  }

  done(): void {
    this.flush();
    this.write(`#${this.n} DONE ${this.seconds().toFixed(1)}s\n`);
  }

  cached(): void {
    this.write(`#${this.n} CACHED\n`);
  }

  /** The failure line, then the summary block BuildKit prints before the error itself. */
  error(message: string): void {
    this.flush();
    this.write(`#${this.n} ERROR: ${message}\n------\n > ${this.name}:\n------\n`);
  }
}
