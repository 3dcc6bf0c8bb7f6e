import { createRoute } from "@hono/zod-openapi";
import { requireAdmin } from "./auth.ts";
import { runMaintenance } from "../maintenance.ts";
import {
  MAINTENANCE_JOBS,
  type MaintenanceJob,
} from "../../durable-objects/table_committer/maintenance_core.ts";
import { TABLES } from "../../r2/tables/schemas.ts";
import { BAD_REQUEST, openApiRoutes } from "./openapi_routes.ts";
import { ADMIN_ERRORS, ADMIN_ROUTE_SECURITY, AdminReport, json, MaintenanceQuery } from "./ops_schemas.ts";

const TABLE_NAMES: readonly string[] = TABLES.map((t) => t.name);

const guarded = openApiRoutes();
guarded.use("*", requireAdmin); // before each route's validator: 401/403 come before a 400

/** `POST /api/admin/maintenance[?job=…][&table=…]` (admin): runs the jobs now, answers the report. */
export const maintenanceRoutes = guarded
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      summary: "Runs table maintenance now (no job: all, in order, on every table)",
      security: ADMIN_ROUTE_SECURITY,
      request: { query: MaintenanceQuery },
      responses: { 200: json(AdminReport, "The maintenance report"), ...BAD_REQUEST, ...ADMIN_ERRORS },
    }),
    async (c) => {
      const { job, table } = c.req.valid("query");
      const report = await runMaintenance(c.env, {
        jobs: job ? [job as MaintenanceJob] : MAINTENANCE_JOBS,
        tables: table ? [table] : TABLE_NAMES,
        now: Date.now(),
      });
      return c.json(report, 200);
    },
  );
