/**
 * Pure core: the `/api/health` verdict (DESIGN.md §6) — `status` ok|degraded|down and the
 * human-readable `reasons` behind it — from the report's parts and the operator's thresholds
 * (wrangler.toml `[vars]`, `HEALTH_*`). The HTTP status of /api/health stays 200 whatever the
 * verdict: monitors read the body.
 */

/** Thresholds of the verdict; each one comes from a `HEALTH_*` var. */
export interface HealthThresholds {
  /** `HEALTH_MAX_LAG_SECONDS`: the ingestor's lag behind now above this is "lag over threshold". */
  maxLagSeconds: number;
  /** `HEALTH_MAX_PENDING_ROWS`: rows waiting for a table commit above this is a queue backlog. */
  maxPendingRows: number;
  /** `HEALTH_MAX_UNACKED_MESSAGES`: queue messages the consumer has not confirmed, above this. */
  maxUnackedMessages: number;
  /** `HEALTH_MAX_COMMIT_AGE_SECONDS`: a table with pending rows whose last commit is older. */
  maxCommitAgeSeconds: number;
  /** `HEALTH_MAX_MAINTENANCE_AGE_HOURS`: the last maintenance run older than this is overdue. */
  maxMaintenanceAgeHours: number;
}

export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = {
  maxLagSeconds: 300,
  maxPendingRows: 50_000,
  maxUnackedMessages: 100,
  maxCommitAgeSeconds: 600,
  maxMaintenanceAgeHours: 6,
};

const VAR_NAMES: Record<keyof HealthThresholds, string> = {
  maxLagSeconds: "HEALTH_MAX_LAG_SECONDS",
  maxPendingRows: "HEALTH_MAX_PENDING_ROWS",
  maxUnackedMessages: "HEALTH_MAX_UNACKED_MESSAGES",
  maxCommitAgeSeconds: "HEALTH_MAX_COMMIT_AGE_SECONDS",
  maxMaintenanceAgeHours: "HEALTH_MAX_MAINTENANCE_AGE_HOURS",
};

/** Reads the thresholds from the Worker's vars; a missing or invalid value keeps the default. */
export function healthThresholds(vars: Record<string, unknown>): HealthThresholds {
  const out = { ...DEFAULT_HEALTH_THRESHOLDS };
  for (const key of Object.keys(VAR_NAMES) as (keyof HealthThresholds)[]) {
    const raw = vars[VAR_NAMES[key]];
    const n = typeof raw === "string" && /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
    if (Number.isFinite(n) && n >= 0) out[key] = n;
  }
  return out;
}

/** What the verdict looks at. */
export interface HealthFacts {
  now: number;
  desired: "running" | "stopped";
  ingestor: {
    connected: boolean;
    last_error: string | null;
    lag_seconds: number | null;
    messages_unacknowledged: number;
  };
  tables: {
    table: string;
    last_commit_at: string | null;
    pending_rows: number;
    /** When the oldest row still waiting for a commit arrived; absent: counted from the last commit. */
    oldest_pending_at?: string | null;
    last_error: string | null;
  }[];
  deadLettersToReplay: number;
  /** Final gold windows' late events no correction has folded in yet. */
  uncorrectedLateEvents?: number;
  /** ISO time of the last maintenance run; undefined when not reported, null before the first run. */
  maintenanceLastRunAt?: string | null;
}

/** The verdict: `down` when ingestion is wanted but failing, `degraded` for any other reason. */
export function assessHealth(
  facts: HealthFacts,
  t: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS,
): { status: "ok" | "degraded" | "down"; reasons: string[] } {
  const reasons: string[] = [];
  let down = false;
  const ing = facts.ingestor;
  if (facts.desired === "running" && !ing.connected) {
    if (ing.last_error !== null) {
      down = true;
      reasons.push(`ingestor disconnected and backing off after an error: ${ing.last_error.slice(0, 200)}`);
    } else {
      reasons.push("ingestor disconnected (wanted running)");
    }
  }
  if (facts.desired === "running" && ing.lag_seconds !== null && ing.lag_seconds > t.maxLagSeconds) {
    reasons.push(`ingestor lag ${Math.round(ing.lag_seconds)} s over the threshold of ${t.maxLagSeconds} s`);
  }
  const pending = facts.tables.reduce((n, x) => n + x.pending_rows, 0);
  if (pending > t.maxPendingRows) {
    reasons.push(`queue backlog: ${pending} rows wait for a table commit (threshold ${t.maxPendingRows})`);
  }
  if (ing.messages_unacknowledged > t.maxUnackedMessages) {
    reasons.push(
      `queue backlog: ${ing.messages_unacknowledged} messages not yet consumed (threshold ${t.maxUnackedMessages})`,
    );
  }
  if (facts.deadLettersToReplay > 0) {
    reasons.push(`${facts.deadLettersToReplay} dead letter(s) waiting for a replay`);
  }
  for (const table of facts.tables) {
    if (table.last_error !== null) {
      reasons.push(`${table.table}: last commit failed: ${table.last_error.slice(0, 200)}`);
    }
    if (table.pending_rows === 0) continue;
    // Rows are late for a commit when the oldest of them has waited longer than the threshold
    // (a long-idle table that just received rows is not late; a table never committed can be).
    const since = (iso: string | null | undefined) => iso ? (facts.now - Date.parse(iso)) / 1000 : null;
    const lastCommitAge = since(table.last_commit_at);
    const waited = table.oldest_pending_at !== undefined ? since(table.oldest_pending_at) : lastCommitAge;
    if (waited !== null && waited > t.maxCommitAgeSeconds) {
      const last = lastCommitAge === null
        ? "no commit yet"
        : `last commit ${Math.round(lastCommitAge)} s ago`;
      const pending = `${table.pending_rows} rows pending for ${Math.round(waited)} s`;
      reasons.push(
        `${table.table}: last commit too old: ${pending} (threshold ${t.maxCommitAgeSeconds} s; ${last})`,
      );
    }
  }
  if (typeof facts.maintenanceLastRunAt === "string") { // null: no run yet, nothing to be late for
    const hours = (facts.now - Date.parse(facts.maintenanceLastRunAt)) / 3_600_000;
    if (hours > t.maxMaintenanceAgeHours) {
      reasons.push(
        `maintenance overdue: last run ${hours.toFixed(1)} h ago (threshold ${t.maxMaintenanceAgeHours} h)`,
      );
    }
  }
  if ((facts.uncorrectedLateEvents ?? 0) > 0) {
    reasons.push(`correction pending: ${facts.uncorrectedLateEvents} late event(s) not yet in gold`);
  }
  return { status: down ? "down" : reasons.length ? "degraded" : "ok", reasons };
}
