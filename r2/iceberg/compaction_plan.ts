/**
 * Pure decisions of compaction, after Iceberg's RewriteDataFiles bin-pack strategy: per
 * partition, the files smaller than the target are packed (largest first, first fit) into
 * groups whose input bytes stay within the target; a group of one file is left alone (nothing
 * to gain). Rows of a group are written sorted by the partition's source column (event time),
 * so time-range reads prune on column bounds.
 */
import type { TableSpec } from "../tables/schemas.ts";
import type { AnyRow } from "../tables/rows.ts";
import type { DataFile } from "./data_file.ts";

/** Default target size of a compacted file (MAINTENANCE_TARGET_FILE_MB). */
export const DEFAULT_TARGET_FILE_MB = 64;

/** One rewrite group: input files of one partition day. */
export interface CompactionGroup {
  day: number;
  inputs: DataFile[];
  bytes: number;
}

/** The groups to rewrite, by day then size; `targetBytes` bounds each group's input bytes. */
export function planCompaction(files: readonly DataFile[], targetBytes: number): CompactionGroup[] {
  if (!Number.isSafeInteger(targetBytes) || targetBytes < 1) {
    throw new RangeError(`targetBytes must be a positive integer, got ${targetBytes}`);
  }
  const byDay = new Map<number, DataFile[]>();
  for (const f of files) {
    if (f.file_size_in_bytes >= targetBytes) continue; // already big enough
    byDay.set(f.partition_day, [...(byDay.get(f.partition_day) ?? []), f]);
  }
  const groups: CompactionGroup[] = [];
  for (const day of [...byDay.keys()].sort((a, b) => a - b)) {
    const bins: CompactionGroup[] = [];
    const sorted = [...byDay.get(day)!].sort((a, b) =>
      b.file_size_in_bytes - a.file_size_in_bytes || a.path.localeCompare(b.path)
    );
    for (const f of sorted) {
      const bin = bins.find((b) => b.bytes + f.file_size_in_bytes <= targetBytes);
      if (bin) {
        bin.inputs.push(f);
        bin.bytes += f.file_size_in_bytes;
      } else bins.push({ day, inputs: [f], bytes: f.file_size_in_bytes });
    }
    groups.push(...bins.filter((b) => b.inputs.length > 1));
  }
  return groups;
}

/** The column compacted files are sorted by: the partition's source (event/ingestion/window time). */
export function sortColumnOf(spec: TableSpec): string {
  const column = spec.columns.find((c) => c.id === spec.partition.sourceId);
  if (!column) throw new Error(`${spec.name}: partition source ${spec.partition.sourceId} is not a column`);
  return column.name;
}

/** `rows` sorted by `column` ascending, nulls last, stable. */
export function sortRows(rows: readonly AnyRow[], column: string): AnyRow[] {
  const value = (r: AnyRow) => (r as unknown as Record<string, unknown>)[column] as number | null;
  return rows.map((r, i) => ({ r, i })).sort((a, b) => {
    const x = value(a.r);
    const y = value(b.r);
    if (x === y) return a.i - b.i;
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return x - y || a.i - b.i;
  }).map((e) => e.r);
}
