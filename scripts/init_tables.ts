/**
 * `npm run init [-- --persist-to .wrangler/state]` — creates the four Iceberg tables
 * (v1 metadata, no snapshots) in the local R2 bucket. Idempotent: existing tables are kept.
 * The TableCommitters also create a missing table before their first commit.
 */
import { parseArgs } from "node:util";
import { randomUUID } from "node:crypto";
import { DEFAULT_BUCKET, DEFAULT_PERSIST_DIR, DEFAULT_WAREHOUSE, openLocalLake } from "./lib/local_lake.ts";
import { TABLES } from "../r2/tables/schemas.ts";
import { IcebergTable } from "../r2/iceberg/table_writer.ts";
import { R2BlobStore } from "../r2/r2_blob_store_binding.ts";

const { values } = parseArgs({
  options: {
    "persist-to": { type: "string", default: DEFAULT_PERSIST_DIR },
    warehouse: { type: "string", default: DEFAULT_WAREHOUSE },
    bucket: { type: "string", default: DEFAULT_BUCKET },
  },
});
const lake = await openLocalLake(values["persist-to"], values.bucket, { create: true });
try {
  for (const spec of TABLES) {
    const table = new IcebergTable(new R2BlobStore(lake.bucket as never), {
      spec,
      bucket: values.bucket,
      warehouse: values.warehouse,
    });
    const result = await table.create(Date.now(), randomUUID());
    console.error(`wiki.${spec.name}: ${result.created ? "created" : "exists"} (v${result.version})`);
  }
} finally {
  await lake.close();
}
