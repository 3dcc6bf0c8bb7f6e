/**
 * Cuts a file's rows into the pieces the Parquet writer encodes one at a time (core): each piece
 * holds at most `maxRows` rows and, by estimate, at most `maxBytes` bytes of values, so no single
 * Arrow build, IPC copy or parquet-wasm call sees more than that, however large the file.
 */
import type { TableSpec } from "../tables/schemas.ts";
import type { AnyRow } from "../tables/rows.ts";

/** Bounds of one piece. */
export interface RowChunkLimits {
  maxRows: number;
  maxBytes: number;
}

/** Bytes a fixed-width value (int, long, double, boolean, timestamp) counts for: its widest. */
const FIXED_BYTES = 8;

/**
 * The bytes a row's values occupy in Arrow, by estimate: a string counts its length (UTF-16 code
 * units: its UTF-8 bytes when ASCII, as wiki JSON mostly is, up to 3× less than them otherwise),
 * every other value 8.
 */
export function estimateRowBytes(spec: TableSpec, row: AnyRow): number {
  let bytes = 0;
  for (const column of spec.columns) {
    const value = (row as unknown as Record<string, unknown>)[column.name];
    bytes += typeof value === "string" ? value.length : FIXED_BYTES;
  }
  return bytes;
}

/**
 * Yields `rows` in order as consecutive slices within `limits`; a row larger than `maxBytes` goes
 * alone. No rows, no slices.
 */
export function* sliceRowChunks(
  spec: TableSpec,
  rows: readonly AnyRow[],
  limits: RowChunkLimits,
): Generator<readonly AnyRow[]> {
  if (!(limits.maxRows >= 1 && limits.maxBytes >= 1)) {
    throw new RangeError(`Row chunk limits must be at least 1, got ${JSON.stringify(limits)}`);
  }
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    const rowBytes = estimateRowBytes(spec, rows[i]);
    if (i > start && (i - start >= limits.maxRows || bytes + rowBytes > limits.maxBytes)) {
      yield rows.slice(start, i);
      start = i;
      bytes = 0;
    }
    bytes += rowBytes;
  }
  if (start < rows.length) yield rows.slice(start);
}
