import { DurableObject } from "cloudflare:workers";
import { GOLD } from "../../r2/tables/schemas.ts";
import type { GoldRow } from "../../r2/tables/rows.ts";
import { windowName } from "../gold_window/kpi.ts";
import { watermarkOf, windowsToFinalize } from "./watermark.ts";
import { type AdmitRow, admitRows, type WindowBatch } from "./admission.ts";
import { writeAndStage } from "../../workers/lake_writer.ts";
import { correctGold, type GoldCorrectionReport } from "./gold_correction.ts";
import { TRACKER_SCHEMA, TrackerTables } from "./tracker_tables_binding.ts";

/** The one tracker's instance name. */
export const WATERMARK_NAME = "global";

/** One owner's silver rows (a queue message's batch id, or a correction's bronze file). */
export interface OwnerAdmission {
  owner: string;
  rows: AdmitRow[];
}

/** What `admit()` did. */
export interface AdmitReport {
  windows: number;
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
  uncorrected_late_windows: number;
  uncorrected_late_events: number;
  corrections: number;
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
      for (const { owner, rows } of owners) {
        if (this.#tables.hasAdmission(owner) || !rows.length) continue;
        const admission = admitRows(this.#tables.maxEventTime(), rows);
        this.#tables.recordAdmission(owner, admission, Date.now());
        report = {
          windows: report.windows + admission.windows.length,
          late: report.late + admission.windows.reduce((n, w) => n + w.late, 0),
        };
      }
      await this.#feedPending();
      if (this.#dueWindows().length) await this.ctx.storage.setAlarm(Date.now());
      return report;
    });
  }

  /** Watermark, counts of open/final windows and pending late events. */
  status(): WatermarkStatus {
    const max = this.#tables.maxEventTime();
    return { watermark: watermarkOf({ maxEventTime: max }), max_event_time: max, ...this.#tables.counts() };
  }

  /** Windows whose start lies in [from, to), ordered by start. */
  windows(from: number, to: number): WindowEntry[] {
    return this.#tables.windows(from, to);
  }

  /** The latest window that holds rows. */
  latest(): WindowEntry | null {
    return this.#tables.latest();
  }

  /** Every window start ever registered (the admin reset clears their GoldWindows). */
  allStarts(): number[] {
    return this.#tables.allStarts();
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

  /** Forgets everything (admin reset). */
  async reset(): Promise<void> {
    await this.#exclusive(async () => {
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
      for (const statement of TRACKER_SCHEMA) this.ctx.storage.sql.exec(statement);
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

  async #feedPending(): Promise<void> {
    for (const { owner, windows } of this.#tables.pendingAdmissions()) {
      const added = await Promise.all(windows.map(async (w: WindowBatch) => {
        const result = await this.env.GOLD_WINDOW.getByName(windowName(w.start)).add(w.start, w.inputs);
        return { start: w.start, late: result.late_pending };
      }));
      this.#tables.completeAdmission(owner, added);
    }
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
