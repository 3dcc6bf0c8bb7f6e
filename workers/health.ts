/**
 * Pure assembly of the `/api/health` report (DESIGN.md §4) from the objects' own reports.
 */
import type { IngestorStatus } from "../durable-objects/stream_ingestor/ingestor_state.ts";
import type { TableStatus } from "../durable-objects/table_committer/committer_core.ts";
import type { ControlState } from "../durable-objects/pipeline_control/control.ts";
import { assessHealth, type HealthThresholds } from "./health_reasons.ts";

/** The `events` counts that reconcile: received − canary = bronze = silver + quarantine + duplicate. */
export interface EventCounts {
  received: number;
  canary: number;
  bronze: number;
  silver: number;
  quarantine: number;
  duplicate: number;
}

/** Inputs of the health report. */
export interface HealthInputs {
  now: number;
  control: ControlState;
  ingestor: IngestorStatus;
  tables: TableStatus[];
  watermark: number | null;
  /** Messages ever dead-lettered (pending or replayed). */
  deadLettered: number;
  /** Dead letters not replayed yet; when absent, every dead letter counts as pending. */
  deadLettersToReplay?: number;
  gold?: Record<string, unknown>;
  /** Ordered admission's report (next number, held, released). */
  admission?: Record<string, unknown>;
  /** Why the status is not "ok" (each reason degrades it). */
  reasons?: string[];
  /** Thresholds of the verdict (wrangler.toml `HEALTH_*` vars); defaults when absent. */
  thresholds?: HealthThresholds;
  /** ISO time of the last maintenance run (null: none yet; absent: not reported). */
  maintenanceLastRunAt?: string | null;
}

/** Builds the health report; `status` is "down" when ingestion is wanted but failing, "degraded" on errors. */
export function buildHealth(inputs: HealthInputs) {
  const byName = (name: string) => inputs.tables.find((t) => t.table === name);
  const rows = (name: string) => byName(name)?.rows ?? 0;
  const events: EventCounts = {
    received: inputs.ingestor.received,
    canary: inputs.ingestor.canary,
    bronze: rows("bronze_wiki_events"),
    silver: rows("silver_wiki_events"),
    quarantine: rows("quarantine_wiki_events"),
    duplicate: byName("silver_wiki_events")?.duplicates ?? 0,
  };
  const pendingRows = inputs.tables.reduce((n, t) => n + t.pending_rows, 0);
  const deadLettersToReplay = inputs.deadLettersToReplay ?? inputs.deadLettered;
  const late = inputs.gold?.uncorrected_late_events;
  const verdict = assessHealth({
    now: inputs.now,
    desired: inputs.control.desired,
    ingestor: inputs.ingestor,
    tables: inputs.tables,
    deadLettersToReplay,
    uncorrectedLateEvents: typeof late === "number" ? late : 0,
    maintenanceLastRunAt: inputs.maintenanceLastRunAt,
  }, inputs.thresholds);
  // Reasons reported by other objects (e.g. a stale admission gap) degrade an otherwise ok status.
  const extra = inputs.reasons ?? [];
  return {
    status: verdict.status === "ok" && extra.length > 0 ? "degraded" : verdict.status,
    reasons: [...verdict.reasons, ...extra], // /api/health answers 200 whatever the status

    now: new Date(inputs.now).toISOString(),
    watermark: inputs.watermark === null ? null : new Date(inputs.watermark).toISOString(),
    events,
    reconciled: events.received - events.canary === events.bronze &&
      events.bronze === events.silver + events.quarantine + events.duplicate,
    dead_lettered: inputs.deadLettered,
    dead_letters_to_replay: deadLettersToReplay,
    ingestor: { desired: inputs.control.desired, ...inputs.ingestor },
    queue: { messages_sent: inputs.ingestor.messages_sent, rows_pending_commit: pendingRows },
    tables: Object.fromEntries(inputs.tables.map((t) => [t.table, {
      version: t.version,
      snapshot_id: t.snapshot_id,
      last_commit_at: t.last_commit_at,
      rows: t.rows,
      commits: t.commits,
      pending_rows: t.pending_rows,
      oldest_pending_at: t.oldest_pending_at ?? null,
      last_error: t.last_error,
    }])),
    ...(inputs.gold ? { gold: inputs.gold } : {}),
    ...(inputs.admission ? { admission: inputs.admission } : {}),
  };
}
