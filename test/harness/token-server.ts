/**
 * A token server for the Distribution registry's `auth.token` mode, as Docker Hub's auth service
 * behaves: GET /token?service=…&scope=… with optional Basic credentials → a JWT (ES256) whose x5c
 * header carries the certificate the registry verifies against its rootcertbundle.
 */
import { execFileSync } from "node:child_process";
import { createPrivateKey, randomUUID, sign, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";

export interface TokenServerOptions {
  dir: string;
  port: number;
  service: string;
  issuer: string;
  users: Record<string, string>;
  anonymousPull?: boolean;
  /** Users whose tokens only ever grant pull (for "denied" tests). */
  readOnlyUsers?: string[];
  expiresIn?: number;
}

export interface TokenRequestLog {
  scope: string[];
  user?: string;
  status: number;
}

export interface TokenServer {
  realm: string;
  host: string;
  certPath: string;
  requests: TokenRequestLog[];
  stop(): Promise<void>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

export async function startTokenServer(o: TokenServerOptions): Promise<TokenServer> {
  const keyPath = join(o.dir, "token-key.pem");
  const certPath = join(o.dir, "token-cert.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyPath, "-out", certPath, "-days", "30", "-subj", "/CN=layerlab-test-token"], { stdio: "ignore" });
  const key: KeyObject = createPrivateKey(readFileSync(keyPath));
  const certDer = readFileSync(certPath, "utf8").replace(/-----[^-]+-----|\s/g, "");
  const requests: TokenRequestLog[] = [];

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const scopes = url.searchParams.getAll("scope");
    let user: string | undefined;
    const auth = req.headers.authorization;
    const reply = (status: number, body: unknown) => {
      requests.push({ scope: scopes, user, status });
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url.pathname !== "/token") return reply(404, { details: "not found" });
    if (auth?.startsWith("Basic ")) {
      const [u, ...p] = Buffer.from(auth.slice(6), "base64").toString().split(":");
      if (!u || o.users[u] !== p.join(":")) {
        user = u;
        return reply(401, { details: "incorrect username or password" });
      }
      user = u;
    }
    const access = scopes.flatMap((s) => {
      const m = /^([a-z]+):(.+):([a-z*,]+)$/.exec(s);
      if (!m) return [];
      const wanted = m[3]!.split(",");
      const granted = user ? (o.readOnlyUsers?.includes(user) ? wanted.filter((a) => a === "pull") : wanted) : o.anonymousPull !== false ? wanted.filter((a) => a === "pull") : [];
      return [{ type: m[1], name: m[2], actions: granted }];
    });
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = o.expiresIn ?? 300;
    const header = { typ: "JWT", alg: "ES256", x5c: [certDer] };
    const claims = { iss: o.issuer, sub: user ?? "", aud: o.service, exp: now + expiresIn, nbf: now - 10, iat: now, jti: randomUUID(), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
    const token = `${input}.${b64url(sig)}`;
    reply(200, { token, access_token: token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() });
  });
  await new Promise<void>((ok) => server.listen(o.port, "127.0.0.1", ok));
  return {
    realm: `http://127.0.0.1:${o.port}/token`,
    host: `127.0.0.1:${o.port}`,
    certPath,
    requests,
    stop: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}
