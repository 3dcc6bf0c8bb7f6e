/**
 * Test support: writes rows as Parquet data files of a table (one file per partition day), the
 * way the queue consumer does, and returns their DataFile descriptors.
 */
import type { BlobStore } from "../blob_store.ts";
import type { IcebergTable } from "../iceberg/table_writer.ts";
import { type DataFile, describeDataFile, groupByPartition } from "../iceberg/data_file.ts";
import { dataFileKey, uriFromKey } from "../iceberg/paths.ts";
import { encodeParquet } from "../parquet/parquet_writer.ts";
import type { TableSpec } from "../tables/schemas.ts";
import type { AnyRow } from "../tables/rows.ts";

/** A written data file and the rows it holds. */
export interface WrittenFile {
  file: DataFile;
  rows: AnyRow[];
}

/** Writes `rows` as `<name>-<day>.parquet` files under the table's data directory. */
export async function writeDataFiles(
  store: BlobStore,
  table: IcebergTable,
  spec: TableSpec,
  rows: readonly AnyRow[],
  name: string,
): Promise<WrittenFile[]> {
  const written: WrittenFile[] = [];
  for (const [day, dayRows] of groupByPartition(spec, rows)) {
    const bytes = await encodeParquet(spec, dayRows);
    const key = dataFileKey(table.prefix, spec.partition.name, day, `${name}-${day}.parquet`);
    await store.put(key, bytes);
    const path = uriFromKey(table.location, table.prefix, key);
    written.push({
      file: describeDataFile(spec, dayRows, { path, key, sizeBytes: bytes.length }),
      rows: dayRows,
    });
  }
  return written;
}
