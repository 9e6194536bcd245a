/**
 * container.Config as Docker's API writes it (image inspect's Config and ContainerConfig, container
 * inspect's Config): Go's field order, empty strings and nulls where Go has zero values, the
 * `omitempty` fields only when set.
 */
import type { ContainerConfig } from "./types.ts";

export function dockerConfigJSON(cc: ContainerConfig, over: { Hostname?: string; Image?: string; Labels?: Record<string, string> | null } = {}): Record<string, unknown> {
  const str = (k: string) => (typeof cc[k] === "string" ? (cc[k] as string) : "");
  const bool = (k: string) => cc[k] === true;
  return {
    Hostname: over.Hostname ?? str("Hostname"),
    Domainname: str("Domainname"),
    User: cc.User ?? "",
    AttachStdin: bool("AttachStdin"),
    AttachStdout: bool("AttachStdout"),
    AttachStderr: bool("AttachStderr"),
    ...(cc.ExposedPorts && Object.keys(cc.ExposedPorts).length ? { ExposedPorts: cc.ExposedPorts } : {}),
    Tty: bool("Tty"),
    OpenStdin: bool("OpenStdin"),
    StdinOnce: bool("StdinOnce"),
    Env: cc.Env ?? null,
    Cmd: cc.Cmd ?? null,
    ...(cc.Healthcheck ? { Healthcheck: cc.Healthcheck } : {}),
    ...(cc.ArgsEscaped ? { ArgsEscaped: true } : {}),
    Image: over.Image ?? str("Image"),
    Volumes: cc.Volumes ?? null,
    WorkingDir: cc.WorkingDir ?? "",
    Entrypoint: cc.Entrypoint ?? null,
    ...(cc.NetworkDisabled ? { NetworkDisabled: true } : {}),
    ...(cc.MacAddress ? { MacAddress: cc.MacAddress } : {}),
    OnBuild: (cc.OnBuild as string[] | undefined) ?? null,
    Labels: over.Labels !== undefined ? over.Labels : (cc.Labels ?? null),
    ...(cc.StopSignal ? { StopSignal: cc.StopSignal } : {}),
    ...(cc.StopTimeout !== undefined && cc.StopTimeout !== null ? { StopTimeout: cc.StopTimeout } : {}),
    ...(cc.Shell ? { Shell: cc.Shell } : {}),
  };
}
