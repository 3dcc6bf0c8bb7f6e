/**
 * Test support inside workerd: the client of the DuckDB oracle of duckdb_oracle_setup.ts. The
 * expected values it answers come from DuckDB SQL over the tests' input (or from icebird +
 * DuckDB over the lake's objects), never from the product's functions.
 */
import { inject } from "vitest";
import type { Recomputation } from "../e2e/lib/recompute.ts";
import { goldOf, judgedOf } from "../e2e/lib/recompute_sql.ts";
import type { LakeAudit, LakeAuditOptions } from "../e2e/lib/lake_audit.ts";

export type { GoldWindow, Recomputation } from "../e2e/lib/recompute.ts";
export type { LakeAudit } from "../e2e/lib/lake_audit.ts";
export { goldOf, judgedOf };

async function ask<T>(route: string, body: unknown): Promise<T> {
  const res = await fetch(`${inject("duckdbOracleUrl")}${route}`, {
    method: "POST",
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`DuckDB oracle ${route} answered ${res.status}: ${text.slice(0, 2000)}`);
  return JSON.parse(text) as T;
}

/** The independent recomputation over stream lines in stream order (test/e2e/lib/recompute.ts). */
export function recomputeLines(lines: readonly string[]): Promise<Recomputation> {
  return ask("/recompute", { lines });
}

/** The independent recomputation over a fixture file of testdata/ (e.g. "testdata/synth-600-seed11.jsonl"). */
export function recomputeFixture(file: string): Promise<Recomputation> {
  return ask("/recompute", { file });
}

/** Runs SQL statements in order over tables given as rows; answers the last statement's rows. */
export function duckdbSql(
  tables: Record<string, readonly object[]>,
  sql: readonly string[],
): Promise<Record<string, unknown>[]> {
  return ask("/sql", { tables, sql });
}

/** What icebird + DuckDB read from a table's current snapshot. */
export interface LakeReadback {
  rows: Record<string, unknown>[];
  dataFiles: { recordCount: number; parquetRows: number }[];
  manifestRecordCount: number;
  icebirdRows: number;
}

function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/** Every object of table `table` under `<warehouse>/wiki/`, keyed relative to its folder, base64. */
async function tableObjects(
  bucket: R2Bucket,
  warehouse: string,
  table: string,
): Promise<Record<string, string>> {
  const prefix = `${warehouse}/wiki/${table}/`;
  const objects: Record<string, string> = {};
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor });
    for (const o of page.objects) {
      const body = await bucket.get(o.key);
      if (body) objects[o.key.slice(prefix.length)] = toBase64(new Uint8Array(await body.arrayBuffer()));
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return objects;
}

/**
 * Reads table `table` under `<warehouse>/wiki/` of `bucket` with icebird and DuckDB: every
 * object of the table's folder is copied to the oracle, which reads the current snapshot.
 */
export async function readLakeTable(
  bucket: R2Bucket,
  warehouse: string,
  table: string,
): Promise<LakeReadback> {
  return ask("/lake", { table, objects: await tableObjects(bucket, warehouse, table) });
}

/**
 * The maintenance audit (test/e2e/lib/lake_audit.ts) of table `table`: its objects copied to the
 * oracle, checked by iceberg-check, read by icebird and DuckDB, every snapshot's referenced files
 * listed, and the snapshots `options.readSnapshots` read back (time travel).
 */
export async function auditLakeTable(
  bucket: R2Bucket,
  warehouse: string,
  table: string,
  options: LakeAuditOptions,
): Promise<LakeAudit> {
  return ask("/lake-audit", { table, objects: await tableObjects(bucket, warehouse, table), options });
}

/** What DuckDB makes of rows admitted in a given order (DESIGN §3 lateness and formulas). */
export interface AdmissionExpectation {
  /** Rows judged late: the watermark of the rows before them had passed their window's end. */
  late: number;
  /** (largest event_time) − 10 min. */
  watermark: number;
  /** Gold rows over the on-time rows (what finalization commits), by window_start. */
  goldOnTime: Record<string, unknown>[];
  /** Gold rows over every row (what a correction makes of them), by window_start. */
  gold: Record<string, unknown>[];
}

/**
 * DuckDB's verdicts and gold rows for `rows` (event_id, event_time, user_name, wiki,
 * page_title, is_bot, bytes_diff) admitted in array order.
 */
export async function expectAdmission(rows: readonly object[]): Promise<AdmissionExpectation> {
  const input = rows.map((r, n) => ({ ...r, n }));
  const judged = judgedOf("judged", "input");
  const ask = (sql: string) => duckdbSql({ input }, [judged, sql]);
  const [head] = await ask(
    "SELECT count(*) FILTER (WHERE is_late) AS late, max(event_time) - 600000 AS watermark FROM judged",
  );
  const gold = async (where: string) =>
    await duckdbSql({ input }, [
      judged,
      goldOf("g", `(SELECT * FROM judged WHERE ${where})`),
      "SELECT * FROM g ORDER BY window_start",
    ]);
  return {
    late: Number(head.late),
    watermark: Number(head.watermark),
    goldOnTime: await gold("NOT is_late"),
    gold: await gold("true"),
  };
}

/** The rows of `gold` whose window a watermark has passed (window_end ≤ watermark). */
export function finalUnder(gold: readonly Record<string, unknown>[], watermark: number) {
  return gold.filter((g) => Number(g.window_end) <= watermark);
}
