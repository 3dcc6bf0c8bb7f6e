/**
 * Pure retention of the EventsRollup day objects (the drill-downs' serving structure): today and
 * the `ROLLUP_RETENTION_DAYS` UTC days before it are kept; older day objects are deleted whole
 * by the maintenance run, and a drill-down range that ends before the kept days is refused.
 */

const DAY_MS = 86_400_000;

/** Days kept before today when ROLLUP_RETENTION_DAYS is unset. */
export const DEFAULT_ROLLUP_RETENTION_DAYS = 35;
/** Most day objects one maintenance run deletes (the next run continues). */
export const ROLLUP_DROPS_PER_RUN = 100;

/**
 * ROLLUP_RETENTION_DAYS as a whole number of days in [8, 3650] (the drill-downs' 168 h range plus
 * the correction's lookback fit in 8); unset → 35. Throws RangeError naming the bad value.
 */
export function rollupRetentionDays(text: string | undefined): number {
  if (text === undefined || text === "") return DEFAULT_ROLLUP_RETENTION_DAYS;
  const days = Number(text);
  if (!/^\d{1,4}$/.test(text) || days < 8 || days > 3650) {
    throw new RangeError(
      `ROLLUP_RETENTION_DAYS must be a whole number of days from 8 to 3650, got "${text}"`,
    );
  }
  return days;
}

/** Start (ms) of the oldest kept day at `nowMs`: days starting before it are past the retention. */
export function rollupsKeptFrom(nowMs: number, retentionDays: number): number {
  if (!Number.isFinite(nowMs)) throw new RangeError(`bad time ${nowMs}`);
  return (Math.floor(nowMs / DAY_MS) - retentionDays) * DAY_MS;
}
