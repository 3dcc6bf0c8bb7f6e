import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { windowName } from "./kpi.ts";
import type { JudgedInput } from "../watermark/admission.ts";
import { duckdbSql, goldOf } from "../../test/workerd/duckdb_oracle.ts";

const START = Date.UTC(2026, 0, 1, 10, 0, 0);

function input(i: number, over: Partial<JudgedInput> = {}): JudgedInput {
  return {
    event_id: `e-${i}`,
    user_name: `user-${i % 3}`,
    wiki: i % 2 ? "enwiki" : "dewiki",
    page_title: `Page ${i % 4}`,
    is_bot: i % 5 === 0,
    bytes_diff: (i % 7) * 211 - 600,
    late: false,
    ...over,
  };
}

/** The 15 gold columns of DESIGN §3 over the same rows, computed by DuckDB SQL (not the product's kpi.ts). */
async function expected(rows: JudgedInput[], start = START) {
  const input = rows.map(({ late: _late, ...r }, i) => ({ ...r, event_time: start + i * 1000 }));
  const [row] = await duckdbSql({ input }, [goldOf("want", "input"), "SELECT * FROM want"]);
  return row;
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
    expect(snapshot.row).toEqual(await expected(rows));
    expect(snapshot.committed).toEqual(await expected(rows));
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

  it("keeps late rows out of the committed row until clearLate folds them in", async () => {
    const start = START + 600_000;
    const window = env.GOLD_WINDOW.getByName(windowName(start));
    await window.add(start, [input(1), input(2), input(4, { late: true })]);
    const final = await window.finalize(start);
    expect(final.final).toBe(true);
    expect(final.committed).toEqual(await expected([input(1), input(2)], start));
    expect(final.row).toEqual(await expected([input(1), input(2), input(4)], start));
    // A row judged on time that still meets a final window is kept as late, never lost.
    const again = await window.add(start, [input(2), input(3)]);
    expect(again).toEqual({ inserted: 1, late: 1, late_pending: 2 });
    const folded = await window.clearLate(start);
    expect(folded.late_pending).toBe(0);
    expect(folded.committed).toEqual(await expected([input(1), input(2), input(3), input(4)], start));
  });
});
