import { createRoute } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { TABLES, tableSpec } from "../../r2/tables/schemas.ts";
import { tableLocation } from "../../r2/iceberg/paths.ts";
import { IcebergTable } from "../../r2/iceberg/table_writer.ts";
import { R2BlobStore } from "../../r2/r2_blob_store_binding.ts";
import { committerStub } from "../pipeline.ts";
import { BAD_REQUEST, openApiRoutes } from "./openapi_routes.ts";
import { ErrorResponse } from "./api_schemas.ts";
import { json, SnapshotsResponse, TableParams, TablesResponse } from "./ops_schemas.ts";

/** `GET /api/tables` and `GET /api/tables/:table/snapshots`. */
export const tablesRoutes = openApiRoutes()
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      summary: "The four Iceberg tables: location, schema, version, rows",
      responses: { 200: json(TablesResponse, "Every table") },
    }),
    async (c) => {
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
      return c.json({ tables }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{table}/snapshots",
      summary: "A table's kept snapshots and its current snapshot id",
      request: { params: TableParams },
      responses: {
        200: json(SnapshotsResponse, "Every kept snapshot"),
        ...BAD_REQUEST,
        404: json(ErrorResponse, "No such table"),
      },
    }),
    async (c) => {
      const name = c.req.valid("param").table.replace(/^wiki\./, "");
      if (!TABLES.some((t) => t.name === name)) {
        throw new HTTPException(404, { message: `No table "${name}"` });
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
      }, 200);
    },
  );
