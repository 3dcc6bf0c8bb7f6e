/**
 * Pure parts of table maintenance (DESIGN.md §6 "Maintenance"): the job names, the policy read
 * from wrangler.toml vars (bounded, with defaults), and the per-job report shape.
 */
import {
  DEFAULT_GOLD_SNAPSHOT_MAX_AGE_HOURS,
  DEFAULT_SNAPSHOT_MAX_AGE_HOURS,
  DEFAULT_SNAPSHOT_RETAIN_LAST,
} from "../../r2/iceberg/expire_plan.ts";
import { GOLD } from "../../r2/tables/schemas.ts";
import { DEFAULT_ORPHAN_MIN_AGE_HOURS } from "../../r2/iceberg/orphan_plan.ts";

/** The maintenance jobs, in the order "all jobs" runs them. */
export const MAINTENANCE_JOBS = [
  "compact",
  "rewrite_manifests",
  "expire_snapshots",
  "remove_orphans",
] as const;
/** One maintenance job. */
export type MaintenanceJob = (typeof MAINTENANCE_JOBS)[number];

/** Whether `name` is a maintenance job. */
export function isMaintenanceJob(name: string): name is MaintenanceJob {
  return (MAINTENANCE_JOBS as readonly string[]).includes(name);
}

/** The knobs of the jobs (hours and counts from the vars). */
export interface MaintenancePolicy {
  snapshotMaxAgeHours: number;
  /** The gold table's own snapshot age (`/api/kpis?as_of=` reaches back this far). */
  goldSnapshotMaxAgeHours: number;
  snapshotRetainLast: number;
  orphanMinAgeHours: number;
  targetFileMb: number;
}

/** Vars the policy is read from (all optional strings). */
export interface MaintenanceVars {
  SNAPSHOT_MAX_AGE_HOURS?: string;
  GOLD_SNAPSHOT_MAX_AGE_HOURS?: string;
  SNAPSHOT_RETAIN_LAST?: string;
  ORPHAN_MIN_AGE_HOURS?: string;
  MAINTENANCE_TARGET_FILE_MB?: string;
}

const bounded = (text: string | undefined, fallback: number, min: number, max: number) => {
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new RangeError(`Maintenance var must be a number in [${min}, ${max}], got "${text}"`);
  }
  return n;
};

/** The policy from the vars; throws RangeError naming a var out of bounds. */
export function maintenancePolicy(vars: MaintenanceVars): MaintenancePolicy {
  return {
    snapshotMaxAgeHours: bounded(vars.SNAPSHOT_MAX_AGE_HOURS, DEFAULT_SNAPSHOT_MAX_AGE_HOURS, 0, 24 * 365),
    goldSnapshotMaxAgeHours: bounded(
      vars.GOLD_SNAPSHOT_MAX_AGE_HOURS,
      DEFAULT_GOLD_SNAPSHOT_MAX_AGE_HOURS,
      0,
      24 * 365,
    ),
    snapshotRetainLast: Math.floor(
      bounded(vars.SNAPSHOT_RETAIN_LAST, DEFAULT_SNAPSHOT_RETAIN_LAST, 1, 100_000),
    ),
    // Below an hour a slow commit's freshly written files could look orphaned.
    orphanMinAgeHours: bounded(vars.ORPHAN_MIN_AGE_HOURS, DEFAULT_ORPHAN_MIN_AGE_HOURS, 1, 24 * 365),
    targetFileMb: bounded(vars.MAINTENANCE_TARGET_FILE_MB, 64, 1, 1024),
  };
}

/**
 * The snapshot age expiry keeps for `table`: gold's own (it commits about once per finished
 * 5-minute window, ≈ 0.24 MB of metadata a day), every other table's from SNAPSHOT_MAX_AGE_HOURS
 * (they commit every COMMIT_INTERVAL_SECONDS, and every commit rewrites the metadata whole).
 */
export function snapshotMaxAgeHoursOf(policy: MaintenancePolicy, table: string): number {
  return table === GOLD.name ? policy.goldSnapshotMaxAgeHours : policy.snapshotMaxAgeHours;
}

/**
 * How long dedup claims are kept. Wikimedia EventStreams is backed by Kafka and lets a client
 * resume (Last-Event-ID or `since`) only as far back as Kafka retains the topic, about 7 days
 * (https://wikitech.wikimedia.org/wiki/Event_Platform/EventStreams,
 * https://diff.wikimedia.org/2018/08/08/eventstreams-updates/), so no duplicate can arrive
 * later than that; the late-data correction re-reads `lookbackHours` of bronze on top; one day
 * of margin covers clock skew and a delayed cron.
 */
export function claimHorizonMs(lookbackHours: number): number {
  return (7 * 24 + lookbackHours + 24) * 3_600_000;
}

/** What one job did to one table (DESIGN.md §6; ids as strings, they are 63-bit). */
export interface JobReport {
  table: string;
  job: MaintenanceJob;
  status: "done" | "nothing_to_do" | "failed";
  snapshot_id: string | null;
  files_before: number;
  files_after: number;
  bytes_before: number;
  bytes_after: number;
  manifests_before: number;
  manifests_after: number;
  snapshots_expired: number;
  files_deleted: number;
  took_ms: number;
  error: string | null;
}

/** The counts of a table state a report compares. */
export interface TableCounts {
  snapshotId: string | null;
  files: number;
  bytes: number;
  manifests: number;
}

/** The report of a job from the counts before and after it. */
export function jobReport(input: {
  table: string;
  job: MaintenanceJob;
  status: JobReport["status"];
  before: TableCounts;
  after: TableCounts;
  snapshotsExpired?: number;
  filesDeleted?: number;
  tookMs: number;
  error?: string | null;
}): JobReport {
  return {
    table: input.table,
    job: input.job,
    status: input.status,
    snapshot_id: input.after.snapshotId,
    files_before: input.before.files,
    files_after: input.after.files,
    bytes_before: input.before.bytes,
    bytes_after: input.after.bytes,
    manifests_before: input.before.manifests,
    manifests_after: input.after.manifests,
    snapshots_expired: input.snapshotsExpired ?? 0,
    files_deleted: input.filesDeleted ?? 0,
    took_ms: input.tookMs,
    error: input.error ?? null,
  };
}
