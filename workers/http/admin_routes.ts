import { createRoute } from "@hono/zod-openapi";
import { requireAdmin } from "./auth.ts";
import { resetPipeline } from "../reset.ts";
import { startIngest, stopIngest } from "../pipeline.ts";
import { DEFAULT_MAX_FILES, runCorrection } from "../correction.ts";
import { correctionLookbackHours } from "./admin_params.ts";
import { BAD_REQUEST, openApiRoutes } from "./openapi_routes.ts";
import {
  ADMIN_ERRORS,
  ADMIN_ROUTE_SECURITY,
  AdminReport,
  CorrectionQuery,
  IngestStartQuery,
  json,
  ResetQuery,
} from "./ops_schemas.ts";

const guarded = openApiRoutes();
guarded.use("*", requireAdmin); // before each route's validator: 401/403 come before a 400

/** Admin API (bearer token): ingest start/stop, late-data correction, reset. */
export const adminRoutes = guarded
  .openapi(
    createRoute({
      method: "post",
      path: "/ingest/start",
      summary: "Starts ingestion; `url` points the ingestor at another SSE endpoint, `since` backfills",
      security: ADMIN_ROUTE_SECURITY,
      request: { query: IngestStartQuery },
      responses: { 200: json(AdminReport, "Control and ingestor state"), ...BAD_REQUEST, ...ADMIN_ERRORS },
    }),
    async (c) => {
      const { url, since } = c.req.valid("query");
      return c.json(await startIngest(c.env, { streamUrl: url ?? null, since: since ?? null }, "admin"), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/ingest/stop",
      summary: "Stops ingestion",
      security: ADMIN_ROUTE_SECURITY,
      responses: { 200: json(AdminReport, "Control and ingestor state"), ...ADMIN_ERRORS },
    }),
    async (c) => c.json(await stopIngest(c.env, "admin"), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/correction",
      summary: "Runs the late-data correction now",
      security: ADMIN_ROUTE_SECURITY,
      request: { query: CorrectionQuery },
      responses: { 200: json(AdminReport, "The correction report"), ...BAD_REQUEST, ...ADMIN_ERRORS },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const report = await runCorrection(c.env, {
        lookbackHours: q.lookback_hours ?? correctionLookbackHours(c.env.CORRECTION_LOOKBACK_HOURS),
        maxFiles: q.max_files ?? DEFAULT_MAX_FILES,
        now: Date.now(),
      });
      return c.json(report, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/reset",
      summary: "Deletes every table and all pipeline state (drill-down rollups and live hub included)",
      security: ADMIN_ROUTE_SECURITY,
      request: { query: ResetQuery },
      responses: { 200: json(AdminReport, "What was removed"), ...BAD_REQUEST, ...ADMIN_ERRORS },
    }),
    async (c) => c.json(await resetPipeline(c.env), 200),
  );
