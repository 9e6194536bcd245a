import { openDB, type IDBPDatabase } from "idb";
import { dockerDiffSize } from "../layer/size.ts";
import { DB_NAME, DB_VERSION, type LabDB } from "./schema.ts";

export type LabDatabase = IDBPDatabase<LabDB>;

export async function openLabDB(name = DB_NAME): Promise<LabDatabase> {
  return openDB<LabDB>(name, DB_VERSION, {
    async upgrade(db, oldVersion, _newVersion, tx) {
      if (oldVersion < 1) {
        db.createObjectStore("blobs", { keyPath: "digest" });
        db.createObjectStore("chunks");
        db.createObjectStore("ingests", { keyPath: "ref" });
        db.createObjectStore("layers", { keyPath: "chainId" }).createIndex("diffId", "diffId");
        db.createObjectStore("layerIndex", { keyPath: "diffId" });
        db.createObjectStore("distribution", { keyPath: "digest" }).createIndex("diffId", "diffId");
        db.createObjectStore("images", { keyPath: "id" });
        db.createObjectStore("tags", { keyPath: "name" }).createIndex("imageId", "imageId");
      }
      if (oldVersion < 2) {
        db.createObjectStore("snapshots", { keyPath: "key" });
        db.createObjectStore("upperEntries");
        db.createObjectStore("upperInodes");
        db.createObjectStore("upperData");
        const containers = db.createObjectStore("containers", { keyPath: "id" });
        containers.createIndex("name", "name", { unique: true });
        containers.createIndex("imageId", "imageId");
      }
      if (oldVersion < 3) {
        db.createObjectStore("uploads", { keyPath: "key" });
        db.createObjectStore("settings", { keyPath: "key" });
      }
      if (oldVersion >= 1 && oldVersion < 4) {
        // Layer and image sizes were the tars' lengths; Docker counts the files' bytes.
        const sizes = new Map<string, number>();
        for (const layer of await tx.objectStore("layers").getAll()) {
          const index = await tx.objectStore("layerIndex").get(layer.diffId);
          const size = index ? dockerDiffSize(index.entries) : layer.size;
          sizes.set(layer.chainId, size);
          await tx.objectStore("layers").put({ ...layer, size, tarSize: layer.tarSize ?? layer.size });
        }
        for (const image of await tx.objectStore("images").getAll()) {
          await tx.objectStore("images").put({ ...image, size: image.chainIds.reduce((n, c) => n + (sizes.get(c) ?? 0), 0) });
        }
      }
    },
    blocking(_current, _blocked, event) {
      // Another tab wants a newer schema: let it have the database (this tab reloads to follow).
      (event.target as IDBDatabase).close();
    },
  });
}

/** Web Locks keep two tabs from ingesting one blob twice or collecting garbage under a pull. */
export async function withLock<T>(name: string, mode: LockMode, fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return fn();
  return locks.request(`layerlab:${name}`, { mode }, fn) as Promise<T>;
}

/**
 * Takes the lock `name` if no tab holds it, and keeps it until the returned release is called (a
 * running container's, for its whole run): a tab that closes or crashes lets go of it with its last
 * breath, which is how another tab knows it is gone. Undefined: another holder has it.
 */
export async function acquireLock(name: string): Promise<(() => void) | undefined> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return () => {};
  return new Promise((resolve) => {
    void locks.request(`layerlab:${name}`, { mode: "exclusive", ifAvailable: true }, (lock) => {
      if (!lock) return resolve(undefined);
      return new Promise<void>((release) => resolve(release));
    });
  });
}

/** Whether some tab of this origin (this one included) holds the lock `name`. */
export async function lockHeld(name: string): Promise<boolean> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return false;
  const { held = [] } = await locks.query();
  return held.some((l) => l.name === `layerlab:${name}`);
}

/** The browser refused a write for want of room (IndexedDB's QuotaExceededError, however it is wrapped). */
export function isQuotaError(e: unknown): boolean {
  const err = e as { name?: unknown; inner?: unknown; cause?: unknown } | null;
  return err?.name === "QuotaExceededError" || (err?.name === "AbortError" && (err.cause as { name?: unknown } | undefined)?.name === "QuotaExceededError");
}

/** The browser's storage for the lab is this lab's disk: full, as Docker says of a full disk. */
export class StorageFullError extends Error {
  override name = "StorageFullError";
}

/** A StorageFullError, known by its name: one that crossed from a worker is a plain Error with it. */
export function isStorageFull(e: unknown): boolean {
  return (e as { name?: unknown } | null)?.name === "StorageFullError";
}

const mb = (n: number) => `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;

/**
 * Docker's "no space left on device", with what was needed and what the browser has left for the lab.
 * The browser's estimate counts its quota, not the disk under it: when the estimate shows room the
 * write did not get, the disk itself is full, and the message says so rather than repeat the estimate.
 */
export async function storageFull(needed: number, what = "/var/lib/docker", atLeast = false): Promise<StorageFullError> {
  const est = await (globalThis.navigator as Navigator | undefined)?.storage?.estimate?.().catch(() => undefined);
  const need = `this needs ${atLeast ? "at least" : "about"} ${mb(needed)} more`;
  let why = `the lab's storage in this browser is full: ${need}`;
  if (est?.quota !== undefined && est.usage !== undefined) {
    const free = Math.max(0, est.quota - est.usage);
    why = free > needed
      ? `the disk that holds this browser's data is full: ${need}, though the browser counts ${mb(free)} of the ${mb(est.quota)} it allows this site as free`
      : `${why}; ${mb(free)} of the ${mb(est.quota)} the browser allows this site are free`;
  }
  return new StorageFullError(`write ${what}: no space left on device (${why}). docker rmi, docker image prune or docker system prune frees space`);
}
