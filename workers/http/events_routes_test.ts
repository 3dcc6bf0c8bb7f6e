import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { SilverRow } from "../../r2/tables/rows.ts";
import { feedEventsRollup } from "../events_feed_binding.ts";

const BASE = "http://wikiflare.test";
const fetchApp = (path: string) => (exports as any).default.fetch(new Request(`${BASE}${path}`));
const fixture = inject("drilldown");
const rows = fixture.rows as unknown as SilverRow[];
const owners = Array.from({ length: Math.ceil(rows.length / 100) }, (_, i) => ({
  owner: `drilldown-test:${i}`,
  rows: rows.slice(i * 100, i * 100 + 100),
}));

const query = (params: Record<string, string | undefined>) =>
  new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined))
    .toString();

describe("silver drill-down routes vs DuckDB over testdata/synth-1000-seed7.jsonl", () => {
  beforeAll(async () => {
    expect(await feedEventsRollup(env, owners)).toBe(rows.length);
  }, 120_000);

  it("a redelivered batch never counts twice", async () => {
    expect(await feedEventsRollup(env, owners.slice(0, 3))).toBe(0);
    // the same rows under a new owner (e.g. a correction merge of events already there): no new rows
    expect(await feedEventsRollup(env, [{ owner: "drilldown-test:again", rows: rows.slice(0, 50) }])).toBe(0);
  });

  it.each(fixture.cases.map((c, i) => [`${c.path}?${query(c.params)}`, i] as const))(
    "GET /api/events/%s",
    async (path, i) => {
      const response = await fetchApp(`/api/events/${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(fixture.expected[i]);
    },
  );
});

describe("drill-down 400s", () => {
  const ok = "from=2031-07-01T00:00:00Z&to=2031-07-01T01:00:00Z";
  const bad = [
    `timeseries?${ok}&bucket=2m`,
    `timeseries?${ok}&user_type=bot`,
    `timeseries?${ok}&edit_size=HUGE`,
    `timeseries?${ok}&change_type=EDIT`,
    `timeseries?${ok}&wiki=En-Wiki`,
    `timeseries?${ok}&wiki=${"a".repeat(65)}`,
    `timeseries?${ok}&wiki=enwiki&wiki=dewiki`,
    `breakdown?${ok}&by=wiki&by=user_type`,
    `breakdown?${ok}`,
    `breakdown?${ok}&by=page_title`,
    `breakdown?${ok}&by=wiki&limit=0`,
    `breakdown?${ok}&by=wiki&limit=101`,
    `top-pages?${ok}&limit=abc`,
    `top-pages?${ok}&limit=1.5`,
    `recent?${ok}&limit=501`,
    `recent?${ok}&limit=-1`,
    `recent?${ok}&from=2031-07-01T00:00:00Z`,
    "recent?from=2031-07-01T01:00:00Z&to=2031-07-01T01:00:00Z",
    "recent?from=2031-07-01T02:00:00Z&to=2031-07-01T01:00:00Z",
    "timeseries?from=2031-07-01T00:00:00Z&to=2031-07-08T00:00:00.001Z",
    "timeseries?from=2031-07-01&to=2031-07-02T00:00:00Z",
    "timeseries?from=yesterday&to=2031-07-02T00:00:00Z",
  ];
  it.each(bad)("GET /api/events/%s → 400 with the JSON error shape", async (path) => {
    const response = await fetchApp(`/api/events/${path}`);
    expect(response.status).toBe(400);
    const body = await response.json() as { error: { status: number; message: string } };
    expect(body.error.status).toBe(400);
    expect(body.error.message.length).toBeGreaterThan(5);
    expect(Object.keys(body)).toEqual(["error"]);
  });

  it("exactly 168 hours is allowed", async () => {
    const response = await fetchApp(
      "/api/events/timeseries?from=2031-07-01T00:00:00Z&to=2031-07-08T00:00:00Z&bucket=1h",
    );
    expect(response.status).toBe(200);
    expect(((await response.json()) as { points: unknown[] }).points).toHaveLength(168);
  });
});
