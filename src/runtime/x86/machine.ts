/**
 * One v86 machine running the lab's kernel and /init, with its virtio-9p device answered by a
 * P9Server and its first serial port spoken to by a Guest. Boots cold, or restores a saved state in
 * which /init already waits for work (the warm start). The same code runs in Node (tests, benchmarks)
 * and in the browser's runtime worker.
 */
import { Guest } from "./guest.ts";
import type { P9Server } from "./p9.ts";
import { GuestStream, type DialAdapter } from "./tcp-dial.ts";
import { guardNetwork, loadV86, NET, networkReady, v86Options, type NetworkAnswer, type MachineAssets, type MachineNetwork, type V86 } from "./v86.ts";

export interface MachineOptions {
  /** A saved state taken at /init's READY (raw or zstd; v86 accepts both). */
  state?: ArrayBuffer;
  /** Receives every line the guest printed outside the protocol (kernel messages). */
  onConsole?: (line: string) => void;
  /** Use v86's own in-memory 9P filesystem instead of `server` (the 9P benchmark's reference). */
  v86Filesystem?: boolean;
  /** Where the machine's network card is answered (none: nowhere). */
  network?: MachineNetwork;
}

export class Machine {
  readonly guest: Guest;
  private constructor(
    private readonly emulator: V86,
    guest: Guest,
    private readonly mirrorUrl?: string,
  ) {
    this.guest = guest;
  }

  static async start(assets: MachineAssets, server: P9Server, opts: MachineOptions = {}): Promise<Machine> {
    const Emulator = await loadV86();
    let emulator: V86 | undefined;
    const guest = new Guest((text) => emulator!.serial0_send(text));
    emulator = new Emulator(v86Options(assets, { handle9p: opts.v86Filesystem ? undefined : server.handle, state: opts.state, network: opts.network }));
    guardNetwork(emulator);
    emulator.add_listener("serial0-output-byte", (b) => guest.byte(b));
    const m = new Machine(emulator, guest, opts.network?.mirrorUrl);
    if (opts.state) {
      // The restored machine sits in /init's poll(): it is READY, and says nothing until spoken to.
      await new Promise<void>((resolve) => emulator!.add_listener("emulator-started", resolve));
      guest.resetTo(true);
    } else {
      await guest.whenReady();
    }
    return m;
  }

  /** v86's own filesystem object when started with `v86Filesystem` (benchmark use only). */
  get v86Filesystem(): unknown {
    return this.emulator.fs9p;
  }

  netReady(timeoutMs: number): Promise<NetworkAnswer> {
    return networkReady(this.emulator, timeoutMs, this.mirrorUrl);
  }

  dial(to: { ip: string; mac: string; port: number }): GuestStream {
    const adapter = (this.emulator as unknown as { network_adapter?: DialAdapter }).network_adapter;
    if (!adapter) throw new Error("the machine has no network adapter");
    return new GuestStream(adapter, to, { ip: NET.gateway });
  }

  /** The machine's state (for a warm start later): take it while nothing is mounted or running. */
  saveState(): Promise<ArrayBuffer> {
    return this.emulator.save_state();
  }

  async destroy(): Promise<void> {
    await this.emulator.destroy();
  }
}
