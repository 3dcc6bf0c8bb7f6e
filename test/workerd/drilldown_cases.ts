/**
 * The drill-down cases the workerd routes test checks against DuckDB (drilldown_setup.ts).
 * Shared by the Node setup and the workerd test; pure.
 */

/** Every fixture time is moved by this much (2026-01-01 → 2031-07-01), away from other tests' days. */
export const SHIFT_MS = Date.UTC(2031, 6, 1) - Date.UTC(2026, 0, 1);

export interface DrilldownCase {
  path: "timeseries" | "breakdown" | "top-pages" | "recent";
  params: Record<string, string | undefined> & { from?: string; to?: string };
}

export interface DrilldownFixture {
  rows: Array<Record<string, unknown>>;
  cases: DrilldownCase[];
  expected: unknown[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The cases; `eventTimes` (ascending) place the boundary cases exactly on an event. */
export function drilldownCases(eventTimes: number[]): DrilldownCase[] {
  const start = SHIFT_MS + Date.UTC(2026, 0, 1);
  // This range spans two UTC days, so two rollups answer (the rows all lie on 2031-07-01).
  const wide = { from: iso(start - 3_600_000), to: iso(start + 3_600_000) };
  const hour = { from: iso(start), to: iso(start + 3_600_000) };
  const t = eventTimes[Math.floor(eventTimes.length / 2)]!;
  const atTo = { from: iso(t - 600_000), to: iso(t) }; // the event at `to` is out
  const atFrom = { from: iso(t), to: iso(t + 600_000) }; // the event at `from` is in
  const odd = { from: "2031-07-01T02:07:13.250+02:00", to: "2031-07-01T00:21:59.999Z" }; // unaligned, zoned
  const empty = { from: "2031-08-01T00:00:00Z", to: "2031-08-01T06:00:00Z" };
  // Top pages read an edge covering most of its hour as the hour minus the rows outside:
  // 00:05–01:50 (both edges so), 00:01:00.5–00:59 (inside one hour, rows at both ends taken away).
  const mostOfHours = { from: "2031-07-01T00:05:00Z", to: "2031-07-01T01:50:00Z" };
  const mostOfOneHour = { from: "2031-07-01T00:01:00.500Z", to: "2031-07-01T00:59:00Z" };
  const cases: DrilldownCase[] = [];
  for (const bucket of ["1m", "5m", "1h"]) cases.push({ path: "timeseries", params: { ...wide, bucket } });
  cases.push(
    { path: "timeseries", params: { ...hour } },
    { path: "timeseries", params: { ...odd, bucket: "1m" } },
    { path: "timeseries", params: { ...hour, bucket: "1m", user_type: "BOT" } },
    { path: "timeseries", params: { ...wide, bucket: "5m", wiki: "enwiki", change_type: "edit" } },
    { path: "timeseries", params: { ...atTo, bucket: "1m" } },
    { path: "timeseries", params: { ...empty, bucket: "1h" } },
  );
  for (const by of ["user_type", "edit_size", "change_type", "wiki"]) {
    cases.push({ path: "breakdown", params: { ...wide, by } });
  }
  cases.push(
    { path: "breakdown", params: { ...wide, by: "wiki", limit: "3" } },
    { path: "breakdown", params: { ...hour, by: "wiki", limit: "100", edit_size: "LARGE" } },
    { path: "breakdown", params: { ...hour, by: "change_type", user_type: "ANONYMOUS", wiki: "enwiki" } },
    { path: "breakdown", params: { ...atTo, by: "user_type" } },
    { path: "breakdown", params: { ...atFrom, by: "user_type" } },
    { path: "breakdown", params: { ...empty, by: "wiki" } },
    { path: "top-pages", params: { ...wide } },
    { path: "top-pages", params: { ...wide, limit: "100" } },
    { path: "top-pages", params: { ...hour, limit: "1", wiki: "commonswiki" } },
    { path: "top-pages", params: { ...odd, change_type: "edit", limit: "25" } },
    { path: "top-pages", params: { ...empty } },
    { path: "top-pages", params: { ...mostOfHours, limit: "100" } },
    { path: "top-pages", params: { ...mostOfOneHour, limit: "100" } },
    { path: "top-pages", params: { ...mostOfOneHour, limit: "20", user_type: "BOT" } },
    { path: "recent", params: { ...wide } },
    { path: "recent", params: { ...wide, limit: "500" } },
    { path: "recent", params: { ...hour, limit: "7", user_type: "ANONYMOUS" } },
    { path: "recent", params: { ...atTo, limit: "5" } },
    { path: "recent", params: { ...atFrom, limit: "5" } },
    { path: "recent", params: { ...empty } },
  );
  return cases;
}
