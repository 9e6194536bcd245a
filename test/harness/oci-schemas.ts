/**
 * The OCI image-spec JSON schemas as Debian ships them (golang-github-opencontainers-image-spec-dev),
 * to check every document the lab writes. They are draft-04 and refer to each other relative to
 * https://opencontainers.org/schema/. A test that validates calls requireOciSchemas(ctx) first: under
 * CI=true missing schemas fail it with their path, elsewhere it is skipped (test/harness/shared.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv-draft-04";
import type { TestContext } from "vitest";
import { requireHostFile } from "./shared.ts";

export const SCHEMA_DIR = "/usr/share/gocode/src/github.com/opencontainers/image-spec/schema";
const BASE = "https://opencontainers.org/schema/";

export type OciDocument = "manifest" | "index" | "config" | "layout" | "descriptor";
const FILES: Record<OciDocument, string> = {
  manifest: "image-manifest-schema.json",
  index: "image-index-schema.json",
  config: "config-schema.json",
  layout: "image-layout-schema.json",
  descriptor: "content-descriptor.json",
};

export const SCHEMA_PACKAGE = "golang-github-opencontainers-image-spec-dev";

/** The schemas' directory, by the rule of test/harness/shared.ts (a failure under CI=true, else a skip). */
export function requireOciSchemas(ctx: Pick<TestContext, "skip">): string {
  return requireHostFile(ctx, SCHEMA_DIR, SCHEMA_PACKAGE);
}

let ajv: Ajv | undefined;

/** Subschemas carry absolute ids that would move the base of their relative $refs: drop them all. */
function stripIds(node: unknown): void {
  if (!node || typeof node !== "object") return;
  const o = node as Record<string, unknown>;
  if (typeof o.id === "string" && o.id.startsWith("https://")) delete o.id;
  for (const v of Object.values(o)) stripIds(v);
}

function load(): Ajv {
  if (ajv) return ajv;
  ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  for (const f of readdirSync(SCHEMA_DIR).filter((x) => x.endsWith(".json"))) {
    const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, f), "utf8")) as Record<string, unknown>;
    delete schema.$schema;
    stripIds(schema);
    ajv.addSchema(schema, `${BASE}${f}`);
  }
  return ajv;
}

/** Errors as "path: message" lines; empty when the document is valid. */
export function ociSchemaErrors(kind: OciDocument, doc: unknown): string[] {
  const validate = load().getSchema(`${BASE}${FILES[kind]}`);
  if (!validate) throw new Error(`schema ${FILES[kind]} not found`);
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"}: ${e.message}`);
}
