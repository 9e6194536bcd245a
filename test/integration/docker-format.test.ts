/**
 * The template engine (src/cli/template.ts) against real Docker 20.10 (test/harness/docker.ts): fixture
 * images pushed to a local registry and pulled by a private dockerd, then for each template Docker's
 * own output compared byte for byte with the engine's on the same data:
 *
 * - `docker image inspect --format T`: the engine is fed Docker's own `docker image inspect` JSON,
 *   read as Go types (goTyped with types.ImageInspect), through dockerInspect() — typed first, then the
 *   raw JSON with missingkey=error, as the CLI does; stdout, stderr and the exit code must match;
 * - `docker images --format T` and `docker history --format T`: rows are built from Docker's
 *   `--format '{{json .}}'` of the same command (strings, as Docker's row methods return), rendered
 *   with parseDockerFormat() (tables through the tabwriter with Docker's header names).
 *
 * Numbers keep their Go types: inspect's Size is an int64 in the typed value (a JS integer prints as
 * Go prints int64: `2063453`), and in the raw fallback a json.Number (a string type), as Docker has it.
 * Rows mentioning "Created" are read between two runs of Docker's command that must agree (its
 * "N minutes ago" may tick over while the test reads).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dockerInspect, dockerRow, goTyped, HISTORY_HEADERS, IMAGE_HEADERS, parseDockerFormat, ROW_TYPES, TemplateError } from "../../src/cli/template.ts";
import { haveDocker, requireDocker, startDocker, type DockerResult, type TestDocker } from "../harness/docker.ts";
import { pushOracleImages } from "../harness/fixtures.ts";
import { haveRegistryBinary, startRegistry, type TestRegistry } from "../harness/registry.ts";
import { requireHostFile } from "../harness/shared.ts";

/** `docker image inspect --format` templates: every construct of the engine, on typed inspect data. */
const INSPECT_TEMPLATES = [
  "{{.Id}}",
  "{{.ID}} {{.Parent}}|{{.Comment}}|{{.Author}}|{{.DockerVersion}}",
  "{{.Size}} {{.VirtualSize}} {{.Os}}/{{.Architecture}}{{.Variant}}",
  "{{.RepoTags}} {{.RepoDigests}}",
  "{{json .RepoTags}} {{json .RepoDigests}} {{json .Config.Entrypoint}} {{json .Config.Labels}}",
  "{{json .Config}}",
  "{{json .}}",
  "{{.Config.Labels}} {{.Config.ExposedPorts}} {{.Config.Volumes}}",
  "{{.Config.Entrypoint}} {{.Config.Cmd}} {{.Config.OnBuild}} {{.Config.Env}}",
  "{{.Config}}",
  "{{.RootFS}} {{.GraphDriver}} {{.GraphDriver.Data}}",
  "{{.Config.Healthcheck}} {{.Config.StopTimeout}} {{.Config.Shell}} {{.Config.Labels.nope}}",
  "{{range .RootFS.Layers}}{{.}}\n{{end}}",
  "{{range $i, $l := .RootFS.Layers}}{{$i}}:{{slice $l 7 19}} {{end}}",
  "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{else}}no labels{{end}}",
  "{{range .Config.Env}}{{if eq . \"EMPTY=\"}}(empty){{else}}{{.}}{{end}},{{end}}",
  "{{range .RepoDigests}}{{.}}{{else}}no digests{{end}}|{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}",
  "{{if .Config.Entrypoint}}entrypoint {{index .Config.Entrypoint 0}}{{else if .Config.Cmd}}cmd {{.Config.Cmd}}{{else}}none{{end}}",
  "{{with .Config.Labels}}{{index . \"org.example.title\"}}{{else}}unlabelled{{end}}|{{with .Comment}}{{.}}{{else}}no comment{{end}}",
  "{{$id := .Id}}{{$short := slice $id 7 19}}{{$short}} {{len $id}}{{$n := 0}}{{range .RootFS.Layers}}{{$n = .}}{{end}} {{slice $n 0 15}}",
  "{{eq .Os \"linux\"}} {{eq .Architecture \"arm\" \"386\"}} {{ne .Architecture \"amd64\"}} {{lt .Size 1000000000}} {{gt .Size 1000}} {{le (len .RepoTags) 2}} {{ge 1 1}}",
  "{{and .Config.Labels (gt .Size 0)}} {{or .Comment \"no comment\"}} {{not .Config.Tty}} {{and .Config.Tty .Missing}} {{or .Config.Entrypoint .Config.Cmd}}",
  "{{len .RootFS.Layers}} {{len .Config.Env}} {{len .Config.Labels}} {{index .RepoTags 0}} {{index .Config.Labels \"a.label\"}}|{{index .Config.Labels \"nope\"}}",
  "{{printf \"%-12s|%10d|%x|%q|%t|%v|%5.2f|%s|%05d\" .Os .Size .Size .Architecture .Config.Tty .RepoTags 3.14159 .Config.Env (len .RepoTags)}}",
  "{{printf \"%T %T %T %T %T %T %T\" .Size .Config .Config.Cmd .Config.Labels .RootFS .Metadata.LastTagTime .Config.ExposedPorts}}",
  "{{printf \"%s\" .Size}} {{printf \"%d %d\" .Os}} {{printf \"%v|%+v\" .RootFS .Metadata}}",
  "{{print .Os .Size .Architecture 1 2}} {{println .Os \"x\"}}",
  "{{join .Config.Env \", \"}} {{join .RepoTags \";\"}} {{split .Id \":\"}} {{truncate (index (split .Id \":\") 1) 12}}",
  "{{join .Config.Env \", \"}} {{join .RepoTags \";\"}} {{split .ID \":\"}} {{truncate (index (split .ID \":\") 1) 12}}",
  "{{title .Os}} {{upper .Architecture}} {{lower \"ÀBC\"}} [{{pad .Os 2 1}}] [{{pad .Comment 2 1}}] {{truncate .Os 100}}",
  "{{.Config.Env | json}} {{.Os | printf \"%q\" | upper}} {{.Config.Labels | len}}",
  "{{- range .RepoTags }}\n  {{- . }}\n{{ end -}}\n{{/* a comment */}}after {{- /* trimmed */ -}} x",
  "{{\"str\"}} {{1.5}} {{1e6}} {{0x10}} {{true}} {{'a'}} {{-3}} {{`raw`}} {{printf \"%v\" nil}}",
  "{{define \"short\"}}{{slice . 7 19}}{{end}}{{template \"short\" .Id}} {{block \"arch\" .Architecture}}<{{.}}>{{end}}",
  "{{html .Config.Labels}} {{urlquery .Id}} {{js \"it's <b>\"}}",
  "{{.Metadata.LastTagTime}} {{.Created}}",
  "{{.Foo}}",
  "{{.Config.Foo}}",
  "{{.Config.Env.Foo}}",
  "{{.Id",
  "{{index .RepoTags 9}}",
  "{{.Id}} {{gt .Size 1.5}}",
  "{{.Id}} {{eq .Size 2063453}}",
  "{{join \",\" .Config.Env}}",
  "{{title .Size}}",
  "{{nofunc .Id}}",
];

/** `docker images --format` templates (rows: formatter.imageContext). */
const IMAGES_TEMPLATES = [
  "{{.ID}}",
  "{{.Repository}}:{{.Tag}}",
  "{{json .}}",
  "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.Size}}",
  "table {{.ID}}\\t{{.Digest}}\\t{{.Tag}}",
  "{{.Digest}}",
  "{{if eq .Tag \"latest\"}}L{{else}}{{.Tag}}{{end}} {{with .Digest}}{{if ne . \"<none>\"}}{{slice . 0 12}}{{end}}{{end}}",
  "{{printf \"%-40s %8s|\" .Repository .Size}}",
  "{{.Repository | upper}} {{title .Tag}} {{len .ID}} {{split .Repository \"/\"}} {{join (split .Repository \"/\") \"_\"}}",
  "table {{.Repository | printf \"%.12s\"}}\\t{{lower .Tag}}\\t{{upper .Size}}",
  "table {{pad .Tag 1 1}}\\t{{truncate .ID 5}}\\t{{json .Tag}}",
  "table {{.Tag}} {{json .}}",
  "{{.Containers}} {{.SharedSize}} {{.UniqueSize}} {{.VirtualSize}} {{.CreatedAt}} {{.CreatedSince}}",
  "  {{.ID}}\\t{{.Tag}}\\n--  ",
  "table {{.Tag}}:{{.ID}}",
  "{{.Foo}}",
  "table {{.Foo}}\\t{{.ID}}",
  "{{.Tag",
];

/** `docker history --format` templates (rows: image.historyContext), without and with --no-trunc. */
const HISTORY_TEMPLATES = [
  "{{.ID}}|{{.Size}}|{{.Comment}}",
  "{{json .}}",
  "table {{.ID}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}",
  "{{if eq .ID \"<missing>\"}}-{{else}}{{.ID}}{{end}} {{.CreatedBy | printf \"%.20s\"}}",
  "{{len .CreatedBy}} {{truncate .CreatedBy 10}} {{lower .CreatedBy}}",
  "{{.CreatedSince}} {{.CreatedAt}}",
  "table {{.Size}}\\t{{upper .Comment}}\\t{{.CreatedSince}}",
  "{{range split .CreatedBy \" \"}}[{{.}}]{{end}}",
  "{{.Foo}}",
];

/** The templates real Docker rejects (the rest print): the comparison covers its errors and its output. */
const FAILING = new Set([
  "{{.Foo}}", "{{.Config.Foo}}", "{{.Config.Env.Foo}}", "{{.Id", "{{index .RepoTags 9}}", "{{.Id}} {{gt .Size 1.5}}",
  "{{.Id}} {{eq .Size 2063453}}", "{{join \",\" .Config.Env}}",
  // .Id is not a field of types.ImageInspect (ID is): Docker retries on the raw JSON, where Env is a []interface {}.
  "{{join .Config.Env \", \"}} {{join .RepoTags \";\"}} {{split .Id \":\"}} {{truncate (index (split .Id \":\") 1) 12}}", "{{title .Size}}", "{{nofunc .Id}}", "table {{.Foo}}\\t{{.ID}}", "{{.Tag",
]);
/** DOCKER_FORMAT_DUMP=1 prints every template with Docker's output. */
const dump = (template: string, r: DockerResult) => {
  if (process.env.DOCKER_FORMAT_DUMP) console.info(`${JSON.stringify(template)} → ${JSON.stringify(r)}`);
};

let reg: TestRegistry | undefined;
let docker: TestDocker | undefined;
let work = "";
let inspectRefs: string[] = [];
let historyRef = "";

beforeAll(async () => {
  if (!haveDocker() || !haveRegistryBinary()) return; // each test then fails (CI=true) or skips, naming what is missing
  reg = await startRegistry();
  work = mkdtempSync(join(tmpdir(), "layerlab-docker-format-"));
  const images = await pushOracleImages(reg, work);
  docker = await startDocker({ insecureRegistries: [reg.host] });
  console.info(`dockerd answered after ${docker.startupMs.toFixed(0)} ms`);
  for (const ref of [images.busyboxV2, images.busyboxOci, images.rich, images.richLatest]) await docker.docker("pull", "-q", ref);
  inspectRefs = [images.rich, images.busyboxV2];
  historyRef = images.rich;
}, 300_000);

afterAll(async () => {
  await docker?.stop();
  await reg?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

beforeEach((ctx) => {
  requireDocker(ctx);
  requireHostFile(ctx, "/usr/bin/docker-registry", "docker-registry");
});

interface Mismatch {
  template: string;
  docker: DockerResult;
  ours: DockerResult;
}
const show = (m: Mismatch[]) => m.map((x) => `${JSON.stringify(x.template)}\n  docker: ${JSON.stringify(x.docker)}\n  ours:   ${JSON.stringify(x.ours)}`).join("\n");

/** Docker's list command output for `format`, and its rows as `{{json .}}` read between two runs that agree. */
async function listCase(cmd: string[], format: string): Promise<{ result: DockerResult; rows: Record<string, string>[] }> {
  const d = docker!;
  // The CLI only looks up digests when the format names {{.Digest}}: a comment asks for the same rows.
  const jsonFormat = `{{json .}}${format.includes("{{.Digest}}") ? "{{/*{{.Digest}}*/}}" : ""}`;
  for (let attempt = 0; ; attempt++) {
    const before = await d.run([...cmd, "--format", format]);
    const rowsText = await d.docker(...cmd, "--format", jsonFormat);
    const after = await d.run([...cmd, "--format", format]);
    if ((before.stdout === after.stdout && before.stderr === after.stderr) || attempt === 3) {
      const rows = rowsText.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>);
      return { result: after, rows };
    }
  }
}

function ourList(format: string, rows: Record<string, string>[], rowType: string, headers: Readonly<Record<string, string>>): DockerResult {
  try {
    const f = parseDockerFormat(format);
    return { stdout: f.render(rows.map((r) => dockerRow(rowType, r)), headers), stderr: "", code: 0 };
  } catch (e) {
    if (e instanceof TemplateError) return { stdout: "", stderr: `template parsing error: ${e.message}\n`, code: 1 };
    throw e;
  }
}

describe("Docker's --format, compared with real Docker 20.10", () => {
  it(`docker image inspect --format: ${INSPECT_TEMPLATES.length} templates on typed inspect data`, async () => {
    const d = docker!;
    const raw = JSON.parse(await d.docker("image", "inspect", ...inspectRefs)) as unknown[];
    const elements = raw.map((json) => ({ typed: goTyped(json, "types.ImageInspect"), raw: json }));
    const mismatches: Mismatch[] = [];
    for (const template of INSPECT_TEMPLATES) {
      const real = await d.run(["image", "inspect", "--format", template, ...inspectRefs]);
      const r = dockerInspect(template, elements);
      const ours = { stdout: r.output, stderr: r.errors.length ? `${r.errors.join("\n")}\n` : "", code: r.status };
      dump(template, real);
      expect(real.code !== 0, template).toBe(FAILING.has(template));
      if (real.stdout !== ours.stdout || real.stderr !== ours.stderr || real.code !== ours.code) mismatches.push({ template, docker: real, ours });
    }
    expect(show(mismatches)).toBe("");
  });

  it(`docker images --format: ${IMAGES_TEMPLATES.length} templates on its rows`, async () => {
    const mismatches: Mismatch[] = [];
    for (const template of IMAGES_TEMPLATES) {
      const { result, rows } = await listCase(["images"], template);
      expect(rows.length).toBeGreaterThanOrEqual(4);
      const ours = ourList(template, rows, ROW_TYPES.image, IMAGE_HEADERS);
      dump(template, result);
      expect(result.code !== 0, template).toBe(FAILING.has(template));
      if (result.stdout !== ours.stdout || result.stderr !== ours.stderr || result.code !== ours.code) mismatches.push({ template, docker: result, ours });
    }
    expect(show(mismatches)).toBe("");
  });

  it(`docker history --format: ${HISTORY_TEMPLATES.length} templates, truncated and --no-trunc`, async () => {
    const mismatches: Mismatch[] = [];
    for (const flags of [[], ["--no-trunc"]]) {
      for (const template of HISTORY_TEMPLATES) {
        const { result, rows } = await listCase(["history", ...flags, historyRef], template);
        expect(rows.length).toBeGreaterThanOrEqual(4);
        const ours = ourList(template, rows, ROW_TYPES.history, HISTORY_HEADERS);
        dump(template, result);
        expect(result.code !== 0, template).toBe(FAILING.has(template));
        if (result.stdout !== ours.stdout || result.stderr !== ours.stderr || result.code !== ours.code) mismatches.push({ template: `${flags.join(" ")} ${template}`, docker: result, ours });
      }
    }
    expect(show(mismatches)).toBe("");
  });

  it("dockerd answered quickly and stops by its PID", async () => {
    expect(docker!.startupMs).toBeLessThan(60_000);
    expect((await docker!.docker("version", "--format", "{{.Server.Version}}")).trim()).toMatch(/^20\.10\./);
  });
});
