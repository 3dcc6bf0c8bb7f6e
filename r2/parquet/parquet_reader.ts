/**
 * Parquet decoding of lake rows (the inverse of parquet_writer.ts): parquet-wasm reads the file
 * into Arrow IPC, apache-arrow's reader turns it into rows. Timestamps come back as epoch ms,
 * `long` columns as numbers (a value beyond 2^53 is an error, never a silent rounding).
 */
import { tableFromIPC } from "apache-arrow";
import { readParquet } from "parquet-wasm/esm";
import type { TableSpec } from "../tables/schemas.ts";
import type { AnyRow } from "../tables/rows.ts";
import { isParquetReady } from "./parquet_writer.ts";

/**
 * Decodes a Parquet file written for table `spec` into rows (or only rows [offset, offset +
 * limit) of it); RangeError when a column is missing.
 */
export function decodeParquet(
  spec: TableSpec,
  bytes: Uint8Array,
  window?: { offset: number; limit: number },
): AnyRow[] {
  if (!isParquetReady()) throw new Error("parquet-wasm is not initialised: call initParquet() first");
  // With `window`, only those rows are decoded (a chunk of a big file, bounded memory).
  const table = tableFromIPC(readParquet(bytes, window ?? null).intoIPCStream());
  const columns = spec.columns.map((column) => {
    const vector = table.getChild(column.name);
    if (!vector) throw new RangeError(`Parquet file lacks column "${column.name}" of ${spec.name}`);
    return { column, vector };
  });
  const rows: AnyRow[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const row: Record<string, unknown> = {};
    for (const { column, vector } of columns) row[column.name] = plainValue(vector.get(i), column.name);
    rows.push(row as unknown as AnyRow);
  }
  return rows;
}

function plainValue(value: unknown, name: string): unknown {
  if (typeof value !== "bigint") return value ?? null;
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`Column "${name}" holds ${value}, beyond 2^53`);
  return n;
}
