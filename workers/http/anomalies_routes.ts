/**
 * `GET /api/anomalies?from=&to=` (DESIGN.md §6): EDIT_SPIKE / REVERT_WAVE over the final gold
 * windows the tracker committed, with the hour before `from` as the first windows' baseline.
 */
import { createRoute } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { AnomaliesQuery, AnomaliesResponse, resolveRange } from "./api_schemas.ts";
import { BAD_REQUEST, openApiRoutes } from "./openapi_routes.ts";
import { detectAnomalies } from "../../durable-objects/gold_window/anomalies.ts";
import { WATERMARK_NAME } from "../../durable-objects/watermark/watermark_tracker_object.ts";

const BASELINE_MS = 60 * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

export const anomaliesRoutes = openApiRoutes().openapi(
  createRoute({
    method: "get",
    path: "/",
    summary: "Anomaly signals (EDIT_SPIKE, REVERT_WAVE) over final gold windows",
    request: { query: AnomaliesQuery },
    responses: {
      200: {
        description: "Signals ordered by window_start, then signal",
        content: { "application/json": { schema: AnomaliesResponse } },
      },
      ...BAD_REQUEST,
    },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const range = resolveRange(q.from, q.to, Date.now());
    if (!range.ok) throw new HTTPException(400, { message: range.message });
    const entries = await c.env.WATERMARK.getByName(WATERMARK_NAME).windows(
      range.from - BASELINE_MS,
      range.to,
    );
    const finals = entries.flatMap((e) =>
      e.state === "final" && e.row
        ? [{
          window_start: e.start,
          total_edits: Number(e.row.total_edits),
          revert_like_edits: Number(e.row.revert_like_edits),
        }]
        : []
    );
    const anomalies = detectAnomalies(finals, range.from, range.to).map((a) => ({
      ...a,
      window_start: iso(a.window_start),
    }));
    return c.json({ from: iso(range.from), to: iso(range.to), filters: {}, anomalies }, 200);
  },
);
