/**
 * The Dockerfile parser and shell-word expansion against BuildKit's own test data (read in place from
 * ../shared/conformance/buildkit: the parser's testfiles, the line-number file, envVarTest and
 * wordsTest), and against the behaviours BuildKit's Go table tests pin down (heredocs, directives,
 * parse errors and their wording), in cases of our own.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  chompHeredocContent,
  detectSyntax,
  DockerfileParseError,
  dump,
  heredocsFromLine,
  nodeArgs,
  parse,
  parseDirective,
  parseDockerfile,
  parseHeredoc,
  parseWords,
  processWord,
  processWords,
  ShellExpansionError,
  ShellLex,
  type Heredoc,
} from "../../src/build/dockerfile/index.ts";
import { PROJECT_ROOT, requireHostPath } from "../harness/shared.ts";

const DOCKERFILE_DATA = join(PROJECT_ROOT, "..", "shared", "conformance", "buildkit", "frontend", "dockerfile");
const ORIGIN = "../shared/conformance/buildkit (moby/buildkit test data at 73ed6825c4) beside the project root; read in place, never copied";

const read = (path: string): string => readFileSync(path, "utf8");

/** Sorted subdirectories, listed at collection time; undefined when the directory is absent. */
function caseDirs(dir: string): string[] | undefined {
  if (!existsSync(dir)) return undefined;
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** The data file's lines with their 1-based numbers, read at collection time; undefined when absent. */
function dataLines(path: string): { n: number; line: string }[] | undefined {
  if (!existsSync(path)) return undefined;
  return read(path)
    .split(/\r?\n/)
    .map((line, i) => ({ n: i + 1, line }));
}

function parseError(text: string, parser: (t: string) => unknown = parseDockerfile): DockerfileParseError {
  try {
    parser(text);
  } catch (e) {
    if (e instanceof DockerfileParseError) return e;
    throw e;
  }
  throw new Error(`expected a parse error for ${JSON.stringify(text)}`);
}

describe("BuildKit parser testfiles (TestParseCases)", () => {
  const dir = join(DOCKERFILE_DATA, "parser", "testfiles");
  const cases = caseDirs(dir);
  if (!cases) it("testfiles are present", (ctx) => void requireHostPath(ctx, dir, ORIGIN));
  for (const name of cases ?? []) {
    it(name, (ctx) => {
      const caseDir = requireHostPath(ctx, join(dir, name), ORIGIN);
      const expected = read(join(caseDir, "result")).replace(/\r\n/g, "\n");
      expect(dump(parse(read(join(caseDir, "Dockerfile"))).ast) + "\n").toBe(expected);
    });
  }
  it("has all 33 cases", (ctx) => {
    requireHostPath(ctx, dir, ORIGIN);
    expect(cases).toHaveLength(33);
  });
});

describe("BuildKit parser testfiles-negative (TestParseErrorCases)", () => {
  const dir = join(DOCKERFILE_DATA, "parser", "testfiles-negative");
  const cases = caseDirs(dir);
  if (!cases) it("testfiles-negative are present", (ctx) => void requireHostPath(ctx, dir, ORIGIN));
  const messages: Record<string, string> = {
    empty_dockerfile: "file with no instructions",
    only_comments: "file with no instructions",
    env_no_value: "ENV must have two arguments",
    "shykes-nested-json": "when using JSON array syntax, arrays must be comprised of strings only",
  };
  for (const name of cases ?? []) {
    it(name, (ctx) => {
      const file = requireHostPath(ctx, join(dir, name, "Dockerfile"), ORIGIN);
      const err = parseError(read(file), parse);
      if (messages[name]) expect(err.message).toBe(messages[name]);
    });
  }
  it("has all 4 cases", (ctx) => {
    requireHostPath(ctx, dir, ORIGIN);
    expect(cases).toHaveLength(4);
  });
});

describe("BuildKit testfile-line (TestParseIncludesLineNumbers)", () => {
  it("gives each instruction its start and end line", (ctx) => {
    const file = requireHostPath(ctx, join(DOCKERFILE_DATA, "parser", "testfile-line", "Dockerfile"), ORIGIN);
    const { ast } = parse(read(file));
    expect([ast.startLine, ast.endLine]).toEqual([5, 31]);
    expect(ast.children.map((c) => [c.startLine, c.endLine])).toEqual([
      [5, 5],
      [11, 12],
      [17, 31],
    ]);
  });
});

describe("BuildKit shell envVarTest (ProcessWord)", () => {
  const file = join(DOCKERFILE_DATA, "shell", "envVarTest");
  const lines = dataLines(file);
  if (!lines) it("envVarTest is present", (ctx) => void requireHostPath(ctx, file, ORIGIN));
  const env = ["PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL="];
  for (const { n, line } of lines ?? []) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const fields = line.trim().split("|");
    const [platform, source, expected] = fields.map((f) => f.trim());
    if (platform === "W") continue; // Windows semantics (case-insensitive keys); we are unix
    it(`line ${n}: ${source}`, (ctx) => {
      requireHostPath(ctx, file, ORIGIN);
      expect(fields).toHaveLength(3);
      expect(["A", "U"]).toContain(platform);
      if (expected === "error") expect(() => processWord(source!, env)).toThrow(ShellExpansionError);
      else expect(processWord(source!, env)).toBe(expected);
    });
  }
});

describe("BuildKit shell wordsTest (ProcessWords)", () => {
  const file = join(DOCKERFILE_DATA, "shell", "wordsTest");
  const lines = dataLines(file);
  if (!lines) it("wordsTest is present", (ctx) => void requireHostPath(ctx, file, ORIGIN));
  const env: string[] = [];
  for (const { n, line } of lines ?? []) {
    if (line.startsWith("#") || line === "") continue;
    if (line.startsWith("ENV ")) {
      env.push(line.slice(3).replace(/^ +/, ""));
      continue;
    }
    const envHere = [...env];
    const fields = line.split("|");
    it(`line ${n}: ${fields[0]!.trim()}`, (ctx) => {
      requireHostPath(ctx, file, ORIGIN);
      expect(fields).toHaveLength(2);
      const expected = fields[1]!.replace(/^ +/, "").split(",");
      let words: string[];
      try {
        words = processWords(fields[0]!.trim(), envHere);
      } catch {
        words = ["error"];
      }
      expect(words).toEqual(expected);
    });
  }
});

describe("heredocs", () => {
  const heredocsOf = (text: string): Heredoc[][] => parse(text).ast.children.map((c) => c.heredocs);
  const doc = (name: string, content: string, more: Partial<Heredoc> = {}): Heredoc => ({
    name,
    content,
    expand: true,
    chomp: false,
    fileDescriptor: 0,
    ...more,
  });

  it("reads the content up to the terminator for RUN, COPY and ADD only", () => {
    const text = [
      "FROM alpine",
      "USER <<NOTHERE",
      "NOTHERE",
      "RUN <<EMPTY",
      "EMPTY",
      "RUN 4<<FD",
      "FD",
      'RUN "<<QUOTED"',
      "RUN <<KEEPTABS",
      "\tone",
      "\ttwo",
      "KEEPTABS",
      "RUN <<-DASH",
      "\tthree",
      "\t\tDASH",
      "ADD <<EOF /etc/motd",
      "# not a comment here",
      "hello $USER",
      "EOF",
      "RUN --mount=type=cache,target=/c <<SCRIPT bash",
      "echo hi",
      "SCRIPT",
    ].join("\n");
    expect(heredocsOf(text)).toEqual([
      [],
      [],
      [],
      [doc("EMPTY", "")],
      [doc("FD", "", { fileDescriptor: 4 })],
      [],
      [doc("KEEPTABS", "\tone\n\ttwo\n")],
      [doc("DASH", "\tthree\n", { chomp: true })],
      [doc("EOF", "# not a comment here\nhello $USER\n")],
      [doc("SCRIPT", "echo hi\n")],
    ]);
    // the USER line's heredoc is not one: its "body" line is an instruction of its own
    expect(parse(text).ast.children[2]!.value).toBe("nothere");
  });

  it("quoting any part of the terminator turns expansion off", () => {
    const text = [
      "FROM a",
      "RUN <<'SQ'",
      "$X",
      "SQ",
      'RUN <<"DQ"',
      "$X",
      "DQ",
      "RUN <<E'N'D",
      "x",
      "END",
      "RUN <<ba\\'ck",
      "y",
      "ba'ck",
      "RUN <<'two words'",
      "z",
      "two words",
      "RUN <<$VAR",
      "$VAR",
      "RUN <<   SPACED",
      "SPACED",
    ].join("\n");
    expect(heredocsOf(text).slice(1)).toEqual([
      [doc("SQ", "$X\n", { expand: false })],
      [doc("DQ", "$X\n", { expand: false })],
      [doc("END", "x\n", { expand: false })],
      [doc("ba'ck", "y\n")],
      [doc("two words", "z\n", { expand: false })],
      [doc("$VAR", "")],
      [doc("SPACED", "")],
    ]);
  });

  it("several heredocs on one line are read one after the other", () => {
    const text = "FROM a\nCOPY <<A <<B /dest/\nB\nA\nA\nB\n";
    expect(heredocsOf(text)[1]).toEqual([doc("A", "B\n"), doc("B", "A\n")]);
    const { ast } = parse(text);
    expect(dump(ast)).toBe('(from "a")\n(copy "<<A" "<<B" "/dest/")');
    expect(ast.children[1]).toMatchObject({ startLine: 2, endLine: 6 });
  });

  it("keeps CRLF line endings in the content", () => {
    expect(heredocsOf("FROM a\r\nRUN <<EOF\r\necho\r\nEOF\r\n")[1]).toEqual([doc("EOF", "echo\r\n")]);
  });

  it("exec form never has heredocs; ONBUILD's trigger can", () => {
    const text = 'FROM a\nRUN ["<<EOF"]\nRUN ["<<\'EOF\'"]\nONBUILD RUN <<EOF\nhi\nEOF\n';
    expect(heredocsOf(text)).toEqual([[], [], [], [doc("EOF", "hi\n")]]);
  });

  it("fails on a heredoc that never ends", () => {
    const err = parseError("FROM a\nRUN <<EOF\necho\n", parse);
    expect(err.message).toBe("unterminated heredoc");
    expect([err.line, err.endLine]).toEqual([2, 3]);
  });

  it("parseHeredoc tells heredoc words from others", () => {
    for (const src of ["<<EOF", "<<'EOF'", '<<"EOF"', "<<-EOF", "<<-'EOF'", '<<-"EOF"', '<<EO"F"', "<< EOF", "<<- EOF"]) {
      expect(parseHeredoc(src)?.name, src).toBe("EOF");
    }
    for (const src of ["", "EOF", "<<", "<<-", "<EOF", "<<<EOF", "<<EOF sh"]) expect(parseHeredoc(src), src).toBeUndefined();
    for (const src of ["<<'EOF", '<<"EOF', "<<EOF'", '<<EOF"']) expect(() => parseHeredoc(src), src).toThrow();
    expect(parseHeredoc("12<<-X")).toEqual({ name: "X", fileDescriptor: 12, expand: true, chomp: true, content: "" });
  });

  it("heredocsFromLine finds the terminators of a line", () => {
    const names = (line: string): string[] => heredocsFromLine(line).map((h) => h.name);
    expect(names("RUN <<EOF")).toEqual(["EOF"]);
    // the line lexer splits "<<-" from "EOF", so (in BuildKit too) this opens no heredoc
    expect(names("RUN <<- EOF")).toEqual([]);
    expect(names("RUN << -EOF")).toEqual(["-EOF"]);
    expect(names("RUN 4<<'EOF'")).toEqual(["EOF"]);
    expect(names("RUN <<EOF <<EOF2")).toEqual(["EOF", "EOF2"]);
    expect(names("RUN '<<EOF'")).toEqual([]);
    expect(names('RUN "<<EOF"')).toEqual([]);
  });

  it("chompHeredocContent strips leading tabs of every line", () => {
    expect(chompHeredocContent("\thello\n\t\tworld\n  \tspace\n")).toBe("hello\nworld\n  \tspace\n");
  });
});

describe("directives", () => {
  it("escape sets the escape and continuation character", () => {
    const r = parse("# escape=`\nFROM a\nRUN dir c:\\ `\n  && echo\n");
    expect(r.escapeToken).toBe("`");
    expect(r.directives.escape).toBe("`");
    expect(dump(r.ast)).toBe('(from "a")\n(run "dir c:\\\\   && echo")');
  });

  it("keys are case-insensitive, spaces around = allowed, syntax and check reported", () => {
    const r = parse("# SynTax = docker/dockerfile:1 // opts\n#check=skip=all\n  # EScape = `\nFROM a\n");
    expect(r.escapeToken).toBe("`");
    expect(r.directives).toEqual({ syntax: "docker/dockerfile:1", check: "skip=all", escape: "`" });
    expect(r.ast.children[0]!.prevComment).toEqual([]);
  });

  it("are only directives before any other line", () => {
    expect(parse("# hello\n# escape=`\nFROM a").escapeToken).toBe("\\");
    expect(parse("\n# escape=`\nFROM a").escapeToken).toBe("\\");
    expect(parse("# unknown=1\n# escape=`\nFROM a").escapeToken).toBe("\\");
    expect(parse("FROM a\n# escape=`\nRUN x").escapeToken).toBe("\\");
    // a comment that is not a directive stays a comment of the next instruction
    expect(parse("# hello\n# escape=`\nFROM a").ast.children[0]!.prevComment).toEqual(["hello", "escape=`"]);
  });

  it("rejects a repeated directive and an escape token other than \\ or `", () => {
    expect(parseError("# escape=`\n# escape=\\\nFROM a", parse)).toMatchObject({ message: "only one escape parser directive can be used", line: 2 });
    expect(parseError("# syntax=a\n# syntax=b\nFROM a", parse).message).toBe("only one syntax parser directive can be used");
    expect(parseError("# escape=x\nFROM a", parse)).toMatchObject({ message: "invalid escape token 'x' does not match ` or \\", line: 1 });
  });

  it("detectSyntax reads # and // directives and JSON, after a shebang", () => {
    expect(detectSyntax("# syntax = dockerfile:experimental // opts\nFROM busybox\n")).toEqual({
      ref: "dockerfile:experimental",
      cmdline: "dockerfile:experimental // opts",
      line: 1,
    });
    expect(detectSyntax("#!/bin/sh\n# syntax = dockerfile:experimental\nFROM busybox\n")).toMatchObject({ ref: "dockerfile:experimental", line: 2 });
    expect(detectSyntax("#!/bin/sh\n\n# syntax = dockerfile:experimental\n")).toBeUndefined();
    expect(detectSyntax("FROM busybox\nRUN ls\n")).toBeUndefined();
    expect(detectSyntax("//syntax=foo\n//key=value")?.ref).toBe("foo");
    expect(detectSyntax("#!/bin/sh\n//syntax=x")?.ref).toBe("x");
    expect(detectSyntax('{"syntax": "foo", "bar": ["abc"]}')?.ref).toBe("foo");
    expect(detectSyntax('{"syntax": "foo"')).toBeUndefined();
    expect(detectSyntax('{"syntax": "foo"}\n# syntax=bar')).toBeUndefined();
    expect(detectSyntax("\uFEFF# syntax = myfrontend\nFROM busybox\n")).toEqual({ ref: "myfrontend", cmdline: "myfrontend", line: 1 });
  });

  it("parseDirective reads only # directives", () => {
    expect(parseDirective("check", "#check = skip=all // opts\nFROM busybox\n")).toEqual({ ref: "skip=all", cmdline: "skip=all // opts", line: 1 });
    expect(parseDirective("check", "#!/bin/sh\n# check = skip=all\nFROM busybox\n")).toMatchObject({ ref: "skip=all", line: 2 });
    expect(parseDirective("check", "#!/bin/sh\n\n# check = skip=all\n")).toBeUndefined();
    expect(parseDirective("check", "//check=skip=all\n//key=value")).toBeUndefined();
  });
});

describe("parse errors", () => {
  const cases: [string, string, string, number][] = [
    ["unknown instruction with a suggestion", "FROM a\nRUN ls\nRUNN ls\n", "dockerfile parse error on line 3: unknown instruction: RUNN (did you mean RUN?)", 3],
    ["unknown instruction, lower case", "FROM a\nfoo bar", "dockerfile parse error on line 2: unknown instruction: foo (did you mean from?)", 2],
    ["unknown instruction, no suggestion", "FROM a\nFOOBAR x", "dockerfile parse error on line 2: unknown instruction: FOOBAR", 2],
    ["suggestion keeps the case", "FROM a\ncpy a b", "dockerfile parse error on line 2: unknown instruction: cpy (did you mean copy?)", 2],
    ["ENV without a value", "FROM a\n\nENV PATH\n", "ENV must have two arguments", 3],
    ["LABEL without a value", "FROM a\nLABEL x", "LABEL must have two arguments", 2],
    ["ENV blank name", "FROM a\nENV =x", "dockerfile parse error on line 2: ENV names can not be blank", 2],
    ["ENV with nothing", "FROM a\nENV", "dockerfile parse error on line 2: ENV requires at least one argument", 2],
    ["LABEL with nothing", "FROM a\nLABEL", "dockerfile parse error on line 2: LABEL requires at least one argument", 2],
    ["ENV mixing forms", "FROM a\nENV a=b c", `Syntax error - can't find = in "c". Must be of the form: name=value`, 2],
    ["LABEL mixing forms", 'FROM a\nLABEL a=b "x y"', `Syntax error - can't find = in "\\"x y\\"". Must be of the form: name=value`, 2],
    ["no instructions", "# just a comment\n\n", "file with no instructions", 2],
    ["empty file", "", "file with no instructions", 1],
    ["nested JSON", 'FROM a\nCMD ["echo", ["x"]]', "when using JSON array syntax, arrays must be comprised of strings only", 2],
    ["JSON number", 'FROM a\nRUN ["a", 42]', "when using JSON array syntax, arrays must be comprised of strings only", 2],
    ["COPY one argument", "FROM a\nCOPY \\\n  only", "dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined", 2],
    ["COPY heredoc destination", "FROM a\nCOPY x <<EOF\nEOF", "dockerfile parse error on line 2: COPY cannot accept a heredoc as a destination", 2],
    ["ONBUILD FROM", "FROM a\nONBUILD FROM scratch", "dockerfile parse error on line 2: FROM isn't allowed as an ONBUILD trigger", 2],
    ["ONBUILD ONBUILD", "FROM a\nONBUILD ONBUILD RUN x", "dockerfile parse error on line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", 2],
    ["unknown flag", "FROM a\nMAINTAINER --boo joe@example.com", "dockerfile parse error on line 2: unknown flag: --boo", 2],
    ["flag suggestion", "FROM a\nCOPY --chonw=1 a b", "dockerfile parse error on line 2: unknown flag: --chonw (did you mean chown?)", 2],
    ["bool flag", "FROM a\nCOPY --link=maybe a b", "dockerfile parse error on line 2: expecting boolean value for flag --link, not: maybe", 2],
    ["string flag without value", "FROM a\nCOPY --from a b", "dockerfile parse error on line 2: missing a value on flag: --from", 2],
    ["duplicate flag", "FROM a\nRUN --network=none --network=host x", "dockerfile parse error on line 2: duplicate flag specified: --network", 2],
    ["network mode", "FROM a\nRUN --network=bridge x", 'dockerfile parse error on line 2: invalid network mode "bridge"', 2],
    ["exactly one", "FROM a\nWORKDIR", "dockerfile parse error on line 2: WORKDIR requires exactly one argument", 2],
    ["FROM arguments", "FROM a b", "dockerfile parse error on line 1: FROM requires either one or three arguments", 1],
    ["stage name", "FROM a AS 1st", `dockerfile parse error on line 1: invalid name for build stage: "1st", name can't start with a number or contain symbols`, 1],
    ["HEALTHCHECK type", "FROM a\nHEALTHCHECK CONNECT TCP 7000", 'dockerfile parse error on line 2: Unknown type "CONNECT" in HEALTHCHECK (try CMD)', 2],
    ["HEALTHCHECK interval", "FROM a\nHEALTHCHECK --interval=50ns CMD x", 'dockerfile parse error on line 2: Interval "interval" cannot be less than 1ms', 2],
    ["HEALTHCHECK duration", "FROM a\nHEALTHCHECK --timeout=5 CMD x", 'dockerfile parse error on line 2: time: missing unit in duration "5"', 2],
    ["HEALTHCHECK retries", "FROM a\nHEALTHCHECK --retries=-1 CMD x", "dockerfile parse error on line 2: --retries cannot be negative (-1)", 2],
    ["SHELL shell form", "FROM a\nSHELL sh -c", "dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form", 2],
    ["ARG blank name", "ARG =1\nFROM a", "dockerfile parse error on line 1: ARG names can not be blank", 1],
    ["before FROM", "ARG V\nRUN x\nFROM a", "no build stage in current context", 2],
  ];
  for (const [name, text, message, line] of cases) {
    it(name, () => {
      const err = parseError(text);
      expect(err).toBeInstanceOf(DockerfileParseError);
      expect(err.message).toBe(message);
      expect(err.line).toBe(line);
    });
  }

  it("parse alone does not check instructions", () => {
    expect(dump(parse("FROM a\nRUNN x\nHEALTHCHECK CONNECT TCP 7000").ast)).toBe('(from "a")\n(runn "")\n(healthcheck "CONNECT" "TCP 7000")');
  });

  it("accepts what BuildKit accepts", () => {
    const ok = [
      "ARG V=1\nFROM alpine:${V} AS build\nRUN --mount=type=cache,target=/c --network=none echo\nCOPY --from=build --chmod=755 --link /a /b",
      "FROM a\nHEALTHCHECK --interval=1.5m --timeout=3s --start-period=0s --retries=3 CMD curl -f http://localhost/\nHEALTHCHECK NONE",
      'FROM a\nSHELL ["/bin/sh", "-c"]\nSTOPSIGNAL SIGTERM\nUSER me\nVOLUME /data\nEXPOSE 80/tcp\nLABEL a=b\nENV k v\nONBUILD RUN x\nENTRYPOINT ["a"]\nCMD b',
    ];
    for (const text of ok) expect(() => parseDockerfile(text), text).not.toThrow();
  });

  it("rejects a line longer than BuildKit's 64 KiB scanner buffer", () => {
    expect(parseError(`FROM a\nLABEL t=${"x".repeat(65536)}\n`, parse).message).toBe("dockerfile line greater than max allowed size of 65535");
  });
});

describe("line parsing", () => {
  it("parseWords keeps quotes and escapes inside words", () => {
    const cases: [string, string[]][] = [
      ["foo", ["foo"]],
      ["foo bar", ["foo", "bar"]],
      ["foo\\ bar", ["foo\\ bar"]],
      ["foo=bar", ["foo=bar"]],
      ["foo bar 'abc xyz'", ["foo", "bar", "'abc xyz'"]],
      ['foo bar "abc xyz"', ["foo", "bar", '"abc xyz"']],
      ["àöû", ["àöû"]],
      ['föo bàr "âbc xÿz"', ["föo", "bàr", '"âbc xÿz"']],
      ["''", ["''"]],
    ];
    for (const [input, words] of cases) expect(parseWords(input), input).toEqual(words);
  });

  it("exec form is JSON with shell form as the fallback", () => {
    const valid: [string, string[]][] = [
      ["[]", []],
      ['[""]', [""]],
      ['["a","b"]', ["a", "b"]],
      ['[\t"a",\t"b"\t]', ["a", "b"]],
      ['["abc 123", "♥", "\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0000"]', ["abc 123", "♥", '" \\ / \b \f \n \r \t \u0000']],
    ];
    for (const [json, args] of valid) {
      const node = parse(`CMD ${json}`).ast.children[0]!;
      expect(node.attributes.json, json).toBe(true);
      expect(nodeArgs(node), json).toEqual(args);
    }
    for (const shell of ["[ 'a' ]", '["a"', '["a", 1e400]', "echo [x]"]) {
      const node = parse(`CMD ${shell}`).ast.children[0]!;
      expect(node.attributes.json, shell).toBe(false);
      expect(nodeArgs(node), shell).toEqual([shell]);
    }
  });

  it("ENV and LABEL become key, value, separator triples", () => {
    expect(dump(parse('ENV a b c\nENV x=1 y="2 3"\nLABEL "k"=v').ast)).toBe('(env "a" "b c" "")\n(env "x" "1" "=" "y" "\\"2 3\\"" "=")\n(label "\\"k\\"" "v" "=")');
  });

  it("keeps flags, the command as written and the joined original line", () => {
    const { ast } = parse("# the build\nFROM a\n# copy it\nCopy --chown=me:me \\\n   # skipped comment\n   src /dst\n");
    const copy = ast.children[1]!;
    expect(copy).toMatchObject({ value: "copy", command: "Copy", flags: ["--chown=me:me"], original: "Copy --chown=me:me    src /dst", startLine: 4, endLine: 6 });
    expect(copy.prevComment).toEqual(["copy it"]);
    expect(ast.children[0]!.prevComment).toEqual(["the build"]);
    expect(dump(ast)).toBe('(from "a")\n(copy ["--chown=me:me"] "src" "/dst")');
  });

  it("ONBUILD nests its trigger", () => {
    const { ast } = parse("FROM a\nONBUILD ADD --chown=1 . /app\n");
    expect(dump(ast)).toBe('(from "a")\n(onbuild (add ["--chown=1"] "." "/app"))');
    expect(nodeArgs(ast.children[1]!)).toEqual(["ADD", ".", "/app"]);
  });

  it("warns about empty continuation lines", () => {
    const text = [
      "FROM alpine",
      "RUN one \\",
      "    two",
      "RUN three \\",
      "",
      "    four \\",
      "",
      "    five",
      "RUN six \\",
      "# a comment is no empty line",
      "   seven",
    ].join("\n");
    const r = parse(text);
    expect(r.warnings).toEqual(["Empty continuation line found in: RUN three     four     five", "Empty continuation lines will become errors in a future release."]);
    expect(r.warningDetails).toEqual([
      {
        short: "Empty continuation line found in: RUN three     four     five",
        detail: "Empty continuation lines will become errors in a future release",
        url: "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/",
        line: 8,
      },
    ]);
    expect(dump(r.ast)).toBe('(from "alpine")\n(run "one     two")\n(run "three     four     five")\n(run "six    seven")');
  });

  it("reads builder flags byte by byte, as BuildKit does", () => {
    // BuildKit turns each byte of a non-ASCII flag into a character of its own
    expect(parse("FROM a\nCOPY --chown=é a b").ast.children[1]!.flags).toEqual(["--chown=\u00c3\u00a9"]);
  });
});

describe("shell expansion", () => {
  it("${V:?msg} and ${V?msg} refuse unset (and empty) variables with the message", () => {
    const lex = new ShellLex();
    const set = ["VAR=plain", "ARG=x"];
    const empty = ["VAR=", "ARG=x"];
    const unset = ["ARG=x"];
    expect(lex.processWord("${VAR:?message here$ARG}", set)).toBe("plain");
    expect(() => lex.processWord("${VAR:?message here$ARG}", empty)).toThrow('failed to process "${VAR:?message here$ARG}": VAR: message herex');
    expect(() => lex.processWord("${VAR:?message here$ARG}", unset)).toThrow("VAR: message herex");
    expect(lex.processWord("${VAR?message here$ARG}", empty)).toBe("");
    expect(() => lex.processWord("${VAR?}", unset)).toThrow("VAR: is not allowed to be unset");
    expect(() => lex.processWord("${VAR:?}", empty)).toThrow("VAR: is not allowed to be empty");
  });

  it("expands the forms BuildKit supports", () => {
    const env = { FOO: "xxyy", BAR: "", PATHS: "/tmp/tmp/bar.txt", URL: "http://google.de", STARS: "a***yy*" };
    const cases: [string, string][] = [
      ["${FOO-a} ${BAR-b} ${BAZ-c}", "xxyy  c"],
      ["${FOO:-a} ${BAR:-b} ${BAZ:-c}", "xxyy b c"],
      ["${FOO+a} ${BAR+b} ${BAZ+c}", "a b "],
      ["${FOO:+a} ${BAR:+b} ${BAZ:+c}", "a  "],
      ["${FOO#*x*y}", "y"],
      ["${FOO#*}", "xxyy"],
      ["${FOO##*x}", "yy"],
      ["${FOO%y*}", "xxy"],
      ["${FOO%%y*}", "xx"],
      ["${FOO#?\\?}", "xxyy"],
      ["${STARS%%\\**\\*}", "a"],
      ["${PATHS/\\/tmp/} - ${PATHS//\\/tmp/}", "/tmp/bar.txt - /bar.txt"],
      ["${URL/http:\\/\\//https://}", "https://google.de"],
      ["${FOO//?/[$0]}", "[][][][]"], // $0 is expanded (unset) before the replacement
      ["${FOO//?/<\\$0>}", "<\\x><\\x><\\y><\\y>"], // an escaped $0 reaches Go's template: the match
      ["${FOO//*/-}", "-"],
      ["$FOO${FOO}\\$FOO'$FOO'\"$FOO\"", "xxyyxxyy$FOO$FOOxxyy"],
    ];
    for (const [word, expected] of cases) expect(processWord(word, env), word).toBe(expected);
  });

  it("fails with BuildKit's messages", () => {
    const cases: [string, string][] = [
      ["${}", "syntax error: bad substitution"],
      ["${FOO", "unsupported modifier (\uFFFD) in substitution"],
      ["${FOO:-x", "syntax error: missing '}'"],
      ["${FOO=x}", "unsupported modifier (=) in substitution"],
      ["${FOO:#x}", "unsupported modifier (:#) in substitution"],
      ["${FOO//x}", "syntax error: missing '/' in ${}"],
      ["${FOO/x/y", "syntax error: missing '}'"],
      ["${FOO/x", "syntax error: missing '/' in ${}"],
      ["${FOO#\\x}", "invalid pattern (\\x) in substitution: invalid escape '\\x'"],
      ["'abc", "unexpected end of statement while looking for matching single-quote"],
      ['"abc', "unexpected end of statement while looking for matching double-quote"],
    ];
    for (const [word, reason] of cases) {
      let err: unknown;
      try {
        processWord(word, { FOO: "xxyy" });
      } catch (e) {
        err = e;
      }
      expect(err, word).toBeInstanceOf(ShellExpansionError);
      expect((err as ShellExpansionError).reason, word).toBe(reason);
    }
  });

  it("takes the environment as a list, a Map or a record; keys are case-sensitive", () => {
    expect(processWord("$a-$A", ["a=1", "A=2", "a=3"])).toBe("3-2");
    expect(processWord("$a-$A", new Map([["a", "1"]]))).toBe("1-");
    expect(processWord("$a-$A", { A: "2" })).toBe("-2");
    expect(processWord("${toString:-unset}", {})).toBe("unset");
  });

  it("honours the backtick escape token", () => {
    expect(processWord("a`$b c\\d", { b: "B" }, "`")).toBe("a$b c\\d");
    expect(processWords("a` b c", {}, "`")).toEqual(["a b", "c"]);
  });

  it("reports matched and unmatched variables", () => {
    const r = new ShellLex().processWordWithMatches("${A:-x} $B $C", { A: "1", B: "" });
    expect(r.result).toBe("1  ");
    expect([...r.matched].sort()).toEqual(["A", "B"]);
    expect([...r.unmatched]).toEqual(["C"]);
  });

  it("can leave unset variables and quotes as written (as heredoc parsing does)", () => {
    const lex = new ShellLex("\\", { rawQuotes: true, skipUnsetEnv: true });
    expect(lex.processWord("'$X' \"${Y:-z}\" $SET", { SET: "s" })).toBe("'$X' \"${Y:-z}\" s");
  });

  it("shares one word buffer between nested ${…} scans, as BuildKit does", () => {
    // BuildKit drops the text before a ${V:-…} from the word it is in; docker build does the same
    expect(processWords("hello${x:-y}", {})).toEqual(["y"]);
    expect(processWords("a b${x:-c d}e", {})).toEqual(["a", "c", "de"]);
    expect(processWords("hello${x}", { x: "!" })).toEqual(["hello!"]);
  });
});
