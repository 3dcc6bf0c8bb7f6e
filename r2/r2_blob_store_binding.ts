/**
 * Shell: the BlobStore port on a Cloudflare R2 bucket binding. Typed against the few R2 methods
 * it calls (structurally satisfied by the Workers runtime's `R2Bucket` and Miniflare's), so
 * Node scripts can pass a Miniflare bucket without casts.
 */
import type { BlobStore, MultipartWrite } from "./blob_store.ts";

const DELETE_BATCH = 1000;

/** The part of an R2 bucket binding that R2BlobStore uses. */
export interface R2BucketLike {
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | null>;
  put(
    key: string,
    value: ArrayBufferView,
    options?: { onlyIf?: { etagDoesNotMatch?: string } },
  ): Promise<unknown>;
  head(key: string): Promise<{ size: number; uploaded?: Date } | null>;
  list(options: { prefix: string; cursor?: string }): Promise<
    { objects: { key: string }[]; truncated: boolean; cursor?: string }
  >;
  delete(keys: string[]): Promise<void>;
  createMultipartUpload(key: string): Promise<R2MultipartLike>;
}

/** The part of an R2 multipart upload that R2BlobStore uses. */
export interface R2MultipartLike {
  uploadPart(partNumber: number, value: ArrayBufferView): Promise<{ partNumber: number; etag: string }>;
  complete(parts: { partNumber: number; etag: string }[]): Promise<unknown>;
  abort(): Promise<void>;
}

/** A BlobStore over an R2 bucket binding (`env.LAKE`). */
export class R2BlobStore implements BlobStore {
  readonly #bucket: R2BucketLike;

  constructor(bucket: R2BucketLike) {
    this.#bucket = bucket;
  }

  /** The object's bytes, or null. */
  async get(key: string): Promise<Uint8Array | null> {
    const object = await this.#bucket.get(key);
    return object ? new Uint8Array(await object.arrayBuffer()) : null;
  }

  /** Writes (or replaces) `key`. */
  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.#bucket.put(key, bytes);
  }

  /** Create-if-absent: R2 resolves to null when the `etagDoesNotMatch: "*"` condition fails. */
  async putIfAbsent(key: string, bytes: Uint8Array): Promise<boolean> {
    const written = await this.#bucket.put(key, bytes, { onlyIf: { etagDoesNotMatch: "*" } });
    return written !== null;
  }

  /** When R2 stored the object (its `uploaded` time), or null. */
  async uploadedMs(key: string): Promise<number | null> {
    const object = await this.#bucket.head(key);
    return object?.uploaded ? object.uploaded.getTime() : null;
  }

  /** The object's size, or null. */
  async head(key: string): Promise<{ size: number } | null> {
    const object = await this.#bucket.head(key);
    return object ? { size: object.size } : null;
  }

  /** All keys with the prefix, following R2's list cursor. */
  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#bucket.list(cursor ? { prefix, cursor } : { prefix });
      for (const object of page.objects) keys.push(object.key);
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    return keys.sort();
  }

  /** An R2 multipart upload; completes with the parts in ascending order. */
  async createMultipart(key: string): Promise<MultipartWrite> {
    const upload = await this.#bucket.createMultipartUpload(key);
    const parts: { partNumber: number; etag: string }[] = [];
    return {
      uploadPart: async (n, bytes) => void parts.push(await upload.uploadPart(n, bytes)),
      complete: async () => void await upload.complete(parts.sort((a, b) => a.partNumber - b.partNumber)),
      abort: () => upload.abort(),
    };
  }

  /** Deletes the keys in batches of 1000 (R2's limit per call). */
  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      await this.#bucket.delete(keys.slice(i, i + DELETE_BATCH));
    }
  }
}
