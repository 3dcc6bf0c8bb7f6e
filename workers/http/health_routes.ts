/** `GET /api/health` (DESIGN.md §4, §6): the pipeline's state, counts and reasons. */
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
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
  async (c) => c.json(await readHealth(c.env, requestWaitUntil(c)), 200),
);

/** The request's `waitUntil`, when it has an execution context (`app.request` in tests has none). */
export function requestWaitUntil(c: Context): ((p: Promise<unknown>) => void) | undefined {
  try {
    const ctx = c.executionCtx;
    return (p) => ctx.waitUntil(p);
  } catch {
    return undefined;
  }
}
