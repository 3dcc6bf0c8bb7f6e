import { describe, expect, it } from "vitest";
import {
  assessHealth,
  DEFAULT_HEALTH_THRESHOLDS,
  type HealthFacts,
  healthThresholds,
} from "./health_reasons.ts";

const NOW = Date.UTC(2026, 0, 1, 12);
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();
const healthy: HealthFacts = {
  now: NOW,
  desired: "running",
  ingestor: { connected: true, last_error: null, lag_seconds: 2, messages_unacknowledged: 0 },
  tables: [{ table: "bronze_wiki_events", last_commit_at: iso(5_000), pending_rows: 10, last_error: null }],
  deadLettersToReplay: 0,
  uncorrectedLateEvents: 0,
  maintenanceLastRunAt: iso(3_600_000),
};
const facts = (
  patch: Partial<HealthFacts>,
  ingestor: Partial<HealthFacts["ingestor"]> = {},
): HealthFacts => ({
  ...healthy,
  ...patch,
  ingestor: { ...healthy.ingestor, ...ingestor },
});

describe("assessHealth()", () => {
  it("is ok with no reason when everything is within its threshold", () => {
    expect(assessHealth(healthy)).toEqual({ status: "ok", reasons: [] });
  });

  it("an operator-stopped ingestor is no reason (it is wanted that way)", () => {
    expect(assessHealth(facts({ desired: "stopped" }, { connected: false, lag_seconds: 9_999 }))).toEqual({
      status: "ok",
      reasons: [],
    });
  });

  it("a wanted ingestor that is disconnected is degraded; backing off after an error is down", () => {
    expect(assessHealth(facts({}, { connected: false }))).toEqual({
      status: "degraded",
      reasons: ["ingestor disconnected (wanted running)"],
    });
    const r = assessHealth(facts({}, { connected: false, last_error: "fetch failed: ECONNREFUSED" }));
    expect(r.status).toBe("down");
    expect(r.reasons).toEqual([
      "ingestor disconnected and backing off after an error: fetch failed: ECONNREFUSED",
    ]);
  });

  it("names each threshold it crosses, with the value and the threshold", () => {
    const t = { ...DEFAULT_HEALTH_THRESHOLDS, maxLagSeconds: 60, maxPendingRows: 100, maxUnackedMessages: 5 };
    const r = assessHealth(
      facts({
        tables: [{
          table: "silver_wiki_events",
          last_commit_at: iso(700_000),
          pending_rows: 150,
          last_error: null,
        }],
        deadLettersToReplay: 2,
        uncorrectedLateEvents: 7,
        maintenanceLastRunAt: iso(7 * 3_600_000),
      }, { lag_seconds: 61, messages_unacknowledged: 6 }),
      t,
    );
    expect(r).toEqual({
      status: "degraded",
      reasons: [
        "ingestor lag 61 s over the threshold of 60 s",
        "queue backlog: 150 rows wait for a table commit (threshold 100)",
        "queue backlog: 6 messages not yet consumed (threshold 5)",
        "2 dead letter(s) waiting for a replay",
        "silver_wiki_events: last commit too old: 150 rows pending for 700 s (threshold 600 s; last commit 700 s ago)",
        "maintenance overdue: last run 7.0 h ago (threshold 6 h)",
        "correction pending: 7 late event(s) not yet in gold",
      ],
    });
  });

  it("an old last commit is only too old while rows wait for it", () => {
    const idle = facts({
      tables: [{
        table: "gold_wiki_kpis",
        last_commit_at: iso(86_400_000),
        pending_rows: 0,
        last_error: null,
      }],
    });
    expect(assessHealth(idle).status).toBe("ok");
  });

  it("counts the wait of the oldest pending row: fresh rows after a long idle are not late, a never-committed table can be", () => {
    const table = (patch: Partial<HealthFacts["tables"][number]>) =>
      facts({
        tables: [{
          table: "silver_wiki_events",
          last_commit_at: iso(86_400_000),
          pending_rows: 3,
          oldest_pending_at: iso(2_000),
          last_error: null,
          ...patch,
        }],
      });
    expect(assessHealth(table({})).status).toBe("ok");
    expect(assessHealth(table({ oldest_pending_at: iso(601_000) })).reasons).toEqual([
      "silver_wiki_events: last commit too old: 3 rows pending for 601 s (threshold 600 s; last commit 86400 s ago)",
    ]);
    expect(assessHealth(table({ last_commit_at: null, oldest_pending_at: iso(900_000) })).reasons).toEqual([
      "silver_wiki_events: last commit too old: 3 rows pending for 900 s (threshold 600 s; no commit yet)",
    ]);
  });

  it("a failed commit is degraded; maintenance never run or not reported is not overdue", () => {
    const r = assessHealth(facts({
      tables: [{
        table: "bronze_wiki_events",
        last_commit_at: null,
        pending_rows: 0,
        last_error: "R2 put failed",
      }],
      maintenanceLastRunAt: null,
    }));
    expect(r).toEqual({
      status: "degraded",
      reasons: ["bronze_wiki_events: last commit failed: R2 put failed"],
    });
    expect(assessHealth(facts({ maintenanceLastRunAt: undefined })).status).toBe("ok");
  });
});

describe("healthThresholds()", () => {
  it("reads the HEALTH_* vars and keeps the default for missing or invalid ones", () => {
    expect(healthThresholds({
      HEALTH_MAX_LAG_SECONDS: "30",
      HEALTH_MAX_PENDING_ROWS: "-5",
      HEALTH_MAX_COMMIT_AGE_SECONDS: "abc",
      HEALTH_MAX_MAINTENANCE_AGE_HOURS: "2.5",
    })).toEqual({
      ...DEFAULT_HEALTH_THRESHOLDS,
      maxLagSeconds: 30,
      maxMaintenanceAgeHours: 2.5,
    });
    expect(healthThresholds({})).toEqual(DEFAULT_HEALTH_THRESHOLDS);
  });
});
