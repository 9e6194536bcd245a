/**
 * Running containers: run, start, stop, restart, kill, wait, logs, exec — Docker's flags, wording,
 * exit codes, and terminal behaviour (-t: raw bytes both ways, the guest's pty does echo, Ctrl-C and
 * Ctrl-D; -i without -t: the terminal edits a line and sends it, Ctrl-D closes stdin; not attached to
 * the keyboard: Ctrl-C is forwarded as SIGINT, as the Docker CLI's sig-proxy does).
 */
import type { Daemon } from "../daemon/daemon.ts";
import { DaemonError } from "../daemon/errors.ts";
import { ContainerError } from "../store/containers.ts";
import { EngineError } from "../runtime/engine.ts";
import { SIGNALS } from "../runtime/signals.ts";
import type { OutputListener, RuntimeProcess } from "../runtime/types.ts";
import type { ContainerRecord } from "../store/schema.ts";
import type { CliIO } from "../terminal/types.ts";
import { boolFlag, flag, type ParsedArgs } from "./argv.ts";
import { eachArg, type DockerCommand } from "./command.ts";
import { createFlags, CREATE_FLAGS, publishWarning } from "./containers.ts";
import { showPull } from "./images.ts";

const SIGINT = SIGNALS.INT;

/** Sends a process's output to the terminal. */
function outputTo(io: CliIO, tty: boolean): OutputListener {
  const decoders = { 1: new TextDecoder(), 2: new TextDecoder() };
  return (fd, data) => {
    if (tty && io.writeRaw) return io.writeRaw(data);
    const text = decoders[fd].decode(data, { stream: true });
    if (fd === 2) io.stderr(text);
    else io.stdout(text);
  };
}

/** Connects the keyboard (and terminal size, and Ctrl-C) to a process; returns the disconnect. */
function connectInput(io: CliIO, proc: RuntimeProcess, tty: boolean, stdin: boolean): () => void {
  const undo: (() => void)[] = [];
  if (stdin && io.takeInput) {
    if (tty) {
      undo.push(io.takeInput((d) => proc.write(d)));
    } else {
      let line = "";
      undo.push(
        io.takeInput((d) => {
          for (const ch of d) {
            if (ch === "\r") {
              io.stdout("\n");
              proc.write(`${line}\n`);
              line = "";
            } else if (ch === "\x7f" || ch === "\b") {
              if (line) {
                line = line.slice(0, -1);
                io.writeRaw?.(new Uint8Array([8, 32, 8]));
              }
            } else if (ch === "\x04") {
              if (line) proc.write(line);
              line = "";
              proc.closeStdin();
            } else if (ch === "\x03") proc.kill(SIGINT);
            else if (ch >= " ") {
              line += ch;
              io.stdout(ch);
            }
          }
        }),
      );
    }
  } else if (io.signal) {
    const onAbort = () => proc.kill(SIGINT);
    io.signal.addEventListener("abort", onAbort);
    undo.push(() => io.signal!.removeEventListener("abort", onAbort));
  }
  if (tty && io.onResize) undo.push(io.onResize((rows, cols) => proc.resize(rows, cols)));
  return () => undo.forEach((f) => f());
}

/** A start the daemon refused, as docker/cli 20.10's run reports it (reportError; an attached run also logs its wait's end). */
function daemonMessage(io: CliIO, e: unknown, attached: boolean): number {
  if (e instanceof EngineError) {
    io.stderr(`docker: Error response from daemon: ${e.message.replace(/\.$/, "")}.\n${attached ? "ERRO[0000] error waiting for container: context canceled\n" : ""}`);
    return e.status;
  }
  throw e;
}

const run: DockerCommand = {
  name: "run",
  aliases: ["container run"],
  usage: "docker run [OPTIONS] IMAGE [COMMAND] [ARG...]",
  summary: "Create and run a new container from an image",
  flags: [...CREATE_FLAGS, { name: "rm" }, { name: "detach", short: "d" }],
  minArgs: 1,
  stopAtFirstArg: true,
  async run(daemon, [imageRef, ...cmd], p, io) {
    const flags = createFlags(cmd, p);
    let image = await daemon.images.resolve(imageRef!);
    if (!image) {
      io.stderr(`Unable to find image '${imageRef}' locally\n`);
      image = (await showPull(daemon, imageRef!, io, { platform: flag(p, "platform") })).image;
    }
    // The machine boots (or is restored) while the container's layer and process are prepared.
    daemon.engine.prewarm(image);
    const c = await daemon.containers.create(imageRef!, flags);
    const warning = (publishWarning(p) ?? "") + ((await daemon.engine.platformWarning(c)) ?? "");
    if (warning) io.stderr(warning);
    const removeAfter = boolFlag(p, "rm");
    const tty = c.config.Tty === true;
    if (boolFlag(p, "detach")) {
      // docker/cli prints the new container's ID as soon as it is created, before it is started.
      io.stdout(`${c.id}\n`);
      try {
        const { exited } = await daemon.engine.start(c);
        if (removeAfter) void exited.then(() => daemon.containers.remove(c.id, { force: true })).catch(() => {}); // already removed by hand
      } catch (e) {
        if (removeAfter) await daemon.containers.remove(c.id, { force: true });
        return daemonMessage(io, e, false);
      }
      return 0;
    }
    let started: { exited: Promise<number>; process: RuntimeProcess };
    try {
      started = await daemon.engine.start(c, { listener: outputTo(io, tty), rows: io.rows, cols: io.columns });
    } catch (e) {
      if (removeAfter) await daemon.containers.remove(c.id, { force: true });
      return daemonMessage(io, e, true);
    }
    const disconnect = connectInput(io, started.process, tty, c.config.OpenStdin === true);
    try {
      const code = await started.exited;
      if (removeAfter) await daemon.containers.remove(c.id, { force: true });
      return code;
    } finally {
      disconnect();
    }
  },
};

async function startAttached(daemon: Daemon, c: ContainerRecord, io: CliIO, interactive: boolean): Promise<number> {
  const tty = c.config.Tty === true;
  const started = await daemon.engine.start(c, { listener: outputTo(io, tty), rows: io.rows, cols: io.columns });
  const disconnect = connectInput(io, started.process, tty, interactive && c.config.OpenStdin === true);
  try {
    return await started.exited;
  } finally {
    disconnect();
  }
}

const start: DockerCommand = {
  name: "start",
  aliases: ["container start"],
  usage: "docker start [OPTIONS] CONTAINER [CONTAINER...]",
  summary: "Start one or more stopped containers",
  flags: [{ name: "attach", short: "a" }, { name: "interactive", short: "i" }],
  minArgs: 1,
  async run(daemon, refs, p, io) {
    const attach = boolFlag(p, "attach") || boolFlag(p, "interactive");
    if (attach && refs.length > 1) throw new DaemonError("you cannot start and attach multiple containers at once");
    const failed: string[] = [];
    for (const ref of refs) {
      try {
        const c = await daemon.containers.require(ref);
        if (daemon.engine.isRunning(c.id)) {
          if (!attach) io.stdout(`${ref}\n`);
          continue;
        }
        if (attach) return await startAttached(daemon, c, io, boolFlag(p, "interactive"));
        await daemon.engine.start(c);
        io.stdout(`${ref}\n`);
      } catch (e) {
        if (!(e instanceof EngineError) && !(e instanceof ContainerError)) throw e;
        io.stderr(`Error response from daemon: ${e.message}\n`);
        failed.push(ref);
      }
    }
    if (failed.length) {
      io.stderr(`Error: failed to start containers: ${failed.join(", ")}\n`);
      return 1;
    }
    return 0;
  },
};

/** A command applied to each named container, printing its name, or Docker's error and going on. */
function eachContainer(fn: (daemon: Daemon, c: ContainerRecord, p: ParsedArgs) => Promise<void>): DockerCommand["run"] {
  return (daemon, refs, p, io) =>
    eachArg(refs, io, async (ref) => {
      await fn(daemon, await daemon.containers.require(ref), p);
      io.stdout(`${ref}\n`);
    });
}

const stop: DockerCommand = {
  name: "stop",
  aliases: ["container stop"],
  usage: "docker stop [OPTIONS] CONTAINER [CONTAINER...]",
  summary: "Stop one or more running containers",
  flags: [{ name: "time", short: "t", value: true }, { name: "signal", short: "s", value: true }],
  minArgs: 1,
  run: eachContainer((daemon, c, p) => daemon.engine.stop(c, Number(flag(p, "time") ?? 10), flag(p, "signal"))),
};

const restart: DockerCommand = {
  name: "restart",
  aliases: ["container restart"],
  usage: "docker restart [OPTIONS] CONTAINER [CONTAINER...]",
  summary: "Restart one or more containers",
  flags: [{ name: "time", short: "t", value: true }, { name: "signal", short: "s", value: true }],
  minArgs: 1,
  run: eachContainer(async (daemon, c, p) => {
    await daemon.engine.stop(c, Number(flag(p, "time") ?? 10), flag(p, "signal"));
    await daemon.engine.start(await daemon.containers.require(c.id));
  }),
};

const kill: DockerCommand = {
  name: "kill",
  aliases: ["container kill"],
  usage: "docker kill [OPTIONS] CONTAINER [CONTAINER...]",
  summary: "Kill one or more running containers",
  flags: [{ name: "signal", short: "s", value: true }],
  minArgs: 1,
  run: eachContainer(async (daemon, c, p) => daemon.engine.kill(c, flag(p, "signal") ?? "KILL")),
};

const wait: DockerCommand = {
  name: "wait",
  aliases: ["container wait"],
  usage: "docker wait CONTAINER [CONTAINER...]",
  summary: "Block until one or more containers stop, then print their exit codes",
  flags: [],
  minArgs: 1,
  async run(daemon, refs, _p, io) {
    for (const ref of refs) {
      const c = await daemon.containers.require(ref);
      io.stdout(`${await daemon.engine.wait(c)}\n`);
    }
    return 0;
  },
};

const logs: DockerCommand = {
  name: "logs",
  aliases: ["container logs"],
  usage: "docker logs [OPTIONS] CONTAINER",
  summary: "Fetch the logs of a container",
  flags: [{ name: "follow", short: "f" }, { name: "timestamps", short: "t" }, { name: "tail", short: "n", value: true }],
  minArgs: 1,
  maxArgs: 1,
  async run(daemon, [ref], p, io) {
    const c = await daemon.containers.require(ref!);
    const tty = daemon.engine.tty(c);
    const stamps = boolFlag(p, "timestamps");
    const out = outputTo(io, tty);
    const show = (e: { fd: 1 | 2; t: number; data: Uint8Array }) => {
      if (stamps) (e.fd === 2 ? io.stderr : io.stdout)(`${new Date(e.t).toISOString().replace("Z", "000000Z")} `);
      out(e.fd, e.data);
    };
    let entries = await daemon.engine.logsOf(c);
    const tail = flag(p, "tail");
    if (tail !== undefined && tail !== "all") {
      // --tail counts lines, not writes.
      const n = Number(tail);
      const lines: { fd: 1 | 2; t: number; data: Uint8Array }[] = [];
      const enc = new TextEncoder();
      for (const e of entries) for (const l of new TextDecoder().decode(e.data).split(/(?<=\n)/)) if (l) lines.push({ fd: e.fd, t: e.t, data: enc.encode(l) });
      entries = n > 0 ? lines.slice(-n) : [];
    }
    entries.forEach(show);
    if (!boolFlag(p, "follow") || !daemon.engine.isRunning(c.id)) return 0;
    await new Promise<void>((resolve) => {
      const stopFollowing = daemon.engine.follow(c, (e) => {
        if (e) show(e);
        else {
          stopFollowing();
          resolve();
        }
      });
      io.signal?.addEventListener("abort", () => {
        stopFollowing();
        resolve();
      });
    });
    return 0;
  },
};

const exec: DockerCommand = {
  name: "exec",
  aliases: ["container exec"],
  usage: "docker exec [OPTIONS] CONTAINER COMMAND [ARG...]",
  summary: "Execute a command in a running container",
  flags: [
    { name: "interactive", short: "i" },
    { name: "tty", short: "t" },
    { name: "detach", short: "d" },
    { name: "env", short: "e", value: true, repeat: true },
    { name: "workdir", short: "w", value: true },
    { name: "user", short: "u", value: true },
  ],
  minArgs: 2,
  stopAtFirstArg: true,
  async run(daemon, [ref, ...argv], p, io) {
    const c = await daemon.containers.require(ref!);
    if (!daemon.engine.isRunning(c.id)) {
      io.stderr(`Error response from daemon: container ${c.id} is not running\n`);
      return 1;
    }
    const tty = boolFlag(p, "tty");
    const stdin = boolFlag(p, "interactive");
    let started: { exited: Promise<number>; process: RuntimeProcess };
    try {
      started = await daemon.engine.exec(c, argv, {
        tty,
        stdin,
        env: p.flags.get("env") ?? [],
        cwd: flag(p, "workdir"),
        user: flag(p, "user"),
        rows: io.rows,
        cols: io.columns,
        listener: boolFlag(p, "detach") ? () => {} : outputTo(io, tty),
      });
    } catch (e) {
      if (e instanceof EngineError) {
        io.stderr(`${e.message}\n`);
        return e.status;
      }
      throw e;
    }
    if (boolFlag(p, "detach")) return 0;
    const disconnect = connectInput(io, started.process, tty, stdin);
    try {
      return await started.exited;
    } finally {
      disconnect();
    }
  },
};

export const RUN_COMMANDS: readonly DockerCommand[] = [run, start, stop, restart, kill, wait, logs, exec];
