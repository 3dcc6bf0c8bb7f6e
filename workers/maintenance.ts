/**
 * Shell: runs table maintenance jobs (DESIGN.md §6) through each table's TableCommitter (so a
 * job serialises with that table's streaming commits), logs one JSON line per job with its
 * report, and keeps the last run's report in the lake bucket for `/api/health`.
 */
import { SILVER, TABLES } from "../r2/tables/schemas.ts";
import { dayName } from "../durable-objects/events_rollup/rollup_query.ts";
import {
  ROLLUP_DROPS_PER_RUN,
  rollupRetentionDays,
  rollupsKeptFrom,
} from "../durable-objects/events_rollup/rollup_retention.ts";
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

/** What the EventsRollup retention did in a run (its own field beside DESIGN §6's `jobs`). */
export interface RollupRetentionReport {
  retention_days: number;
  /** Start of the oldest kept day (ISO): day objects before it are deleted. */
  kept_from: string;
  /** Days (YYYY-MM-DD) whose objects this run deleted. */
  days_dropped: string[];
  /** SQLite bytes those objects held. */
  bytes_freed: number;
  /** False when more days wait for the next run (at most ROLLUP_DROPS_PER_RUN per run). */
  complete: boolean;
  took_ms: number;
  error: string | null;
}

/** The answer of a maintenance run. */
export interface MaintenanceRun {
  jobs: JobReport[];
  took_ms: number;
  /** Present when the run includes `expire_snapshots` on silver (the drill-downs' source). */
  rollup_retention?: RollupRetentionReport;
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
  const retention = options.jobs.includes("expire_snapshots") && options.tables.includes(SILVER.name)
    ? { rollup_retention: await dropExpiredRollups(env, options.now) }
    : {};
  const run = { jobs: perTable.flat(), took_ms: Date.now() - started, ...retention };
  await env.LAKE.put(
    MAINTENANCE_REPORT_KEY,
    JSON.stringify({ at: new Date(options.now).toISOString(), ...run }),
  );
  return run;
}

/**
 * Deletes the EventsRollup day objects past ROLLUP_RETENTION_DAYS (whole objects, deleteAll),
 * the days taken from the WatermarkTracker's window registry; logs and reports what it did.
 */
export async function dropExpiredRollups(env: Env, nowMs: number): Promise<RollupRetentionReport> {
  const started = Date.now();
  const days = rollupRetentionDays(env.ROLLUP_RETENTION_DAYS);
  const keptFrom = rollupsKeptFrom(nowMs, days);
  const report: RollupRetentionReport = {
    retention_days: days,
    kept_from: new Date(keptFrom).toISOString(),
    days_dropped: [],
    bytes_freed: 0,
    complete: false,
    took_ms: 0,
    error: null,
  };
  try {
    const tracker = env.WATERMARK.getByName(WATERMARK_NAME);
    const due = await tracker.rollupDaysToDrop(keptFrom, ROLLUP_DROPS_PER_RUN);
    for (const day of due.days) {
      const { bytes_freed } = await env.EVENTS_ROLLUP.getByName(dayName(day)).drop();
      report.days_dropped.push(dayName(day));
      report.bytes_freed += bytes_freed;
    }
    const last = due.days.at(-1);
    await tracker.markRollupsDropped(due.complete ? keptFrom : last === undefined ? 0 : last + 86_400_000);
    report.complete = due.complete;
  } catch (error) {
    report.error = String(error);
  }
  report.took_ms = Date.now() - started;
  (report.error ? console.error : console.log)(JSON.stringify({ msg: "Rollup retention ran", ...report }));
  return report;
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
