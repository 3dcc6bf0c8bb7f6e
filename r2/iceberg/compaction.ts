/**
 * Shell of compaction: for each group of compaction_plan.ts, reads its input files one at a
 * time, writes the rows sorted by event time as new files (split in halves until each is
 * within the target size), and commits all groups as one Iceberg `replace` snapshot (deleted
 * and added files, equal deleted/added records, totals unchanged). A failed commit deletes the
 * files it wrote. Limitation: one group's rows are held in memory (its inputs are ≤ target
 * bytes compressed); streaming row groups with multipart uploads is not built yet.
 */
import type { BlobStore } from "../blob_store.ts";
import { decodeParquet } from "../parquet/parquet_reader.ts";
import { encodeParquet } from "../parquet/parquet_writer.ts";
import type { TableSpec } from "../tables/schemas.ts";
import type { AnyRow } from "../tables/rows.ts";
import { planCompaction, sortColumnOf, sortRows } from "./compaction_plan.ts";
import { type DataFile, describeDataFile } from "./data_file.ts";
import { dataFileKey, uriFromKey } from "./paths.ts";
import type { IcebergTable } from "./table_writer.ts";

/** What a compaction did. */
export interface CompactionResult {
  kind: "committed" | "noop";
  groups: number;
  inputs: number;
  outputs: DataFile[];
  snapshotId: string | null;
}

/** Compacts the live files of `table` (targetBytes per output file); `tag` names the outputs. */
export async function compactTable(
  store: BlobStore,
  table: IcebergTable,
  spec: TableSpec,
  options: { targetBytes: number; nowMs: number; tag: string },
): Promise<CompactionResult> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(options.tag)) throw new RangeError(`Bad compaction tag "${options.tag}"`);
  const groups = planCompaction(await table.liveFiles(), options.targetBytes);
  if (!groups.length) return { kind: "noop", groups: 0, inputs: 0, outputs: [], snapshotId: null };
  const column = sortColumnOf(spec);
  const outputs: DataFile[] = [];
  try {
    for (const [g, group] of groups.entries()) {
      let rows: AnyRow[] = [];
      for (const input of group.inputs) {
        const bytes = await store.get(input.key);
        if (!bytes) throw new Error(`Live data file ${input.path} is missing`);
        const read = decodeParquet(spec, bytes);
        if (read.length !== input.record_count) {
          throw new Error(`${input.path} holds ${read.length} rows, its manifest says ${input.record_count}`);
        }
        rows = rows.concat(read);
      }
      await writeSorted(sortRows(rows, column), `${options.tag}-g${g}`, group.day);
    }
    const result = await table.overwrite({
      added: outputs,
      deletePaths: groups.flatMap((g) => g.inputs.map((f) => f.path)),
      commitId: `compact-${options.tag}`,
      nowMs: options.nowMs,
      operation: "replace",
    });
    if (result.kind === "noop") throw new Error("compaction commit was a no-op");
    return {
      kind: "committed",
      groups: groups.length,
      inputs: groups.reduce((n, g) => n + g.inputs.length, 0),
      outputs,
      snapshotId: result.snapshotId.toString(),
    };
  } catch (error) {
    await store.delete(outputs.map((f) => f.key));
    throw error;
  }

  async function writeSorted(rows: AnyRow[], name: string, day: number): Promise<void> {
    const bytes = encodeParquet(spec, rows);
    if (bytes.length > options.targetBytes && rows.length > 1) {
      const half = Math.ceil(rows.length / 2);
      await writeSorted(rows.slice(0, half), `${name}a`, day);
      await writeSorted(rows.slice(half), `${name}b`, day);
      return;
    }
    const key = dataFileKey(table.prefix, spec.partition.name, day, `${name}.parquet`);
    await store.put(key, bytes);
    outputs.push(
      describeDataFile(spec, rows, {
        path: uriFromKey(table.location, table.prefix, key),
        key,
        sizeBytes: bytes.length,
      }),
    );
  }
}
