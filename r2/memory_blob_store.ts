import type { BlobStore } from "./blob_store.ts";

/** A BlobStore held in a Map: for tests and scripts. Stores copies, so callers may reuse buffers. */
export class MemoryBlobStore implements BlobStore {
  readonly #objects = new Map<string, Uint8Array>();

  /** Returns a copy of the object's bytes, or null. */
  get(key: string): Promise<Uint8Array | null> {
    const bytes = this.#objects.get(key);
    return Promise.resolve(bytes ? bytes.slice() : null);
  }

  /** Writes (or replaces) `key`. */
  put(key: string, bytes: Uint8Array): Promise<void> {
    this.#objects.set(checkKey(key), bytes.slice());
    return Promise.resolve();
  }

  /** Writes only when `key` is absent (check and set happen in one synchronous step). */
  putIfAbsent(key: string, bytes: Uint8Array): Promise<boolean> {
    if (this.#objects.has(checkKey(key))) return Promise.resolve(false);
    this.#objects.set(key, bytes.slice());
    return Promise.resolve(true);
  }

  /** The object's size, or null. */
  head(key: string): Promise<{ size: number } | null> {
    const bytes = this.#objects.get(key);
    return Promise.resolve(bytes ? { size: bytes.length } : null);
  }

  /** All keys with the prefix, ascending. */
  list(prefix: string): Promise<string[]> {
    return Promise.resolve([...this.#objects.keys()].filter((k) => k.startsWith(prefix)).sort());
  }

  /** Deletes the keys; absent keys are ignored. */
  delete(keys: string[]): Promise<void> {
    for (const key of keys) this.#objects.delete(key);
    return Promise.resolve();
  }
}

function checkKey(key: string): string {
  if (!key) throw new RangeError(`Object key must be a non-empty string, got ${JSON.stringify(key)}`);
  return key;
}
