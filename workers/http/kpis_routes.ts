import { createRoute } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { WATERMARK_NAME } from "../../durable-objects/watermark/watermark_tracker_object.ts";
import { kpisAtSnapshot } from "./kpis_time_travel_routes.ts";
import { parseKpiRange } from "./kpi_query.ts";
import { render } from "../../durable-objects/gold_window/window_render_binding.ts";
import { BAD_REQUEST, openApiRoutes } from "./openapi_routes.ts";
import { ErrorResponse, KpisResponse, type KpiWindowT } from "./api_schemas.ts";
import { json, KpisAnswer, KpisQuery } from "./ops_schemas.ts";
import { jsonText, sharedRead } from "./shared_read_routes.ts";

/** Rendered windows have the KpiWindow shape (window_json.ts types them as a record). */
const asKpiWindows = (w: unknown) => w as KpiWindowT[];

export { render };

/** `GET /api/kpis?from=&to=` and `GET /api/kpis/latest`. */
export const kpisRoutes = openApiRoutes()
  .openapi(
    createRoute({
      method: "get",
      path: "/latest",
      summary: "The newest gold window (open or final)",
      responses: { 200: json(KpisResponse, "Zero or one window") },
    }),
    async (c) => {
      const env = c.env;
      const text = await sharedRead(c, "latest", async () => {
        const latest = await env.WATERMARK.getByName(WATERMARK_NAME).latest();
        return { windows: asKpiWindows(latest ? await render(env, [latest]) : []) };
      });
      return jsonText(c, KpisResponse, text);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      summary: "Gold windows whose window_start is in [from, to), final and open; or a past snapshot's",
      description: "Default range: the hour before the newest window's end; at most 168 h. With `as_of` or " +
        "`snapshot_id` (not both): the final windows of the gold snapshot current then (time travel).",
      request: { query: KpisQuery },
      responses: {
        200: json(KpisAnswer, "Windows ordered by window_start"),
        ...BAD_REQUEST,
        404: json(ErrorResponse, "Unknown or expired snapshot"),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const tracker = c.env.WATERMARK.getByName(WATERMARK_NAME);
      // The newest window is only the default end: a request that names `to` does not need it.
      const latest = q.to === undefined ? await tracker.latest() : null;
      const range = parseKpiRange(q.from, q.to, latest ? latest.start + 300_000 : Date.now());
      if (!range.ok) throw new HTTPException(400, { message: range.message });
      if (q.as_of !== undefined || q.snapshot_id !== undefined) {
        const answer = await kpisAtSnapshot(c.env, {
          from: range.from,
          to: range.to,
          asOf: q.as_of,
          snapshotId: q.snapshot_id,
        });
        return c.json({ ...answer, windows: asKpiWindows(answer.windows) }, 200);
      }
      const env = c.env;
      const text = await sharedRead(c, `range ${range.from} ${range.to}`, async () => {
        const entries = await tracker.windows(range.from, range.to);
        return {
          from: new Date(range.from).toISOString(),
          to: new Date(range.to).toISOString(),
          windows: asKpiWindows(await render(env, entries)),
        };
      });
      return jsonText(c, KpisAnswer, text);
    },
  );
