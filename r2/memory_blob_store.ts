import type { BlobStore, MultipartWrite } from "./blob_store.ts";
import { joinParts } from "./multipart_writer.ts";

/** A BlobStore held in a Map: for tests and scripts. Stores copies, so callers may reuse buffers. */
export class MemoryBlobStore implements BlobStore {
  readonly #objects = new Map<string, Uint8Array>();
  readonly #uploaded = new Map<string, number>();
  readonly #now: () => number;

  /** `now` stamps each write (default Date.now); tests pass a clock to age objects. */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Returns a copy of the object's bytes, or null. */
  get(key: string): Promise<Uint8Array | null> {
    const bytes = this.#objects.get(key);
    return Promise.resolve(bytes ? bytes.slice() : null);
  }

  /** Writes (or replaces) `key`. */
  put(key: string, bytes: Uint8Array): Promise<void> {
    this.#objects.set(checkKey(key), bytes.slice());
    this.#uploaded.set(key, this.#now());
    return Promise.resolve();
  }

  /** Writes only when `key` is absent (check and set happen in one synchronous step). */
  putIfAbsent(key: string, bytes: Uint8Array): Promise<boolean> {
    if (this.#objects.has(checkKey(key))) return Promise.resolve(false);
    this.#objects.set(key, bytes.slice());
    this.#uploaded.set(key, this.#now());
    return Promise.resolve(true);
  }

  /** When the object was last written (the clock's time), or null. */
  uploadedMs(key: string): Promise<number | null> {
    return Promise.resolve(this.#objects.has(key) ? this.#uploaded.get(key)! : null);
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

  /** Collects the parts in memory and stores their concatenation on complete. */
  createMultipart(key: string): Promise<MultipartWrite> {
    checkKey(key);
    const parts = new Map<number, Uint8Array>();
    return Promise.resolve({
      uploadPart: (n: number, bytes: Uint8Array) => Promise.resolve(void parts.set(n, bytes.slice())),
      complete: () => this.put(key, joinParts(parts)),
      abort: () => Promise.resolve(parts.clear()),
    });
  }

  /** Deletes the keys; absent keys are ignored. */
  delete(keys: string[]): Promise<void> {
    for (const key of keys) {
      this.#objects.delete(key);
      this.#uploaded.delete(key);
    }
    return Promise.resolve();
  }
}

function checkKey(key: string): string {
  if (!key) throw new RangeError(`Object key must be a non-empty string, got ${JSON.stringify(key)}`);
  return key;
}
