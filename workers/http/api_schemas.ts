/**
 * Request and response schemas of the dashboards' read API (DESIGN.md §6), shared by the
 * routes (validation + OpenAPI) and the pages (types). Pure: zod only, no bindings.
 *
 * Query parameters arrive as strings; a repeated parameter arrives as an array (Hono's query
 * validator) and fails every schema here, so it is a 400.
 * @module
 */
import { z } from "@hono/zod-openapi";

/** Longest range one request may ask for: 168 hours. */
export const MAX_RANGE_HOURS = 168;
/** Longest range in ms. */
export const MAX_RANGE_MS = MAX_RANGE_HOURS * 3_600_000;
/** Range served when the request names no `from`: the hour before `to`. */
export const DEFAULT_RANGE_MS = 3_600_000;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Message for a parameter given more than once. */
function single(name: string) {
  return (issue: { input?: unknown }) =>
    Array.isArray(issue.input) ? `"${name}" must be given at most once` : undefined;
}

/** One string query parameter, named in its messages; a repeated one is a 400. */
export function param(name: string) {
  return z.string({ error: single(name) });
}

/** An ISO-8601 time with a zone, e.g. `2026-01-01T00:00:00Z`. */
export function isoTimeParam(name: string) {
  return param(name)
    .regex(ISO_TIME, `"${name}" must be an ISO-8601 time with a zone, e.g. 2026-01-01T00:00:00Z`)
    .refine((v) => Number.isFinite(Date.parse(v)), `"${name}" is not a valid time`)
    .openapi({ example: "2026-01-01T00:00:00Z", format: "date-time" });
}

/** Enumerations of silver columns. */
export const USER_TYPES = ["BOT", "REGISTERED", "ANONYMOUS"] as const;
export const EDIT_SIZES = ["LARGE", "SMALL", "LARGE_REMOVAL"] as const;
export const CHANGE_TYPES = ["edit", "new", "log", "categorize", "external"] as const;
export const BUCKETS = ["1m", "5m", "1h"] as const;
export const BREAKDOWN_BY = ["user_type", "edit_size", "change_type", "wiki"] as const;
/** Bucket widths in ms. */
export const BUCKET_MS: Record<Bucket, number> = { "1m": 60_000, "5m": 300_000, "1h": 3_600_000 };

/** One enumerated query parameter; a value outside `values` or a repeated one is a 400. */
export function enumParam<const T extends readonly [string, ...string[]]>(name: string, values: T) {
  return z.enum(values, {
    error: (issue) =>
      Array.isArray(issue.input)
        ? `"${name}" must be given at most once`
        : `"${name}" must be one of ${values.join(", ")}`,
  });
}

/** An integer `limit` in `[min, max]`, `fallback` when absent. */
export function limitParam(min: number, max: number, fallback: number) {
  return param("limit")
    .regex(/^\d{1,4}$/, `"limit" must be an integer from ${min} to ${max}`)
    .transform(Number)
    .pipe(
      z.number().int().min(min, `"limit" must be an integer from ${min} to ${max}`).max(
        max,
        `"limit" must be an integer from ${min} to ${max}`,
      ),
    )
    .optional()
    .default(fallback)
    .openapi({ type: "integer", minimum: min, maximum: max, default: fallback });
}

/** The four optional filters (one value each). */
export const FilterFields = {
  wiki: param("wiki").regex(/^[a-z0-9_]{1,64}$/, `"wiki" must match ^[a-z0-9_]{1,64}$`).optional()
    .openapi({ example: "enwiki" }),
  user_type: enumParam("user_type", USER_TYPES).optional(),
  edit_size: enumParam("edit_size", EDIT_SIZES).optional(),
  change_type: enumParam("change_type", CHANGE_TYPES).optional(),
};

/** The range `[from, to)`; `to` defaults to now, `from` to one hour before `to`. */
export const RangeFields = {
  from: isoTimeParam("from").optional(),
  to: isoTimeParam("to").optional(),
};

/** A resolved range in epoch ms, or a message for a 400. */
export type ResolvedRange = { ok: true; from: number; to: number } | { ok: false; message: string };

/** Fills the defaults and checks `from < to` and the 168-hour bound (pure). */
export function resolveRange(from: string | undefined, to: string | undefined, now: number): ResolvedRange {
  const toMs = to === undefined ? now : Date.parse(to);
  const fromMs = from === undefined ? toMs - DEFAULT_RANGE_MS : Date.parse(from);
  if (!Number.isFinite(toMs) || !Number.isFinite(fromMs)) return { ok: false, message: "invalid time" };
  if (fromMs >= toMs) return { ok: false, message: `"from" must be before "to"` };
  if (toMs - fromMs > MAX_RANGE_MS) {
    return { ok: false, message: `range too long: at most ${MAX_RANGE_HOURS} hours per request` };
  }
  return { ok: true, from: fromMs, to: toMs };
}

/** Adds the range check to an object schema with `from`/`to` (defaults resolved at `Date.now()`). */
function withRangeCheck<T extends z.ZodObject<typeof RangeFields & z.ZodRawShape>>(schema: T): T {
  return schema.superRefine((q, ctx) => {
    const r = resolveRange(q.from as string | undefined, q.to as string | undefined, Date.now());
    if (!r.ok) ctx.addIssue({ code: "custom", message: r.message, path: ["from"] });
  }) as T;
}

/** Query of every silver drill-down: range plus filters. */
export const EventsQuery = withRangeCheck(z.object({ ...RangeFields, ...FilterFields }));
export const TimeseriesQuery = withRangeCheck(
  z.object({
    ...RangeFields,
    ...FilterFields,
    bucket: enumParam("bucket", BUCKETS).optional().default("5m"),
  }),
);
export const BreakdownQuery = withRangeCheck(
  z.object({
    ...RangeFields,
    ...FilterFields,
    by: enumParam("by", BREAKDOWN_BY),
    limit: limitParam(1, 100, 20),
  }),
);
export const TopPagesQuery = withRangeCheck(
  z.object({ ...RangeFields, ...FilterFields, limit: limitParam(1, 100, 10) }),
);
export const RecentQuery = withRangeCheck(
  z.object({ ...RangeFields, ...FilterFields, limit: limitParam(1, 500, 50) }),
);
/** Gold reads take the range only (over `window_start`). */
export const AnomaliesQuery = withRangeCheck(z.object({ ...RangeFields }));

// ---------------------------------------------------------------- responses

/** An ISO-8601 UTC time as the API writes it. */
export const IsoString = z.string().openapi({ format: "date-time", example: "2026-01-01T00:00:00.000Z" });

/** The filters a request applied (only those given). */
export const Filters = z.object({
  wiki: z.string().optional(),
  user_type: z.enum(USER_TYPES).optional(),
  edit_size: z.enum(EDIT_SIZES).optional(),
  change_type: z.enum(CHANGE_TYPES).optional(),
}).openapi("Filters");

/** Echoed by every answer. */
const Echo = { from: IsoString, to: IsoString, filters: Filters };

export const TimeseriesPoint = z.object({
  t: IsoString,
  events: z.number().int(),
  bot: z.number().int(),
  human: z.number().int(),
}).openapi("TimeseriesPoint");

export const TimeseriesResponse = z.object({
  ...Echo,
  bucket: z.enum(BUCKETS),
  points: z.array(TimeseriesPoint),
}).openapi("TimeseriesResponse");

export const BreakdownResponse = z.object({
  ...Echo,
  by: z.enum(BREAKDOWN_BY),
  rows: z.array(z.object({ key: z.string(), events: z.number().int() })),
}).openapi("BreakdownResponse");

export const TopPage = z.object({
  wiki: z.string(),
  page_title: z.string(),
  edits: z.number().int(),
  url: z.string(),
}).openapi("TopPage");

export const TopPagesResponse = z.object({ ...Echo, rows: z.array(TopPage) }).openapi("TopPagesResponse");

/** A silver row as the API returns it (times as ISO-8601 UTC strings). */
export const SilverEvent = z.object({
  event_id: z.string(),
  event_time: IsoString,
  wiki: z.string(),
  server_name: z.string().nullable(),
  page_title: z.string(),
  namespace: z.number().int().nullable(),
  change_type: z.string(),
  user_name: z.string(),
  is_bot: z.boolean(),
  is_minor: z.boolean(),
  bytes_diff: z.number().int(),
  processing_delay_seconds: z.number().int(),
  edit_size: z.enum(EDIT_SIZES),
  user_type: z.enum(USER_TYPES),
  comment: z.string().nullable(),
  revision_new: z.number().int().nullable(),
  ingestion_time: IsoString,
}).openapi("SilverEvent");

export const RecentResponse = z.object({ ...Echo, events: z.array(SilverEvent) }).openapi("RecentResponse");

/** A gold window as in `/api/kpis` (and `event: window` of `/api/live`). */
export const KpiWindow = z.object({
  window_start: IsoString,
  window_end: IsoString,
  final: z.boolean(),
  corrected_pending: z.boolean(),
  late_events: z.number().int(),
  total_edits: z.number().int(),
  unique_editors: z.number().int(),
  active_pages: z.number().int(),
  bot_edits: z.number().int(),
  human_edits: z.number().int(),
  net_bytes_added: z.number().int(),
  avg_bytes_per_edit: z.number(),
  large_edits_count: z.number().int(),
  revert_like_edits: z.number().int(),
  volatility_score: z.number().int(),
  bot_edit_percentage: z.number(),
  edits_per_minute: z.number(),
  knowledge_trend: z.enum(["GROWING", "SHRINKING", "STABLE"]),
}).openapi("KpiWindow");

export const KpisResponse = z.object({
  from: IsoString.optional(),
  to: IsoString.optional(),
  windows: z.array(KpiWindow),
}).openapi("KpisResponse");

export const ANOMALY_SIGNALS = ["EDIT_SPIKE", "REVERT_WAVE"] as const;

export const Anomaly = z.object({
  window_start: IsoString,
  signal: z.enum(ANOMALY_SIGNALS),
  value: z.number(),
  mean: z.number(),
  stddev: z.number(),
  z: z.number(),
}).openapi("Anomaly");

export const AnomaliesResponse = z.object({ ...Echo, anomalies: z.array(Anomaly) }).openapi(
  "AnomaliesResponse",
);

/** `/api/live`: the data of `event: window` is a KpiWindow, of `event: recent` this. */
export const LiveRecentPayload = z.object({ events: z.array(SilverEvent) }).openapi("LiveRecentPayload");
/** SSE event names of `/api/live`. */
export const LIVE_EVENTS = ["window", "recent", "ready", "reset"] as const;
/** Query of `/api/live`: the filters, applied to `event: recent`. */
export const LiveQuery = z.object({ ...FilterFields });
/** `Last-Event-ID` as the hub writes it (`<epoch>-<seq>`); anything else is a 400. */
export const LiveHeaders = z.object({
  "last-event-id": param("Last-Event-ID")
    .regex(/^[0-9a-z]{1,24}-\d{1,15}$/, `"Last-Event-ID" must be an id this stream sent (<epoch>-<seq>)`)
    .optional(),
});

/** The JSON error body (workers/http/errors.ts). */
export const ErrorResponse = z.object({
  error: z.object({ status: z.number().int(), message: z.string() }),
}).openapi("Error");

export type Bucket = (typeof BUCKETS)[number];
export type BreakdownBy = (typeof BREAKDOWN_BY)[number];
export type UserType = (typeof USER_TYPES)[number];
export type EditSize = (typeof EDIT_SIZES)[number];
export type ChangeType = (typeof CHANGE_TYPES)[number];
export type FiltersT = z.infer<typeof Filters>;
export type EventsQueryT = z.infer<typeof EventsQuery>;
export type TimeseriesQueryT = z.infer<typeof TimeseriesQuery>;
export type BreakdownQueryT = z.infer<typeof BreakdownQuery>;
export type TopPagesQueryT = z.infer<typeof TopPagesQuery>;
export type RecentQueryT = z.infer<typeof RecentQuery>;
export type AnomaliesQueryT = z.infer<typeof AnomaliesQuery>;
export type TimeseriesPointT = z.infer<typeof TimeseriesPoint>;
export type TimeseriesResponseT = z.infer<typeof TimeseriesResponse>;
export type BreakdownResponseT = z.infer<typeof BreakdownResponse>;
export type TopPageT = z.infer<typeof TopPage>;
export type TopPagesResponseT = z.infer<typeof TopPagesResponse>;
export type SilverEventT = z.infer<typeof SilverEvent>;
export type RecentResponseT = z.infer<typeof RecentResponse>;
export type KpiWindowT = z.infer<typeof KpiWindow>;
export type KpisResponseT = z.infer<typeof KpisResponse>;
export type AnomalyT = z.infer<typeof Anomaly>;
export type AnomaliesResponseT = z.infer<typeof AnomaliesResponse>;
export type LiveRecentPayloadT = z.infer<typeof LiveRecentPayload>;
export type ErrorResponseT = z.infer<typeof ErrorResponse>;
