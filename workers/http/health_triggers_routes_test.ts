/**
 * /api/health's remaining reasons triggered for real on the local bindings (dead letters and a
 * backing-off ingestor are in health_routes_test.ts, a pending correction in
 * admin_correction_routes_test.ts, an admission gap in ordered_redelivery_handler_test.ts): an
 * ingestor that stopped while ingestion is wanted, a queue backlog, a too-old last commit and the
 * ingestor's lag while a replay runs, and overdue maintenance after a real maintenance run. The thresholds are the `HEALTH_*` vars (lowered here to 0 where a
 * test needs the state to count); the same state under the default thresholds reports nothing of
 * it. The HTTP status stays 200 in every state.
 */
import { env } from "cloudflare:workers";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, inject, it } from "vitest";
import { app } from "./app.ts";
import { ingestorStub } from "../pipeline.ts";

const AUTH = { Authorization: `Bearer ${env.ADMIN_TOKEN}` };
type Health = { status: string; reasons: string[]; ingestor: { lag_seconds: number | null } };
const health = async (vars: Record<string, string> = {}): Promise<Health> => {
  const response = await app.request("/api/health", {}, { ...env, ...vars });
  expect(response.status).toBe(200);
  return await response.json() as Health;
};
const admin = async (path: string) => {
  const response = await app.request(path, { method: "POST", headers: AUTH }, env);
  expect(response.status).toBe(200);
  return await response.json() as Record<string, unknown>;
};
// These tests ingest the recordings through the whole local pipeline; on a loaded 2-core machine
// the first one (cold objects) took 7–40 s: a generous bound, nothing timed is asserted.
const REPLAY_TEST_TIMEOUT_MS = 180_000;
const startUrl = `/api/admin/ingest/start?url=${encodeURIComponent(inject("replayStreamUrl"))}`;

describe("/api/health triggers", () => {
  afterAll(async () => {
    await admin("/api/admin/ingest/stop");
  });

  it(
    "an ingestor that stopped while ingestion is wanted: degraded, 'ingestor disconnected (wanted running)'",
    async () => {
      await admin(startUrl);
      // The ingestor halts without the operator asking (as an evicted object does until the
      // cron watchdog restarts it): PipelineControl still wants it running.
      await ingestorStub(env).stop();
      const h = await health();
      expect(h.status).toBe("degraded");
      expect(h.reasons).toContain("ingestor disconnected (wanted running)");
      await admin("/api/admin/ingest/stop");
      expect((await health()).reasons.filter((r) => r.startsWith("ingestor"))).toEqual([]);
    },
    REPLAY_TEST_TIMEOUT_MS,
  );

  it("a replay in flight shows a queue backlog and a too-old last commit under zero thresholds", async () => {
    const zero = {
      HEALTH_MAX_PENDING_ROWS: "0",
      HEALTH_MAX_UNACKED_MESSAGES: "0",
      HEALTH_MAX_COMMIT_AGE_SECONDS: "0",
    };
    const patterns = {
      rows: /^queue backlog: \d+ rows wait for a table commit \(threshold 0\)$/,
      messages: /^queue backlog: \d+ messages not yet consumed \(threshold 0\)$/,
      commit:
        /^[a-z_]+: last commit too old: \d+ rows pending for \d+ s \(threshold 0 s; (last commit \d+ s ago|no commit yet)\)$/,
    };
    const seen = new Map<keyof typeof patterns, Health>();
    const defaultsSaidBacklog: string[] = [];
    await admin(startUrl);
    try {
      for (let i = 0; i < 600 && seen.size < 3; i++) {
        const h = await health(zero);
        for (const [name, pattern] of Object.entries(patterns) as [keyof typeof patterns, RegExp][]) {
          if (!seen.has(name) && h.reasons.some((r) => pattern.test(r))) seen.set(name, h);
        }
        const d = await health();
        defaultsSaidBacklog.push(...d.reasons.filter((r) => /queue backlog|too old/.test(r)));
        await sleep(25);
      }
    } finally {
      await admin("/api/admin/ingest/stop");
    }
    expect([...seen.keys()].sort()).toEqual(["commit", "messages", "rows"]);
    for (const h of seen.values()) expect(h.status).not.toBe("ok");
    expect(defaultsSaidBacklog).toEqual([]); // the same states stay under the default thresholds
  }, REPLAY_TEST_TIMEOUT_MS);

  it(
    "a replay of recorded (hours-old) events: 'ingestor lag' over HEALTH_MAX_LAG_SECONDS, none under a higher one",
    async () => {
      await admin(startUrl);
      try {
        let h = await health();
        for (let i = 0; i < 400 && h.ingestor.lag_seconds === null; i++) {
          await sleep(25);
          h = await health();
        }
        const lag = h.ingestor.lag_seconds;
        expect(lag).toBeGreaterThan(3_600); // the recordings are from 2025–2026, read now
        const over = await health({ HEALTH_MAX_LAG_SECONDS: String(lag! - 60) });
        expect(over.status).not.toBe("ok");
        const reason = over.reasons.find((r) => r.startsWith("ingestor lag "));
        expect(reason).toMatch(new RegExp(`^ingestor lag \\d+ s over the threshold of ${lag! - 60} s$`));
        expect(Number(/^ingestor lag (\d+)/.exec(reason!)![1])).toBeGreaterThanOrEqual(lag! - 60);
        const under = await health({ HEALTH_MAX_LAG_SECONDS: String(lag! + 86_400) });
        expect(under.reasons.filter((r) => r.startsWith("ingestor lag"))).toEqual([]);
      } finally {
        await admin("/api/admin/ingest/stop");
      }
      // Lag only counts while ingestion is wanted: stopped by the operator, no lag reason.
      expect((await health({ HEALTH_MAX_LAG_SECONDS: "0" })).reasons.filter((r) => r.startsWith("ingestor")))
        .toEqual([]);
    },
    REPLAY_TEST_TIMEOUT_MS,
  );

  it("maintenance overdue: a real run older than HEALTH_MAX_MAINTENANCE_AGE_HOURS degrades health", async () => {
    await admin("/api/admin/maintenance?job=expire_snapshots&table=gold_wiki_kpis");
    await sleep(50);
    const h = await health({ HEALTH_MAX_MAINTENANCE_AGE_HOURS: "0" });
    expect(h.status).not.toBe("ok");
    expect(h.reasons).toContain("maintenance overdue: last run 0.0 h ago (threshold 0 h)");
    expect((await health()).reasons.some((r) => r.startsWith("maintenance overdue"))).toBe(false);
  });
});
