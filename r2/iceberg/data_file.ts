/**
 * The DataFile descriptor: what a manifest entry says about one Parquet file. Plain and
 * structured-clone-safe (numbers, strings, Uint8Array), so it can cross RPC and sit in SQLite.
 */
import type { TableSpec } from "../tables/schemas.ts";
import type { AnyRow } from "../tables/rows.ts";
import { computeColumnStats } from "./column_stats.ts";
import { groupByPartition } from "./partition.ts";

/** Re-exported: writers split rows by partition before describing each file. */
export { groupByPartition };

/** One data file of a table, with its partition and column metrics (keyed by field id). */
export interface DataFile {
  /** Absolute URI (`s3://bucket/…`). */
  path: string;
  /** The object's key in the bucket. */
  key: string;
  record_count: number;
  /** Exact object size in bytes. */
  file_size_in_bytes: number;
  /** day() of the partition source column, shared by every row. */
  partition_day: number;
  value_counts: Record<number, number>;
  null_value_counts: Record<number, number>;
  nan_value_counts?: Record<number, number>;
  lower_bounds: Record<number, Uint8Array>;
  upper_bounds: Record<number, Uint8Array>;
}

/** Where a data file was written. */
export interface DataFileLocation {
  path: string;
  key: string;
  sizeBytes: number;
}

/** Describes the file holding `rows`; throws RangeError unless they share one partition day. */
export function describeDataFile(
  spec: TableSpec,
  rows: readonly AnyRow[],
  where: DataFileLocation,
): DataFile {
  if (!rows.length) {
    throw new RangeError(`Data file ${where.path} has no rows; empty files are never committed`);
  }
  if (!Number.isSafeInteger(where.sizeBytes) || where.sizeBytes <= 0) {
    throw new RangeError(`Data file ${where.path}: size must be a positive integer, got ${where.sizeBytes}`);
  }
  const days = [...groupByPartition(spec, rows).keys()];
  if (days.length !== 1) {
    throw new RangeError(
      `Data file ${where.path} spans ${days.length} partition days (${days.join(", ")}); split it`,
    );
  }
  return {
    path: where.path,
    key: where.key,
    record_count: rows.length,
    file_size_in_bytes: where.sizeBytes,
    partition_day: days[0],
    ...computeColumnStats(spec, rows),
  };
}
