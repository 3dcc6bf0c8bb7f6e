/**
 * Per-column metrics of one data file, as Iceberg manifests carry them: value counts (nulls
 * included), null counts, NaN counts for doubles, and lower/upper bounds in Appendix D binary.
 * Bounds skip nulls and NaN; string bounds are truncated to 16 code points.
 */
import type { ColumnSpec, TableSpec } from "../tables/schemas.ts";
import type { AnyRow } from "../tables/rows.ts";
import {
  compareCodePoints,
  compareDoubles,
  encodeSingleValue,
  toWellFormed,
  truncateLowerBound,
  truncateUpperBound,
} from "./bounds.ts";

/** Metrics keyed by Iceberg field id. */
export interface ColumnStats {
  value_counts: Record<number, number>;
  null_value_counts: Record<number, number>;
  nan_value_counts: Record<number, number>;
  lower_bounds: Record<number, Uint8Array>;
  upper_bounds: Record<number, Uint8Array>;
}

type Scalar = string | number | bigint | boolean;

/** Computes the metrics of every column of `spec` over `rows`. */
export function computeColumnStats(spec: TableSpec, rows: readonly AnyRow[]): ColumnStats {
  const stats = new ColumnStatsAccumulator(spec);
  stats.add(rows);
  return stats.result();
}

interface Running {
  column: ColumnSpec;
  compare: (a: Scalar, b: Scalar) => number;
  nulls: number;
  nans: number;
  min?: Scalar;
  max?: Scalar;
}

/**
 * The same metrics over rows that arrive in chunks (a streamed file): keeps only counts and the
 * running min/max per column, so memory does not grow with the rows.
 */
export class ColumnStatsAccumulator {
  readonly #columns: Running[];
  #rows = 0;

  constructor(spec: TableSpec) {
    this.#columns = spec.columns.map((column) => ({
      column,
      compare: comparatorOf(column),
      nulls: 0,
      nans: 0,
    }));
  }

  /** Folds `rows` into the metrics. */
  add(rows: readonly AnyRow[]): void {
    this.#rows += rows.length;
    for (const c of this.#columns) {
      for (const row of rows) {
        let value = (row as unknown as Record<string, unknown>)[c.column.name] as Scalar | null | undefined;
        if (value === null || value === undefined) {
          c.nulls++;
          continue;
        }
        if (typeof value === "number" && Number.isNaN(value)) {
          c.nans++;
          continue;
        }
        if (typeof value === "string") value = toWellFormed(value);
        if (c.min === undefined || c.compare(value, c.min) < 0) c.min = value;
        if (c.max === undefined || c.compare(value, c.max) > 0) c.max = value;
      }
    }
  }

  /** The metrics of every row added so far. */
  result(): ColumnStats {
    const stats: ColumnStats = {
      value_counts: {},
      null_value_counts: {},
      nan_value_counts: {},
      lower_bounds: {},
      upper_bounds: {},
    };
    for (const { column, nulls, nans, min, max } of this.#columns) {
      stats.value_counts[column.id] = this.#rows;
      stats.null_value_counts[column.id] = nulls;
      if (column.type === "double") stats.nan_value_counts[column.id] = nans;
      if (min === undefined || max === undefined) continue;
      if (column.type === "string") {
        stats.lower_bounds[column.id] = encodeSingleValue("string", truncateLowerBound(min as string));
        const upper = truncateUpperBound(max as string);
        if (upper !== null) stats.upper_bounds[column.id] = encodeSingleValue("string", upper);
      } else {
        stats.lower_bounds[column.id] = encodeSingleValue(column.type, min);
        stats.upper_bounds[column.id] = encodeSingleValue(column.type, max);
      }
    }
    return stats;
  }
}

function comparatorOf(column: ColumnSpec): (a: Scalar, b: Scalar) => number {
  switch (column.type) {
    case "string":
      return (a, b) => compareCodePoints(a as string, b as string);
    case "double":
      return (a, b) => compareDoubles(a as number, b as number);
    case "boolean":
      return (a, b) => Number(a) - Number(b);
    default:
      return (a, b) => (a === b ? 0 : a < b ? -1 : 1);
  }
}
