import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { requireAdmin } from "./auth.ts";
import { runMaintenance } from "../maintenance.ts";
import {
  isMaintenanceJob,
  MAINTENANCE_JOBS,
} from "../../durable-objects/table_committer/maintenance_core.ts";
import { TABLES } from "../../r2/tables/schemas.ts";

const TABLE_NAMES: readonly string[] = TABLES.map((t) => t.name);

/** `POST /api/admin/maintenance[?job=…][&table=…]` (admin): runs the jobs now, answers the report. */
export const maintenanceRoutes = new Hono<{ Bindings: Env }>()
  .use("*", requireAdmin)
  .post("/", async (c) => {
    const job = c.req.query("job");
    const table = c.req.query("table");
    if (job !== undefined && !isMaintenanceJob(job)) {
      throw new HTTPException(400, { message: `"job" must be one of ${MAINTENANCE_JOBS.join(", ")}` });
    }
    if (table !== undefined && !TABLE_NAMES.includes(table)) {
      throw new HTTPException(400, { message: `"table" must be one of ${TABLE_NAMES.join(", ")}` });
    }
    return c.json(
      await runMaintenance(c.env, {
        jobs: job ? [job] : MAINTENANCE_JOBS,
        tables: table ? [table] : TABLE_NAMES,
        now: Date.now(),
      }),
    );
  });
