/**
 * The late-data correction's gold plan (core): which partition days to rewrite, their rows
 * (every final row of each day, recomputed ones replaced), the rows each day must hold before,
 * and a commit id that hashes the new rows so a retried correction is recognised.
 * @module
 */
import type { GoldRow } from "../../r2/tables/rows.ts";
import { dayOf } from "../../r2/iceberg/partition.ts";
import { stableId } from "../table_committer/committer_core.ts";

const DAY_MS = 86_400_000;

/** A final window's committed row (null: it had no on-time rows). */
export interface FinalWindow {
  start: number;
  row: GoldRow | null;
}

/** What the correction writes. */
export interface GoldCorrectionPlan {
  days: number[];
  rows: GoldRow[];
  expectedRows: Record<number, number>;
  commitId: string;
}

/** The [from, to) time range of partition day `day`. */
export function dayRange(day: number): { from: number; to: number } {
  return { from: day * DAY_MS, to: (day + 1) * DAY_MS };
}

/**
 * Plans the rewrite of the days holding `corrected` windows; `finalOfDay(day)` lists that day's
 * final windows as committed now.
 */
export function planGoldCorrection(
  corrected: ReadonlyMap<number, GoldRow | null>,
  finalOfDay: (day: number) => FinalWindow[],
): GoldCorrectionPlan {
  const days = [...new Set([...corrected.keys()].map(dayOf))].sort((a, b) => a - b);
  const rows: GoldRow[] = [];
  const expectedRows: Record<number, number> = {};
  for (const day of days) {
    const final = finalOfDay(day);
    expectedRows[day] = final.filter((w) => w.row !== null).length;
    for (const w of final) {
      const row = corrected.has(w.start) ? corrected.get(w.start) : w.row;
      if (row) rows.push(row);
    }
  }
  const commitId = `correction-${stableId(["gold-correction", JSON.stringify(rows), ...days.map(String)])}`;
  return { days, rows, expectedRows, commitId };
}
