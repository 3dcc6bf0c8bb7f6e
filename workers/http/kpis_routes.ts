import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { WATERMARK_NAME } from "../../durable-objects/watermark/watermark_tracker_object.ts";
import { kpisAtSnapshot } from "./kpis_time_travel_routes.ts";
import { parseKpiRange } from "./kpi_query.ts";
import { render } from "../../durable-objects/gold_window/window_render_binding.ts";

export { render };

/** `GET /api/kpis?from=&to=` and `GET /api/kpis/latest`. */
export const kpisRoutes = new Hono<{ Bindings: Env }>()
  .get("/latest", async (c) => {
    const latest = await c.env.WATERMARK.getByName(WATERMARK_NAME).latest();
    return c.json({ windows: latest ? await render(c.env, [latest]) : [] });
  })
  .get("/", async (c) => {
    const tracker = c.env.WATERMARK.getByName(WATERMARK_NAME);
    const latest = await tracker.latest();
    const range = parseKpiRange(
      c.req.query("from"),
      c.req.query("to"),
      latest ? latest.start + 300_000 : Date.now(),
    );
    if (!range.ok) throw new HTTPException(400, { message: range.message });
    const asOf = c.req.query("as_of");
    const snapshotId = c.req.query("snapshot_id");
    if (asOf !== undefined || snapshotId !== undefined) {
      return c.json(await kpisAtSnapshot(c.env, { from: range.from, to: range.to, asOf, snapshotId }));
    }
    const entries = await tracker.windows(range.from, range.to);
    return c.json({
      from: new Date(range.from).toISOString(),
      to: new Date(range.to).toISOString(),
      windows: await render(c.env, entries),
    });
  });
