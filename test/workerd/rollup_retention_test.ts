/**
 * EventsRollup retention (ROLLUP_RETENTION_DAYS, default 35) on real Durable Object storage: two
 * days of events go through the real queue consumer (rollups and the tracker's window registry
 * filled by the product's own path), a maintenance run at a time 36 days after the first day
 * deletes that day's object whole and keeps the next, a second run finds nothing, and the
 * drill-downs answer a 400 for a range that starts before the kept days.
 */
import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runMaintenance } from "../../workers/maintenance.ts";
import { feedEventsRollup } from "../../workers/events_feed_binding.ts";
import { buildRawEvents } from "../../r2/testing/raw_events_fixture.ts";
import { SILVER } from "../../r2/tables/schemas.ts";
import type { SilverRow } from "../../r2/tables/rows.ts";
import { deliverRawEvents } from "./queue_delivery.ts";

const DAY_MS = 86_400_000;
const fetchApp = (path: string) =>
  (exports as any).default.fetch(new Request(`http://wikiflare.test${path}`)) as Promise<Response>;
const iso = (ms: number) => new Date(ms).toISOString();
const dayOf = (ms: number) => iso(ms).slice(0, 10);
const tables = (stub: DurableObjectStub) =>
  runInDurableObject(
    stub,
    (_i: unknown, state) =>
      state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .toArray()
        .map((r) => r.name),
  );

describe("EventsRollup retention", () => {
  it("deletes the day objects past the retention whole, keeps the rest, and refuses ranges before them", async () => {
    expect(env.ROLLUP_RETENTION_DAYS).toBe("35");
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const yesterday = today - DAY_MS;
    // 40 events: even ones yesterday, odd ones today (buildRawEvents spreads them over `days`).
    const fixture = buildRawEvents({
      tag: "retention",
      valid: 40,
      resent: 0,
      bad: 0,
      days: 2,
      perMessage: 10,
      startMs: yesterday + 60_000,
      firstOffset: 7_000_000,
    });
    expect((await deliverRawEvents(fixture.messages)).retryMessages).toEqual([]);
    const [old, kept] = [
      env.EVENTS_ROLLUP.getByName(dayOf(yesterday)),
      env.EVENTS_ROLLUP.getByName(dayOf(today)),
    ];
    for (const stub of [old, kept]) expect(await tables(stub)).toContain("events");

    // 36 days after yesterday, yesterday is 36 days back: past the 35 kept before "today".
    const later = yesterday + 36 * DAY_MS;
    const run = await runMaintenance(env, { jobs: ["expire_snapshots"], tables: [SILVER.name], now: later });
    expect(run.rollup_retention).toMatchObject({
      retention_days: 35,
      kept_from: iso(today),
      days_dropped: [dayOf(yesterday)],
      complete: true,
      error: null,
    });
    expect(run.rollup_retention!.bytes_freed).toBeGreaterThan(0);
    console.log(
      `rollup-retention: dropped ${dayOf(yesterday)} (20 events): ${
        run.rollup_retention!.bytes_freed
      } B freed`,
    );
    expect(await tables(old)).toEqual([]); // deleteAll: not a table left
    expect(await tables(kept)).toContain("events");
    const again = await runMaintenance(env, {
      jobs: ["expire_snapshots"],
      tables: [SILVER.name],
      now: later,
    });
    expect(again.rollup_retention).toMatchObject({ days_dropped: [], complete: true, error: null });
    // Jobs without expiry, or on another table, leave the rollups alone.
    const other = await runMaintenance(env, { jobs: ["compact"], tables: [SILVER.name], now: later });
    expect(other.rollup_retention).toBeUndefined();

    // Today's day (inside the real clock's retention) still answers its 20 events.
    const day = `from=${iso(today)}&to=${iso(today + DAY_MS)}`;
    const breakdown = await fetchApp(`/api/events/breakdown?${day}&by=wiki`);
    expect(breakdown.status).toBe(200);
    expect(((await breakdown.json()) as { rows: unknown[] }).rows).toEqual([{ key: "enwiki", events: 20 }]);

    // A range that starts before the real clock's kept days is a 400 naming the first kept time.
    const keptFrom = today - 35 * DAY_MS;
    for (
      const range of [
        `from=${iso(keptFrom - 2 * DAY_MS)}&to=${iso(keptFrom - DAY_MS)}`,
        `from=${iso(keptFrom - 3_600_000)}&to=${iso(keptFrom + 3_600_000)}`,
      ]
    ) {
      const response = await fetchApp(`/api/events/timeseries?${range}&bucket=1h`);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: {
          status: 400,
          message: `the drill-downs keep the last 35 days: "from" must be ${iso(keptFrom)} or later`,
        },
      });
    }
    const first = await fetchApp(
      `/api/events/timeseries?from=${iso(keptFrom)}&to=${iso(keptFrom + 3_600_000)}&bucket=1h`,
    );
    expect(first.status).toBe(200);
    // A row of a day past the retention is not fed (its day object is not re-created); the same
    // row inside the retention is (a new event_id for that day).
    const row = (await kept.recent({ from: today, to: today + DAY_MS, filters: {} }, 1))[0] as SilverRow;
    const feed = (owner: string, eventTime: number) =>
      feedEventsRollup(env, [{ owner, rows: [{ ...row, event_time: eventTime }] }]);
    expect(await feed("retention:past", keptFrom - 1)).toBe(0);
    expect(await feed("retention:kept", keptFrom)).toBe(1);
  });
});
