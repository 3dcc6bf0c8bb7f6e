/**
 * The BlobStore port: the smallest object-store surface the lake needs. Implemented over an
 * R2 binding (workerd), in memory (tests) and on a local directory (Node/Deno scripts).
 */

/** The smallest object-store surface the lake needs. */
export interface BlobStore {
  /** The object's bytes, or null when `key` is absent. */
  get(key: string): Promise<Uint8Array | null>;
  /** Writes (or replaces) `key`. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** Writes only when `key` is absent; false when another writer won. */
  putIfAbsent(key: string, bytes: Uint8Array): Promise<boolean>;
  /** The object's size, or null when `key` is absent. */
  head(key: string): Promise<{ size: number } | null>;
  /**
   * When the object was last written (epoch ms), or null when `key` is absent. Optional: a
   * store without it makes age-based cleanup (orphan removal) treat every object as too new.
   */
  uploadedMs?(key: string): Promise<number | null>;
  /** All keys that start with `prefix`, in ascending order (paginates internally). */
  list(prefix: string): Promise<string[]>;
  /** Deletes the keys; absent keys are ignored. */
  delete(keys: string[]): Promise<void>;
  /** Starts a multipart write of `key` (the object appears only on `complete`). */
  createMultipart(key: string): Promise<MultipartWrite>;
}

/**
 * An open multipart write. R2's rule: parts are at least 5 MiB and all but the last have the
 * same size (r2/multipart_writer.ts cuts parts of exactly MULTIPART_PART_BYTES).
 */
export interface MultipartWrite {
  /** Uploads part `partNumber` (1-based, ascending). */
  uploadPart(partNumber: number, bytes: Uint8Array): Promise<void>;
  /** Joins the uploaded parts into the object. */
  complete(): Promise<void>;
  /** Drops the uploaded parts; the object is never created. */
  abort(): Promise<void>;
}
