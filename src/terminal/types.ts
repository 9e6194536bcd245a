/**
 * The contract between a command line (the docker-compatible CLI, later the host shell) and whatever
 * shows it (the xterm.js terminal in the page, the headless driver, tests). Neither side imports the
 * other: the page wires them together in src/main.ts.
 */

/**
 * The host's files as a command sees them (the host shell's working directory for relative paths):
 * what `docker save -o FILE`, `docker load -i FILE` and `docker cp` read and write. Errors carry an
 * errno `code` (ENOENT, EISDIR, ENOSPC, …).
 */
export interface HostFileStat {
  type: "file" | "directory" | "symlink";
  size: number;
  mode: number;
  mtime: Date;
}

export interface HostFileAccess {
  /** The absolute path of `path`. */
  resolve(path: string): string;
  /** Follows symbolic links; throws (code ENOENT) when nothing is there. `mode`: permission bits. */
  stat(path: string): Promise<HostFileStat>;
  /** Does not follow a symbolic link at the end. */
  lstat(path: string): Promise<HostFileStat>;
  readdir(path: string): Promise<{ name: string; type: HostFileStat["type"] }[]>;
  readlink(path: string): Promise<string>;
  readFile(path: string): Promise<Uint8Array>;
  /** Creates or replaces a file; its directory must exist. */
  writeFile(path: string, data: Uint8Array): Promise<void>;
}

export interface CliIO {
  /** Text to the terminal; "\n" line ends (the terminal element converts to CRLF). */
  stdout(text: string): void;
  stderr(text: string): void;
  /**
   * True when output goes to an interactive terminal: progress lines are then redrawn in place with
   * ANSI cursor movement, as Docker does on a TTY; otherwise each status change prints once.
   */
  readonly tty: boolean;
  readonly columns: number;
  /** Aborted by Ctrl-C. */
  readonly signal?: AbortSignal;
  /** Terminal rows (a container's tty gets the terminal's size). */
  readonly rows?: number;
  /** Bytes straight to the terminal: a container's tty output, which already has its CR LF. */
  writeRaw?(data: Uint8Array): void;
  /**
   * Keystrokes while the command runs, as typed (Ctrl-C is "\x03", Ctrl-D "\x04"): `docker run -i`
   * takes the keyboard. Returns the function that gives it back. Absent where nobody types.
   */
  takeInput?(fn: (data: string) => void): () => void;
  /** Terminal size changes while the command runs. */
  onResize?(fn: (rows: number, cols: number) => void): () => void;
  /**
   * A long operation's overall progress (a pull, a push), for a progress bar beside the terminal;
   * undefined when it ends. Absent where nobody draws one.
   */
  activity?(a: Activity | undefined): void;
  /** The command's exported environment (`DOCKER_BUILDKIT=1 docker build .`), where it runs in a shell. */
  readonly env?: Readonly<Record<string, string>>;
  /** The host's files, where the command runs on a host (the host shell); absent elsewhere. */
  readonly files?: HostFileAccess;
  /** Output goes to a pipe or a file, not the terminal (`docker save IMG > img.tar`). */
  readonly pipe?: boolean;
  /** What was piped or redirected into the command (`docker load < img.tar`); absent when it is the keyboard. */
  readonly stdin?: Uint8Array;
  /** Hands a file to the user (a browser download); absent where there is nowhere to put one. */
  download?(name: string, data: ReadableStream<Uint8Array>): Promise<void>;
  /** Asks the user for a file (a browser file picker); undefined when they cancel. */
  upload?(accept?: string): Promise<{ name: string; data: ReadableStream<Uint8Array> } | undefined>;
}

export interface Activity {
  /** What is happening, e.g. "Pulling layerlab.demo/debian:bookworm". */
  label: string;
  /** Bytes done and in all, over the layers whose size is known. */
  current: number;
  total: number;
}

export interface CommandLine {
  /** Runs one command line (e.g. `docker pull busybox`), returns its exit status. */
  exec(line: string, io: CliIO): Promise<number>;
  /** Completion candidates for the word at the end of `line`. */
  complete?(line: string): string[];
  /**
   * Whether `text` (the lines typed so far, joined by "\n") needs another line before it can run: an
   * open quote or here-document, a trailing `|`, `&&` or `\`. The terminal then prompts for more.
   */
  needsMore?(text: string): boolean;
}
