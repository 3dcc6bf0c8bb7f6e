/**
 * Parquet encoding of lake rows: an exact-typed Arrow table (see arrow_table.ts) handed to
 * parquet-wasm through Arrow IPC and written with ZSTD. The wasm module is initialised once per
 * isolate by the composition root (workerd) or by `initParquetNode()` (Node, Deno).
 */
import { tableToIPC } from "apache-arrow";
import {
  Compression,
  initSync,
  type RecordBatch as WasmRecordBatch,
  Table as WasmTable,
  transformParquetStream,
  writeParquet,
  WriterPropertiesBuilder,
} from "parquet-wasm/esm";
import type { TableSpec } from "../tables/schemas.ts";
import type { AnyRow } from "../tables/rows.ts";
import { buildArrowTable } from "./arrow_table.ts";

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

/** Encodes `rows` of the table `spec` as one ZSTD-compressed Parquet file with Iceberg field ids. */
export function encodeParquet(spec: TableSpec, rows: readonly AnyRow[]): Uint8Array {
  if (!initialised) throw new Error("parquet-wasm is not initialised: call initParquet() first");
  const ipc = tableToIPC(buildArrowTable(spec, rows), "stream");
  const properties = new WriterPropertiesBuilder()
    .setCompression(Compression.ZSTD)
    .setCreatedBy("wikiflare parquet-wasm")
    .build();
  return writeParquet(WasmTable.fromIPCStream(ipc), properties);
}

/** Rows a streamed file's row group holds at most (bounds the writer's buffered row group). */
export const STREAM_ROW_GROUP_ROWS = 65_536;

/**
 * Encodes chunks of rows as one Parquet file written as it goes: `next()` yields the next chunk
 * (or null at the end) and every encoded piece goes to `write` as soon as parquet-wasm emits it,
 * so only the row group being built is held. Returns the rows written.
 */
export async function encodeParquetStream(
  spec: TableSpec,
  next: () => Promise<readonly AnyRow[] | null>,
  write: (chunk: Uint8Array) => Promise<void>,
): Promise<number> {
  if (!initialised) throw new Error("parquet-wasm is not initialised: call initParquet() first");
  let rows = 0;
  const batches = new ReadableStream<WasmRecordBatch>({
    async pull(controller) {
      const chunk = await next();
      if (!chunk) return controller.close();
      rows += chunk.length;
      const table = WasmTable.fromIPCStream(tableToIPC(buildArrowTable(spec, chunk), "stream"));
      for (const batch of table.recordBatches()) controller.enqueue(batch);
      table.free(); // the batches hold their own references; wasm memory would grow with the rows
    },
  });
  const properties = new WriterPropertiesBuilder()
    .setCompression(Compression.ZSTD)
    .setMaxRowGroupSize(STREAM_ROW_GROUP_ROWS)
    .setCreatedBy("wikiflare parquet-wasm")
    .build();
  const bytes = await transformParquetStream(batches, properties) as ReadableStream<Uint8Array>;
  const reader = bytes.getReader();
  for (let piece = await reader.read(); !piece.done; piece = await reader.read()) await write(piece.value);
  return rows;
}
