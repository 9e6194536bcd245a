/**
 * Published ports without a machine: the CLI's parser on the forms docker-oracle.test.ts cannot
 * leave to a real Docker here (ports Docker picks depend on the machine), the allocator's choices as
 * libnetwork makes them (measured on Docker 20.10: the next ephemeral port after the last one given,
 * per protocol, so a restarted container gets a new one), and DisplayablePorts' grouping.
 */
import { describe, expect, it } from "vitest";
import { displayablePorts, parsePorts } from "../../src/cli/publish.ts";
import { apiPortsOf, HostPortAllocator, PortAllocationError } from "../../src/runtime/ports.ts";

describe("ports", () => {
  it("parses -p and --expose as nat.ParsePortSpecs and the CLI do", () => {
    expect(parsePorts(["8080:80", "127.0.0.1::90/udp", "7000", "8000-8001:81", "9000-9001:9000-9001", "[::1]:8081:82", "published=8443,target=443"], ["5555", "6000-6001/udp"])).toEqual({
      exposed: ["80/tcp", "90/udp", "7000/tcp", "81/tcp", "9000/tcp", "9001/tcp", "82/tcp", "443/tcp", "5555/tcp", "6000/udp", "6001/udp"],
      bindings: {
        "80/tcp": [{ HostIp: "", HostPort: "8080" }],
        "90/udp": [{ HostIp: "127.0.0.1", HostPort: "" }],
        "7000/tcp": [{ HostIp: "", HostPort: "" }],
        "81/tcp": [{ HostIp: "", HostPort: "8000-8001" }],
        "9000/tcp": [{ HostIp: "", HostPort: "9000" }],
        "9001/tcp": [{ HostIp: "", HostPort: "9001" }],
        "82/tcp": [{ HostIp: "::1", HostPort: "8081" }],
        "443/tcp": [{ HostIp: "", HostPort: "8443" }],
      },
    });
    expect(() => parsePorts(["8080:80-81"], [])).toThrow("docker: Invalid ranges specified for container and host Ports: 80-81 and 8080.");
    expect(() => parsePorts(["[::1:80:80"], [])).toThrow("docker: Invalid ip address [::1: address [::1:: missing ']' in address.");
  });

  it("allocates as libnetwork: both addresses, the next ephemeral port per protocol, host ranges, clashes", () => {
    const a = new HostPortAllocator();
    expect(a.bind("c1", ["80/tcp", "53/udp", "5555/tcp"], { "80/tcp": [{ HostIp: "", HostPort: "" }], "53/udp": [{ HostIp: "", HostPort: "" }] }, false)).toEqual({
      "5555/tcp": null,
      "53/udp": [{ HostIp: "0.0.0.0", HostPort: "32768" }, { HostIp: "::", HostPort: "32768" }],
      "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "32768" }, { HostIp: "::", HostPort: "32768" }],
    });
    a.release("c1");
    // A restart gets the next one.
    expect(a.bind("c1", ["80/tcp"], { "80/tcp": [{ HostIp: "", HostPort: "" }] }, false)["80/tcp"]![0]!.HostPort).toBe("32769");
    // -P: every exposed port.
    expect(a.bind("c2", ["90/tcp"], {}, true)["90/tcp"]![0]!.HostPort).toBe("32770");
    expect(a.holder(32770)).toBe("c2");
    expect(a.bind("c3", ["80/tcp"], { "80/tcp": [{ HostIp: "", HostPort: "8000-8001" }] }, false)["80/tcp"]![0]!.HostPort).toBe("8000");
    expect(a.bind("c4", ["80/tcp"], { "80/tcp": [{ HostIp: "", HostPort: "8000-8001" }] }, false)["80/tcp"]![0]!.HostPort).toBe("8001");
    expect(() => a.bind("c5", ["80/tcp"], { "80/tcp": [{ HostIp: "", HostPort: "8000-8001" }] }, false)).toThrow(new PortAllocationError("all ports are allocated"));
    expect(() => a.bind("c5", ["80/tcp"], { "80/tcp": [{ HostIp: "", HostPort: "8000" }] }, false)).toThrow("Bind for 0.0.0.0:8000 failed: port is already allocated");
    expect(() => a.bind("c5", ["80/tcp"], { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "8000" }] }, false)).toThrow("Error starting userland proxy: listen tcp4 127.0.0.1:8000: bind: address already in use");
    // Nothing is held by a start that failed.
    expect(a.holder(8000)).toBe("c3");
    a.release("c3");
    expect(a.holder(8000)).toBeUndefined();
  });

  it("groups the PORTS column as docker/cli's DisplayablePorts", () => {
    const map = {
      "7000/tcp": null, "7001/tcp": null, "7002/tcp": null, "7005/tcp": null,
      "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "82" }, { HostIp: "::", HostPort: "82" }, { HostIp: "0.0.0.0", HostPort: "80" }, { HostIp: "::", HostPort: "80" }],
      "81/tcp": [{ HostIp: "0.0.0.0", HostPort: "81" }, { HostIp: "::", HostPort: "81" }],
      "83/tcp": [{ HostIp: "127.0.0.1", HostPort: "83" }],
      "9000/udp": [{ HostIp: "0.0.0.0", HostPort: "9000" }, { HostIp: "::", HostPort: "9000" }],
      "9001/udp": [{ HostIp: "0.0.0.0", HostPort: "9001" }, { HostIp: "::", HostPort: "9001" }],
    };
    // Docker 20.10's own answer for these bindings.
    expect(displayablePorts(apiPortsOf(map))).toBe("7000-7002/tcp, 0.0.0.0:80-81->80-81/tcp, :::80-81->80-81/tcp, 127.0.0.1:83->83/tcp, 7005/tcp, 0.0.0.0:9000-9001->9000-9001/udp, :::9000-9001->9000-9001/udp, 0.0.0.0:82->80/tcp, :::82->80/tcp");
  });
});
