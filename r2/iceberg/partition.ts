/**
 * The day() partition transform and the split of rows into one group per partition value
 * (every row of a data file must map to the same partition tuple).
 */
import type { ColumnSpec, TableSpec } from "../tables/schemas.ts";
import type { AnyRow } from "../tables/rows.ts";

const DAY_MS = 86_400_000;

/** day(ts): whole days since 1970-01-01 of epoch milliseconds, floor-divided (right before 1970). */
export function dayOf(ms: number): number {
  if (!Number.isSafeInteger(ms)) {
    throw new RangeError(`Timestamp must be integer epoch milliseconds, got ${ms}`);
  }
  return Math.floor(ms / DAY_MS);
}

/** The partition source column of `spec`. */
export function partitionSource(spec: TableSpec): ColumnSpec {
  const column = spec.columns.find((c) => c.id === spec.partition.sourceId);
  if (!column) {
    throw new RangeError(`Table ${spec.name}: partition source id ${spec.partition.sourceId} is no column`);
  }
  return column;
}

/** The partition day of one row; throws when its source value is missing. */
export function partitionDayOf(spec: TableSpec, row: AnyRow): number {
  const column = partitionSource(spec);
  const value = (row as unknown as Record<string, unknown>)[column.name];
  if (typeof value !== "number") {
    throw new TypeError(`Partition source ${column.name} must be epoch ms, got ${value}`);
  }
  return dayOf(value);
}

/** Groups rows by partition day, days ascending, rows in their input order. */
export function groupByPartition(spec: TableSpec, rows: readonly AnyRow[]): Map<number, AnyRow[]> {
  const groups = new Map<number, AnyRow[]>();
  for (const row of rows) {
    const day = partitionDayOf(spec, row);
    const group = groups.get(day);
    if (group) group.push(row);
    else groups.set(day, [row]);
  }
  return new Map([...groups].sort(([a], [b]) => a - b));
}
