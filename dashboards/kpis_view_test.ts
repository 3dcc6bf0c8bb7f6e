import { describe, expect, it } from "vitest";
import { GOLD_COLUMNS, mergeWindow, renderKpis, toBigNumbers, toCsv } from "./kpis_view.ts";
import type { KpiWindowT } from "../workers/http/api_schemas.ts";

function win(start: string, extra: Partial<KpiWindowT> = {}): KpiWindowT {
  const s = Date.parse(start);
  return {
    window_start: new Date(s).toISOString(),
    window_end: new Date(s + 300_000).toISOString(),
    final: true,
    corrected_pending: false,
    late_events: 0,
    total_edits: 10,
    unique_editors: 4,
    active_pages: 7,
    bot_edits: 3,
    human_edits: 7,
    net_bytes_added: 100,
    avg_bytes_per_edit: 10,
    large_edits_count: 1,
    revert_like_edits: 0,
    volatility_score: 900,
    bot_edit_percentage: 30,
    edits_per_minute: 2,
    knowledge_trend: "GROWING",
    ...extra,
  };
}

const w1 = win("2026-01-01T10:00:00Z");
const w2 = win("2026-01-01T10:05:00Z", {
  final: false,
  total_edits: 25,
  unique_editors: 3,
  active_pages: 7,
  net_bytes_added: -50,
  knowledge_trend: "SHRINKING",
  edits_per_minute: 5,
});

describe("toBigNumbers()", () => {
  it("shows the newest window and its change vs the window before", () => {
    expect(toBigNumbers([w1, w2]).map((b) => [b.column, b.value, b.delta])).toEqual([
      ["total_edits", 25, 15],
      ["unique_editors", 3, -1],
      ["active_pages", 7, 0],
      ["net_bytes_added", -50, -150],
    ]);
    expect(toBigNumbers([w1]).every((b) => b.delta === null)).toBe(true);
  });
});

describe("renderKpis()", () => {
  it("marks the open newest window provisional and a corrected one pending", () => {
    const v = renderKpis({ kind: "data", windows: [w1, w2], anomalies: [], live: "live" });
    expect(v.state).toBe("ready");
    expect(v.newest?.provisional).toBe(true);
    expect(v.table[0].provisional).toBe(true); // newest first
    const c = renderKpis({
      kind: "data",
      windows: [win(w1.window_start, { corrected_pending: true })],
      anomalies: [],
      live: "live",
    });
    expect(c.newest?.corrected).toBe(true);
    expect(c.table[0].corrected).toBe(true);
  });

  it("shows the window bounds as one-line UTC minutes and keeps the ISO strings beside them", () => {
    const v = renderKpis({ kind: "data", windows: [w1, w2], anomalies: [], live: "live" });
    expect(v.table.map((r) => r.cells.slice(0, 2))).toEqual([
      ["2026-01-01 10:05", "2026-01-01 10:10"],
      ["2026-01-01 10:00", "2026-01-01 10:05"],
    ]);
    expect(v.table.map((r) => r.iso)).toEqual([
      ["2026-01-01T10:05:00.000Z", "2026-01-01T10:10:00.000Z"],
      ["2026-01-01T10:00:00.000Z", "2026-01-01T10:05:00.000Z"],
    ]);
    expect(toCsv([w1]).split("\r\n")[1]).toMatch(/^2026-01-01T10:00:00\.000Z,2026-01-01T10:05:00\.000Z,/);
  });

  it("gives the series, the gauge against the range's max, trends and anomaly markers", () => {
    const anomaly = {
      window_start: w2.window_start,
      signal: "EDIT_SPIKE" as const,
      value: 25,
      mean: 10,
      stddev: 1,
      z: 15,
    };
    const v = renderKpis({ kind: "data", windows: [w1, w2], anomalies: [anomaly], live: "live" });
    expect(v.bot).toEqual([3, 3]);
    expect(v.human).toEqual([7, 7]);
    expect(v.gauge).toEqual({ value: 5, max: 5 });
    expect(v.trends.map((t) => [t.key, t.value])).toEqual([["GROWING", 1], ["STABLE", 0], ["SHRINKING", 1]]);
    expect(v.markers).toEqual([{
      x: Date.parse(w2.window_start) / 1000,
      signal: "EDIT_SPIKE",
      label: "EDIT_SPIKE at 01-01 10:05",
    }]);
  });

  it("keeps the windows when only the anomalies failed, and says why", () => {
    const v = renderKpis({ kind: "data", windows: [w1], anomalies: new Error("503"), live: "live" });
    expect(v.state).toBe("ready");
    expect(v.anomaliesError).toBe("Anomalies unavailable: 503");
    expect(v.markers).toEqual([]);
  });

  it("is empty without windows and tells errors apart", () => {
    expect(renderKpis({ kind: "data", windows: [], anomalies: [], live: "live" }).state).toBe("empty");
    expect(renderKpis({ kind: "error", message: "x" }).state).toBe("error");
  });
});

describe("toCsv() and mergeWindow()", () => {
  it("writes every gold column per window", () => {
    const lines = toCsv([w1]).trimEnd().split("\r\n");
    expect(lines[0].split(",")).toEqual([...GOLD_COLUMNS]);
    expect(lines[1].split(",")).toHaveLength(GOLD_COLUMNS.length);
    expect(lines[1]).toContain(
      "2026-01-01T10:00:00.000Z,2026-01-01T10:05:00.000Z,true,false,0,10,4,7,3,7,100",
    );
  });

  it("replaces a pushed window by window_start and ignores one outside the range", () => {
    const range = { from: Date.parse("2026-01-01T10:00:00Z"), to: Date.parse("2026-01-01T10:10:00Z") };
    const updated = { ...w2, total_edits: 30 };
    expect(mergeWindow([w1, w2], updated, range).map((w) => w.total_edits)).toEqual([10, 30]);
    expect(mergeWindow([w1], win("2026-01-01T10:10:00Z"), range)).toHaveLength(1);
  });
});
