/**
 * The WatermarkTracker's SQLite tables: the largest event time, the window registry (state,
 * committed row, late rows pending a correction) and the admission log (verdicts written ahead
 * of feeding the GoldWindows, kept afterwards so an owner is never judged twice).
 */
import type { GoldRow } from "../../r2/tables/rows.ts";
import type { Admission, AdmitRow, WindowBatch } from "./admission.ts";
import type { SequenceState } from "./sequencing.ts";
import type { WindowEntry } from "./watermark_tracker_object.ts";

/** The tracker's schema (idempotent statements). */
export const TRACKER_SCHEMA = [
  "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS windows (start INTEGER PRIMARY KEY, state TEXT NOT NULL, row TEXT, late INTEGER NOT NULL DEFAULT 0, finalized_at INTEGER, corrections INTEGER NOT NULL DEFAULT 0, corrected_at INTEGER)",
  "CREATE TABLE IF NOT EXISTS admissions (owner TEXT PRIMARY KEY, pending TEXT, admitted_at INTEGER NOT NULL)",
  // The verdicts of an admission not yet fed to its GoldWindows (deleted once fed). Kept apart from
  // `admissions` so the week-long log stays ≈ 100 B a message: a multi-KB value nulled in place
  // leaves its page nearly empty (measured: 4.2 KB a message left behind; test/workerd/bounded_state_test.ts).
  "CREATE TABLE IF NOT EXISTS admission_feed (owner TEXT PRIMARY KEY, windows TEXT NOT NULL)",
  "CREATE INDEX IF NOT EXISTS admissions_at ON admissions (admitted_at)",
  "CREATE TABLE IF NOT EXISTS verified_files (path TEXT PRIMARY KEY, verified_at INTEGER NOT NULL) WITHOUT ROWID",
  // Ordered admission: numbers above the next expected one, held (rows wait) or released.
  "CREATE TABLE IF NOT EXISTS seq_waiting (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, owner TEXT, rows TEXT, arrived_at INTEGER NOT NULL)",
  // Numbers released by dead-lettered messages (kept for /api/health).
  "CREATE TABLE IF NOT EXISTS seq_released (epoch TEXT NOT NULL, seq INTEGER NOT NULL, batch_id TEXT NOT NULL, released_at INTEGER NOT NULL, PRIMARY KEY (epoch, seq))",
];
// Columns added after the first release; ALTER fails harmlessly where they exist.
const MIGRATIONS = [
  "ALTER TABLE windows ADD COLUMN corrections INTEGER NOT NULL DEFAULT 0",
  "ALTER TABLE windows ADD COLUMN corrected_at INTEGER",
  "ALTER TABLE windows ADD COLUMN retired_at INTEGER",
];
/** Completed admissions are remembered this long (queue retries end long before). */
const ADMISSION_MEMORY_MS = 7 * 24 * 3_600_000;

/** A window's committed row in the registry. */
export interface RegistryRow {
  start: number;
  row: GoldRow | null;
  late: number;
}

/** Typed access to the tracker's tables. */
export class TrackerTables {
  #sql: SqlStorage;
  #storage: DurableObjectStorage;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
    this.#sql = storage.sql;
    for (const statement of TRACKER_SCHEMA) this.#sql.exec(statement);
    for (const statement of MIGRATIONS) {
      try {
        this.#sql.exec(statement);
      } catch {
        // already migrated
      }
    }
    // Admissions pending from before admission_feed existed move there, once (a meta flag).
    if (this.#sql.exec("SELECT 1 FROM meta WHERE k = 'admission_feed'").toArray().length) return;
    storage.transactionSync(() => {
      this.#sql.exec("INSERT INTO meta (k, v) VALUES ('admission_feed', '1')");
      this.#sql.exec(
        "INSERT OR IGNORE INTO admission_feed (owner, windows) SELECT owner, pending FROM admissions WHERE pending IS NOT NULL ORDER BY rowid",
      );
      this.#sql.exec("UPDATE admissions SET pending = NULL WHERE pending IS NOT NULL");
    });
  }

  /** The largest event time admitted, or null. */
  maxEventTime(): number | null {
    const rows = this.#sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'max_event_time'").toArray();
    return rows.length ? Number(rows[0].v) : null;
  }

  /** Whether `owner` was admitted before. */
  hasAdmission(owner: string): boolean {
    return this.#sql.exec("SELECT 1 FROM admissions WHERE owner = ?", owner).toArray().length > 0;
  }

  /** Runs `step` in one storage transaction. */
  atomically<T>(step: () => T): T {
    return this.#storage.transactionSync(step);
  }

  /** The ordered-admission state: epoch, next number, and the waiting numbers' kinds. */
  sequence(): SequenceState {
    const meta = new Map(
      this.#sql.exec<{ k: string; v: string }>("SELECT k, v FROM meta WHERE k IN ('seq_epoch', 'seq_next')")
        .toArray().map((r) => [r.k, r.v]),
    );
    const waiting = new Map(
      this.#sql.exec<{ seq: number; kind: "held" | "released" }>("SELECT seq, kind FROM seq_waiting")
        .toArray()
        .map((r) => [r.seq, r.kind]),
    );
    return { epoch: meta.get("seq_epoch") ?? null, next: Number(meta.get("seq_next") ?? 0), waiting };
  }

  /** Sets the epoch (and its next number); call inside `atomically`. */
  setSequence(epoch: string, next: number): void {
    this.#sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('seq_epoch', ?)", epoch);
    this.#sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('seq_next', ?)", String(next));
  }

  /** Holds an early message's rows until its number comes; call inside `atomically`. */
  hold(seq: number, owner: string, rows: AdmitRow[], now: number): void {
    this.#sql.exec(
      "INSERT OR IGNORE INTO seq_waiting (seq, kind, owner, rows, arrived_at) VALUES (?, 'held', ?, ?, ?)",
      seq,
      owner,
      JSON.stringify(rows),
      now,
    );
  }

  /** Records a released number above the next one; call inside `atomically`. */
  recordReleased(epoch: string, seq: number, batchId: string, waiting: boolean, now: number): void {
    this.#sql.exec(
      "INSERT OR IGNORE INTO seq_released (epoch, seq, batch_id, released_at) VALUES (?, ?, ?, ?)",
      epoch,
      seq,
      batchId,
      now,
    );
    if (waiting) {
      this.#sql.exec(
        "INSERT OR IGNORE INTO seq_waiting (seq, kind, arrived_at) VALUES (?, 'released', ?)",
        seq,
        now,
      );
    }
  }

  /** Takes a held message out of the waiting set; call inside `atomically`. */
  takeWaiting(seq: number): { owner: string; rows: AdmitRow[] } | null {
    const rows = this.#sql.exec<{ owner: string | null; rows: string | null }>(
      "SELECT owner, rows FROM seq_waiting WHERE seq = ?",
      seq,
    ).toArray();
    this.#sql.exec("DELETE FROM seq_waiting WHERE seq = ?", seq);
    if (!rows.length || rows[0].owner === null) return null;
    return { owner: rows[0].owner, rows: JSON.parse(rows[0].rows ?? "[]") };
  }

  /** The admission report for /api/health. */
  sequenceReport(): {
    epoch: string | null;
    next_seq: number;
    held: number;
    oldest_held_at: number | null;
    released: number;
    released_batches: Array<{ seq: number; batch_id: string; released_at: string }>;
  } {
    const state = this.sequence();
    const held = this.#sql.exec<{ n: number; oldest: number | null }>(
      "SELECT COUNT(*) AS n, MIN(arrived_at) AS oldest FROM seq_waiting WHERE kind = 'held'",
    ).one();
    const released = this.#sql.exec<{ seq: number; batch_id: string; released_at: number }>(
      "SELECT seq, batch_id, released_at FROM seq_released ORDER BY released_at DESC, seq DESC",
    ).toArray();
    return {
      epoch: state.epoch,
      next_seq: state.next,
      held: held.n,
      oldest_held_at: held.oldest,
      released: released.length,
      released_batches: released.slice(0, 20).map((r) => ({
        seq: r.seq,
        batch_id: r.batch_id,
        released_at: new Date(r.released_at).toISOString(),
      })),
    };
  }

  /** Writes an owner's verdicts ahead of the feed, registers its windows, moves the maximum. */
  recordAdmission(owner: string, admission: Admission, now: number): void {
    this.#storage.transactionSync(() => this.insertAdmission(owner, admission, now));
  }

  /** `recordAdmission` without its own transaction (call inside `atomically`). */
  insertAdmission(owner: string, admission: Admission, now: number): void {
    {
      this.#sql.exec("INSERT INTO admissions (owner, admitted_at) VALUES (?, ?)", owner, now);
      this.#sql.exec(
        "INSERT INTO admission_feed (owner, windows) VALUES (?, ?)",
        owner,
        JSON.stringify(admission.windows),
      );
      for (const w of admission.windows) {
        this.#sql.exec(
          "INSERT INTO windows (start, state) VALUES (?, 'open') ON CONFLICT DO NOTHING",
          w.start,
        );
      }
      if (admission.maxEventTime !== null) {
        this.#sql.exec(
          "INSERT OR REPLACE INTO meta (k, v) VALUES ('max_event_time', ?)",
          String(admission.maxEventTime),
        );
      }
    }
  }

  /** Admissions whose rows are not yet all in their GoldWindows, oldest first. */
  pendingAdmissions(): Array<{ owner: string; windows: WindowBatch[] }> {
    return this.#sql.exec<{ owner: string; windows: string }>(
      "SELECT f.owner, f.windows FROM admission_feed f JOIN admissions a ON a.owner = f.owner ORDER BY a.rowid",
    ).toArray().map((r) => ({ owner: r.owner, windows: JSON.parse(r.windows) }));
  }

  /** Marks an admission fed; `latePending` is each window's late count as the window reported it. */
  completeAdmission(owner: string, latePending: Array<{ start: number; late: number }>): void {
    this.#storage.transactionSync(() => {
      this.#sql.exec("DELETE FROM admission_feed WHERE owner = ?", owner);
      for (const w of latePending) {
        this.#sql.exec("UPDATE windows SET late = ? WHERE start = ?", w.late, w.start);
      }
    });
  }

  /** Marks several admissions fed at once; `latePending` as in `completeAdmission`. */
  completeAdmissions(owners: string[], latePending: Array<{ start: number; late: number }>): void {
    this.#storage.transactionSync(() => {
      for (const owner of owners) this.#sql.exec("DELETE FROM admission_feed WHERE owner = ?", owner);
      for (const w of latePending) {
        this.#sql.exec("UPDATE windows SET late = ? WHERE start = ?", w.late, w.start);
      }
    });
  }

  /** Forgets completed admissions and verified bronze files older than the retention. */
  pruneAdmissions(now: number): void {
    this.#sql.exec(
      "DELETE FROM admissions WHERE admitted_at < ? AND owner NOT IN (SELECT owner FROM admission_feed)",
      now - ADMISSION_MEMORY_MS,
    );
    this.#sql.exec("DELETE FROM verified_files WHERE verified_at < ?", now - ADMISSION_MEMORY_MS);
  }

  /** The paths (of `paths`) the correction has not re-read yet. */
  unverifiedFiles(paths: string[]): string[] {
    return paths.filter((p) =>
      !this.#sql.exec("SELECT 1 FROM verified_files WHERE path = ?", p).toArray().length
    );
  }

  /** Records bronze files the correction has re-read. */
  markVerified(paths: string[], now: number): void {
    this.#storage.transactionSync(() => {
      for (const p of paths) {
        this.#sql.exec("INSERT OR REPLACE INTO verified_files (path, verified_at) VALUES (?, ?)", p, now);
      }
    });
  }

  /** Starts of windows not yet finalized. */
  openStarts(): number[] {
    return this.#sql.exec<{ start: number }>("SELECT start FROM windows WHERE state = 'open'").toArray()
      .map((r) => r.start);
  }

  /** Records a window's row to commit (null: no on-time rows). */
  markFinalizing(start: number, row: GoldRow | null): void {
    this.#sql.exec(
      "UPDATE windows SET state = 'finalizing', row = ? WHERE start = ?",
      row ? JSON.stringify(row) : null,
      start,
    );
  }

  /** Windows whose rows are being committed. */
  finalizing(): RegistryRow[] {
    return this.#rows("WHERE state = 'finalizing' ORDER BY start");
  }

  /** Marks windows final once their rows are staged in the gold table. */
  markFinal(starts: number[], now: number): void {
    this.#storage.transactionSync(() => {
      for (const start of starts) {
        this.#sql.exec("UPDATE windows SET state = 'final', finalized_at = ? WHERE start = ?", now, start);
      }
    });
  }

  /** Up to `limit` final windows without late rows, starting before `before`, not yet retired. */
  retirableWindows(before: number, limit: number): number[] {
    return this.#sql.exec<{ start: number }>(
      "SELECT start FROM windows WHERE state = 'final' AND late = 0 AND retired_at IS NULL AND start < ? ORDER BY start LIMIT ?",
      before,
      limit,
    ).toArray().map((r) => r.start);
  }

  /** Records that these windows' GoldWindows keep only their final aggregate. */
  markRetired(starts: number[], now: number): void {
    this.#storage.transactionSync(() => {
      for (const start of starts) {
        this.#sql.exec("UPDATE windows SET retired_at = ? WHERE start = ?", now, start);
      }
    });
  }

  /** Final windows that hold late rows, ascending. */
  lateFinalWindows(): RegistryRow[] {
    return this.#rows("WHERE state = 'final' AND late > 0 ORDER BY start");
  }

  /** Final windows starting in [from, to), ascending. */
  finalWindows(from: number, to: number): RegistryRow[] {
    return this.#rows("WHERE state = 'final' AND start >= ? AND start < ? ORDER BY start", from, to);
  }

  /** Stores corrected rows (their late rows are now committed). */
  applyCorrection(rows: Array<{ start: number; row: GoldRow | null }>, now: number): void {
    this.#storage.transactionSync(() => {
      for (const w of rows) {
        this.#sql.exec(
          "UPDATE windows SET row = ?, late = 0, corrections = corrections + 1, corrected_at = ? WHERE start = ?",
          w.row ? JSON.stringify(w.row) : null,
          now,
          w.start,
        );
      }
    });
  }

  /** Counts for the status report. */
  counts(): {
    open_windows: number;
    final_windows: number;
    uncorrected_late_windows: number;
    uncorrected_late_events: number;
    corrections: number;
  } {
    const r = this.#sql.exec<Record<string, number | null>>(
      `SELECT SUM(state != 'final') AS open_windows, SUM(state = 'final') AS final_windows,
              SUM(state = 'final' AND late > 0) AS uncorrected_late_windows,
              SUM(CASE WHEN state = 'final' THEN late ELSE 0 END) AS uncorrected_late_events,
              SUM(corrections) AS corrections
         FROM windows`,
    ).one();
    return {
      open_windows: r.open_windows ?? 0,
      final_windows: r.final_windows ?? 0,
      uncorrected_late_windows: r.uncorrected_late_windows ?? 0,
      uncorrected_late_events: r.uncorrected_late_events ?? 0,
      corrections: r.corrections ?? 0,
    };
  }

  /** Windows whose start lies in [from, to), ordered by start. */
  windows(from: number, to: number): WindowEntry[] {
    return this.#sql.exec<{ start: number; state: WindowEntry["state"]; row: string | null; late: number }>(
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

  /** The latest registered window. */
  latest(): WindowEntry | null {
    const rows = this.#sql.exec<{ start: number }>("SELECT start FROM windows ORDER BY start DESC LIMIT 1")
      .toArray();
    return rows.length ? this.windows(rows[0].start, rows[0].start + 1)[0] : null;
  }

  /**
   * UTC days (start ms, ascending, at most `limit`) with windows in [the rollup drop watermark,
   * `beforeMs`): the registry of EventsRollup days (every day with silver rows has windows).
   */
  rollupDaysBefore(beforeMs: number, limit: number): number[] {
    return this.#sql.exec<{ day: number }>(
      "SELECT DISTINCT start - start % 86400000 AS day FROM windows WHERE start >= ? AND start < ? ORDER BY day LIMIT ?",
      this.rollupsDroppedBefore(),
      beforeMs,
      limit,
    ).toArray().map((r) => r.day);
  }

  /** Day objects of EventsRollup before this time (ms) are deleted; 0 before the first drop. */
  rollupsDroppedBefore(): number {
    const rows = this.#sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'rollups_dropped_before'")
      .toArray();
    return rows.length ? Number(rows[0].v) : 0;
  }

  /** Moves the rollup drop watermark forward to `beforeMs` (never back). */
  markRollupsDropped(beforeMs: number): void {
    if (beforeMs <= this.rollupsDroppedBefore()) return;
    this.#sql.exec(
      "INSERT OR REPLACE INTO meta (k, v) VALUES ('rollups_dropped_before', ?)",
      String(beforeMs),
    );
  }

  /** Every registered window start. */
  allStarts(): number[] {
    return this.#sql.exec<{ start: number }>("SELECT start FROM windows ORDER BY start").toArray()
      .map((r) => r.start);
  }

  #rows(clause: string, ...params: number[]): RegistryRow[] {
    return this.#sql.exec<{ start: number; row: string | null; late: number }>(
      `SELECT start, row, late FROM windows ${clause}`,
      ...params,
    ).toArray().map((w) => ({ start: w.start, row: w.row ? JSON.parse(w.row) : null, late: w.late }));
  }
}
