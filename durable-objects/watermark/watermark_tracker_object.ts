import { DurableObject } from "cloudflare:workers";
import { GOLD } from "../../r2/tables/schemas.ts";
import type { GoldRow } from "../../r2/tables/rows.ts";
import { WINDOW_MS, windowName } from "../gold_window/kpi.ts";
import { watermarkOf, windowsToFinalize } from "./watermark.ts";
import { type AdmitRow, admitRows } from "./admission.ts";
import { feedPlan } from "./feed_plan.ts";
import { arrive, release, type SequenceTag } from "./sequencing.ts";
import { writeAndStage } from "../table_committer/lake_writer_binding.ts";
import { correctGold, type GoldCorrectionReport } from "./gold_correction.ts";
import { TRACKER_SCHEMA, TrackerTables } from "./tracker_tables_binding.ts";

/** The one tracker's instance name. */
export const WATERMARK_NAME = "global";

/** One owner's silver rows (a queue message's batch id, or a correction's bronze file). */
export interface OwnerAdmission {
  owner: string;
  rows: AdmitRow[];
  /** The queue message's number: admitted strictly in order (absent: admitted at once). */
  tag?: SequenceTag;
}

/** What `admit()` did. */
export interface AdmitReport {
  windows: number;
  late: number;
}

/** What `retireWindows()` did. */
export interface RetireWindowsReport {
  /** Windows retired by this call. */
  windows: number;
  /** Per-event GoldWindow rows deleted. */
  rows_deleted: number;
  /** Whether more windows may be retirable (the call stopped at its limit). */
  more: boolean;
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
  uncorrected_late_windows: number;
  uncorrected_late_events: number;
  corrections: number;
  /** Ordered admission: next number, held messages, released (dead-lettered) numbers. */
  admission: ReturnType<TrackerTables["sequenceReport"]>;
}

/** The gold committer owner of a window (one owner per window, so a re-finalization is a no-op). */
export function windowOwner(start: number): string {
  return `window:${windowName(start)}`;
}

/**
 * WatermarkTracker: the durable event-time watermark (max event time − 10 min), the one place
 * that judges silver rows on time or late (in the order they are admitted), and the registry of
 * windows. It feeds the GoldWindows; when the watermark passes a window's end it commits the
 * window's on-time row to gold_wiki_kpis; the late-data correction later replaces rows that
 * late events changed. Admission, finalization and correction run one at a time.
 */
export class WatermarkTracker extends DurableObject<Env> {
  #tables: TrackerTables;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#tables = new TrackerTables(ctx.storage);
  }

  /**
   * Judges the owners' rows (in order) against the running watermark and adds them to their
   * GoldWindows. The verdicts are written ahead of the feed, so a crash mid-way is finished by
   * the next call or alarm; an owner admitted before is not judged again.
   */
  admit(owners: OwnerAdmission[]): Promise<AdmitReport> {
    return this.#exclusive(async () => {
      let report: AdmitReport = { windows: 0, late: 0 };
      const add = (
        r: AdmitReport,
      ) => (report = { windows: report.windows + r.windows, late: report.late + r.late });
      for (const owner of owners) add(this.#admitOwner(owner, Date.now()));
      await this.#feedPending();
      if (this.#dueWindows().length) await this.ctx.storage.setAlarm(Date.now());
      return report;
    });
  }

  /**
   * Releases a dead-lettered message's number so the admission moves on without it (its
   * events, when replayed, are judged against the watermark of that moment). Recorded for
   * `/api/health`.
   */
  releaseSequence(tag: SequenceTag, batchId: string): Promise<AdmitReport> {
    return this.#exclusive(async () => {
      const now = Date.now();
      const report = this.#tables.atomically(() => {
        const state = this.#tables.sequence();
        if (state.epoch !== tag.epoch) return { windows: 0, late: 0 };
        const verdict = release(state, tag.seq);
        if (verdict.kind === "passed") return { windows: 0, late: 0 };
        this.#tables.recordReleased(tag.epoch, tag.seq, batchId, verdict.kind === "record", now);
        if (verdict.kind === "record") return { windows: 0, late: 0 };
        return this.#drain(tag.epoch, verdict.drain, now);
      });
      await this.#feedPending();
      if (this.#dueWindows().length) await this.ctx.storage.setAlarm(Date.now());
      return report;
    });
  }

  /** One owner: judged now (untagged or passed), held (early), or admitted with what it unblocks. */
  #admitOwner({ owner, rows, tag }: OwnerAdmission, now: number): AdmitReport {
    return this.#tables.atomically(() => {
      if (this.#tables.hasAdmission(owner)) return { windows: 0, late: 0 };
      if (!tag) return this.#judge(owner, rows, now);
      let state = this.#tables.sequence();
      if (state.epoch === null) {
        this.#tables.setSequence(tag.epoch, 0); // a fresh tracker adopts the first epoch
        state = this.#tables.sequence();
      }
      const verdict = arrive(state, tag);
      if (verdict.kind === "duplicate") return { windows: 0, late: 0 };
      if (verdict.kind === "passed") return this.#judge(owner, rows, now);
      if (verdict.kind === "hold") {
        this.#tables.hold(tag.seq, owner, rows, now);
        return { windows: 0, late: 0 };
      }
      const first = this.#judge(owner, rows, now);
      const rest = this.#drain(tag.epoch, verdict.drain, now);
      return { windows: first.windows + rest.windows, late: first.late + rest.late };
    });
  }

  /** Admits the drained held messages in order and moves the next number (inside a transaction). */
  #drain(
    epoch: string,
    drain: { admit: number[]; skipped: number[]; next: number },
    now: number,
  ): AdmitReport {
    let report: AdmitReport = { windows: 0, late: 0 };
    for (const seq of drain.skipped) this.#tables.takeWaiting(seq);
    for (const seq of drain.admit) {
      const held = this.#tables.takeWaiting(seq);
      if (!held || this.#tables.hasAdmission(held.owner)) continue;
      const r = this.#judge(held.owner, held.rows, now);
      report = { windows: report.windows + r.windows, late: report.late + r.late };
    }
    this.#tables.setSequence(epoch, drain.next);
    return report;
  }

  /** Judges an owner's rows against the running watermark and writes the verdicts ahead of the feed. */
  #judge(owner: string, rows: AdmitRow[], now: number): AdmitReport {
    if (!rows.length) return { windows: 0, late: 0 };
    const admission = admitRows(this.#tables.maxEventTime(), rows);
    this.#tables.insertAdmission(owner, admission, now);
    return {
      windows: admission.windows.length,
      late: admission.windows.reduce((n, w) => n + w.late, 0),
    };
  }

  /** Watermark, counts of open/final windows and pending late events. */
  status(): WatermarkStatus {
    const max = this.#tables.maxEventTime();
    return {
      watermark: watermarkOf({ maxEventTime: max }),
      max_event_time: max,
      ...this.#tables.counts(),
      admission: this.#tables.sequenceReport(),
    };
  }

  /** Windows whose start lies in [from, to), ordered by start. */
  windows(from: number, to: number): WindowEntry[] {
    return this.#tables.windows(from, to);
  }

  /** The latest window that holds rows. */
  latest(): WindowEntry | null {
    return this.#tables.latest();
  }

  /**
   * The UTC days (start ms, ascending, at most `maxDays`) before `beforeMs` whose EventsRollup
   * objects have not been deleted yet, found from the window registry (every day with silver
   * rows has windows); `complete` is false when more remain for another call.
   */
  rollupDaysToDrop(beforeMs: number, maxDays: number): { days: number[]; complete: boolean } {
    if (!Number.isSafeInteger(maxDays) || maxDays < 1 || maxDays > 1000) {
      throw new RangeError(`maxDays must be 1–1000, got ${maxDays}`);
    }
    const days = this.#tables.rollupDaysBefore(beforeMs, maxDays + 1);
    return { days: days.slice(0, maxDays), complete: days.length <= maxDays };
  }

  /** Records that every EventsRollup day before `beforeMs` is deleted. */
  markRollupsDropped(beforeMs: number): void {
    this.#tables.markRollupsDropped(beforeMs);
  }

  /** Day objects of EventsRollup before this time (ms) are deleted (0: none yet). */
  rollupsDroppedBefore(): number {
    return this.#tables.rollupsDroppedBefore();
  }

  /** Every window start ever registered (the admin reset clears their GoldWindows). */
  allStarts(): number[] {
    return this.#tables.allStarts();
  }

  /**
   * Retires (GoldWindow.retire) up to `limit` final windows without late rows that ended more
   * than `horizonMs` before `nowMs`, so their GoldWindows keep only the final aggregate.
   */
  retireWindows(nowMs: number, horizonMs: number, limit = 500): Promise<RetireWindowsReport> {
    return this.#exclusive(async () => {
      const candidates = this.#tables.retirableWindows(nowMs - horizonMs - WINDOW_MS, limit);
      const retired: number[] = [];
      let rowsDeleted = 0;
      for (const start of candidates) {
        const result = await this.env.GOLD_WINDOW.getByName(windowName(start)).retire(
          start,
          nowMs,
          horizonMs,
        );
        if (result.retired) retired.push(start);
        rowsDeleted += result.rows_deleted;
      }
      this.#tables.markRetired(retired, nowMs);
      return { windows: retired.length, rows_deleted: rowsDeleted, more: candidates.length === limit };
    });
  }

  /**
   * The late-data correction's gold step: finishes pending work, then recomputes every final
   * window holding late rows and replaces those windows' partition days in one overwrite commit.
   */
  correct(): Promise<GoldCorrectionReport> {
    return this.#exclusive(async () => {
      await this.#feedPending();
      await this.#finalizeDue();
      return await correctGold(this.env, this.#tables);
    });
  }

  /** The bronze data files (of `paths`) the correction has not re-read yet. */
  unverifiedFiles(paths: string[]): string[] {
    return this.#tables.unverifiedFiles(paths);
  }

  /** Records bronze data files the correction has re-read and merged. */
  markVerified(paths: string[]): void {
    this.#tables.markVerified(paths, Date.now());
  }

  /** Forgets everything (admin reset); `epoch` is the ingestor's new epoch (numbering from 0). */
  async reset(epoch?: string | null): Promise<void> {
    await this.#exclusive(async () => {
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
      for (const statement of TRACKER_SCHEMA) this.ctx.storage.sql.exec(statement);
      if (epoch) this.#tables.atomically(() => this.#tables.setSequence(epoch, 0));
    });
  }

  /** Alarm: finishes interrupted feeds, finalizes due windows and commits their rows. */
  override async alarm(): Promise<void> {
    try {
      await this.#exclusive(async () => {
        await this.#feedPending();
        await this.#finalizeDue();
        this.#tables.pruneAdmissions(Date.now());
      });
    } catch (error) {
      console.error(JSON.stringify({ msg: "Window finalization failed", error: String(error) }));
      await this.ctx.storage.setAlarm(Date.now() + 5_000);
    }
  }

  /**
   * Feeds every pending admission to its GoldWindows: one `add` per window for all pending
   * owners (feed_plan.ts), then marks them fed in one transaction. A crash in between re-feeds
   * them on the next call (adds are idempotent by event_id).
   */
  async #feedPending(): Promise<void> {
    const pending = this.#tables.pendingAdmissions();
    if (!pending.length) return;
    const added = await Promise.all(
      feedPlan(pending).map(async (w) => {
        const result = await this.env.GOLD_WINDOW.getByName(windowName(w.start)).add(w.start, w.inputs);
        return { start: w.start, late: result.late_pending };
      }),
    );
    this.#tables.completeAdmissions(pending.map((p) => p.owner), added);
  }

  async #finalizeDue(): Promise<void> {
    for (const start of this.#dueWindows()) {
      const snapshot = await this.env.GOLD_WINDOW.getByName(windowName(start)).finalize(start);
      this.#tables.markFinalizing(start, snapshot.committed);
    }
    const finalizing = this.#tables.finalizing();
    if (!finalizing.length) return;
    await writeAndStage(
      this.env,
      GOLD,
      finalizing.map((w) => ({ owner: windowOwner(w.start), rows: w.row ? [w.row] : [], duplicates: 0 })),
    );
    this.#tables.markFinal(finalizing.map((w) => w.start), Date.now());
  }

  #dueWindows(): number[] {
    const watermark = watermarkOf({ maxEventTime: this.#tables.maxEventTime() });
    return windowsToFinalize(this.#tables.openStarts(), watermark);
  }

  #exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job, job);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
