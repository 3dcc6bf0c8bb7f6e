import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { kpisFromRows, windowName } from "./kpi.ts";
import type { GoldInput } from "./gold_input.ts";
import type { SilverRow } from "../../r2/tables/rows.ts";

const START = Date.UTC(2026, 0, 1, 10, 0, 0);

function input(i: number, over: Partial<GoldInput> = {}): GoldInput {
  return {
    event_id: `e-${i}`,
    user_name: `user-${i % 3}`,
    wiki: i % 2 ? "enwiki" : "dewiki",
    page_title: `Page ${i % 4}`,
    is_bot: i % 5 === 0,
    bytes_diff: (i % 7) * 211 - 600,
    ...over,
  };
}

/** The reference formulas over the same rows, as silver rows. */
function expected(rows: GoldInput[]) {
  const silver = rows.map((r, i) => ({ ...r, event_time: START + i * 1000 }) as unknown as SilverRow);
  return kpisFromRows(silver)[0];
}

describe("GoldWindow", () => {
  it("counts each event once when the same batch arrives twice and out of order", async () => {
    const window = env.GOLD_WINDOW.getByName(windowName(START));
    const rows = Array.from({ length: 40 }, (_, i) => input(i));
    const first = await window.add(START, rows.slice(0, 25));
    const second = await window.add(START, [...rows].reverse());
    const third = await window.add(START, rows.slice(10, 30));
    expect([first.inserted, second.inserted, third.inserted]).toEqual([25, 15, 0]);
    const snapshot = await window.snapshot(START);
    expect(snapshot.row).toEqual(expected(rows));
    expect(snapshot.final).toBe(false);
  });

  it("keeps distinct (wiki, page) pairs exact even when names contain separators", async () => {
    const start = START + 300_000;
    const window = env.GOLD_WINDOW.getByName(windowName(start));
    await window.add(start, [
      input(1, { wiki: "a", page_title: "b|c" }),
      input(2, { wiki: "a|b", page_title: "c" }),
      input(3, { wiki: "a", page_title: "b|c" }),
    ]);
    expect((await window.snapshot(start)).row?.active_pages).toBe(2);
  });

  it("marks rows that arrive after finalization as late, leaving them out of nothing", async () => {
    const start = START + 600_000;
    const window = env.GOLD_WINDOW.getByName(windowName(start));
    await window.add(start, [input(1), input(2)]);
    const final = await window.finalize(start);
    expect(final.final).toBe(true);
    expect(final.row?.total_edits).toBe(2);
    const late = await window.add(start, [input(2), input(3)]);
    expect(late).toEqual({ inserted: 1, late: 1 });
    expect((await window.snapshot(start)).late_pending).toBe(1);
  });
});

describe("WatermarkTracker", () => {
  it("finalizes a window only when max event time − 10 min reaches its end, and commits its row to gold", async () => {
    const tracker = env.WATERMARK.getByName("test-watermark");
    const start = Date.UTC(2026, 0, 2, 0, 0, 0);
    const window = env.GOLD_WINDOW.getByName(windowName(start));
    await window.add(start, [input(1), input(2), input(3)]);
    await tracker.observe(start + 299_999 + 600_000 - 1, [{ start, inserted: 3, late: 0 }]);
    let [entry] = await tracker.windows(start, start + 1);
    expect(entry.state).toBe("open");
    const status = await tracker.observe(start + 300_000 + 600_000, []);
    expect(status.watermark).toBe(start + 300_000);
    // finalization runs in the tracker's alarm
    const deadline = Date.now() + 20_000;
    while (entry.state !== "final" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      [entry] = await tracker.windows(start, start + 1);
    }
    expect(entry.state).toBe("final");
    expect(entry.row).toEqual(await window.snapshot(start).then((s) => s.row));
    const gold = await env.TABLE_COMMITTER.getByName("table:gold_wiki_kpis").commitNow();
    expect(gold.rows).toBeGreaterThanOrEqual(1);
  });

  it("keeps the watermark when an older event time is reported", async () => {
    const tracker = env.WATERMARK.getByName("test-watermark-monotonic");
    await tracker.observe(Date.UTC(2026, 0, 3), []);
    const status = await tracker.observe(Date.UTC(2026, 0, 2), []);
    expect(status.max_event_time).toBe(Date.UTC(2026, 0, 3));
  });
});
