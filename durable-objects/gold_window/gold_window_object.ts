import { DurableObject } from "cloudflare:workers";
import type { GoldRow } from "../../r2/tables/rows.ts";
import { computeKpis, type KpiAggregate } from "./kpi.ts";
import type { GoldInput } from "./gold_input.ts";

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS events (event_id TEXT PRIMARY KEY, user_name TEXT NOT NULL, wiki TEXT NOT NULL, page_title TEXT NOT NULL, is_bot INTEGER NOT NULL, bytes_diff INTEGER NOT NULL, late INTEGER NOT NULL) WITHOUT ROWID",
  "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)",
];

/** What `add()` did: rows new to the window, and how many of them arrived after it was final. */
export interface AddResult {
  inserted: number;
  late: number;
}

/** A window's live view. */
export interface WindowSnapshot {
  window_start: number;
  final: boolean;
  late_pending: number;
  row: GoldRow | null;
}

/**
 * GoldWindow: the exact state of one 5-minute event-time window. Keeps every silver event's
 * KPI inputs keyed by event_id, so a redelivered or repeated event never counts twice, and
 * derives the 15 gold columns from SQL aggregates (exact distinct counts, no sketches).
 */
export class GoldWindow extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    for (const statement of SCHEMA) ctx.storage.sql.exec(statement);
  }

  /** Adds silver rows of this window (idempotent by event_id). */
  add(windowStart: number, rows: GoldInput[]): AddResult {
    this.#bind(windowStart);
    const sql = this.ctx.storage.sql;
    const late = this.#meta("final") === "1" ? 1 : 0;
    let inserted = 0;
    this.ctx.storage.transactionSync(() => {
      for (const r of rows) {
        inserted += sql.exec(
          "INSERT INTO events (event_id, user_name, wiki, page_title, is_bot, bytes_diff, late) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
          r.event_id,
          r.user_name,
          r.wiki,
          r.page_title,
          r.is_bot ? 1 : 0,
          r.bytes_diff,
          late,
        ).rowsWritten;
      }
    });
    return { inserted, late: late ? inserted : 0 };
  }

  /** The window's current KPIs (null when it holds no rows), final flag and late count. */
  snapshot(windowStart: number): WindowSnapshot {
    this.#bind(windowStart);
    const agg = this.#aggregate(windowStart);
    return {
      window_start: windowStart,
      final: this.#meta("final") === "1",
      late_pending: this.#latePending(),
      row: agg.total_edits > 0 ? computeKpis(agg) : null,
    };
  }

  /** Marks the window final and returns the row to commit (null when it holds no rows). */
  finalize(windowStart: number): WindowSnapshot {
    this.#bind(windowStart);
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('final', '1')");
    return this.snapshot(windowStart);
  }

  /** Clears the late marks after a correction recomputed this window. */
  clearLate(windowStart: number): void {
    this.#bind(windowStart);
    this.ctx.storage.sql.exec("UPDATE events SET late = 0 WHERE late = 1");
  }

  /** Forgets the window (admin reset). */
  async reset(): Promise<void> {
    await this.ctx.storage.deleteAll();
    for (const statement of SCHEMA) this.ctx.storage.sql.exec(statement);
  }

  #aggregate(windowStart: number): KpiAggregate {
    const row = this.ctx.storage.sql.exec<Record<string, number | null>>(
      `SELECT COUNT(*) AS total_edits,
              COUNT(DISTINCT user_name) AS unique_editors,
              (SELECT COUNT(*) FROM (SELECT DISTINCT wiki, page_title FROM events)) AS active_pages,
              SUM(is_bot) AS bot_edits,
              SUM(bytes_diff) AS net_bytes_added,
              SUM(bytes_diff > 500) AS large_edits_count,
              SUM(bytes_diff < -500) AS revert_like_edits,
              SUM(ABS(bytes_diff)) AS volatility_score
         FROM events`,
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
