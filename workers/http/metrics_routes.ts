/**
 * Shell: `GET /metrics` — Prometheus text exposition 0.0.4 of the `wikiflare_*` metrics
 * (DESIGN.md §6), read from the same durable reports as `/api/health`.
 */
import { Hono } from "hono";
import { committerStub, readHealth } from "../pipeline.ts";
import { requestWaitUntil } from "./health_routes.ts";
import { TABLES } from "../../r2/tables/schemas.ts";
import { buildMetrics, formatPrometheus, PROMETHEUS_CONTENT_TYPE } from "../metrics.ts";

export const metricsRoutes = new Hono<{ Bindings: Env }>().get("/", async (c) => {
  const [health, tableStatus] = await Promise.all([
    readHealth(c.env, requestWaitUntil(c)),
    Promise.all(TABLES.map((t) => committerStub(c.env, t.name).status(t.name))),
  ]);
  const body = formatPrometheus(buildMetrics({ ...health, tableStatus }));
  return c.body(body, 200, { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" });
});
