import { DurableObject } from "cloudflare:workers";
import { GOLD } from "../../r2/tables/schemas.ts";
import type { GoldRow } from "../../r2/tables/rows.ts";
import { windowName } from "../gold_window/kpi.ts";
import { advanceWatermark, watermarkOf, windowsToFinalize } from "./watermark.ts";
import { writeAndStage } from "../../workers/lake_writer.ts";

/** The one tracker's instance name. */
export const WATERMARK_NAME = "global";

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS windows (start INTEGER PRIMARY KEY, state TEXT NOT NULL, row TEXT, late INTEGER NOT NULL DEFAULT 0, finalized_at INTEGER)",
];

/** What the consumer reports after feeding the windows. */
export interface WindowReport {
  start: number;
  inserted: number;
  late: number;
}

/** One window as the KPI API serves it. */
export interface WindowEntry {
  start: number;
  state: "open" | "finalizing" | "final";
  row: GoldRow | null;
  late: number;
}

/** The tracker's report. */
export interface WatermarkStatus {
  watermark: number | null;
  max_event_time: number | null;
  open_windows: number;
  final_windows: number;
  late_pending_windows: number;
}

/** The gold committer owner of a window (one owner per window, so a re-finalization is a no-op). */
export function windowOwner(start: number): string {
  return `window:${windowName(start)}`;
}

/**
 * WatermarkTracker: the durable event-time watermark (max event time − 10 min) and the
 * registry of windows. When the watermark passes a window's end, the window is finalized:
 * its row is taken from its GoldWindow, kept here, and committed to gold_wiki_kpis.
 */
export class WatermarkTracker extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    for (const statement of SCHEMA) ctx.storage.sql.exec(statement);
  }

  /** Records windows that received rows and the largest event time seen; schedules finalization. */
  async observe(maxEventTime: number, windows: WindowReport[]): Promise<WatermarkStatus> {
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      for (const w of windows) {
        sql.exec(
          "INSERT INTO windows (start, state, late) VALUES (?, 'open', ?) ON CONFLICT (start) DO UPDATE SET late = late + excluded.late",
          w.start,
          w.late,
        );
      }
      const next = advanceWatermark({ maxEventTime: this.#maxEventTime() }, [maxEventTime]).maxEventTime;
      sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('max_event_time', ?)", String(next));
    });
    if (this.#dueWindows().length) await this.ctx.storage.setAlarm(Date.now());
    return this.status();
  }

  /** Watermark, counts of open/final windows. */
  status(): WatermarkStatus {
    const max = this.#maxEventTime();
    const count = (where: string) =>
      this.ctx.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM windows WHERE ${where}`).one().n;
    return {
      watermark: watermarkOf({ maxEventTime: max }),
      max_event_time: max,
      open_windows: count("state != 'final'"),
      final_windows: count("state = 'final'"),
      late_pending_windows: count("state = 'final' AND late > 0"),
    };
  }

  /** Windows whose start lies in [from, to), ordered by start. */
  windows(from: number, to: number): WindowEntry[] {
    return this.ctx.storage.sql.exec<
      { start: number; state: WindowEntry["state"]; row: string | null; late: number }
    >(
      "SELECT start, state, row, late FROM windows WHERE start >= ? AND start < ? ORDER BY start",
      from,
      to,
    ).toArray().map((w) => ({
      start: w.start,
      state: w.state,
      row: w.row ? JSON.parse(w.row) : null,
      late: w.late,
    }));
  }

  /** The latest window that holds rows. */
  latest(): WindowEntry | null {
    const rows = this.ctx.storage.sql.exec<{ start: number }>(
      "SELECT start FROM windows ORDER BY start DESC LIMIT 1",
    )
      .toArray();
    return rows.length ? this.windows(rows[0].start, rows[0].start + 1)[0] : null;
  }

  /** Every window start ever registered (the admin reset clears their GoldWindows). */
  allStarts(): number[] {
    return this.ctx.storage.sql.exec<{ start: number }>("SELECT start FROM windows ORDER BY start").toArray()
      .map((r) => r.start);
  }

  /** Forgets everything (admin reset). */
  async reset(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    for (const statement of SCHEMA) this.ctx.storage.sql.exec(statement);
  }

  /** Alarm: finalizes due windows and commits their rows to the gold table. */
  override async alarm(): Promise<void> {
    try {
      await this.#finalizeDue();
    } catch (error) {
      console.error(JSON.stringify({ msg: "Window finalization failed", error: String(error) }));
      await this.ctx.storage.setAlarm(Date.now() + 5_000);
    }
  }

  async #finalizeDue(): Promise<void> {
    const sql = this.ctx.storage.sql;
    for (const start of this.#dueWindows()) {
      const existing = sql.exec<{ row: string | null; state: string }>(
        "SELECT row, state FROM windows WHERE start = ?",
        start,
      ).one();
      if (existing.state === "open") {
        const snapshot = await this.env.GOLD_WINDOW.getByName(windowName(start)).finalize(start);
        sql.exec(
          "UPDATE windows SET state = 'finalizing', row = ? WHERE start = ?",
          snapshot.row ? JSON.stringify(snapshot.row) : null,
          start,
        );
      }
    }
    const finalizing = sql.exec<{ start: number; row: string | null }>(
      "SELECT start, row FROM windows WHERE state = 'finalizing' ORDER BY start",
    ).toArray();
    if (!finalizing.length) return;
    await writeAndStage(
      this.env,
      GOLD,
      finalizing.map((w) => ({
        owner: windowOwner(w.start),
        rows: w.row ? [JSON.parse(w.row)] : [],
        duplicates: 0,
      })),
    );
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      for (const w of finalizing) {
        sql.exec("UPDATE windows SET state = 'final', finalized_at = ? WHERE start = ?", now, w.start);
      }
    });
  }

  #dueWindows(): number[] {
    const watermark = watermarkOf({ maxEventTime: this.#maxEventTime() });
    const open = this.ctx.storage.sql.exec<{ start: number }>(
      "SELECT start FROM windows WHERE state != 'final'",
    ).toArray();
    return windowsToFinalize(open.map((r) => r.start), watermark);
  }

  #maxEventTime(): number | null {
    const rows = this.ctx.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'max_event_time'")
      .toArray();
    return rows.length ? Number(rows[0].v) : null;
  }
}
