/**
 * /api/health's verdict triggered for real against the local bindings: a dead letter in R2, an
 * ingestor whose stream server is gone (connection refused → backing off → "down"), and an
 * operator stop. The HTTP status stays 200 in every state.
 */
import { env, exports } from "cloudflare:workers";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { DEAD_LETTER_PREFIX } from "../pipeline.ts";

const asAny = (b: unknown): any => b;
const AUTH = { Authorization: `Bearer ${env.ADMIN_TOKEN}` };
const fetchApp = (path: string, init?: RequestInit) =>
  (exports as any).default.fetch(new Request(`http://wikiflare.test${path}`, init));
const health = async () => {
  const response = await fetchApp("/api/health");
  expect(response.status).toBe(200);
  return await response.json().then(asAny) as { status: string; reasons: string[] };
};

describe("/api/health status and reasons", () => {
  it("a waiting dead letter degrades health with a reason; deleted it no longer counts", async () => {
    const before = await health();
    expect(before.reasons.some((r) => /dead letter/.test(r))).toBe(false);
    const key = `${DEAD_LETTER_PREFIX}health-test-batch.json`;
    await env.LAKE.put(key, JSON.stringify({ batch_id: "health-test" }));
    try {
      const h = await health();
      expect(h.status).toBe("degraded");
      expect(h.reasons).toContain("1 dead letter(s) waiting for a replay");
    } finally {
      await env.LAKE.delete(key);
    }
    expect((await health()).reasons.some((r) => /dead letter/.test(r))).toBe(false);
  });

  it("a stream server that is gone makes the wanted ingestor back off: down, with the error", async () => {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    const started = await fetchApp("/api/admin/ingest/start?url=http%3A%2F%2F127.0.0.1%3A9%2Fstream", {
      method: "POST",
      headers: AUTH,
    });
    expect(started.status).toBe(200);
    try {
      let h = await health();
      for (let i = 0; i < 50 && h.status !== "down"; i++) {
        await sleep(200);
        h = await health();
      }
      expect(h.status).toBe("down");
      expect(h.reasons.find((r) => r.startsWith("ingestor disconnected and backing off after an error: ")))
        .toBeTruthy();
    } finally {
      const stopped = await fetchApp("/api/admin/ingest/stop", { method: "POST", headers: AUTH });
      expect(stopped.status).toBe(200);
    }
    // Stopped by the operator: no ingestor reason any more.
    const after = await health();
    expect(after.reasons.filter((r) => r.startsWith("ingestor"))).toEqual([]);
  });

  it("concurrent requests share one collection of the report (health is not rate-limited)", async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => fetchApp("/api/health")));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    const reports = await Promise.all(answers.map((r) => r.json().then(asAny)));
    expect(new Set(reports.map((r) => r.now)).size).toBe(1);
    // Nothing is kept once it settled: the next request collects afresh.
    await sleep(5);
    expect((await health() as any).now).not.toBe(reports[0].now);
  });
});
