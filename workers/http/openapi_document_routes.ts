/**
 * `GET /api/openapi.json` (OpenAPI 3.1, generated from the zod schemas that validate the routes)
 * and `GET /docs` (the same document rendered for people).
 */
import { Hono } from "hono";
import { anomaliesRoutes } from "./anomalies_routes.ts";
import { eventsRoutes } from "./events_routes.ts";
import { openApiRoutes } from "./openapi_routes.ts";
import { renderApiDocs } from "./api_docs.ts";

const INFO = {
  title: "wikiflare",
  version: "0.1.0",
  description: "Real-time analytics over every Wikimedia edit: silver drill-downs, gold KPIs and signals.",
};

/** The OpenAPI 3.1 document of the schema-validated `/api` routes. */
export function openApiDocument() {
  return openApiRoutes()
    .route("/api/events", eventsRoutes)
    .route("/api/anomalies", anomaliesRoutes)
    .getOpenAPI31Document({ openapi: "3.1.0", info: INFO });
}

export const openApiDocumentRoutes = new Hono<{ Bindings: Env }>()
  .get("/api/openapi.json", (c) => c.json(openApiDocument()))
  .get(
    "/docs",
    (c) => c.html(renderApiDocs(openApiDocument() as unknown as Parameters<typeof renderApiDocs>[0])),
  );
