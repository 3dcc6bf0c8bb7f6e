import { Hono } from "hono";
import { handleError, handleNotFound } from "./errors.ts";
import { readHealth } from "../pipeline.ts";
import { tablesRoutes } from "./tables_routes.ts";
import { kpisRoutes } from "./kpis_routes.ts";
import { adminRoutes } from "./admin_routes.ts";
import { deadLettersRoutes } from "./dead_letters_routes.ts";
import { eventsRoutes } from "./events_routes.ts";
import { anomaliesRoutes } from "./anomalies_routes.ts";
import { openApiDocumentRoutes } from "./openapi_document_routes.ts";
import { maintenanceRoutes } from "./maintenance_routes.ts";
import { metricsRoutes } from "./metrics_routes.ts";
import {
  readApiCors,
  readApiRateLimit,
  rejectMalformedRequest,
  requestLog,
  securityHeaders,
} from "./ops_routes.ts";
import { icebergCatalogRoutes } from "./iceberg_catalog_routes.ts";

/** The Worker's HTTP surface (DESIGN.md §4). */
export const app = new Hono<{ Bindings: Env }>()
  .use("*", requestLog, securityHeaders).use("/api/*", readApiCors, readApiRateLimit).use(
    "*",
    rejectMalformedRequest,
  )
  .get("/api/health", async (c) => c.json(await readHealth(c.env)))
  .route("/api/tables", tablesRoutes)
  .route("/api/kpis", kpisRoutes)
  .route("/api/events", eventsRoutes)
  .route("/api/anomalies", anomaliesRoutes)
  .route("/", openApiDocumentRoutes)
  .get("/api/live", (c) => c.env.LIVE_HUB.getByName("global").fetch(c.req.raw))
  .route("/api/admin/dead-letters", deadLettersRoutes)
  .route("/api/admin/maintenance", maintenanceRoutes)
  .route("/api/admin", adminRoutes)
  .route("/iceberg", icebergCatalogRoutes)
  .route("/metrics", metricsRoutes);

app.onError(handleError);
app.notFound(handleNotFound);
