/**
 * Every schema-validated `/api` sub-app and where it is mounted, in mount order. app.ts mounts
 * them and the OpenAPI document is generated from the same list, so a route cannot be served
 * without being documented (openapi_document_routes_test.ts checks it against `app.routes`).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { healthRoutes } from "./health_routes.ts";
import { tablesRoutes } from "./tables_routes.ts";
import { kpisRoutes } from "./kpis_routes.ts";
import { eventsRoutes } from "./events_routes.ts";
import { anomaliesRoutes } from "./anomalies_routes.ts";
import { liveRoutes } from "./live_routes.ts";
import { deadLettersRoutes } from "./dead_letters_routes.ts";
import { maintenanceRoutes } from "./maintenance_routes.ts";
import { adminRoutes } from "./admin_routes.ts";

// deno-lint-ignore no-explicit-any
type AnyRoutes = OpenAPIHono<{ Bindings: Env }, any, any>;

/** `[mount path, sub-app]`; the more specific admin prefixes come before `/api/admin`. */
export const API_MOUNTS: ReadonlyArray<readonly [string, AnyRoutes]> = [
  ["/api/health", healthRoutes],
  ["/api/tables", tablesRoutes],
  ["/api/kpis", kpisRoutes],
  ["/api/events", eventsRoutes],
  ["/api/anomalies", anomaliesRoutes],
  ["/api/live", liveRoutes],
  ["/api/admin/dead-letters", deadLettersRoutes],
  ["/api/admin/maintenance", maintenanceRoutes],
  ["/api/admin", adminRoutes],
];
