/**
 * Vitest globalSetup of the workerd project (Node): silver rows for the `/api/anomalies` routes
 * test, and its expected answers by DuckDB SQL alone. The rows are the silver rows DuckDB derives
 * from `testdata/synth-1000-seed7.jsonl`, re-timed into 30 five-minute windows on 2033-03-03
 * with a burst (window 14), a gap (windows 17–18) and a run of large removals (window 24), plus
 * one row 15 minutes later so the watermark makes windows 0–29 final. DuckDB then computes the
 * gold windows (count, rows with bytes_diff < −500) and the signals of DESIGN.md §6 over the
 * final ones; the test feeds the rows through the pipeline's `admitToGold`.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import type { TestProject } from "vitest/node";
import { SILVER_SQL } from "./drilldown_setup.ts";
import { anomalySignalsSql } from "../../r2/testing/anomaly_sql.ts";

declare module "vitest" {
  export interface ProvidedContext {
    anomalies: AnomaliesFixture;
  }
}

/** Rows to admit, the ranges asked and DuckDB's answer for each. */
export interface AnomaliesFixture {
  rows: Array<Record<string, unknown>>;
  finalWindows: number;
  ranges: Array<{ from: number; to: number }>;
  expected: Array<
    Array<{ window_start: number; signal: string; value: number; mean: number; stddev: number }>
  >;
}

/** First window of the fixture: a day no other test uses. */
export const ANOMALIES_START = Date.UTC(2033, 2, 3, 0, 0);
const W = 300_000;

const ROWS_SQL = `
CREATE TABLE base AS SELECT * EXCLUDE (n), row_number() OVER (ORDER BY event_id) - 1 AS k FROM silver;
CREATE TABLE plan AS SELECT i,
  CASE WHEN i = 14 THEN 120 WHEN i IN (17, 18) THEN 0 ELSE 20 + (i * 7) % 9 END AS n,
  CASE WHEN i = 24 THEN 14 WHEN i % 4 = 0 THEN 1 ELSE 0 END AS reverts
  FROM range(0, 30) t(i)
  UNION ALL SELECT 33, 1, 0;
CREATE TABLE fed AS SELECT
  b.event_id || '-w' || p.i || '-' || j AS event_id,
  ${ANOMALIES_START} + p.i * ${W} + (j * ${W}) // p.n AS event_time,
  b.wiki, b.server_name, b.page_title, b.namespace, b.change_type, b.user_name, b.is_bot, b.is_minor,
  CASE WHEN j < p.reverts THEN -800 ELSE (j % 9) * 40 - 120 END AS bytes_diff,
  3 AS processing_delay_seconds,
  b.user_type, b.comment, b.revision_new
  FROM plan p, range(0, p.n) r(j), base b
  WHERE b.k = (p.i * 31 + j) % (SELECT count(*) FROM base);
`;

export default async function setup(project: TestProject) {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  await con.run("SET TimeZone = 'UTC'");
  await con.run(SILVER_SQL);
  await con.run(ROWS_SQL);
  const all = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjects();
  const rows = (await all(`SELECT *,
      CASE WHEN bytes_diff > 500 THEN 'LARGE' WHEN bytes_diff < -500 THEN 'LARGE_REMOVAL' ELSE 'SMALL' END AS edit_size,
      event_time + 3000 AS ingestion_time
    FROM fed ORDER BY event_time, event_id`)).map((r) => ({
    ...r,
    event_time: Number(r.event_time),
    ingestion_time: Number(r.ingestion_time),
    namespace: r.namespace === null ? null : Number(r.namespace),
    bytes_diff: Number(r.bytes_diff),
    processing_delay_seconds: Number(r.processing_delay_seconds),
    revision_new: r.revision_new === null ? null : Number(r.revision_new),
  }));
  // Gold windows (DESIGN.md §3) that the watermark (largest event_time − 10 min) made final.
  await con.run(`CREATE TABLE finals AS
    SELECT event_time // ${W} * ${W} AS ws, count(*) AS total, count(*) FILTER (WHERE bytes_diff < -500) AS reverts
    FROM fed GROUP BY 1
    HAVING ws + ${W} <= (SELECT max(event_time) - 600000 FROM fed)`);
  const finalWindows = Number((await all("SELECT count(*) AS n FROM finals"))[0]!.n);
  const spike = ANOMALIES_START + 14 * W;
  const ranges = [
    { from: ANOMALIES_START, to: ANOMALIES_START + 3 * 3_600_000 }, // every window
    { from: spike, to: spike + W }, // the window at `from` is in
    { from: ANOMALIES_START, to: spike }, // the window at `to` is out
  ];
  const expected = [];
  for (const r of ranges) {
    expected.push((await all(anomalySignalsSql("finals", r.from, r.to))).map((a) => ({
      window_start: Number(a.ws),
      signal: String(a.signal),
      value: Number(a.value),
      mean: Number(a.mean),
      stddev: Number(a.sd),
    })));
  }
  con.closeSync();
  project.provide("anomalies", { rows, finalWindows, ranges, expected });
}
