/**
 * Test support (workerd): one table of the local lake as a test drives it by hand — Parquet
 * initialised, the R2 store, the table's IcebergTable and its TableCommitter stub — and the
 * committer's stage input for files the test wrote.
 */
import { env } from "cloudflare:workers";
import wasm from "parquet-wasm/esm/parquet_wasm_bg.wasm";
import { committerName } from "../../durable-objects/table_committer/committer_core.ts";
import { initParquet } from "../../r2/parquet/parquet_writer.ts";
import { R2BlobStore } from "../../r2/r2_blob_store_binding.ts";
import { IcebergTable } from "../../r2/iceberg/table_writer.ts";
import type { TableSpec } from "../../r2/tables/schemas.ts";
import type { WrittenFile } from "../../r2/testing/lake_fixture.ts";

/** The store, table and committer of `spec` in the test's local lake. */
export function openLakeTable(spec: TableSpec) {
  initParquet(wasm);
  const store = new R2BlobStore(env.LAKE);
  const table = new IcebergTable(store, { spec, bucket: env.LAKE_BUCKET_NAME, warehouse: env.WAREHOUSE });
  const committer = env.TABLE_COMMITTER.getByName(committerName(spec.name));
  return { store, table, committer };
}

/** The TableCommitter `stage` input of files a test wrote for `spec` (stage and owner both `tag`). */
export function stageInput(spec: TableSpec, tag: string, written: readonly WrittenFile[]) {
  return {
    table: spec.name,
    stageId: tag,
    owners: [tag],
    files: written.map((w) => w.file),
    rows: written.reduce((n, w) => n + w.rows.length, 0),
    duplicates: 0,
  };
}
