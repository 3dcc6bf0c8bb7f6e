import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { windowName } from "../gold_window/kpi.ts";
import type { AdmitRow } from "./admission.ts";
import { duckdbSql, goldOf, judgedOf, readLakeTable } from "../../test/workerd/duckdb_oracle.ts";
import { IcebergTable } from "../../r2/iceberg/table_writer.ts";
import { R2BlobStore } from "../../r2/r2_blob_store_binding.ts";
import { GOLD } from "../../r2/tables/schemas.ts";

const MIN = 60_000;

function row(i: number, eventTime: number): AdmitRow {
  return {
    event_id: `ev-${eventTime}-${i}`,
    user_name: `user-${i % 4}`,
    wiki: "enwiki",
    page_title: `Page ${i % 3}`,
    is_bot: i % 2 === 0,
    bytes_diff: i * 300 - 700,
    event_time: eventTime,
  };
}

/**
 * DuckDB SQL (DESIGN §3, not the product's code) over rows in admission order: which are late
 * (the watermark of the rows before them passed their window's end), the gold row of the
 * window starting at `start` over the on-time rows (what finalization commits) and over all
 * rows (what a correction makes of it).
 */
async function oracle(rows: AdmitRow[], start: number) {
  const input = rows.map((r, n) => ({ ...r, n }));
  const judged = judgedOf("judged", "input");
  const [late] = await duckdbSql({ input }, [
    judged,
    "SELECT count(*) FILTER (WHERE is_late) AS n FROM judged",
  ]);
  const gold = async (where: string) =>
    (await duckdbSql({ input }, [
      judged,
      goldOf("g", `(SELECT * FROM judged WHERE ${where})`),
      `SELECT * FROM g WHERE window_start = ${start}`,
    ]))[0];
  return { late: Number(late.n), onTime: await gold("NOT is_late"), all: await gold("true") };
}

async function waitFinal(name: string, start: number) {
  const tracker = env.WATERMARK.getByName(name);
  for (let i = 0; i < 100; i++) {
    const [entry] = await tracker.windows(start, start + 1);
    if (entry?.state === "final") return entry;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`window ${windowName(start)} did not become final`);
}

function goldTable() {
  return new IcebergTable(new R2BlobStore(env.LAKE), {
    spec: GOLD,
    bucket: env.LAKE_BUCKET_NAME,
    warehouse: env.WAREHOUSE,
  });
}

describe("WatermarkTracker", () => {
  it("judges rows by the watermark of the rows before them, commits on-time rows, then corrects late ones", async () => {
    const name = "tracker-correction";
    const tracker = env.WATERMARK.getByName(name);
    const start = Date.UTC(2026, 0, 2, 0, 0);
    const onTime = [row(1, start + MIN), row(2, start + 2 * MIN)];
    // Within one owner: a row 15 min later moves the watermark past the window's end, so the
    // row after it is late even though it arrived in the same message.
    const lateRow = row(3, start + 3 * MIN);
    const first = await tracker.admit([{
      owner: "m1",
      rows: [...onTime, row(4, start + 15 * MIN), lateRow],
    }]);
    const want = await oracle([...onTime, row(4, start + 15 * MIN), lateRow], start);
    expect(want.late).toBe(1);
    expect(first).toEqual({ windows: 2, late: want.late });
    const entry = await waitFinal(name, start);
    expect(entry.row).toEqual(want.onTime);
    expect(entry.late).toBe(1);

    // Admitting the same owner again (a redelivery) judges nothing twice.
    expect(await tracker.admit([{ owner: "m1", rows: [lateRow] }])).toEqual({ windows: 0, late: 0 });
    const later = row(5, start + 4 * MIN);
    expect(await tracker.admit([{ owner: "m2", rows: [later] }])).toEqual({ windows: 1, late: 1 });
    expect((await tracker.status()).uncorrected_late_events).toBe(2);

    const committer = env.TABLE_COMMITTER.getByName("table:gold_wiki_kpis");
    await committer.commitNow();
    const before = await goldTable().snapshots();

    const report = await tracker.correct();
    expect(report.windows).toEqual([windowName(start)]);
    expect(report.late_events).toBe(2);
    expect(report.commit).toBe("committed");
    const [corrected] = await tracker.windows(start, start + 1);
    const all = (await oracle([...onTime, row(4, start + 15 * MIN), lateRow, later], start)).all;
    expect(all.total_edits).toBe(4);
    expect(corrected.row).toEqual(all);
    expect(corrected.late).toBe(0);
    const after = await goldTable().snapshots();
    expect(after.length).toBe(before.length + 1);
    expect(after.at(-1)?.operation).toBe("overwrite");
    // The gold table itself, read by icebird + DuckDB: the window's one row is the corrected one.
    const lake = await readLakeTable(env.LAKE, env.WAREHOUSE, GOLD.name);
    expect(lake.rows.filter((r) => r.window_start === start)).toEqual([all]);

    // A second run finds nothing to do and commits nothing.
    const again = await tracker.correct();
    expect(again.commit).toBe("none");
    expect((await goldTable().snapshots()).length).toBe(after.length);
  });

  it("keeps the watermark when older event times are admitted", async () => {
    const tracker = env.WATERMARK.getByName("tracker-monotonic");
    await tracker.admit([{ owner: "a", rows: [row(1, Date.UTC(2026, 0, 3))] }]);
    const status = await tracker.admit([{ owner: "b", rows: [row(2, Date.UTC(2026, 0, 2, 23))] }])
      .then(() => tracker.status());
    expect(status.max_event_time).toBe(Date.UTC(2026, 0, 3));
    expect(status.watermark).toBe(Date.UTC(2026, 0, 3) - 10 * MIN);
  });
});
