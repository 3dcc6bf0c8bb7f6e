/**
 * Test support: a BlobStore that forwards to another one, with hooks to inject faults (a put
 * that throws) and races (a create-if-absent that waits or loses).
 */
import type { BlobStore } from "../blob_store.ts";

/** Hooks of a HookedStore; a putIfAbsent hook returning a boolean decides instead of the store. */
export interface StoreHooks {
  put?: (key: string) => void;
  putIfAbsent?: (key: string) => Promise<boolean | undefined> | boolean | undefined;
}

/** A BlobStore that forwards to `inner`, calling the hooks first. */
export class HookedStore implements BlobStore {
  constructor(readonly inner: BlobStore, readonly hooks: StoreHooks) {}
  get = (key: string) => this.inner.get(key);
  head = (key: string) => this.inner.head(key);
  uploadedMs = (key: string) => this.inner.uploadedMs?.(key) ?? Promise.resolve(null);
  list = (prefix: string) => this.inner.list(prefix);
  delete = (keys: string[]) => this.inner.delete(keys);
  createMultipart = (key: string) => {
    this.hooks.put?.(key);
    return this.inner.createMultipart(key);
  };
  put = (key: string, bytes: Uint8Array) => {
    this.hooks.put?.(key);
    return this.inner.put(key, bytes);
  };
  putIfAbsent = async (key: string, bytes: Uint8Array) => {
    const forced = await this.hooks.putIfAbsent?.(key);
    return forced ?? this.inner.putIfAbsent(key, bytes);
  };
}
