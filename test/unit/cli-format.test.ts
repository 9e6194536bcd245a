import { describe, expect, it } from "vitest";
import { ellipsis, table } from "../../src/cli/format.ts";
import { humanDuration, humanSize, humanSizeWithPrecision } from "../../src/daemon/units.ts";
import { splitWords, parseArgs } from "../../src/cli/argv.ts";

describe("Docker output formats", () => {
  it("sizes like go-units", () => {
    expect(humanSizeWithPrecision(4261550, 3)).toBe("4.26MB");
    expect(humanSizeWithPrecision(0, 3)).toBe("0B");
    expect(humanSizeWithPrecision(999, 3)).toBe("999B");
    expect(humanSizeWithPrecision(1000, 3)).toBe("1kB");
    expect(humanSizeWithPrecision(77_800_000, 3)).toBe("77.8MB");
    expect(humanSize(2_219_000)).toBe("2.219MB");
    expect(humanSize(1_048_576)).toBe("1.049MB");
  });
  it("durations like go-units", () => {
    expect(humanDuration(500)).toBe("Less than a second");
    expect(humanDuration(1000)).toBe("1 second");
    expect(humanDuration(61_000)).toBe("About a minute");
    expect(humanDuration(3_600_000)).toBe("About an hour");
    expect(humanDuration(14 * 86_400_000)).toBe("2 weeks");
    expect(humanDuration(3 * 86_400_000)).toBe("3 days");
    expect(humanDuration(800 * 86_400_000)).toBe("2 years");
  });
  it("tables like tabwriter(minwidth 10, padding 3)", () => {
    expect(table([["REPOSITORY", "TAG", "SIZE"], ["busybox", "latest", "4.26MB"]])).toBe(
      "REPOSITORY   TAG       SIZE\nbusybox      latest    4.26MB\n",
    );
  });
  it("truncates with an ellipsis", () => {
    expect(ellipsis("a".repeat(50), 45)).toBe(`${"a".repeat(44)}…`);
    expect(ellipsis("short", 45)).toBe("short");
  });
  it("splits words and parses flags like pflag", () => {
    expect(splitWords(`docker run -e 'A=b c' "x\\"y" z\\ w`)).toEqual(["docker", "run", "-e", "A=b c", 'x"y', "z w"]);
    const p = parseArgs(["--platform=linux/386", "-qa", "busybox"], [{ name: "platform", value: true }, { name: "quiet", short: "q" }, { name: "all", short: "a" }], "docker pull");
    expect(p.args).toEqual(["busybox"]);
    expect(p.flags.get("platform")).toEqual(["linux/386"]);
    expect(p.flags.get("all")).toEqual(["true"]);
  });
});
