import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { SilverRow } from "../../r2/tables/rows.ts";
import { admitToGold } from "../queue/ingest_messages.ts";
import { readSse, type SseStream } from "../../test/workerd/sse_client.ts";

const BASE = "http://wikiflare.test";
const fetchApp = (path: string, init?: RequestInit): Promise<Response> =>
  (exports as any).default.fetch(new Request(`${BASE}${path}`, init));
const getJson = async (path: string) => await (await fetchApp(path)).json() as any;

// Two UTC days (2036-02-01 23:58 and 2036-02-02 00:01), so two EventsRollup objects hold rows.
const T0 = Date.UTC(2036, 1, 1, 23, 58);
const RANGE = `from=${new Date(T0 - 60_000).toISOString()}&to=${new Date(T0 + 3_600_000).toISOString()}`;

function row(i: number): SilverRow {
  const t = T0 + 60_000 * i;
  return {
    event_id: `reset-${i}`,
    event_time: t,
    wiki: "enwiki",
    server_name: "en.wikipedia.org",
    page_title: `P${i}`,
    namespace: 0,
    change_type: "edit",
    user_name: `U${i}`,
    is_bot: i % 2 === 0,
    is_minor: false,
    bytes_diff: 5,
    processing_delay_seconds: 1,
    edit_size: "SMALL",
    user_type: i % 2 === 0 ? "BOT" : "REGISTERED",
    comment: null,
    revision_new: i,
    ingestion_time: t + 1_000,
  };
}

let live: SseStream | null = null;
afterEach(async () => {
  await live?.close();
  live = null;
});

describe("POST /api/admin/reset", () => {
  it("also empties the drill-down rollups of every day and restarts the live hub", async () => {
    const rows = [0, 1, 2, 3, 4].map(row); // 23:58, 23:59 | 00:00, 00:01, 00:02
    await admitToGold(env, [{ owner: "reset-test:1", rows }]);
    expect((await getJson(`/api/events/recent?${RANGE}`)).events).toHaveLength(5);
    const breakdown = await getJson(`/api/events/breakdown?by=user_type&${RANGE}`);
    expect(breakdown.rows).toEqual([{ key: "BOT", events: 3 }, { key: "REGISTERED", events: 2 }]);

    live = readSse(await fetchApp("/api/live"));
    const before = JSON.parse((await live.waitFor((f) => f.event === "ready")).data);

    const response = await fetchApp("/api/admin/reset?confirm=yes", {
      method: "POST",
      headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(200);
    const report = await response.json() as any;
    expect(report.rollup_days).toBeGreaterThanOrEqual(2);
    expect(report.live_subscribers).toBe(1);

    // the subscriber is told, and a resume with its old id is answered a reset
    const reset = await live.waitFor((f) => f.event === "reset");
    expect(JSON.parse(reset.data)).toEqual({ reason: "pipeline_reset" });
    const again = readSse(
      await fetchApp("/api/live", { headers: { "Last-Event-ID": `${before.epoch}-${before.seq}` } }),
    );
    await again.waitFor((f) => f.event === "ready");
    expect(again.frames[0]!.event).toBe("reset");
    expect(again.frames.filter((f) => f.event === "window")).toEqual([]);
    await again.close();

    // every drill-down of both days is empty
    expect((await getJson(`/api/events/recent?${RANGE}`)).events).toEqual([]);
    expect((await getJson(`/api/events/breakdown?by=wiki&${RANGE}`)).rows).toEqual([]);
    expect((await getJson(`/api/events/top-pages?${RANGE}`)).rows).toEqual([]);
    const series = await getJson(`/api/events/timeseries?bucket=1h&${RANGE}`);
    expect(series.points.map((p: any) => p.events)).toEqual([0, 0]);
    expect((await getJson(`/api/kpis?${RANGE}`)).windows).toEqual([]);

    // the pipeline takes the same rows again afterwards (nothing remembered from before)
    await admitToGold(env, [{ owner: "reset-test:1", rows }]);
    expect((await getJson(`/api/events/recent?${RANGE}`)).events).toHaveLength(5);
  });
});
