/**
 * Registry credentials from `docker login`: held in memory for the session; with `--remember` also kept
 * in this browser's IndexedDB (like Docker's config.json "auths": not encrypted), until `docker logout`.
 * They are handed only to the registry they were given for and its token realm (see registry/client.ts).
 */
import type { Credentials, CredentialSource } from "../registry/types.ts";
import type { Settings } from "../store/settings.ts";

const KEY = "credentials";

export class MemoryCredentials implements CredentialSource {
  private readonly byHost = new Map<string, Credentials>();
  private readonly remembered = new Set<string>();
  constructor(private readonly settings?: Settings) {}

  /** Loads logins remembered on this device. */
  async load(): Promise<void> {
    const saved = (await this.settings?.get(KEY)) as Record<string, Credentials> | undefined;
    for (const [host, c] of Object.entries(saved ?? {})) {
      this.byHost.set(host, c);
      this.remembered.add(host);
    }
  }

  get(host: string): Credentials | undefined {
    return this.byHost.get(host);
  }

  isRemembered(host: string): boolean {
    return this.remembered.has(host);
  }

  async set(host: string, c: Credentials, remember = false): Promise<void> {
    this.byHost.set(host, c);
    if (remember) this.remembered.add(host);
    else this.remembered.delete(host);
    await this.persist();
  }

  async delete(host: string): Promise<boolean> {
    const had = this.byHost.delete(host);
    this.remembered.delete(host);
    await this.persist();
    return had;
  }

  private async persist(): Promise<void> {
    if (!this.settings) return;
    const value: Record<string, Credentials> = {};
    for (const host of this.remembered) {
      const c = this.byHost.get(host);
      if (c) value[host] = c;
    }
    await this.settings.set(KEY, value);
  }
}
