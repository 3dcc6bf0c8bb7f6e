/**
 * Shell, the TableCommitters' client: addresses a table's committer and writes one table's new rows as Parquet data files into R2 (one file per partition
 * day) and stages them with the table's committer. Shared by the queue consumer and the
 * watermark's gold finalization. Keys are deterministic per owner set, so a retry rewrites
 * the same objects instead of leaving new ones behind. It lies below both the Worker
 * (workers/) and the WatermarkTracker, so imports between those two rooms point one way.
 */
import type { TableSpec } from "../../r2/tables/schemas.ts";
import type { AnyRow } from "../../r2/tables/rows.ts";
import { encodeParquet } from "../../r2/parquet/parquet_writer.ts";
import { type DataFile, describeDataFile, groupByPartition } from "../../r2/iceberg/data_file.ts";
import { dataFileKey, tableLocation, tablePrefix } from "../../r2/iceberg/paths.ts";
import { committerName, stableId } from "./committer_core.ts";

/** The TableCommitter stub of a table. */
export function committerStub(env: Env, table: string) {
  return env.TABLE_COMMITTER.getByName(committerName(table));
}

/** Rows and duplicate counts of one owner (a queue message's batch id, or a gold window). */
export interface OwnerRows {
  owner: string;
  rows: AnyRow[];
  duplicates: number;
}

/** What a write did. */
export interface StageReport {
  table: string;
  files: number;
  rows: number;
  skippedOwners: number;
}

/** Writes and stages the rows of owners not yet staged in `spec`'s table. */
export async function writeAndStage(
  env: Env,
  spec: TableSpec,
  input: OwnerRows[],
  staged?: string[],
): Promise<StageReport> {
  const committer = committerStub(env, spec.name);
  const already = new Set(staged ?? await committer.stagedOwners(spec.name, input.map((o) => o.owner)));
  const todo = input.filter((o) => !already.has(o.owner));
  const report = { table: spec.name, files: 0, rows: 0, skippedOwners: input.length - todo.length };
  if (!todo.length) return report;
  const owners = todo.map((o) => o.owner).sort();
  const stageId = stableId([spec.name, ...owners]);
  const rows = todo.flatMap((o) => o.rows);
  const files = await writeDataFiles(env, spec, rows, `${stageId}.parquet`);
  const duplicates = todo.reduce((n, o) => n + o.duplicates, 0);
  const result = await committer.stage({
    table: spec.name,
    stageId,
    owners,
    files,
    rows: rows.length,
    duplicates,
  });
  if (!result.ok) {
    // Another delivery staged these owners meanwhile. Its files may share our keys (same owner
    // set, same bytes), so nothing is deleted here; unreferenced files are orphan-cleanup's job.
    return { ...report, skippedOwners: input.length };
  }
  return { ...report, files: files.length, rows: rows.length };
}

/** Writes `rows` as one Parquet file per partition day named `fileName`; returns their descriptors. */
export async function writeDataFiles(
  env: Env,
  spec: TableSpec,
  rows: readonly AnyRow[],
  fileName: string,
): Promise<DataFile[]> {
  const location = tableLocation(env.LAKE_BUCKET_NAME, env.WAREHOUSE, spec.name);
  const prefix = tablePrefix(env.WAREHOUSE, spec.name);
  const files: DataFile[] = [];
  for (const [day, dayRows] of groupByPartition(spec, rows)) {
    const bytes = await encodeParquet(spec, dayRows);
    const key = dataFileKey(prefix, spec.partition.name, day, fileName);
    await env.LAKE.put(key, bytes);
    files.push(
      describeDataFile(spec, dayRows, {
        path: `${location}${key.slice(prefix.length)}`,
        key,
        sizeBytes: bytes.length,
      }),
    );
  }
  return files;
}
