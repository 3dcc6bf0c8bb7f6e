/**
 * `GET /api/live` (DESIGN.md §6): the SSE stream of the LiveHub. The route validates the
 * optional filters (applied to `event: recent`) and the `Last-Event-ID` a reconnecting
 * EventSource sends, then hands the stream to the hub.
 */
import { createRoute } from "@hono/zod-openapi";
import { LiveHeaders, LiveQuery } from "./api_schemas.ts";
import { BAD_REQUEST, openApiRoutes } from "./openapi_routes.ts";
import { LIVE_HUB_NAME } from "../../durable-objects/live_hub/live_hub_object.ts";

const DESCRIPTION = [
  "Server-sent events: `event: window` (a KpiWindow, each time a window changes, at most once per",
  "window per second, the final version always sent), `event: recent` (LiveRecentPayload: newly",
  "admitted silver rows passing the filters), `event: ready` (`{epoch, seq, resumed}`, after the",
  "initial frames) and `event: reset` (`{reason}`: the hub cannot resume from the given",
  "Last-Event-ID, or the pipeline was reset; reload the page's data). Every pushed frame has an",
  "`id`; reconnecting with `Last-Event-ID` replays exactly the frames missed. A comment every 10 s.",
].join(" ");

export const liveRoutes = openApiRoutes().openapi(
  createRoute({
    method: "get",
    path: "/",
    summary: "Live push of gold windows and admitted silver rows (SSE)",
    description: DESCRIPTION,
    request: { query: LiveQuery, headers: LiveHeaders },
    responses: {
      200: { description: "An SSE stream", content: { "text/event-stream": { schema: { type: "string" } } } },
      ...BAD_REQUEST,
    },
  }),
  (c) => {
    const q = c.req.valid("query");
    const { "last-event-id": lastEventId } = c.req.valid("header");
    const url = new URL("http://live-hub/api/live");
    for (const k of ["wiki", "user_type", "edit_size", "change_type"] as const) {
      if (q[k] !== undefined) url.searchParams.set(k, q[k]);
    }
    const headers = lastEventId === undefined ? undefined : { "last-event-id": lastEventId };
    return c.env.LIVE_HUB.getByName(LIVE_HUB_NAME).fetch(new Request(url, { headers }));
  },
);
