/**
 * Parquet encoding of lake rows: an exact-typed Arrow table (see arrow_table.ts) handed to
 * parquet-wasm through Arrow IPC and written with ZSTD. The wasm module is initialised once per
 * isolate by the composition root (workerd) or by `initParquetNode()` (Node, Deno).
 */
import { tableToIPC } from "apache-arrow";
import {
  Compression,
  initSync,
  Table as WasmTable,
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
