import { Hono } from "hono";
import { handleError, handleNotFound } from "./errors.ts";
import { API_MOUNTS } from "./api_routes.ts";
import { openApiDocumentRoutes } from "./openapi_document_routes.ts";
import { metricsRoutes } from "./metrics_routes.ts";
import { readApiCors, requestLog, securityHeaders } from "./ops_routes.ts";
import { icebergCatalogRoutes } from "./iceberg_catalog_routes.ts";
import { s3ObjectRoutes } from "./s3_object_routes.ts";

/** The Worker's HTTP surface (DESIGN.md §4): the `/api` routes of api_routes.ts and the rest. */
export const app = new Hono<{ Bindings: Env }>()
  .use("*", requestLog, securityHeaders).use("/api/*", readApiCors);
for (const [path, routes] of API_MOUNTS) app.route(path, routes);
app.route("/", openApiDocumentRoutes)
  .route("/iceberg", icebergCatalogRoutes)
  .route("/metrics", metricsRoutes)
  .route("/", s3ObjectRoutes);

app.onError(handleError);
app.notFound(handleNotFound);
