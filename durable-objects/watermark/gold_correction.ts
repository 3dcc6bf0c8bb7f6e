/**
 * Shell: the late-data correction's gold step, run by the WatermarkTracker under its lock.
 * Recomputes every final window that holds late rows from its GoldWindow (the window's silver
 * rows, kept by event_id), then rewrites the partition days of those windows — every final row
 * of each day, corrected ones replaced — in one overwrite snapshot of gold_wiki_kpis. The
 * commit id hashes the new rows, so a retry after a crash is a no-op; a second run finds no
 * late rows and changes nothing.
 */
import type { GoldRow } from "../../r2/tables/rows.ts";
import { GOLD } from "../../r2/tables/schemas.ts";
import { dayRange, planGoldCorrection } from "./correction_plan.ts";
import { windowName } from "../gold_window/kpi.ts";
import { committerStub, writeDataFiles } from "../table_committer/lake_writer_binding.ts";
import type { TrackerTables } from "./tracker_tables_binding.ts";

/** What the gold step did. */
export interface GoldCorrectionReport {
  /** Windows whose rows were recomputed and replaced. */
  windows: string[];
  late_events: number;
  days: string[];
  commit: "committed" | "already_committed" | "none";
  snapshot_id: string | null;
  rows_written: number;
  files_deleted: number;
}

/** Recomputes and replaces the gold rows of every final window that holds late rows. */
export async function correctGold(env: Env, tables: TrackerTables): Promise<GoldCorrectionReport> {
  const late = tables.lateFinalWindows();
  const none: GoldCorrectionReport = {
    windows: [],
    late_events: 0,
    days: [],
    commit: "none",
    snapshot_id: null,
    rows_written: 0,
    files_deleted: 0,
  };
  if (!late.length) return none;
  const corrected = new Map<number, GoldRow | null>();
  for (const w of late) {
    corrected.set(w.start, (await env.GOLD_WINDOW.getByName(windowName(w.start)).snapshot(w.start)).row);
  }
  const { days, rows, expectedRows, commitId } = planGoldCorrection(corrected, (day) => {
    const { from, to } = dayRange(day);
    return tables.finalWindows(from, to);
  });
  const files = await writeDataFiles(env, GOLD, rows, `${commitId}.parquet`);
  const committer = committerStub(env, GOLD.name);
  const result = await committer.replacePartitions({ table: GOLD.name, commitId, days, files, expectedRows });
  if (!result.ok) throw new Error(`Gold correction refused: ${result.reason}`);
  for (const w of late) await env.GOLD_WINDOW.getByName(windowName(w.start)).clearLate(w.start);
  tables.applyCorrection(
    late.map((w) => ({ start: w.start, row: corrected.get(w.start) ?? null })),
    Date.now(),
  );
  const status = await committer.status(GOLD.name);
  return {
    windows: late.map((w) => windowName(w.start)),
    late_events: late.reduce((n, w) => n + w.late, 0),
    days: days.map((d) => new Date(dayRange(d).from).toISOString().slice(0, 10)),
    commit: result.kind === "noop" ? "none" : result.kind,
    snapshot_id: status.snapshot_id,
    rows_written: rows.length,
    files_deleted: result.deleted,
  };
}
