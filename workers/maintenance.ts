/**
 * Shell: runs table maintenance jobs (DESIGN.md §6) through each table's TableCommitter (so a
 * job serialises with that table's streaming commits), logs one JSON line per job with its
 * report, and keeps the last run's report in the lake bucket for `/api/health`.
 */
import { TABLES } from "../r2/tables/schemas.ts";
import {
  claimHorizonMs,
  type JobReport,
  jobReport,
  type MaintenanceJob,
  maintenancePolicy,
} from "../durable-objects/table_committer/maintenance_core.ts";
import { committerName } from "../durable-objects/table_committer/committer_core.ts";
import { WATERMARK_NAME } from "../durable-objects/watermark/watermark_tracker_object.ts";

/** Where the last maintenance report is kept (outside the warehouse, beside the dead letters). */
export const MAINTENANCE_REPORT_KEY = "maintenance/last_report.json";

/** The answer of a maintenance run. */
export interface MaintenanceRun {
  jobs: JobReport[];
  took_ms: number;
}

/** Runs `jobs` in order on each of `tables` (one table's jobs one after another). */
export async function runMaintenance(
  env: Env,
  options: { jobs: readonly MaintenanceJob[]; tables: readonly string[]; now: number },
): Promise<MaintenanceRun> {
  const started = Date.now();
  const policy = maintenancePolicy(env);
  const perTable = await Promise.all(options.tables.map(async (table) => {
    const reports: JobReport[] = [];
    for (const job of options.jobs) {
      const started = Date.now();
      const report = await (env.TABLE_COMMITTER.getByName(committerName(table))
        .maintain(table, job, policy, options.now) as Promise<JobReport>)
        .catch((error: unknown) => failedReport(table, job, Date.now() - started, String(error)));
      const log = report.status === "failed" ? console.error : console.log;
      log(JSON.stringify({ msg: "Maintenance job ran", ...report }));
      reports.push(report);
    }
    return reports;
  }));
  const run = { jobs: perTable.flat(), took_ms: Date.now() - started };
  await env.LAKE.put(
    MAINTENANCE_REPORT_KEY,
    JSON.stringify({ at: new Date(options.now).toISOString(), ...run }),
  );
  return run;
}

/** Prunes every table committer's dedup state older than the claim horizon (claimHorizonMs). */
export async function pruneAllClaims(env: Env, nowMs: number, lookbackHours: number) {
  const horizon = claimHorizonMs(lookbackHours);
  return await Promise.all(TABLES.map(async (t) => ({
    table: t.name,
    ...await env.TABLE_COMMITTER.getByName(committerName(t.name)).pruneClaims(t.name, horizon, nowMs),
  })));
}

/** Calls of WatermarkTracker.retireWindows per run (each retires at most 500 windows). */
const RETIRE_CALLS_MAX = 20;

/**
 * Retires the GoldWindows that ended more than the claim horizon ago (claimHorizonMs): they keep
 * their final aggregate and drop their per-event rows. Bounded per run; the next run continues.
 */
export async function retireGoldWindows(env: Env, nowMs: number, lookbackHours: number) {
  const horizon = claimHorizonMs(lookbackHours);
  const tracker = env.WATERMARK.getByName(WATERMARK_NAME);
  let [windows, rowsDeleted, more] = [0, 0, true];
  for (let call = 0; call < RETIRE_CALLS_MAX && more; call++) {
    const report = await tracker.retireWindows(nowMs, horizon);
    windows += report.windows;
    rowsDeleted += report.rows_deleted;
    more = report.more && report.windows > 0;
  }
  return { windows, rows_deleted: rowsDeleted, more };
}

/** The report of a job whose committer call itself failed (the table state is unknown). */
function failedReport(table: string, job: MaintenanceJob, tookMs: number, error: string): JobReport {
  const unknown = { snapshotId: null, files: 0, bytes: 0, manifests: 0 };
  return jobReport({ table, job, status: "failed", before: unknown, after: unknown, tookMs, error });
}

/** The last run's report (with its `at` time), or null before the first run. */
export async function readLastMaintenance(env: Env): Promise<Record<string, unknown> | null> {
  const object = await env.LAKE.get(MAINTENANCE_REPORT_KEY);
  return object ? await object.json() : null;
}
