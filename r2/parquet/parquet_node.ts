/**
 * Node/Deno helper: loads parquet-wasm's module bytes from node_modules (workerd bundles the
 * `.wasm` import instead, see workers/main.ts).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { initParquet } from "./parquet_writer.ts";

/** Reads the parquet-wasm binary from node_modules. */
export async function readParquetWasm(): Promise<Uint8Array> {
  const path = createRequire(import.meta.url).resolve("parquet-wasm/esm/parquet_wasm_bg.wasm");
  return new Uint8Array(await readFile(path));
}

/** Initialises parquet-wasm from node_modules (idempotent). */
export async function initParquetNode(): Promise<void> {
  initParquet(await readParquetWasm());
}
