/**
 * `GET /api/kpis?…&as_of=ISO` or `&snapshot_id=N` (DESIGN.md §6): the final windows of the gold
 * table's snapshot current at that time, read from that snapshot's manifests and data files.
 * Both parameters → 400; an unknown or expired snapshot (or a time before the oldest kept
 * one) → 404. Ids stay strings/BigInts.
 */
import { HTTPException } from "hono/http-exception";
import { R2BlobStore } from "../../r2/r2_blob_store_binding.ts";
import { IcebergTable } from "../../r2/iceberg/table_writer.ts";
import { parseSnapshotId, readSnapshotRows, snapshotAsOf } from "../../r2/iceberg/time_travel.ts";
import { GOLD } from "../../r2/tables/schemas.ts";
import type { GoldRow } from "../../r2/tables/rows.ts";
import { isIsoTime, windowJson } from "./kpi_query.ts";

const DAY_MS = 86_400_000;

/** The time-travel answer of /api/kpis. */
export async function kpisAtSnapshot(
  env: Env,
  query: { from: number; to: number; asOf?: string; snapshotId?: string },
) {
  if (query.asOf !== undefined && query.snapshotId !== undefined) {
    throw new HTTPException(400, { message: `Give "as_of" or "snapshot_id", not both` });
  }
  let asOfMs: number | null = null;
  let id: bigint | null = null;
  if (query.asOf !== undefined) {
    asOfMs = isIsoTime(query.asOf) ? Date.parse(query.asOf) : NaN;
    if (!Number.isFinite(asOfMs)) {
      throw new HTTPException(400, { message: `"as_of" must be an ISO-8601 time with a zone` });
    }
  } else {
    id = parseSnapshotId(query.snapshotId!);
    if (id === null) {
      throw new HTTPException(400, { message: `"snapshot_id" must be a snapshot id (digits)` });
    }
  }
  const store = new R2BlobStore(env.LAKE);
  const table = new IcebergTable(store, {
    spec: GOLD,
    bucket: env.LAKE_BUCKET_NAME,
    warehouse: env.WAREHOUSE,
  });
  const metadata = await table.metadata();
  const snapshot = metadata &&
    (asOfMs !== null
      ? snapshotAsOf(metadata, asOfMs)
      : metadata.snapshots.find((s) => s["snapshot-id"] === id));
  if (!snapshot) {
    throw new HTTPException(404, {
      message: asOfMs !== null
        ? `No kept gold snapshot was current at ${query.asOf}`
        : `No kept gold snapshot ${query.snapshotId}`,
    });
  }
  const rows = await readSnapshotRows(
    store,
    { location: table.location, prefix: table.prefix },
    GOLD,
    snapshot,
    {
      from: Math.floor(query.from / DAY_MS),
      to: Math.floor((query.to - 1) / DAY_MS),
    },
  ) as unknown as GoldRow[];
  const windows = rows.filter((r) => r.window_start >= query.from && r.window_start < query.to)
    .sort((a, b) => a.window_start - b.window_start)
    .map((r) => windowJson(r, true, 0));
  return {
    from: new Date(query.from).toISOString(),
    to: new Date(query.to).toISOString(),
    ...(asOfMs !== null ? { as_of: new Date(asOfMs).toISOString() } : {}),
    snapshot_id: snapshot["snapshot-id"].toString(),
    windows,
  };
}
