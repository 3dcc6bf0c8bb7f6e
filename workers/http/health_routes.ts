/** `GET /api/health` (DESIGN.md §4, §6): the pipeline's state, counts and reasons. */
import { createRoute } from "@hono/zod-openapi";
import { readHealth } from "../pipeline.ts";
import { openApiRoutes } from "./openapi_routes.ts";
import { HealthResponse, json } from "./ops_schemas.ts";

export const healthRoutes = openApiRoutes().openapi(
  createRoute({
    method: "get",
    path: "/",
    summary: "Pipeline health: status and reasons, reconciling event counts, watermark, tables",
    description: "The HTTP status is 200 in every state: monitors read `status` and `reasons`.",
    responses: { 200: json(HealthResponse, "The health report") },
  }),
  async (c) => c.json(await readHealth(c.env), 200),
);
