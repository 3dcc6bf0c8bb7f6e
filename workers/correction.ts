/**
 * Shell: the late-data correction job (cron and `POST /api/admin/correction`).
 * 1. Re-reads the bronze data files of the lookback period (default 24 h) that no earlier run
 *    re-read, classifies their events again and merges the valid ones into silver by event_id:
 *    claims make an event already in silver a no-op, so only events that never reached silver
 *    (e.g. a message dead-lettered half-way) are added — and handed to the gold windows.
 * 2. Has the WatermarkTracker recompute every final window holding late rows and replace their
 *    gold rows in one overwrite snapshot.
 * Running it twice changes nothing the second time.
 */
import { BRONZE, SILVER } from "../r2/tables/schemas.ts";
import type { BronzeRow } from "../r2/tables/rows.ts";
import { IcebergTable } from "../r2/iceberg/table_writer.ts";
import { R2BlobStore } from "../r2/r2_blob_store_binding.ts";
import type { DataFile } from "../r2/iceberg/data_file.ts";
import { decodeParquet } from "../r2/parquet/parquet_reader.ts";
import { planSilver, splitClaimed } from "./queue/process_raw_events.ts";
import { admitToGold } from "./queue/ingest_messages.ts";
import { writeAndStage } from "./lake_writer.ts";
import { committerStub } from "./pipeline.ts";
import { stableId } from "../durable-objects/table_committer/committer_core.ts";
import { WATERMARK_NAME } from "../durable-objects/watermark/watermark_tracker_object.ts";
import type { GoldCorrectionReport } from "../durable-objects/watermark/gold_correction.ts";

export { DEFAULT_LOOKBACK_HOURS, DEFAULT_MAX_FILES } from "./correction_defaults.ts";
const INGESTION_TIME_FIELD = 7;

/** Options of one run. */
export interface CorrectionOptions {
  lookbackHours: number;
  maxFiles: number;
  now: number;
}

/** What one run did. */
export interface CorrectionReport {
  lookback_hours: number;
  bronze: { files_read: number; files_remaining: number; events_read: number; merged_into_silver: number };
  gold: GoldCorrectionReport;
  took_ms: number;
}

/** Runs the correction: bronze re-read and silver merge, then the gold replacement. */
export async function runCorrection(env: Env, options: CorrectionOptions): Promise<CorrectionReport> {
  const began = Date.now();
  const bronze = await mergeBronze(env, options);
  const gold = await env.WATERMARK.getByName(WATERMARK_NAME).correct();
  return { lookback_hours: options.lookbackHours, bronze, gold, took_ms: Date.now() - began };
}

async function mergeBronze(env: Env, options: CorrectionOptions): Promise<CorrectionReport["bronze"]> {
  const since = options.now - options.lookbackHours * 3_600_000;
  const table = new IcebergTable(new R2BlobStore(env.LAKE), {
    spec: BRONZE,
    bucket: env.LAKE_BUCKET_NAME,
    warehouse: env.WAREHOUSE,
  });
  const recent = (await table.liveFiles()).filter((f) => latestIngestion(f) >= since);
  const tracker = env.WATERMARK.getByName(WATERMARK_NAME);
  const todo = new Set(await tracker.unverifiedFiles(recent.map((f) => f.path)));
  const batch = recent.filter((f) => todo.has(f.path)).slice(0, options.maxFiles);
  const report = {
    files_read: 0,
    files_remaining: todo.size - batch.length,
    events_read: 0,
    merged_into_silver: 0,
  };
  for (const file of batch) {
    const object = await env.LAKE.get(file.key);
    if (!object) throw new Error(`Bronze data file ${file.key} is named by the table but missing from R2`);
    const rows = decodeParquet(BRONZE, new Uint8Array(await object.arrayBuffer())) as BronzeRow[];
    report.merged_into_silver += await mergeRows(env, `correction:${stableId([file.path])}`, rows);
    report.events_read += rows.length;
    report.files_read++;
    await tracker.markVerified([file.path]);
  }
  return report;
}

/** Merges one file's valid events into silver (new event_ids only) and the gold windows. */
async function mergeRows(env: Env, owner: string, rows: BronzeRow[]): Promise<number> {
  const { silverCandidates } = planSilver(rows);
  const claim = await committerStub(env, SILVER.name).claim(SILVER.name, [
    { owner, keys: silverCandidates.map((r) => r.event_id) },
  ]);
  const merged = splitClaimed(silverCandidates, claim.newKeys[owner] ?? []).rows;
  if (!merged.length) return 0;
  // Not duplicates of the stream: these events were simply already in silver.
  await writeAndStage(env, SILVER, [{ owner, rows: merged, duplicates: 0 }], claim.stagedOwners);
  await admitToGold(env, [{ owner, rows: merged }]);
  return merged.length;
}

/** The largest ingestion_time in a bronze file (its upper bound), or +∞ when unknown. */
function latestIngestion(file: DataFile): number {
  const bound = file.upper_bounds[INGESTION_TIME_FIELD];
  if (!bound || bound.length !== 8) return Infinity;
  return Number(new DataView(bound.buffer, bound.byteOffset, 8).getBigInt64(0, true) / 1000n);
}
