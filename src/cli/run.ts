/**
 * Running containers: run, start, stop, restart, kill, wait, logs, exec — Docker's flags, wording,
 * exit codes, and terminal behaviour (-t: raw bytes both ways, the guest's pty does echo, Ctrl-C and
 * Ctrl-D; -i without -t: the terminal edits a line and sends it, Ctrl-D closes stdin; not attached to
 * the keyboard: Ctrl-C is forwarded as SIGINT, as the Docker CLI's sig-proxy does).
 */
import { EngineError, type OutputListener } from "../runtime/engine.ts";
import type { GuestProcess } from "../runtime/x86/guest.ts";
import type { ContainerRecord } from "../store/schema.ts";
import { boolFlag, flag } from "./argv.ts";
import { createContainer, CREATE_FLAGS } from "./containers.ts";
import { DaemonError, dockerCommands, type DockerCommand } from "./docker.ts";
import { resolveImage } from "./images.ts";
import type { Lab } from "./lab.ts";
import type { CliIO } from "./types.ts";

const SIGINT = 2;

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
function connectInput(io: CliIO, proc: GuestProcess, tty: boolean, stdin: boolean): () => void {
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

function daemonMessage(io: CliIO, e: unknown, cmd: string): number {
  if (e instanceof EngineError) {
    io.stderr(`docker: Error response from daemon: ${e.message}.\nRun 'docker ${cmd} --help' for more information\n`);
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
  async run(lab, [imageRef, ...cmd], p, io) {
    let image = await resolveImage(lab.store, imageRef!);
    if (!image) {
      io.stderr(`Unable to find image '${imageRef}' locally\n`);
      const pull = dockerCommands.find((c) => c.name === "pull")!;
      const platform = flag(p, "platform");
      const { parseArgs } = await import("./argv.ts");
      const args = [...(platform ? ["--platform", platform] : []), imageRef!];
      // `docker run` pulls as `docker pull` does, minus the reference line pull prints last.
      let afterStatus = false;
      const pullIo: CliIO = {
        ...io,
        stdout: (t) => {
          if (afterStatus && /^\S+\n$/.test(t)) return;
          afterStatus = t.startsWith("Status: ");
          io.stdout(t);
        },
      };
      const code = await pull.run(lab, [imageRef!], parseArgs(args, pull.flags, "pull"), pullIo);
      if (code !== 0) return code;
      image = await resolveImage(lab.store, imageRef!);
    }
    // The machine boots (or is restored) while the container's layer and process are prepared.
    if (image) lab.engine.prewarm(image);
    const c = await createContainer(lab, imageRef!, cmd, p, io);
    const warning = await lab.engine.platformWarning(c);
    if (warning) io.stderr(warning);
    const removeAfter = boolFlag(p, "rm");
    const tty = c.config.Tty === true;
    if (boolFlag(p, "detach")) {
      try {
        const { exited } = await lab.engine.start(c);
        if (removeAfter) void exited.then(async () => lab.containers.remove((await lab.containers.get(c.id)) ?? c, true));
      } catch (e) {
        if (removeAfter) await lab.containers.remove(c, true);
        return daemonMessage(io, e, "run");
      }
      io.stdout(`${c.id}\n`);
      return 0;
    }
    let started: { exited: Promise<number>; process: GuestProcess };
    try {
      started = await lab.engine.start(c, { listener: outputTo(io, tty), rows: io.rows, cols: io.columns });
    } catch (e) {
      if (removeAfter) await lab.containers.remove(c, true);
      return daemonMessage(io, e, "run");
    }
    const disconnect = connectInput(io, started.process, tty, c.config.OpenStdin === true);
    try {
      const code = await started.exited;
      if (removeAfter) await lab.containers.remove((await lab.containers.get(c.id)) ?? c, true);
      return code;
    } finally {
      disconnect();
    }
  },
};

async function startAttached(lab: Lab, c: ContainerRecord, io: CliIO, interactive: boolean): Promise<number> {
  const tty = c.config.Tty === true;
  const started = await lab.engine.start(c, { listener: outputTo(io, tty), rows: io.rows, cols: io.columns });
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
  async run(lab, refs, p, io) {
    const attach = boolFlag(p, "attach") || boolFlag(p, "interactive");
    if (attach && refs.length > 1) throw new DaemonError("you cannot start and attach multiple containers at once");
    let failed: string[] = [];
    for (const ref of refs) {
      try {
        const c = await lab.containers.require(ref);
        if (lab.engine.isRunning(c.id)) {
          if (!attach) io.stdout(`${ref}\n`);
          continue;
        }
        if (attach) return await startAttached(lab, c, io, boolFlag(p, "interactive"));
        await lab.engine.start(c);
        io.stdout(`${ref}\n`);
      } catch (e) {
        if (!(e instanceof EngineError) && !(e instanceof Error && e.name === "NoSuchContainerError")) throw e;
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

function eachContainer(verb: string, fn: (lab: Lab, c: ContainerRecord, p: Parameters<DockerCommand["run"]>[2]) => Promise<void>): DockerCommand["run"] {
  return async (lab, refs, p, io) => {
    let status = 0;
    for (const ref of refs) {
      try {
        const c = await lab.containers.require(ref);
        await fn(lab, c, p);
        io.stdout(`${ref}\n`);
      } catch (e) {
        if (!(e instanceof Error)) throw e;
        io.stderr(`Error response from daemon: ${verb ? `${verb}: ` : ""}${e.message}\n`);
        status = 1;
      }
    }
    return status;
  };
}

const stop: DockerCommand = {
  name: "stop",
  aliases: ["container stop"],
  usage: "docker stop [OPTIONS] CONTAINER [CONTAINER...]",
  summary: "Stop one or more running containers",
  flags: [{ name: "time", short: "t", value: true }, { name: "signal", short: "s", value: true }],
  minArgs: 1,
  run: eachContainer("", (lab, c, p) => lab.engine.stop(c, Number(flag(p, "time") ?? 10), flag(p, "signal"))),
};

const restart: DockerCommand = {
  name: "restart",
  aliases: ["container restart"],
  usage: "docker restart [OPTIONS] CONTAINER [CONTAINER...]",
  summary: "Restart one or more containers",
  flags: [{ name: "time", short: "t", value: true }, { name: "signal", short: "s", value: true }],
  minArgs: 1,
  run: eachContainer("", async (lab, c, p) => {
    await lab.engine.stop(c, Number(flag(p, "time") ?? 10), flag(p, "signal"));
    await lab.engine.start((await lab.containers.get(c.id)) ?? c);
  }),
};

const kill: DockerCommand = {
  name: "kill",
  aliases: ["container kill"],
  usage: "docker kill [OPTIONS] CONTAINER [CONTAINER...]",
  summary: "Kill one or more running containers",
  flags: [{ name: "signal", short: "s", value: true }],
  minArgs: 1,
  run: eachContainer("", async (lab, c, p) => lab.engine.kill(c, flag(p, "signal") ?? "KILL")),
};

const wait: DockerCommand = {
  name: "wait",
  aliases: ["container wait"],
  usage: "docker wait CONTAINER [CONTAINER...]",
  summary: "Block until one or more containers stop, then print their exit codes",
  flags: [],
  minArgs: 1,
  async run(lab, refs, _p, io) {
    for (const ref of refs) {
      const c = await lab.containers.require(ref);
      io.stdout(`${await lab.engine.wait(c)}\n`);
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
  async run(lab, [ref], p, io) {
    const c = await lab.containers.require(ref!);
    const tty = lab.engine.tty(c);
    const stamps = boolFlag(p, "timestamps");
    const out = outputTo(io, tty);
    const show = (e: { fd: 1 | 2; t: number; data: Uint8Array }) => {
      if (stamps) (e.fd === 2 ? io.stderr : io.stdout)(`${new Date(e.t).toISOString().replace("Z", "000000Z")} `);
      out(e.fd, e.data);
    };
    let entries = await lab.engine.logsOf(c);
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
    if (!boolFlag(p, "follow") || !lab.engine.isRunning(c.id)) return 0;
    await new Promise<void>((resolve) => {
      const stopFollowing = lab.engine.follow(c, (e) => {
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
  async run(lab, [ref, ...argv], p, io) {
    const c = await lab.containers.require(ref!);
    if (!lab.engine.isRunning(c.id)) {
      io.stderr(`Error response from daemon: container ${c.id} is not running\n`);
      return 1;
    }
    const tty = boolFlag(p, "tty");
    const stdin = boolFlag(p, "interactive");
    let started: { exited: Promise<number>; process: GuestProcess };
    try {
      started = await lab.engine.exec(c, argv, {
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

export const runCommands: DockerCommand[] = [run, start, stop, restart, kill, wait, logs, exec];
