/**
 * Request and response schemas of the operational `/api` routes (health, tables, KPIs, admin),
 * used by those routes to validate and by `/api/openapi.json` to document them. Kept apart from
 * api_schemas.ts, which the pages bundle, because these name the tables and maintenance jobs.
 * Responses of operational routes are documented by their main fields and stay open
 * (`looseObject`): they carry nested status objects of the Durable Objects.
 * @module
 */
import { z } from "@hono/zod-openapi";
import {
  enumParam,
  ErrorResponse,
  IsoString,
  isoTimeParam,
  KpiWindow,
  limitParam,
  param,
} from "./api_schemas.ts";
import { MAINTENANCE_JOBS } from "../../durable-objects/table_committer/maintenance_core.ts";
import { TABLES } from "../../r2/tables/schemas.ts";

const TABLE_NAMES = TABLES.map((t) => t.name) as [string, ...string[]];
const json = <T>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** The name of the bearer security scheme of the admin routes. */
export const ADMIN_SECURITY = "adminBearer";

/** 401/403/503 of the admin guard (workers/http/auth.ts), documented on every admin route. */
export const ADMIN_ERRORS = {
  401: json(ErrorResponse, "No bearer token"),
  403: json(ErrorResponse, "Wrong bearer token"),
  503: json(ErrorResponse, "Admin API disabled: no ADMIN_TOKEN configured"),
} as const;

/** `security` of an admin route. */
export const ADMIN_ROUTE_SECURITY = [{ [ADMIN_SECURITY]: [] }];

/** `/api/kpis` query: the range (defaults in the route) and one of the time-travel selectors. */
export const KpisQuery = z.object({
  from: isoTimeParam("from").optional(),
  to: isoTimeParam("to").optional(),
  as_of: isoTimeParam("as_of").optional(),
  snapshot_id: param("snapshot_id").regex(/^\d{1,20}$/, `"snapshot_id" must be a snapshot id (digits)`)
    .optional()
    .openapi({ example: "7861062073175906458" }),
});

/** `/api/kpis` with `as_of`/`snapshot_id` also echoes them. */
export const KpisAnswer = z.object({
  from: IsoString.optional(),
  to: IsoString.optional(),
  as_of: IsoString.optional(),
  snapshot_id: z.string().optional(),
  windows: z.array(KpiWindow),
}).openapi("KpisAnswer");

/** Path of `/api/tables/{table}/snapshots`: a table name, with or without `wiki.`. */
export const TableParams = z.object({
  table: param("table").regex(/^[a-z0-9_.]{1,80}$/, `"table" must be a table name, e.g. gold_wiki_kpis`)
    .openapi({ param: { name: "table", in: "path" }, example: "gold_wiki_kpis" }),
});

export const HealthResponse = z.looseObject({
  status: z.enum(["ok", "degraded", "down"]),
  reasons: z.array(z.string()),
  now: IsoString,
  watermark: IsoString.nullable(),
  events: z.record(z.string(), z.number()),
  reconciled: z.boolean(),
}).openapi("Health");

export const TablesResponse = z.object({
  tables: z.array(z.looseObject({ name: z.string(), location: z.string() })),
})
  .openapi("Tables");

export const SnapshotsResponse = z.object({
  table: z.string(),
  current_snapshot_id: z.string().nullable(),
  snapshots: z.array(z.looseObject({ snapshot_id: z.string(), operation: z.string() })),
}).openapi("Snapshots");

/** `POST /api/admin/ingest/start` query. */
export const IngestStartQuery = z.object({
  url: param("url").max(2_048, `"url" must be an http(s) URL of at most 2048 characters`)
    .regex(/^https?:\/\//, `"url" must be an http(s) URL of at most 2048 characters`)
    .refine((u) => URL.canParse(u), `"url" must be an http(s) URL of at most 2048 characters`).optional()
    .openapi({ example: "http://127.0.0.1:8788/v2/stream/recentchange" }),
  since: isoTimeParam("since").optional(),
});

/** `POST /api/admin/correction` query (defaults: CORRECTION_LOOKBACK_HOURS, 200 files). */
export const CorrectionQuery = z.object({
  lookback_hours: boundedInt("lookback_hours", 1, 168),
  max_files: boundedInt("max_files", 1, 1_000),
});

/** `POST /api/admin/reset` query: the explicit confirmation. */
export const ResetQuery = z.object({
  confirm: z.enum(["yes"], {
    error: () => "Reset deletes every table and all pipeline state; repeat with ?confirm=yes",
  }),
});

/** `GET /api/admin/dead-letters`, `POST …/replay` query. */
export const DeadLettersQuery = z.object({ limit: limitParam(1, 1_000, 100) });

/** `POST /api/admin/maintenance` query. */
export const MaintenanceQuery = z.object({
  job: enumParam("job", MAINTENANCE_JOBS as unknown as [string, ...string[]]).optional(),
  table: enumParam("table", TABLE_NAMES).optional(),
});

/** The answer of an admin route: a report object (see README). */
export const AdminReport = z.looseObject({}).openapi("AdminReport");

function boundedInt(name: string, min: number, max: number) {
  const message = `"${name}" must be an integer from ${min} to ${max}`;
  return param(name).regex(/^\d{1,9}$/, message).transform(Number)
    .pipe(z.number().int().min(min, message).max(max, message)).optional()
    .openapi({ type: "integer", minimum: min, maximum: max });
}

/** Re-exported for the route files. */
export { json };
