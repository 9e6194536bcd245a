/** An error Docker reports as coming from the daemon: clients print it as "Error response from daemon: …". */
export class DaemonError extends Error {
  override name = "DaemonError";
}
