import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { computeKpis, type KpiAggregate, kpisFromRows, WINDOW_MS, windowName, windowStartOf } from "./kpi.ts";
import type { SilverRow } from "../../r2/tables/rows.ts";

const T0 = Date.UTC(2026, 0, 1); // 2026-01-01T00:00:00Z
const MIN = 60_000;

/** A silver row with only the KPI-relevant columns set meaningfully. */
function row(
  event_time: number,
  user_name: string,
  page: [string, string],
  bytes_diff: number,
  is_bot = false,
): SilverRow {
  return {
    event_id: `${event_time}-${user_name}-${bytes_diff}`,
    event_time,
    wiki: page[0],
    server_name: null,
    page_title: page[1],
    namespace: 0,
    change_type: "edit",
    user_name,
    is_bot,
    is_minor: false,
    bytes_diff,
    processing_delay_seconds: 0,
    edit_size: bytes_diff > 500 ? "LARGE" : bytes_diff < -500 ? "LARGE_REMOVAL" : "SMALL",
    user_type: is_bot ? "BOT" : "REGISTERED",
    comment: null,
    revision_new: null,
    ingestion_time: event_time,
  };
}

const agg = (over: Partial<KpiAggregate>): KpiAggregate => ({
  window_start: T0,
  total_edits: 4,
  unique_editors: 3,
  active_pages: 3,
  bot_edits: 1,
  net_bytes_added: -150,
  large_edits_count: 1,
  revert_like_edits: 1,
  volatility_score: 1450,
  ...over,
});

describe("windowStartOf()", () => {
  it.each([
    [0, 0],
    [1, 0],
    [WINDOW_MS - 1, 0],
    [WINDOW_MS, WINDOW_MS],
    [T0 + 5 * MIN, T0 + 5 * MIN],
    [T0 + 5 * MIN - 1, T0],
    [-1, -WINDOW_MS],
    [-WINDOW_MS, -WINDOW_MS],
    [-WINDOW_MS - 1, -2 * WINDOW_MS],
  ])("puts %i in the window starting at %i", (t, start) => {
    expect(Object.is(windowStartOf(t), start)).toBe(true);
  });

  it("always returns an aligned start with start ≤ t < start + 5 min", () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (t) => {
        const start = windowStartOf(t);
        return start <= t && t < start + WINDOW_MS && Math.abs(start % WINDOW_MS) === 0;
      }),
      { numRuns: 5000 },
    );
  });

  it("rejects a non-finite time", () => {
    expect(() => windowStartOf(Number.NaN)).toThrow(RangeError);
  });
});

describe("windowName()", () => {
  it("names a window by its ISO-8601 UTC start, and refuses unaligned starts", () => {
    expect(windowName(T0 + 5 * MIN)).toBe("2026-01-01T00:05:00.000Z");
    expect(windowName(-WINDOW_MS)).toBe("1969-12-31T23:55:00.000Z");
    expect(() => windowName(T0 + 1)).toThrow(RangeError);
  });
});

describe("computeKpis()", () => {
  it("derives all 15 columns", () => {
    expect(computeKpis(agg({}))).toEqual({
      window_start: T0,
      window_end: T0 + 5 * MIN,
      total_edits: 4,
      unique_editors: 3,
      active_pages: 3,
      bot_edits: 1,
      human_edits: 3,
      net_bytes_added: -150,
      avg_bytes_per_edit: -37.5,
      large_edits_count: 1,
      revert_like_edits: 1,
      volatility_score: 1450,
      bot_edit_percentage: 25,
      edits_per_minute: 0.8,
      knowledge_trend: "SHRINKING",
    });
  });

  it("computes averages and percentages as doubles in the formula's order", () => {
    const k = computeKpis(agg({ total_edits: 3, bot_edits: 1, net_bytes_added: 10 }));
    expect(k.avg_bytes_per_edit).toBe(10 / 3);
    expect(k.bot_edit_percentage).toBe(100 / 3);
    expect(k.edits_per_minute).toBe(0.6);
    // 100 × bot / total, not bot / total × 100 (which would differ in the last bit).
    const seven = computeKpis(agg({ total_edits: 7, bot_edits: 1 }));
    expect(seven.bot_edit_percentage).toBe(14.285714285714286);
    expect((1 / 7) * 100).not.toBe(14.285714285714286);
  });

  it.each([
    [1, "GROWING"],
    [0, "STABLE"],
    [-1, "SHRINKING"],
  ])("says net %i bytes is %s", (net, trend) => {
    expect(computeKpis(agg({ net_bytes_added: net })).knowledge_trend).toBe(trend);
  });

  it("refuses an empty window or an unaligned start", () => {
    expect(() => computeKpis(agg({ total_edits: 0 }))).toThrow(RangeError);
    expect(() => computeKpis(agg({ window_start: T0 + 1 }))).toThrow(RangeError);
  });
});

describe("kpisFromRows()", () => {
  it("groups by window, with exact distinct counts", () => {
    const rows = [
      row(T0 + 1 * MIN, "Alice", ["enwiki", "A"], 600),
      row(T0 + 2 * MIN, "Bot", ["enwiki", "B"], -800, true),
      row(T0 + 3 * MIN, "1.2.3.4", ["dewiki", "A"], 50),
      row(T0 + 4 * MIN, "Alice", ["enwiki", "A"], 0),
      row(T0 + 5 * MIN, "Carol", ["enwiki", "C"], 10), // exactly at the first window's end
    ];
    const [first, second] = kpisFromRows(rows);
    // By hand: Alice, Bot, 1.2.3.4; pages enwiki/A, enwiki/B, dewiki/A; 600 − 800 + 50 + 0.
    expect(first).toEqual({
      window_start: T0,
      window_end: T0 + 5 * MIN,
      total_edits: 4,
      unique_editors: 3,
      active_pages: 3,
      bot_edits: 1,
      human_edits: 3,
      net_bytes_added: -150,
      avg_bytes_per_edit: -37.5,
      large_edits_count: 1,
      revert_like_edits: 1,
      volatility_score: 1450,
      bot_edit_percentage: 25,
      edits_per_minute: 0.8,
      knowledge_trend: "SHRINKING",
    });
    expect(second).toMatchObject({ window_start: T0 + 5 * MIN, total_edits: 1, knowledge_trend: "GROWING" });
  });

  it("does not confuse pages whose wiki and title would collide when joined", () => {
    const [k] = kpisFromRows([
      row(T0, "u", ["a|b", "c"], 0),
      row(T0, "u", ["a", "b|c"], 0),
      row(T0, "u", ["a\u0000b", "c"], 0),
      row(T0, "u", ["a", "b\u0000c"], 0),
      row(T0, "v", ["a", "b|c"], 0),
    ]);
    expect([k.active_pages, k.unique_editors]).toEqual([4, 2]);
  });

  it("handles times before 1970 and orders windows by start", () => {
    const windows = kpisFromRows([row(0, "a", ["w", "t"], 1), row(-1, "b", ["w", "t"], -1)]);
    expect(windows.map((w) => [w.window_start, w.window_end])).toEqual([[-WINDOW_MS, 0], [0, WINDOW_MS]]);
  });

  it("adds up across windows and does not depend on row order", () => {
    const arbRow = fc.tuple(
      fc.integer({ min: T0 - 30 * MIN, max: T0 + 30 * MIN }),
      fc.constantFrom("a", "b", "c"),
      fc.constantFrom<[string, string]>(["w", "x"], ["w", "y"], ["v", "x"]),
      fc.integer({ min: -2000, max: 2000 }),
      fc.boolean(),
    ).map(([t, u, p, d, b]) => row(t, u, p, d, b));
    fc.assert(
      fc.property(fc.array(arbRow, { maxLength: 60 }), fc.nat(), (rows, seed) => {
        const gold = kpisFromRows(rows);
        const shuffled = [...rows].sort((a, b) =>
          ((a.event_time * 31 + seed) % 97) - ((b.event_time * 31 + seed) % 97)
        );
        expect(kpisFromRows(shuffled)).toEqual(gold);
        expect(gold.reduce((n, g) => n + g.total_edits, 0)).toBe(rows.length);
        expect(gold.reduce((n, g) => n + g.net_bytes_added, 0)).toBe(
          rows.reduce((n, r) => n + r.bytes_diff, 0),
        );
        for (const g of gold) {
          const inWindow = rows.filter((r) => g.window_start <= r.event_time && r.event_time < g.window_end);
          expect(g.total_edits).toBe(inWindow.length);
          expect(g.bot_edits + g.human_edits).toBe(g.total_edits);
          expect(g.volatility_score).toBe(inWindow.reduce((n, r) => n + Math.abs(r.bytes_diff), 0));
          expect(g.large_edits_count).toBe(inWindow.filter((r) => r.bytes_diff > 500).length);
          expect(g.revert_like_edits).toBe(inWindow.filter((r) => r.bytes_diff < -500).length);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("returns no window for no rows", () => {
    expect(kpisFromRows([])).toEqual([]);
  });
});
