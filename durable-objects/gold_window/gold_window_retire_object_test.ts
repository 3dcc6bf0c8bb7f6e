import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { windowName } from "./kpi.ts";
import type { JudgedInput } from "../watermark/admission.ts";
import type { AdmitRow } from "../watermark/admission.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MIN = 60_000;
/** The claim horizon at the default 24 h lookback: 7 d + 24 h + 1 d. */
const HORIZON = 9 * DAY;

function input(i: number, over: Partial<JudgedInput> = {}): JudgedInput {
  return {
    event_id: `r-${i}`,
    user_name: `user-${i % 3}`,
    wiki: "enwiki",
    page_title: `Page ${i % 4}`,
    is_bot: i % 5 === 0,
    bytes_diff: i * 100 - 900,
    late: false,
    ...over,
  };
}

describe("GoldWindow retirement", () => {
  it("keeps its rows (and refuses duplicates) within the horizon, then only the final aggregate", async () => {
    const start = Date.UTC(2026, 1, 1, 10, 0);
    const window = env.GOLD_WINDOW.getByName(windowName(start));
    const rows = Array.from({ length: 30 }, (_, i) => input(i));
    expect((await window.add(start, rows)).inserted).toBe(30);
    expect((await window.retire(start, start + DAY, HORIZON)).reason).toBe("not_final");
    const final = await window.finalize(start);
    // 30 rows, users user-0..2, pages Page 0..3, bots i = 0, 5, 10, 15, 20, 25.
    expect(final.row?.total_edits).toBe(30);
    expect(final.row?.unique_editors).toBe(3);
    expect(final.row?.bot_edits).toBe(6);

    // Within the horizon: nothing is dropped and a duplicate is still refused.
    const early = await window.retire(start, start + 5 * MIN + HORIZON - 1, HORIZON);
    expect(early).toEqual({ retired: false, rows_deleted: 0, reason: "within_horizon" });
    expect((await window.add(start, rows.slice(0, 10))).inserted).toBe(0);
    expect((await window.stats(start)).rows).toBe(30);

    // After it: the rows go, the aggregate stays exactly what it was.
    const now = start + 5 * MIN + HORIZON + 1;
    expect(await window.retire(start, now, HORIZON)).toEqual({ retired: true, rows_deleted: 30 });
    expect(await window.stats(start)).toEqual({ rows: 0, retired: true, refused_after_retire: 0 });
    const after = await window.snapshot(start);
    expect(after).toEqual({ ...final, late_pending: 0 });

    // A retired window takes nothing more: duplicates and anything else are refused and counted.
    const again = await window.add(start, [...rows.slice(0, 5), input(99)]);
    expect(again.inserted).toBe(0);
    expect(await window.stats(start)).toEqual({ rows: 0, retired: true, refused_after_retire: 6 });
    expect(await window.snapshot(start)).toEqual(after);
    expect(await window.retire(start, now + DAY, HORIZON)).toEqual({
      retired: true,
      rows_deleted: 0,
      reason: "already_retired",
    });
  });

  it("is not retired while late rows wait for the correction", async () => {
    const start = Date.UTC(2026, 1, 2, 10, 0);
    const window = env.GOLD_WINDOW.getByName(windowName(start));
    await window.add(start, [input(1), input(2)]);
    await window.finalize(start);
    await window.add(start, [input(3)]); // meets a final window: late
    const now = start + 30 * DAY;
    expect((await window.retire(start, now, HORIZON)).reason).toBe("late_pending");
    expect((await window.stats(start)).rows).toBe(3);
    const folded = await window.clearLate(start);
    expect(folded.row?.total_edits).toBe(3);
    expect(await window.retire(start, now, HORIZON)).toEqual({ retired: true, rows_deleted: 3 });
    expect(await window.snapshot(start)).toEqual(folded);
  });
});

function admitRow(i: number, eventTime: number): AdmitRow {
  return {
    event_id: `t-${eventTime}-${i}`,
    user_name: `user-${i % 2}`,
    wiki: "dewiki",
    page_title: `Seite ${i}`,
    is_bot: false,
    bytes_diff: 10 * i,
    event_time: eventTime,
  };
}

describe("WatermarkTracker.retireWindows", () => {
  it("retires only final windows past the horizon; the registry row and duplicates' refusal stay", async () => {
    const tracker = env.WATERMARK.getByName("tracker-retire");
    const start = Date.UTC(2026, 1, 10, 0, 0);
    const rows = [admitRow(1, start + MIN), admitRow(2, start + 2 * MIN), admitRow(3, start + 3 * MIN)];
    // A row 15 min later moves the watermark past the first window's end.
    await tracker.admit([{ owner: "m1", rows: [...rows, admitRow(4, start + 15 * MIN)] }]);
    let entry;
    for (let i = 0; i < 100 && entry?.state !== "final"; i++) {
      [entry] = await tracker.windows(start, start + 1);
      if (entry?.state !== "final") await new Promise((r) => setTimeout(r, 100));
    }
    expect(entry?.state).toBe("final");
    expect(entry?.row?.total_edits).toBe(3);
    const gold = env.GOLD_WINDOW.getByName(windowName(start));

    expect(await tracker.retireWindows(start + DAY, HORIZON)).toEqual({
      windows: 0,
      rows_deleted: 0,
      more: false,
    });
    expect((await gold.stats(start)).rows).toBe(3);
    // Within the horizon a redelivered owner is judged nothing twice.
    expect(await tracker.admit([{ owner: "m1", rows }])).toEqual({ windows: 0, late: 0 });

    const now = start + 10 * DAY;
    expect(await tracker.retireWindows(now, HORIZON)).toEqual({ windows: 1, rows_deleted: 3, more: false });
    expect((await gold.stats(start)).rows).toBe(0);
    // The still-open later window keeps its row.
    expect((await env.GOLD_WINDOW.getByName(windowName(start + 15 * MIN)).stats(start + 15 * MIN)).rows)
      .toBe(1);
    const [kept] = await tracker.windows(start, start + 1);
    expect(kept).toEqual(entry);
    expect(await gold.snapshot(start)).toMatchObject({ final: true, late_pending: 0, row: entry!.row });
    // Idempotent: a second run finds nothing.
    expect(await tracker.retireWindows(now, HORIZON)).toEqual({ windows: 0, rows_deleted: 0, more: false });
  });
});
