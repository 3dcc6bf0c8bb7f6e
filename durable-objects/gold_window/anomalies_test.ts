import { describe, expect, it } from "vitest";
import { type AnomalyInput, detectAnomalies } from "./anomalies.ts";
import { openDuckDb } from "../../r2/testing/duckdb_support.ts";
import { anomalySignalsSql } from "../../r2/testing/anomaly_sql.ts";

const START = Date.UTC(2026, 0, 1);
const FIVE_MIN = 300_000;

/** Two quiet hours with a spike, a revert wave, a gap and a flat stretch (σ = 0). */
function windows(): AnomalyInput[] {
  const out: AnomalyInput[] = [];
  for (let i = 0; i < 40; i++) {
    if (i >= 20 && i < 27) continue; // a 35-minute gap: the windows after it have a short baseline
    const flat = i >= 30 && i < 37;
    out.push({
      window_start: START + i * FIVE_MIN,
      total_edits: flat ? 500 : i === 14 ? 2400 : 400 + ((i * 37) % 90),
      revert_like_edits: flat ? 3 : i === 17 ? 60 : i === 9 ? 4 : 2 + (i % 4),
    });
  }
  return out;
}

/** The same signals by DuckDB SQL written from DESIGN.md §6 (window frames over the last hour). */
async function expectedBySql(rows: AnomalyInput[], from: number, to: number) {
  const db = await openDuckDb();
  try {
    const values = rows.map((r) => `(${r.window_start}, ${r.total_edits}, ${r.revert_like_edits})`).join(",");
    const sql = anomalySignalsSql(`(VALUES ${values}) t(ws, total, reverts)`, from, to);
    return (await db.rows(sql)).map((r) => ({
      window_start: Number(r.ws),
      signal: r.signal,
      value: Number(r.value),
      mean: Number(r.mean),
      stddev: Number(r.sd),
    }));
  } finally {
    db.close();
  }
}

describe("detectAnomalies", () => {
  it("raises exactly the signals DuckDB SQL finds over the same windows, in order", async () => {
    const rows = windows();
    const from = START, to = START + 40 * FIVE_MIN;
    const expected = await expectedBySql(rows, from, to);
    const got = detectAnomalies([...rows].reverse(), from, to);
    expect(expected.map((e) => e.signal)).toContain("EDIT_SPIKE");
    expect(expected.map((e) => e.signal)).toContain("REVERT_WAVE");
    expect(got.map(({ window_start, signal, value }) => ({ window_start, signal, value }))).toEqual(
      expected.map(({ window_start, signal, value }) => ({ window_start, signal, value })),
    );
    got.forEach((g, i) => {
      expect(g.mean).toBeCloseTo(expected[i].mean, 9);
      expect(g.stddev).toBeCloseTo(expected[i].stddev, 9);
      expect(g.z).toBeCloseTo((g.value - expected[i].mean) / expected[i].stddev, 9);
    });
  });

  it("needs six baseline windows, ignores σ = 0 and reverts below 5, and keeps to [from, to)", () => {
    const rows = windows();
    const spike = START + 14 * FIVE_MIN;
    expect(detectAnomalies(rows, spike, spike + FIVE_MIN).map((a) => a.signal)).toEqual(["EDIT_SPIKE"]);
    expect(detectAnomalies(rows, spike + FIVE_MIN, spike + 2 * FIVE_MIN)).toEqual([]);
    // window 9 has 4 reverts (below the floor of 5); five windows are too short a baseline
    expect(detectAnomalies(rows, START + 9 * FIVE_MIN, START + 10 * FIVE_MIN)).toEqual([]);
    expect(detectAnomalies(rows.slice(0, 5), START, START + 5 * FIVE_MIN)).toEqual([]);
    expect(detectAnomalies([], START, START + FIVE_MIN)).toEqual([]);
  });
});
