/**
 * `GET /api/events/{timeseries,breakdown,top-pages,recent}` (DESIGN.md §6): silver drill-downs
 * served by the EventsRollup of each UTC day the range touches.
 */
import { createRoute } from "@hono/zod-openapi";
import {
  BreakdownQuery,
  BreakdownResponse,
  BUCKET_MS,
  type FiltersT,
  RecentQuery,
  RecentResponse,
  resolveRange,
  TimeseriesQuery,
  TimeseriesResponse,
  TopPagesQuery,
  TopPagesResponse,
} from "./api_schemas.ts";
import { BAD_REQUEST, openApiRoutes } from "./openapi_routes.ts";
import {
  daysOf,
  fillBuckets,
  mergeCounts,
  mergeRecent,
  pageUrl,
  type RollupRange,
} from "../../durable-objects/events_rollup/rollup_query.ts";
import { silverEventJson } from "./silver_json.ts";
import { topPagesAcrossDays } from "../../durable-objects/events_rollup/top_pages_merge.ts";
import { HTTPException } from "hono/http-exception";
import { jsonText, sharedRead } from "./shared_read_routes.ts";
import {
  rollupRetentionDays,
  rollupsKeptFrom,
} from "../../durable-objects/events_rollup/rollup_retention.ts";

const ok = <T>(schema: T, description: string) => ({
  200: { description, content: { "application/json": { schema } } },
  ...BAD_REQUEST,
});

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The range, filters and echo of a validated query; a range that starts before the rollups'
 * retention (ROLLUP_RETENTION_DAYS: those day objects are deleted) is a 400 naming the first
 * kept time, rather than zeros for days that are gone.
 */
function scope(env: Env, q: { from?: string; to?: string } & FiltersT) {
  const now = Date.now();
  const range = resolveRange(q.from, q.to, now);
  if (!range.ok) throw new HTTPException(400, { message: range.message });
  const days = rollupRetentionDays(env.ROLLUP_RETENTION_DAYS);
  const keptFrom = rollupsKeptFrom(now, days);
  if (range.from < keptFrom) {
    throw new HTTPException(400, {
      message: `the drill-downs keep the last ${days} days: "from" must be ${iso(keptFrom)} or later`,
    });
  }
  const filters: FiltersT = {};
  if (q.wiki !== undefined) filters.wiki = q.wiki;
  if (q.user_type !== undefined) filters.user_type = q.user_type;
  if (q.edit_size !== undefined) filters.edit_size = q.edit_size;
  if (q.change_type !== undefined) filters.change_type = q.change_type;
  const rollup: RollupRange = { from: range.from, to: range.to, filters };
  return { rollup, echo: { from: iso(range.from), to: iso(range.to), filters } };
}

/** A shared read's key: the route and its validated range, filters and options (never raw input). */
function readKey(route: string, r: RollupRange, ...options: Array<string | number>): string {
  return JSON.stringify([route, r.from, r.to, r.filters, options]);
}

function rollups(env: Env, r: RollupRange) {
  return daysOf(r.from, r.to).map((day) => env.EVENTS_ROLLUP.getByName(day));
}

export const eventsRoutes = openApiRoutes()
  .openapi(
    createRoute({
      method: "get",
      path: "/timeseries",
      summary: "Silver events per time bucket (zeros included)",
      request: { query: TimeseriesQuery },
      responses: ok(TimeseriesResponse, "One point per bucket of the range, ordered by t"),
    }),
    async (c) => {
      const q = c.req.valid("query");
      const { rollup, echo } = scope(c.env, q);
      const bucketMs = BUCKET_MS[q.bucket];
      const env = c.env;
      const text = await sharedRead(c, readKey("timeseries", rollup, q.bucket), async () => {
        const parts = await Promise.all(rollups(env, rollup).map((s) => s.timeseries(rollup, bucketMs)));
        const points = fillBuckets(rollup.from, rollup.to, bucketMs, parts.flat()).map((p) => ({
          ...p,
          t: iso(p.t),
        }));
        return { ...echo, bucket: q.bucket, points };
      });
      return jsonText(c, TimeseriesResponse, text);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/breakdown",
      summary: "Silver events per user_type, edit_size, change_type or wiki",
      request: { query: BreakdownQuery },
      responses: ok(BreakdownResponse, "Rows ordered by events desc, then key asc"),
    }),
    async (c) => {
      const q = c.req.valid("query");
      const { rollup, echo } = scope(c.env, q);
      const env = c.env;
      const text = await sharedRead(c, readKey("breakdown", rollup, q.by, q.limit), async () => {
        const parts = await Promise.all(rollups(env, rollup).map((s) => s.breakdown(rollup, q.by)));
        return { ...echo, by: q.by, rows: mergeCounts(parts, q.limit) };
      });
      return jsonText(c, BreakdownResponse, text);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/top-pages",
      summary: "Most edited pages",
      request: { query: TopPagesQuery },
      responses: ok(TopPagesResponse, "Rows ordered by edits desc, wiki asc, page_title asc"),
    }),
    async (c) => {
      const q = c.req.valid("query");
      const { rollup, echo } = scope(c.env, q);
      const env = c.env;
      const text = await sharedRead(c, readKey("top-pages", rollup, q.limit), async () => {
        // Exact across days by the threshold algorithm: each day's top k, then keyed counts.
        const days = rollups(env, rollup).map((s) => ({
          top: (k: number | null) => s.topPages(rollup, k),
          counts: (pages: ReadonlyArray<readonly [string, string]>) => s.pageCounts(rollup, pages),
        }));
        const { rows: top } = await topPagesAcrossDays(days, q.limit);
        const rows = top.map((p) => ({
          wiki: p.wiki,
          page_title: p.page_title,
          edits: p.edits,
          url: pageUrl(p.server_name, p.wiki, p.page_title),
        }));
        return { ...echo, rows };
      });
      return jsonText(c, TopPagesResponse, text);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/recent",
      summary: "Newest silver events",
      request: { query: RecentQuery },
      responses: ok(RecentResponse, "Newest event_time first, ties by event_id asc"),
    }),
    async (c) => {
      const q = c.req.valid("query");
      const { rollup, echo } = scope(c.env, q);
      const env = c.env;
      const text = await sharedRead(c, readKey("recent", rollup, q.limit), async () => {
        const parts = await Promise.all(rollups(env, rollup).map((s) => s.recent(rollup, q.limit)));
        return { ...echo, events: mergeRecent(parts, q.limit).map(silverEventJson) };
      });
      return jsonText(c, RecentResponse, text);
    },
  );
