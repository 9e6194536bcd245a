/**
 * Debian's docker-registry (the CNCF Distribution registry) on 127.0.0.1, anonymous, with htpasswd,
 * or with token auth from the project's token server. Each is a child process this test owns.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.ts";
import { startTokenServer, type TokenServer } from "./token-server.ts";

export type RegistryAuth = "none" | "htpasswd" | "token";

export interface TestRegistry {
  auth: RegistryAuth;
  host: string;
  url: string;
  username?: string;
  password?: string;
  tokenHost?: string;
  tokenServer?: TokenServer;
  dataDir: string;
  configPath: string;
  /** Hosts the lab's proxy must be allowed to reach for this registry (registry, token realm). */
  allowHosts: string[];
  stop(): Promise<void>;
}

export const TEST_USER = "learner";
export const TEST_PASSWORD = "layers-all-the-way-down";
/** A token-auth user who may pull but not push. */
export const READER_USER = "reader";

export function haveRegistryBinary(): boolean {
  try {
    execFileSync("docker-registry", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function waitForRegistry(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}): ${log()}`);
    try {
      const res = await fetch(`${url}/v2/`);
      if (res.status === 200 || res.status === 401) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`docker-registry did not start: ${log()}`);
}

export async function startRegistry(auth: RegistryAuth = "none", opts: { relativeUrls?: boolean; anonymousPull?: boolean } = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), `layerlab-registry-${auth}-`));
  const dataDir = join(dir, "data");
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  let tokenServer: TokenServer | undefined;
  let authYaml = "";
  if (auth === "htpasswd") {
    const line = execFileSync("htpasswd", ["-Bbn", TEST_USER, TEST_PASSWORD]).toString().trim();
    writeFileSync(join(dir, "htpasswd"), `${line}\n`);
    authYaml = `auth:\n  htpasswd:\n    realm: layerlab-test\n    path: ${join(dir, "htpasswd")}\n`;
  } else if (auth === "token") {
    tokenServer = await startTokenServer({ dir, port: await freePort(), service: "layerlab-registry", issuer: "layerlab-token-issuer", users: { [TEST_USER]: TEST_PASSWORD, [READER_USER]: TEST_PASSWORD }, readOnlyUsers: [READER_USER], anonymousPull: opts.anonymousPull ?? false });
    authYaml = `auth:\n  token:\n    realm: ${tokenServer.realm}\n    service: layerlab-registry\n    issuer: layerlab-token-issuer\n    rootcertbundle: ${tokenServer.certPath}\n`;
  }
  const configPath = join(dir, "config.yml");
  writeFileSync(
    configPath,
    `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${dataDir}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: ${host}
  secret: layerlab-test-secret
  relativeurls: ${opts.relativeUrls ? "true" : "false"}
${authYaml}`,
  );
  let output = "";
  const child = spawn("docker-registry", ["serve", configPath], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const url = `http://${host}`;
  await waitForRegistry(url, child, () => output.slice(-2000));
  return {
    auth,
    host,
    url,
    username: auth === "none" ? undefined : TEST_USER,
    password: auth === "none" ? undefined : TEST_PASSWORD,
    tokenHost: tokenServer?.host,
    tokenServer,
    dataDir,
    configPath,
    allowHosts: tokenServer ? [host, tokenServer.host] : [host],
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      }
      await tokenServer?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
