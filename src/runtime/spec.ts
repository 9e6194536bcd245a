/**
 * What a container's process is, from its config, the way Docker and runc derive it: argv =
 * Entrypoint + Cmd; Env with PATH, HOSTNAME and HOME filled in (TERM when there is a terminal); the
 * User looked up in the container's own /etc/passwd and /etc/group; WorkingDir created when missing.
 * Shared by the x86 and WASI runtimes; errors carry Docker's wording.
 */
import type { ContainerConfig } from "../oci/types.ts";
import type { UnionFS } from "../unionfs/union.ts";

export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface ResolvedProcess {
  argv: string[];
  env: string[];
  /** Absolute, inside the container. */
  cwd: string;
  uid: number;
  gid: number;
  /** Supplementary groups (the primary one included), as runc sets them. */
  groups: number[];
  hostname: string;
  tty: boolean;
  /** Keep stdin open (`-i`); otherwise the process reads EOF at once, as with Docker's /dev/null. */
  stdin: boolean;
  /** Terminal size for a tty (the page's xterm.js). */
  rows?: number;
  cols?: number;
}

export class SpecError extends Error {
  override name = "SpecError";
  constructor(message: string, readonly status = 126) {
    super(message);
  }
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

async function readLines(fs: UnionFS, path: string): Promise<string[][]> {
  try {
    const real = fs.realpath(path);
    const text = new TextDecoder().decode(await fs.read(real));
    return text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(":"));
  } catch {
    return [];
  }
}

/** Docker's user string: "name", "uid", "name:group", "uid:gid" (names looked up in the container). */
export async function resolveUser(fs: UnionFS, user: string | undefined): Promise<{ uid: number; gid: number; groups: number[]; home: string }> {
  const passwd: PasswdEntry[] = (await readLines(fs, "etc/passwd")).map((f) => ({ name: f[0] ?? "", uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? "/" }));
  const groups = (await readLines(fs, "etc/group")).map((f) => ({ name: f[0] ?? "", gid: Number(f[2]), members: (f[3] ?? "").split(",").filter(Boolean) }));
  const [u = "", g] = (user ?? "").split(":");
  let entry: PasswdEntry | undefined;
  let uid = 0;
  if (u === "" || /^\d+$/.test(u)) {
    uid = u === "" ? 0 : Number(u);
    entry = passwd.find((p) => p.uid === uid);
  } else {
    entry = passwd.find((p) => p.name === u);
    if (!entry) throw new SpecError(`unable to find user ${u}: no matching entries in passwd file`);
    uid = entry.uid;
  }
  let gid = entry?.gid ?? 0;
  if (g !== undefined && g !== "") {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const grp = groups.find((x) => x.name === g);
      if (!grp) throw new SpecError(`unable to find group ${g}: no matching entries in group file`);
      gid = grp.gid;
    }
  }
  const supplementary = entry ? groups.filter((x) => x.members.includes(entry!.name)).map((x) => x.gid) : [];
  return { uid, gid, groups: [...new Set([gid, ...supplementary])], home: entry?.home || "/" };
}

function setDefault(env: string[], key: string, value: string): void {
  if (!env.some((kv) => kv.startsWith(`${key}=`))) env.push(`${key}=${value}`);
}

/**
 * The process a container runs (or `docker exec` adds): `override` replaces argv/env/cwd/user for exec.
 * Creates the working directory in the container layer when it is missing, as Docker does at start.
 */
export async function resolveProcess(
  fs: UnionFS,
  config: ContainerConfig,
  opts: { tty: boolean; stdin?: boolean; argv?: string[]; env?: string[]; cwd?: string; user?: string },
): Promise<ResolvedProcess> {
  const argv = opts.argv ?? [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  if (argv.length === 0) throw new SpecError("no command specified", 125);
  const user = await resolveUser(fs, opts.user ?? config.User);
  const hostname = (config.Hostname as string | undefined) ?? "";
  // Docker's order: PATH (when the image has none), HOSTNAME, then the config's Env, TERM, HOME.
  const env: string[] = [];
  const base = [...(config.Env ?? []), ...(opts.env ?? [])];
  if (!base.some((kv) => kv.startsWith("PATH="))) env.push(`PATH=${DEFAULT_PATH}`);
  env.push(`HOSTNAME=${hostname}`);
  const merged = new Map<string, string>();
  for (const kv of base) merged.set(kv.split("=")[0]!, kv);
  env.push(...merged.values());
  if (opts.tty) setDefault(env, "TERM", "xterm");
  setDefault(env, "HOME", user.home);
  let cwd = opts.cwd ?? config.WorkingDir ?? "";
  if (!cwd) cwd = "/";
  if (!cwd.startsWith("/")) throw new SpecError(`the working directory '${cwd}' is invalid, it needs to be an absolute path`, 125);
  if (cwd !== "/" && !opts.cwd) {
    const st = await fs.tryStat(fs.realpath(cwd));
    if (!st) await fs.mkdirAll(fs.realpath(cwd)); // root-owned 0755, as the daemon makes it
  }
  return { argv, env, cwd, uid: user.uid, gid: user.gid, groups: user.groups, hostname, tty: opts.tty, stdin: opts.stdin ?? false };
}
