/** Registry failures as typed errors, worded like the Docker daemon's messages, with what to do next. */
import type { RateLimit } from "./types.ts";

export interface RegistryErrorDetail {
  code: string;
  message: string;
  detail?: unknown;
}

export class RegistryError extends Error {
  override name = "RegistryError";
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly registry: string,
    readonly repository?: string,
    readonly errors: RegistryErrorDetail[] = [],
  ) {
    super(message);
  }
}

export class ManifestUnknownError extends RegistryError {
  override name = "ManifestUnknownError";
}
export class BlobUnknownError extends RegistryError {
  override name = "BlobUnknownError";
}
export class NameUnknownError extends RegistryError {
  override name = "NameUnknownError";
}
export class UnauthorizedError extends RegistryError {
  override name = "UnauthorizedError";
}
export class DeniedError extends RegistryError {
  override name = "DeniedError";
}
export class TooManyRequestsError extends RegistryError {
  override name = "TooManyRequestsError";
  rateLimit: RateLimit = {};
}
export class RegistryUnreachableError extends RegistryError {
  override name = "RegistryUnreachableError";
}

/** Parses Docker Hub's "100;w=21600" style (and plain numbers). */
function firstNumber(v: string | null): number | undefined {
  if (!v) return undefined;
  const n = Number(v.split(";")[0]);
  return Number.isFinite(n) ? n : undefined;
}

export function parseRateLimit(headers: Headers, now = Date.now()): RateLimit {
  const rl: RateLimit = {};
  const limit = headers.get("ratelimit-limit");
  const remaining = headers.get("ratelimit-remaining");
  if (limit) rl.limit = limit;
  if (remaining) rl.remaining = remaining;
  const retryAfter = headers.get("retry-after");
  const reset = firstNumber(headers.get("ratelimit-reset"));
  if (retryAfter) {
    const secs = Number(retryAfter);
    rl.resetAt = Number.isFinite(secs) ? new Date(now + secs * 1000) : new Date(retryAfter);
  } else if (reset !== undefined) {
    // Either seconds until reset or an epoch timestamp; Docker Hub documents seconds.
    rl.resetAt = new Date(reset > 1e9 ? reset * 1000 : now + reset * 1000);
  } else {
    const window = headers.get("ratelimit-limit")?.match(/w=(\d+)/);
    if (window) rl.resetAt = new Date(now + Number(window[1]) * 1000);
  }
  return rl;
}

function whenText(d: Date, now = Date.now()): string {
  const mins = Math.max(0, Math.round((d.getTime() - now) / 60000));
  const clock = d.toISOString().slice(11, 19);
  return `${clock} UTC (in ${mins < 1 ? "less than a minute" : `${mins} min`})`;
}

interface ErrorContext {
  registry: string;
  repository?: string;
  /** What was being fetched, for the message: "manifest for busybox:nope". */
  subject?: string;
  hadCredentials?: boolean;
}

/** Maps a failed response to a typed error; reads the Distribution error body when there is one. */
export async function errorFromResponse(res: Response, ctx: ErrorContext): Promise<RegistryError> {
  let errors: RegistryErrorDetail[] = [];
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { errors?: RegistryErrorDetail[]; details?: string };
    if (Array.isArray(body.errors)) errors = body.errors;
  } catch {
    // Not JSON (e.g. an HTML error page): the status says enough.
  }
  const first = errors[0];
  const code = first?.code ?? (res.status === 401 ? "UNAUTHORIZED" : res.status === 403 ? "DENIED" : res.status === 429 ? "TOOMANYREQUESTS" : res.status === 404 ? "NOT_FOUND" : `HTTP_${res.status}`);
  const msg = first?.message ?? (text.trim().slice(0, 200) || res.statusText || `HTTP ${res.status}`);
  const args = [res.status, code, ctx.registry, ctx.repository, errors] as const;
  // The lab's own proxy refused (not allow-listed, private address, too large…): its words say it best.
  if (msg.startsWith("layerlab proxy:")) {
    return code === "UNREACHABLE" || code === "TIMEOUT" ? new RegistryUnreachableError(msg, ...args) : new RegistryError(msg, ...args);
  }
  switch (code) {
    case "MANIFEST_UNKNOWN":
      return new ManifestUnknownError(`${ctx.subject ?? "manifest"} not found: manifest unknown: ${msg}`, ...args);
    case "BLOB_UNKNOWN":
      return new BlobUnknownError(`${ctx.subject ?? "blob"} not found: blob unknown: ${msg}`, ...args);
    case "NAME_UNKNOWN":
      return new NameUnknownError(`repository ${ctx.repository ?? ""} not found: name unknown: ${msg}`, ...args);
    case "UNAUTHORIZED":
      return new UnauthorizedError(
        ctx.hadCredentials
          ? `unauthorized: incorrect username or password for ${ctx.registry} (${msg}); run docker login ${ctx.registry} again`
          : `unauthorized: authentication required for ${ctx.registry}: run docker login ${ctx.registry}`,
        ...args,
      );
    case "DENIED":
      return new DeniedError(
        `denied: requested access to the resource is denied (${msg}); check the repository name and that your account may ${ctx.subject?.startsWith("push") ? "push to" : "pull"} it, or run docker login ${ctx.registry}`,
        ...args,
      );
    case "TOOMANYREQUESTS": {
      const rl = parseRateLimit(res.headers);
      const e = new TooManyRequestsError(
        `toomanyrequests: ${msg}${rl.resetAt ? `; the limit resets at ${whenText(rl.resetAt)}` : ""}${rl.limit ? ` (limit ${rl.limit}, remaining ${rl.remaining ?? "0"})` : ""}. Log in (docker login) for a higher limit`,
        ...args,
      );
      e.rateLimit = rl;
      return e;
    }
    case "UNREACHABLE":
    case "TIMEOUT":
      return new RegistryUnreachableError(`cannot reach registry ${ctx.registry}: ${msg}`, ...args);
    case "MANIFEST_INVALID":
    case "MANIFEST_BLOB_UNKNOWN":
    case "BLOB_UPLOAD_INVALID":
    case "BLOB_UPLOAD_UNKNOWN":
    case "DIGEST_INVALID":
    case "SIZE_INVALID":
    case "NAME_INVALID":
    case "TAG_INVALID":
    case "UNSUPPORTED": {
      const detail = typeof first?.detail === "string" ? first.detail : first?.detail ? JSON.stringify(first.detail) : "";
      return new RegistryError(`${ctx.subject ? `${ctx.subject}: ` : ""}refused by ${ctx.registry}: ${msg}${detail ? ` (${detail})` : ""} [${code}]`, ...args);
    }
    default:
      if (res.status === 404) return new ManifestUnknownError(`${ctx.subject ?? "resource"} not found (HTTP 404)`, ...args);
      return new RegistryError(`${ctx.registry} answered HTTP ${res.status}${code ? ` ${code}` : ""}: ${msg}`, ...args);
  }
}
