/**
 * Pure layout of a committer's dedup claims: one SQLite table per UTC day of claim time
 * (`claims_d<day number>`), so the prune drops whole days (a DROP TABLE, proportional to what
 * it frees) instead of scanning every claim for its time, and a claim stays one written row (an
 * index on the claim time would write a second row per claim). A key is looked up in every
 * live day (≈ 10 under the 9-day horizon) and inserted into today's.
 */

/** One claim bucket: a UTC day of claim time. */
export const CLAIM_BUCKET_MS = 86_400_000;

/** The claims table of objects from before the day buckets (migrated as one bucket, see ClaimStore). */
export const LEGACY_CLAIMS_TABLE = "claims";

/** The bucket (UTC day number) of a claim made at `nowMs`. */
export function claimBucketDay(nowMs: number): number {
  if (!Number.isFinite(nowMs) || nowMs < 0) throw new RangeError(`claim time must be ≥ 0, got ${nowMs}`);
  return Math.floor(nowMs / CLAIM_BUCKET_MS);
}

/** The table of bucket `day` (a day number, never raw input). */
export function claimBucketTable(day: number): string {
  if (!Number.isSafeInteger(day) || day < 0) throw new RangeError(`claim bucket day must be ≥ 0, got ${day}`);
  return `claims_d${day}`;
}

/** Whether every claim of bucket `day` was made before `cutoffMs` (the bucket may be dropped). */
export function isBucketPast(day: number, cutoffMs: number): boolean {
  return (day + 1) * CLAIM_BUCKET_MS <= cutoffMs;
}
