import { DurableObject } from "cloudflare:workers";
import type { GoldRow } from "../../r2/tables/rows.ts";
import { computeKpis, type KpiAggregate, WINDOW_MS } from "./kpi.ts";
import type { JudgedInput } from "../watermark/admission.ts";

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS events (event_id TEXT PRIMARY KEY, user_name TEXT NOT NULL, wiki TEXT NOT NULL, page_title TEXT NOT NULL, is_bot INTEGER NOT NULL, bytes_diff INTEGER NOT NULL, late INTEGER NOT NULL) WITHOUT ROWID",
  "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)",
];

/** Inserts the judged rows of JSON array ?1 (late when marked so or when ?2 = 1, the window final). */
const INSERT_ROWS = `INSERT INTO events (event_id, user_name, wiki, page_title, is_bot, bytes_diff, late)
  SELECT value ->> 'event_id', value ->> 'user_name', value ->> 'wiki', value ->> 'page_title',
         value ->> 'is_bot', value ->> 'bytes_diff', CASE WHEN ?2 = 1 OR value ->> 'late' THEN 1 ELSE 0 END
  FROM json_each(?1) WHERE true ON CONFLICT DO NOTHING RETURNING late`;

/** What `add()` did: rows new to the window, and how many of them are late (pending a correction). */
export interface AddResult {
  inserted: number;
  late: number;
  /** Late rows the window holds now, this call's included. */
  late_pending: number;
}

/** A window's view: `row` over every row it holds, `committed` over the rows not pending as late. */
export interface WindowSnapshot {
  window_start: number;
  final: boolean;
  late_pending: number;
  row: GoldRow | null;
  committed: GoldRow | null;
}

/** What `retire()` did: whether the window now keeps only its final aggregate, and why not. */
export interface RetireResult {
  retired: boolean;
  /** Per-event rows deleted by this call. */
  rows_deleted: number;
  reason?: "already_retired" | "not_final" | "late_pending" | "within_horizon";
}

/** How much state a window keeps (for tests and the README's sizing). */
export interface WindowStats {
  rows: number;
  retired: boolean;
  /** Rows refused because they arrived after the window was retired. */
  refused_after_retire: number;
}

/** Shortest retirement horizon accepted (a window is correctable for at least the lookback). */
const MIN_RETIRE_HORIZON_MS = 3_600_000;

/**
 * GoldWindow: the exact state of one 5-minute event-time window. Keeps every silver event's
 * KPI inputs keyed by event_id, so a redelivered or repeated event never counts twice, and
 * derives the 15 gold columns from SQL aggregates (exact distinct counts, no sketches). Each
 * row carries the WatermarkTracker's verdict: late rows (their window was final when they were
 * admitted) stay out of the committed row until the correction job folds them in.
 */
export class GoldWindow extends DurableObject<Env> {
  /**
   * The last snapshot, kept until the rows or the final mark change: reads (`/api/kpis`, the
   * live hub) then cost no aggregate. Every write to the window goes through this object and
   * clears it, so it never differs from the SQL over the rows.
   */
  #snapshot: WindowSnapshot | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    for (const statement of SCHEMA) ctx.storage.sql.exec(statement);
  }

  /** Adds judged silver rows of this window (idempotent by event_id). */
  add(windowStart: number, rows: JudgedInput[]): AddResult {
    this.#bind(windowStart);
    const sql = this.ctx.storage.sql;
    // The tracker finalizes a window only after every on-time row admitted for it was added; a
    // row that still meets a final window is kept as late rather than changing a committed row.
    if (this.#retired() !== null) return this.#refuseAfterRetire(rows.length);
    const final = this.#meta("final") === "1";
    // One statement for all rows (SQLite reads them from one JSON array); RETURNING gives the
    // late mark of each row that was new to the window.
    const fresh = rows.length
      ? sql.exec<{ late: number }>(INSERT_ROWS, JSON.stringify(rows), final ? 1 : 0).toArray()
      : [];
    const inserted = fresh.length;
    const late = fresh.reduce((n, r) => n + r.late, 0);
    if (inserted > 0) this.#snapshot = null;
    return { inserted, late, late_pending: this.#latePending() };
  }

  /** The window's KPIs over all its rows and over its committed (not late) rows. */
  snapshot(windowStart: number): WindowSnapshot {
    this.#bind(windowStart);
    if (this.#snapshot) return this.#snapshot;
    const retired = this.#retired();
    if (retired !== null) {
      const row = retired.total_edits > 0 ? computeKpis(retired) : null;
      return { window_start: windowStart, final: true, late_pending: 0, row, committed: row };
    }
    const all = this.#aggregate(windowStart, "");
    const committed = this.#aggregate(windowStart, "WHERE late = 0");
    this.#snapshot = {
      window_start: windowStart,
      final: this.#meta("final") === "1",
      late_pending: this.#latePending(),
      row: all.total_edits > 0 ? computeKpis(all) : null,
      committed: committed.total_edits > 0 ? computeKpis(committed) : null,
    };
    return this.#snapshot;
  }

  /** Marks the window final; the row to commit is the snapshot's `committed` (late rows excluded). */
  finalize(windowStart: number): WindowSnapshot {
    this.#bind(windowStart);
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('final', '1')");
    this.#snapshot = null;
    return this.snapshot(windowStart);
  }

  /** Folds the late rows into the committed row (after the correction job replaced it in gold). */
  clearLate(windowStart: number): WindowSnapshot {
    this.#bind(windowStart);
    this.ctx.storage.sql.exec("UPDATE events SET late = 0 WHERE late = 1");
    this.#snapshot = null;
    return this.snapshot(windowStart);
  }

  /**
   * Keeps only the final aggregate of a window that can no longer change: final, no late rows
   * pending a correction, and ended more than `horizonMs` before `nowMs` (the dedup horizon: no
   * duplicate and no late row of it can still arrive). Deletes the per-event rows; `snapshot()`
   * answers from the kept aggregate and `add()` refuses rows from then on. Idempotent.
   */
  retire(windowStart: number, nowMs: number, horizonMs: number): RetireResult {
    this.#bind(windowStart);
    if (!Number.isFinite(horizonMs) || horizonMs < MIN_RETIRE_HORIZON_MS) {
      throw new RangeError(`horizonMs too small: ${horizonMs}`);
    }
    if (this.#retired() !== null) return { retired: true, rows_deleted: 0, reason: "already_retired" };
    if (this.#meta("final") !== "1") return { retired: false, rows_deleted: 0, reason: "not_final" };
    if (this.#latePending() > 0) return { retired: false, rows_deleted: 0, reason: "late_pending" };
    if (windowStart + WINDOW_MS + horizonMs > nowMs) {
      return { retired: false, rows_deleted: 0, reason: "within_horizon" };
    }
    const sql = this.ctx.storage.sql;
    let rowsDeleted = 0;
    this.ctx.storage.transactionSync(() => {
      const aggregate = this.#aggregate(windowStart, "");
      sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('retired', ?)", JSON.stringify(aggregate));
      rowsDeleted = sql.exec("DELETE FROM events").rowsWritten;
    });
    this.#snapshot = null;
    return { retired: true, rows_deleted: rowsDeleted };
  }

  /** The rows this window keeps, whether it is retired, and rows refused after retirement. */
  stats(windowStart: number): WindowStats {
    this.#bind(windowStart);
    return {
      rows: this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM events").one().n,
      retired: this.#retired() !== null,
      refused_after_retire: Number(this.#meta("refused_after_retire") ?? "0"),
    };
  }

  /** Forgets the window (admin reset). */
  async reset(): Promise<void> {
    this.#snapshot = null;
    await this.ctx.storage.deleteAll();
    for (const statement of SCHEMA) this.ctx.storage.sql.exec(statement);
  }

  #aggregate(windowStart: number, where: "" | "WHERE late = 0"): KpiAggregate {
    const row = this.ctx.storage.sql.exec<Record<string, number | null>>(
      `SELECT COUNT(*) AS total_edits,
              COUNT(DISTINCT user_name) AS unique_editors,
              (SELECT COUNT(*) FROM (SELECT DISTINCT wiki, page_title FROM events ${where})) AS active_pages,
              SUM(is_bot) AS bot_edits,
              SUM(bytes_diff) AS net_bytes_added,
              SUM(bytes_diff > 500) AS large_edits_count,
              SUM(bytes_diff < -500) AS revert_like_edits,
              SUM(ABS(bytes_diff)) AS volatility_score
         FROM events ${where}`,
    ).one();
    return {
      window_start: windowStart,
      total_edits: row.total_edits ?? 0,
      unique_editors: row.unique_editors ?? 0,
      active_pages: row.active_pages ?? 0,
      bot_edits: row.bot_edits ?? 0,
      net_bytes_added: row.net_bytes_added ?? 0,
      large_edits_count: row.large_edits_count ?? 0,
      revert_like_edits: row.revert_like_edits ?? 0,
      volatility_score: row.volatility_score ?? 0,
    };
  }

  /** The aggregate kept by `retire()`, or null while the window keeps its rows. */
  #retired(): KpiAggregate | null {
    const text = this.#meta("retired");
    return text === null ? null : JSON.parse(text) as KpiAggregate;
  }

  /** A retired window takes no rows (they are duplicates by the horizon); they are counted. */
  #refuseAfterRetire(count: number): AddResult {
    const refused = Number(this.#meta("refused_after_retire") ?? "0") + count;
    this.ctx.storage.sql.exec(
      "INSERT OR REPLACE INTO meta (k, v) VALUES ('refused_after_retire', ?)",
      String(refused),
    );
    return { inserted: 0, late: 0, late_pending: 0 };
  }

  #latePending(): number {
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE late = 1").one()
      .n;
  }

  #bind(windowStart: number): void {
    const bound = this.#meta("window_start");
    if (bound === null) {
      this.ctx.storage.sql.exec("INSERT INTO meta (k, v) VALUES ('window_start', ?)", String(windowStart));
    } else if (Number(bound) !== windowStart) {
      throw new RangeError(
        `This GoldWindow holds ${new Date(Number(bound)).toISOString()}, not ${
          new Date(windowStart).toISOString()
        }`,
      );
    }
  }

  #meta(key: string): string | null {
    const rows = this.ctx.storage.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", key).toArray();
    return rows.length ? rows[0].v : null;
  }
}
