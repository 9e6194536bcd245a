/**
 * Small values the lab keeps beside its images (remembered logins, the emulator's warm state), so
 * nothing outside the store reaches into its database.
 */
import type { LabDatabase } from "./db.ts";

export class Settings {
  constructor(private readonly db: LabDatabase) {}

  async get(key: string): Promise<unknown> {
    return (await this.db.get("settings", key))?.value;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.db.put("settings", { key, value });
  }

  async delete(key: string): Promise<void> {
    await this.db.delete("settings", key);
  }

  /** Sets `key` and drops, in the same transaction, the other keys starting with `prefix` (superseded values). */
  async replace(prefix: string, key: string, value: unknown): Promise<void> {
    const tx = this.db.transaction("settings", "readwrite");
    for (const k of await tx.store.getAllKeys()) if (k.startsWith(prefix) && k !== key) await tx.store.delete(k);
    await tx.store.put({ key, value });
    await tx.done;
  }
}
