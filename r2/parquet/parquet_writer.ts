/**
 * Parquet encoding of lake rows: exact-typed Arrow tables (see arrow_table.ts) handed to
 * parquet-wasm through Arrow IPC piece by piece and written with ZSTD. The wasm module is
 * initialised once per isolate by the composition root (workerd) or by `initParquetNode()` (Node,
 * Deno).
 */
import { tableToIPC } from "apache-arrow";
import {
  Compression,
  initSync,
  type RecordBatch as WasmRecordBatch,
  Table as WasmTable,
  transformParquetStream,
  WriterPropertiesBuilder,
} from "parquet-wasm/esm";
import type { TableSpec } from "../tables/schemas.ts";
import type { AnyRow } from "../tables/rows.ts";
import { buildArrowTable } from "./arrow_table.ts";
import { sliceRowChunks } from "./row_chunks.ts";

let initialised = false;

/** Initialises parquet-wasm from its compiled module or its bytes; later calls do nothing. */
export function initParquet(init: WebAssembly.Module | Uint8Array): void {
  if (initialised) return;
  initSync({ module: init as WebAssembly.Module | BufferSource });
  initialised = true;
}

/** Whether `initParquet` has run in this isolate. */
export function isParquetReady(): boolean {
  return initialised;
}

/**
 * Bounds of what one parquet-wasm call sees when a file is encoded (`encodeParquet`): each piece
 * of rows handed over (by rows and by estimated bytes, see row_chunks.ts) and each row group the
 * writer buffers before it writes it out (arrow-rs measures its encoded bytes). parquet-wasm's
 * memory grows to the largest call's need and never shrinks, so these bound what an isolate
 * keeps, whatever the file's size: 7,550 bronze rows (10 MB of raw JSON) grew it to 33.5 MB as
 * one piece and one row group, ≈ 10 MB within these bounds, for 2–3 % more bytes.
 */
export const ENCODE_LIMITS = {
  chunkRows: 16_384,
  chunkBytes: 256 * 1024,
  rowGroupBytes: 1024 * 1024,
} as const;

/**
 * Encodes `rows` of the table `spec` as one ZSTD-compressed Parquet file with Iceberg field ids,
 * in pieces within ENCODE_LIMITS. No rows: a file with the schema and no row.
 */
export async function encodeParquet(spec: TableSpec, rows: readonly AnyRow[]): Promise<Uint8Array> {
  const chunks = rows.length
    ? sliceRowChunks(spec, rows, { maxRows: ENCODE_LIMITS.chunkRows, maxBytes: ENCODE_LIMITS.chunkBytes })
    : [rows].values();
  const pieces: Uint8Array[] = [];
  await encodeParquetStream(
    spec,
    () => Promise.resolve(chunks.next().value ?? null),
    (piece) => {
      pieces.push(piece);
      return Promise.resolve();
    },
    { maxRows: STREAM_ROW_GROUP_ROWS, maxBytes: ENCODE_LIMITS.rowGroupBytes },
  );
  return concatBytes(pieces);
}

/** Rows a streamed file's row group holds at most (bounds the writer's buffered row group). */
export const STREAM_ROW_GROUP_ROWS = 65_536;

/** When the writer closes a row group: at `maxRows` rows, or at `maxBytes` encoded bytes if set. */
export interface RowGroupLimits {
  maxRows: number;
  maxBytes?: number;
}

/**
 * Encodes chunks of rows as one Parquet file written as it goes: `next()` yields the next chunk
 * (or null at the end) and every encoded piece goes to `write` as soon as parquet-wasm emits it,
 * so only the row group being built is held. Returns the rows written. A chunk's bad value
 * rejects with the TypeError of buildArrowTable (its row numbered in the file).
 */
export async function encodeParquetStream(
  spec: TableSpec,
  next: () => Promise<readonly AnyRow[] | null>,
  write: (chunk: Uint8Array) => Promise<void>,
  rowGroups: RowGroupLimits = { maxRows: STREAM_ROW_GROUP_ROWS },
): Promise<number> {
  if (!initialised) throw new Error("parquet-wasm is not initialised: call initParquet() first");
  let rows = 0;
  const failed: unknown[] = []; // what made the source fail, rethrown as is
  const batches = new ReadableStream<WasmRecordBatch>({
    async pull(controller) {
      try {
        const chunk = await next();
        if (!chunk) return controller.close();
        const table = WasmTable.fromIPCStream(tableToIPC(buildArrowTable(spec, chunk, rows), "stream"));
        rows += chunk.length;
        for (const batch of table.recordBatches()) controller.enqueue(batch);
        table.free(); // the batches hold their own references; wasm memory would grow with the rows
      } catch (error) {
        failed.push(error);
        throw error;
      }
    },
  });
  let builder = new WriterPropertiesBuilder()
    .setCompression(Compression.ZSTD)
    .setMaxRowGroupSize(rowGroups.maxRows)
    .setCreatedBy("wikiflare parquet-wasm");
  if (rowGroups.maxBytes !== undefined) builder = builder.setMaxRowGroupBytes(rowGroups.maxBytes);
  try {
    const bytes = await transformParquetStream(batches, builder.build()) as ReadableStream<Uint8Array>;
    const reader = bytes.getReader();
    for (let piece = await reader.read(); !piece.done; piece = await reader.read()) await write(piece.value);
  } catch (error) {
    throw failed.length ? failed[0] : error;
  }
  // parquet-wasm ends a file normally when its source fails after the first batch: the rows
  // before the failure would pass for the whole file.
  if (failed.length) throw failed[0];
  return rows;
}

function concatBytes(pieces: readonly Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0];
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  pieces.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}
