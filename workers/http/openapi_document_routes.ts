/**
 * `GET /api/openapi.json` (OpenAPI 3.1, generated from the zod schemas that validate the routes)
 * and `GET /docs` (the same document rendered for people).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { API_MOUNTS } from "./api_routes.ts";
import { openApiRoutes } from "./openapi_routes.ts";
import { renderApiDocs } from "./api_docs.ts";
import { ADMIN_SECURITY, json } from "./ops_schemas.ts";

const INFO = {
  title: "wikiflare",
  version: "0.1.0",
  description: "Real-time analytics over every Wikimedia edit: silver drill-downs, gold KPIs and signals, " +
    "live push, tables and the admin API (bearer token).",
};

const documentRoute = createRoute({
  method: "get",
  path: "/api/openapi.json",
  summary: "This OpenAPI 3.1 document",
  responses: { 200: json(z.looseObject({ openapi: z.string() }).openapi("OpenApiDocument"), "The document") },
});

/** The OpenAPI 3.1 document of every `/api` route. */
export function openApiDocument() {
  const all = openApiRoutes();
  for (const [path, routes] of API_MOUNTS) all.route(path, routes);
  all.openAPIRegistry.registerPath(documentRoute);
  all.openAPIRegistry.registerComponent("securitySchemes", ADMIN_SECURITY, {
    type: "http",
    scheme: "bearer",
    description: "Authorization: Bearer <ADMIN_TOKEN> (the Worker secret)",
  });
  return all.getOpenAPI31Document({ openapi: "3.1.0", info: INFO });
}

export const openApiDocumentRoutes = openApiRoutes()
  .openapi(documentRoute, (c) => c.json(openApiDocument(), 200))
  .get(
    "/docs",
    (c) => c.html(renderApiDocs(openApiDocument() as unknown as Parameters<typeof renderApiDocs>[0])),
  );
