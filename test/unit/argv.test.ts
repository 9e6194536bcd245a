/** Flag parsing as Docker's CLI (pflag) does it: help is a flag of the command, not of its arguments. */
import { describe, expect, it } from "vitest";
import { parseArgs, type FlagSpec } from "../../src/cli/argv.ts";

const RUN: FlagSpec[] = [
  { name: "rm" },
  { name: "env", short: "e", value: true, repeat: true },
  { name: "hostname", short: "h", value: true },
];
const IMAGES: FlagSpec[] = [{ name: "all", short: "a" }];

describe("parseArgs", () => {
  it("takes --help among the flags; after the image it is the command's argument", () => {
    expect(parseArgs(["--help"], RUN, "docker run", { interspersed: false }).help).toBe(true);
    const inside = parseArgs(["--rm", "alpine", "ls", "--help"], RUN, "docker run", { interspersed: false });
    expect(inside.help).toBeUndefined();
    expect(inside.args).toEqual(["alpine", "ls", "--help"]);
  });

  it("-h is help unless the command has its own -h (docker run's --hostname)", () => {
    expect(parseArgs(["-a", "-h"], IMAGES, "docker images").help).toBe(true);
    const run = parseArgs(["-h", "web", "-e", "A=1", "alpine", "hostname"], RUN, "docker run", { interspersed: false });
    expect(run.help).toBeUndefined();
    expect(run.flags.get("hostname")).toEqual(["web"]);
    expect(run.args).toEqual(["alpine", "hostname"]);
  });

  it("an unknown flag is refused before help is shown, as pflag does", () => {
    expect(() => parseArgs(["--bogus", "--help"], IMAGES, "docker images")).toThrow("unknown flag: --bogus\nSee 'docker images --help'.");
  });
});
