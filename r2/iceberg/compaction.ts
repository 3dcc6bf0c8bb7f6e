/**
 * Shell of compaction, streamed: for each group of compaction_plan.ts, the event-time slices of
 * compaction_slices.ts are read one at a time (only the inputs overlapping a slice, each decoded
 * in chunks of READ_CHUNK_ROWS), sorted in memory and appended to a Parquet file written as it
 * goes to an R2 multipart upload. A file is closed before its estimated size passes 90 % of the
 * target, and the next one continues the sorted sequence, so every output is sorted by event
 * time and within the target. All groups commit as one Iceberg `replace` snapshot (deleted and
 * added files, equal deleted/added records, totals unchanged); a failure deletes the outputs.
 */
import type { BlobStore } from "../blob_store.ts";
import { MultipartWriter } from "../multipart_writer.ts";
import { decodeParquet } from "../parquet/parquet_reader.ts";
import { encodeParquetStream } from "../parquet/parquet_writer.ts";
import type { TableSpec } from "../tables/schemas.ts";
import type { AnyRow } from "../tables/rows.ts";
import { type CompactionGroup, planCompaction, sortColumnOf, sortRows } from "./compaction_plan.ts";
import { halveSlice, planSlices, type TimeSlice } from "./compaction_slices.ts";
import { ColumnStatsAccumulator } from "./column_stats.ts";
import type { DataFile } from "./data_file.ts";
import { dataFileKey, uriFromKey } from "./paths.ts";
import type { IcebergTable } from "./table_writer.ts";

/** Rows of one slice held in memory at most (the default of `maxRowsInMemory`). */
export const DEFAULT_MAX_ROWS_IN_MEMORY = 20_000;
/** Rows decoded from an input at a time. */
const READ_CHUNK_ROWS = 10_000;
/** Share of the target an output is filled to by estimate (room for the estimate's error). */
const FILL = 0.9;

/** What a compaction did. */
export interface CompactionResult {
  kind: "committed" | "noop";
  groups: number;
  inputs: number;
  outputs: DataFile[];
  snapshotId: string | null;
}

/** Options of `compactTable`. */
export interface CompactionOptions {
  targetBytes: number;
  nowMs: number;
  /** Names the outputs (`^[A-Za-z0-9_-]{1,64}$`). */
  tag: string;
  /** Rows of one event-time slice held at once (default DEFAULT_MAX_ROWS_IN_MEMORY). */
  maxRowsInMemory?: number;
}

/** Compacts the live files of `table` (targetBytes per output file); `tag` names the outputs. */
export async function compactTable(
  store: BlobStore,
  table: IcebergTable,
  spec: TableSpec,
  options: CompactionOptions,
): Promise<CompactionResult> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(options.tag)) throw new RangeError(`Bad compaction tag "${options.tag}"`);
  const maxRows = options.maxRowsInMemory ?? DEFAULT_MAX_ROWS_IN_MEMORY;
  const groups = planCompaction(await table.liveFiles(), options.targetBytes);
  if (!groups.length) return { kind: "noop", groups: 0, inputs: 0, outputs: [], snapshotId: null };
  const outputs: DataFile[] = [];
  try {
    for (const [g, group] of groups.entries()) {
      const written = await rewriteGroup(store, table, spec, group, {
        name: `${options.tag}-g${g}`,
        targetBytes: options.targetBytes,
        maxRows,
      });
      outputs.push(...written);
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
}

/** Rewrites one group into sorted files within the target; deletes its own outputs on failure. */
async function rewriteGroup(
  store: BlobStore,
  table: IcebergTable,
  spec: TableSpec,
  group: CompactionGroup,
  options: { name: string; targetBytes: number; maxRows: number },
): Promise<DataFile[]> {
  const expectedRows = group.inputs.reduce((n, f) => n + f.record_count, 0);
  let bytesPerRow = group.bytes / Math.max(1, expectedRows);
  const budget = options.targetBytes * FILL;
  const chunkRows = () => Math.max(1, Math.min(options.maxRows, Math.floor(budget / bytesPerRow / 4)));
  const chunks = sortedChunks(store, spec, group, options.maxRows, chunkRows);
  let pending = await nextChunk(chunks);
  const outputs: DataFile[] = [];
  try {
    while (pending) {
      const key = dataFileKey(
        table.prefix,
        spec.partition.name,
        group.day,
        `${options.name}-${outputs.length}.parquet`,
      );
      const upload = new MultipartWriter(await store.createMultipart(key));
      const stats = new ColumnStatsAccumulator(spec);
      let rows = 0;
      try {
        await encodeParquetStream(spec, async () => {
          if (!pending || (rows > 0 && (rows + pending.length) * bytesPerRow > budget)) return null;
          const chunk = pending;
          stats.add(chunk);
          rows += chunk.length;
          pending = await nextChunk(chunks);
          return chunk;
        }, (piece) => upload.write(piece));
      } catch (error) {
        await upload.abort();
        throw error;
      }
      const size = await upload.finish();
      outputs.push({
        path: uriFromKey(table.location, table.prefix, key),
        key,
        record_count: rows,
        file_size_in_bytes: size,
        partition_day: group.day,
        ...stats.result(),
      });
      bytesPerRow = Math.max(bytesPerRow, size / rows); // later files use what this one showed
    }
    const written = outputs.reduce((n, f) => n + f.record_count, 0);
    if (written !== expectedRows) {
      throw new Error(`${options.name}: wrote ${written} rows, the inputs' manifests say ${expectedRows}`);
    }
    return outputs;
  } catch (error) {
    await store.delete(outputs.map((f) => f.key));
    throw error;
  }
}

async function nextChunk(chunks: AsyncIterator<AnyRow[]>): Promise<AnyRow[] | null> {
  const next = await chunks.next();
  return next.done ? null : next.value;
}

/** The group's rows in event-time order, in chunks; a slice over twice its expected rows is halved. */
async function* sortedChunks(
  store: BlobStore,
  spec: TableSpec,
  group: CompactionGroup,
  maxRows: number,
  chunkRows: () => number,
): AsyncGenerator<AnyRow[]> {
  const column = sortColumnOf(spec);
  const queue = planSlices(group.inputs, spec.partition.sourceId, maxRows);
  while (queue.length) {
    const slice = queue.shift()!;
    const rows = await readSlice(store, spec, slice, column, 2 * maxRows);
    if (rows === null) {
      queue.unshift(...halveSlice(slice)!);
      continue;
    }
    const sorted = sortRows(rows, column);
    for (let i = 0; i < sorted.length; i += chunkRows()) yield sorted.slice(i, i + chunkRows());
  }
}

/** The slice's rows, or null when there are more than `cap` and the slice can still be halved. */
async function readSlice(
  store: BlobStore,
  spec: TableSpec,
  slice: TimeSlice,
  column: string,
  cap: number,
): Promise<AnyRow[] | null> {
  const inSlice = (row: AnyRow) => {
    const v = (row as unknown as Record<string, number | null>)[column];
    if (slice.from === null) return v === null || v === undefined;
    return v !== null && v !== undefined && v >= slice.from && v < slice.to!;
  };
  const rows: AnyRow[] = [];
  for (const input of slice.inputs) {
    const bytes = await store.get(input.key);
    if (!bytes) throw new Error(`Live data file ${input.path} is missing`);
    let seen = 0;
    for (let offset = 0; offset < input.record_count; offset += READ_CHUNK_ROWS) {
      const chunk = decodeParquet(spec, bytes, { offset, limit: READ_CHUNK_ROWS });
      seen += chunk.length;
      for (const row of chunk) if (inSlice(row)) rows.push(row);
      if (rows.length > cap && halveSlice(slice)) return null;
    }
    if (seen !== input.record_count) {
      throw new Error(`${input.path} holds ${seen} rows, its manifest says ${input.record_count}`);
    }
  }
  return rows;
}
