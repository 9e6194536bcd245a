export * from "./types.ts";
export * from "./errors.ts";
export { RegistryClient } from "./client.ts";
export { parseChallenge, TokenCache } from "./auth.ts";
