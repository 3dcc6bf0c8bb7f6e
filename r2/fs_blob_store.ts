/**
 * A BlobStore on a local directory (Node and Deno scripts, tests): keys are relative paths, so
 * the directory mirrors the bucket's layout and Iceberg tools can read a table in place.
 * Writes go to a temporary file first and are then renamed (put) or hard-linked (putIfAbsent)
 * into place, so readers never see a half-written object.
 */
import { link, mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import type { BlobStore, MultipartWrite } from "./blob_store.ts";
import { joinParts } from "./multipart_writer.ts";

const TMP_DIR = ".tmp";

/** A BlobStore on the directory `root` (created on demand). */
export class FsBlobStore implements BlobStore {
  readonly #root: string;
  #seq = 0;

  constructor(root: string) {
    this.#root = root;
  }

  /** The object's bytes, or null. */
  async get(key: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await readFile(this.#path(key)));
    } catch (error) {
      if (isCode(error, "ENOENT")) return null;
      throw error;
    }
  }

  /** Writes (or replaces) `key` atomically. */
  async put(key: string, bytes: Uint8Array): Promise<void> {
    const target = this.#path(key);
    const tmp = await this.#writeTemp(bytes);
    await mkdir(dirname(target), { recursive: true });
    await rename(tmp, target);
  }

  /** Writes only when `key` is absent: a hard link fails with EEXIST when another writer won. */
  /** Collects the parts (scripts and tests only) and writes their concatenation on complete. */
  createMultipart(key: string): Promise<MultipartWrite> {
    const parts = new Map<number, Uint8Array>();
    return Promise.resolve({
      uploadPart: (n: number, bytes: Uint8Array) => Promise.resolve(void parts.set(n, bytes.slice())),
      complete: () => this.put(key, joinParts(parts)),
      abort: () => Promise.resolve(parts.clear()),
    });
  }

  async putIfAbsent(key: string, bytes: Uint8Array): Promise<boolean> {
    const target = this.#path(key);
    const tmp = await this.#writeTemp(bytes);
    try {
      await mkdir(dirname(target), { recursive: true });
      await linkOrCreate(tmp, target, bytes);
      return true;
    } catch (error) {
      if (isCode(error, "EEXIST")) return false;
      throw error;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  /** The object's size, or null. */
  async uploadedMs(key: string): Promise<number | null> {
    try {
      const info = await stat(this.#path(key));
      return info.isFile() ? Math.floor(info.mtimeMs) : null;
    } catch (error) {
      if (isCode(error, "ENOENT")) return null;
      throw error;
    }
  }

  /** The object's size, or null. */
  async head(key: string): Promise<{ size: number } | null> {
    try {
      const info = await stat(this.#path(key));
      return info.isFile() ? { size: info.size } : null;
    } catch (error) {
      if (isCode(error, "ENOENT")) return null;
      throw error;
    }
  }

  /** All keys with the prefix, ascending; walks only the prefix's deepest directory. */
  async list(prefix: string): Promise<string[]> {
    const slash = prefix.lastIndexOf("/");
    const base = slash < 0 ? "" : prefix.slice(0, slash);
    const start = base ? this.#path(base) : this.#root;
    const keys: string[] = [];
    for (const file of await walk(start)) {
      const key = relative(this.#root, file).split(sep).join("/");
      if (key.startsWith(prefix) && !key.startsWith(`${TMP_DIR}/`)) keys.push(key);
    }
    return keys.sort();
  }

  /** Deletes the keys; absent keys are ignored. */
  async delete(keys: string[]): Promise<void> {
    for (const key of keys) await rm(this.#path(key), { force: true });
  }

  #path(key: string): string {
    const parts = key.split("/");
    if (!key || key.startsWith("/") || parts.some((p) => p === "" || p === "." || p === "..")) {
      throw new RangeError(
        `Object key must be a relative path without empty, "." or ".." segments, got "${key}"`,
      );
    }
    if (parts[0] === TMP_DIR) {
      throw new RangeError(`Object key "${key}" uses the reserved ${TMP_DIR}/ prefix`);
    }
    return join(this.#root, ...parts);
  }

  async #writeTemp(bytes: Uint8Array): Promise<string> {
    const dir = join(this.#root, TMP_DIR);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `${Date.now()}-${this.#seq++}-${Math.random().toString(36).slice(2)}`);
    await writeFile(tmp, bytes);
    return tmp;
  }
}

async function linkOrCreate(tmp: string, target: string, bytes: Uint8Array): Promise<void> {
  try {
    await link(tmp, target);
  } catch (error) {
    // Filesystems without hard links: exclusive create (a reader may briefly see a short file).
    if (!isCode(error, "EPERM") && !isCode(error, "ENOTSUP") && !isCode(error, "ENOSYS")) throw error;
    await writeFile(target, bytes, { flag: "wx" });
  }
}

async function walk(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isCode(error, "ENOENT") || isCode(error, "ENOTDIR")) return [];
    throw error;
  }
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...await walk(path));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}
