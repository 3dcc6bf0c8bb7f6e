import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { TABLES, tableSpec } from "../../r2/tables/schemas.ts";
import { tableLocation } from "../../r2/iceberg/paths.ts";
import { IcebergTable } from "../../r2/iceberg/table_writer.ts";
import { R2BlobStore } from "../../r2/r2_blob_store_binding.ts";
import { committerStub } from "../pipeline.ts";

/** `GET /api/tables` and `GET /api/tables/:table/snapshots`. */
export const tablesRoutes = new Hono<{ Bindings: Env }>()
  .get("/", async (c) => {
    const tables = await Promise.all(TABLES.map(async (spec) => {
      const status = await committerStub(c.env, spec.name).status(spec.name);
      return {
        name: `wiki.${spec.name}`,
        location: tableLocation(c.env.LAKE_BUCKET_NAME, c.env.WAREHOUSE, spec.name),
        format_version: 2,
        partition: `day(${spec.columns.find((col) => col.id === spec.partition.sourceId)?.name})`,
        columns: spec.columns.map((col) => ({
          id: col.id,
          name: col.name,
          type: col.type,
          required: col.required,
        })),
        ...status,
      };
    }));
    return c.json({ tables });
  })
  .get("/:table/snapshots", async (c) => {
    const name = c.req.param("table").replace(/^wiki\./, "");
    if (!TABLES.some((t) => t.name === name)) {
      throw new HTTPException(400, {
        message: `"table" must be one of ${TABLES.map((t) => t.name).join(", ")}`,
      });
    }
    const table = new IcebergTable(new R2BlobStore(c.env.LAKE), {
      spec: tableSpec(name),
      bucket: c.env.LAKE_BUCKET_NAME,
      warehouse: c.env.WAREHOUSE,
    });
    const snapshots = await table.snapshots();
    const current = (await table.metadata())?.["current-snapshot-id"];
    return c.json({
      table: `wiki.${name}`,
      current_snapshot_id: current === undefined || current === null || current === -1n
        ? null
        : current.toString(),
      snapshots,
    });
  });
