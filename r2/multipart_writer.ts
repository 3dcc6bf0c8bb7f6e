/**
 * Cuts a byte stream into multipart parts the way R2 requires: every part but the last exactly
 * MULTIPART_PART_BYTES (≥ 5 MiB, all the same size), the last one what remains. Holds at most
 * one part in memory.
 */
import type { MultipartWrite } from "./blob_store.ts";

/** The size of every part but the last (R2's minimum, 5 MiB). */
export const MULTIPART_PART_BYTES = 5 * 1024 * 1024;

/** Buffers chunks and uploads whole parts; `finish` uploads the rest and completes the object. */
export class MultipartWriter {
  readonly #upload: MultipartWrite;
  readonly #partBytes: number;
  #buffer: Uint8Array;
  #filled = 0;
  #part = 0;
  #size = 0;

  constructor(upload: MultipartWrite, partBytes = MULTIPART_PART_BYTES) {
    if (!Number.isSafeInteger(partBytes) || partBytes < 1) throw new RangeError(`Bad part size ${partBytes}`);
    this.#upload = upload;
    this.#partBytes = partBytes;
    this.#buffer = new Uint8Array(partBytes);
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#size;
  }

  /** Appends `chunk`, uploading each part as soon as it is full. */
  async write(chunk: Uint8Array): Promise<void> {
    this.#size += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(chunk.length - offset, this.#partBytes - this.#filled);
      this.#buffer.set(chunk.subarray(offset, offset + n), this.#filled);
      this.#filled += n;
      offset += n;
      if (this.#filled === this.#partBytes) await this.#flush();
    }
  }

  /** Uploads what remains as the last part and completes the object; returns its size. */
  async finish(): Promise<number> {
    if (this.#filled > 0 || this.#part === 0) await this.#flush();
    await this.#upload.complete();
    return this.#size;
  }

  /** Abandons the upload. */
  async abort(): Promise<void> {
    await this.#upload.abort();
  }

  async #flush(): Promise<void> {
    this.#part++;
    await this.#upload.uploadPart(this.#part, this.#buffer.slice(0, this.#filled));
    this.#filled = 0;
  }
}

/** The parts' bytes joined in part-number order (in-memory and directory stores). */
export function joinParts(parts: ReadonlyMap<number, Uint8Array>): Uint8Array {
  const ordered = [...parts.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
  const out = new Uint8Array(ordered.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of ordered) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
