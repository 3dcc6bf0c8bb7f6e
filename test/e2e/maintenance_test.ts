/**
 * End to end (issue 11): table maintenance runs while the pipeline is writing. A synthetic
 * stream is replayed at 60× through the whole local stack while `POST /api/admin/maintenance`
 * (all four jobs on all four tables, with expiry keeping only the last 2 snapshots) runs every few
 * seconds; once idle it runs once more. Then the exported lake must pass iceberg-check over
 * every kept snapshot, and silver, bronze, quarantine and gold must equal the independent DuckDB
 * recomputation of the stream file — compaction, manifest rewrite, expiry and orphan removal
 * interleaved with streaming commits lose, duplicate or corrupt nothing.
 */
import fs from "node:fs";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HealthReport, type LocalStack, startLocalStack } from "../../scripts/lib/local_stack.ts";
import { icebergCheckFailures, LAKE_TABLES, readLakeTable, type TableReadback } from "./lib/lake_readback.ts";
import {
  expectedHealthEvents,
  type GoldWindow,
  type Recomputation,
  recomputeStream,
} from "./lib/recompute.ts";
import { createRunDir, exportLake, stageSummary, synthStream } from "./lib/e2e_steps.ts";
import { diffByKey, GOLD_COLUMNS, toGoldWindow } from "./lib/compare.ts";

const RUN_DIR = createRunDir("maintenance");
const STREAM = path.join(RUN_DIR, "stream.jsonl");
const LAKE = path.join(RUN_DIR, "lake");
const SYNTH_ARGS = [
  ["--events", "4000"],
  ["--span", "60m"],
  ["--disorder", "30s"],
  ["--late-share", "0"],
  ["--duplicates", "0.01"],
  ["--bad", "0.005"],
  ["--seed", "11"],
].flat();

interface JobReport {
  table: string;
  manifests_before: number | null;
  manifests_after: number | null;
  job: string;
  status: "done" | "nothing_to_do" | "failed";
  files_before: number | null;
  files_after: number | null;
  snapshots_expired: number | null;
  files_deleted: number | null;
  error: string | null;
}

describe("maintenance interleaved with streaming commits changes no row and leaves valid tables", () => {
  let expected: Recomputation;
  let stack: LocalStack | undefined;
  let health: HealthReport;
  const reports: JobReport[] = [];
  const tables = new Map<string, TableReadback>();
  let kpis: Record<string, unknown>[] = [];

  const maintain = async () => {
    const res = await fetch(`${stack!.url}/api/admin/maintenance`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack!.token}` },
    });
    const body = await res.json() as { jobs: JobReport[] };
    if (res.status !== 200) throw new Error(`maintenance answered ${res.status}: ${JSON.stringify(body)}`);
    reports.push(...body.jobs);
  };

  beforeAll(async () => {
    synthStream(STREAM, SYNTH_ARGS);
    expected = await recomputeStream(STREAM);
    stack = await startLocalStack({
      files: [STREAM],
      speed: 60,
      port: 0,
      persistDir: path.join(RUN_DIR, "state"),
      // Expiry then really deletes files while commits are in flight (orphans keep their 1 h floor).
      vars: { SNAPSHOT_MAX_AGE_HOURS: "0", GOLD_SNAPSHOT_MAX_AGE_HOURS: "0", SNAPSHOT_RETAIN_LAST: "2" },
      log: (line) => console.log(`[stack] ${line}`),
    });
    // While the replay runs (≈ 60 s at 60×): maintenance every 5 s, next to the 10 s commits.
    const until = Date.now() + 240_000;
    while (Date.now() < until) {
      await maintain();
      const h = await stack.health();
      if (h.events.received >= expected.lines) break;
      await new Promise((r) => setTimeout(r, 5_000));
    }
    await maintain();
    health = await stack.waitIdle({ timeoutMs: 300_000, quietMs: 15_000 });
    await maintain(); // once idle: every small file of the run is compacted, old snapshots expire
    health = await stack.waitIdle({ timeoutMs: 120_000, quietMs: 5_000 });
    const from = new Date(expected.gold[0].window_start - 3_600_000).toISOString();
    const to = new Date(expected.gold.at(-1)!.window_end + 3_600_000).toISOString();
    kpis = (await (await fetch(`${stack.url}/api/kpis?from=${from}&to=${to}`)).json() as {
      windows: Record<string, unknown>[];
    }).windows;
    exportLake(stack.persistDir, LAKE);
    for (const name of LAKE_TABLES) tables.set(name, await readLakeTable(LAKE, name));
    const tally = new Map<string, number>();
    for (const r of reports) tally.set(`${r.job}:${r.status}`, (tally.get(`${r.job}:${r.status}`) ?? 0) + 1);
    stageSummary("maintenance", `job reports ${JSON.stringify(Object.fromEntries(tally))}`);
  }, 900_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it("ran every job on every table during the replay, none failed, and compaction and expiry did real work", () => {
    const failed = reports.filter((r) => r.status === "failed");
    // A job that lost a race with a streaming commit reports `failed` without changing anything;
    // the next run redoes it. Anything else is a bug.
    expect(failed.filter((r) => !/another writer|concurrent|conflict/i.test(r.error ?? ""))).toEqual([]);
    const done = (job: string) => reports.filter((r) => r.job === job && r.status === "done");
    expect(done("compact").length).toBeGreaterThan(0);
    expect(done("expire_snapshots").reduce((n, r) => n + (r.snapshots_expired ?? 0), 0)).toBeGreaterThan(0);
    expect(done("compact").some((r) => (r.files_after ?? 0) < (r.files_before ?? 0))).toBe(true);
    for (const t of LAKE_TABLES) expect(reports.some((r) => r.table === t)).toBe(true);
  });

  it("reconciles the health counts to the recomputation", () => {
    expect(health.events).toEqual(expectedHealthEvents(expected));
  });

  it("passes iceberg-check over every kept snapshot of all four tables", () => {
    expect(icebergCheckFailures(LAKE).join("\n")).toBe("");
  });

  it("keeps manifests, Parquet files (DuckDB) and icebird in agreement", () => {
    for (const t of tables.values()) {
      expect({ table: t.table, mismatched: t.dataFiles.filter((f) => f.parquetRows !== f.recordCount) })
        .toEqual({ table: t.table, mismatched: [] });
      expect([t.table, t.rows.length, t.icebirdRows.length])
        .toEqual([t.table, t.manifestRecordCount, t.manifestRecordCount]);
    }
  });

  it("holds exactly the recomputed silver ids, bronze and quarantine counts after compaction", () => {
    const ids = tables.get("silver_wiki_events")!.rows.map((r) => String(r.event_id));
    const got = new Set(ids);
    expect({ rows: ids.length, distinct: got.size }).toEqual({
      rows: expected.silverIds.length,
      distinct: expected.silverIds.length,
    });
    expect(expected.silverIds.filter((id) => !got.has(id)).slice(0, 10)).toEqual([]);
    expect(tables.get("bronze_wiki_events")!.rows.length).toBe(expected.bronze);
    expect(tables.get("quarantine_wiki_events")!.rows.length).toBe(expected.quarantine);
  });

  it("leaves silver compacted into few files, each sorted by event time (DuckDB in file row order)", async () => {
    const silver = tables.get("silver_wiki_events")!;
    const days = new Set(silver.rows.map((r) => new Date(Number(r.event_time)).toISOString().slice(0, 10)));
    expect(silver.dataFiles.length).toBeLessThanOrEqual(days.size);
    const db = await DuckDBInstance.create(":memory:");
    const con = await db.connect();
    try {
      for (const f of silver.dataFiles) {
        const file = f.localPath.replaceAll("'", "''");
        const out = (await con.runAndReadAll(
          `SELECT count(*)::INTEGER AS n FROM (SELECT event_time, lag(event_time) OVER (ORDER BY file_row_number)
             AS prev FROM read_parquet('${file}', file_row_number = true)) WHERE prev > event_time`,
        )).getRowObjectsJS();
        expect({ file: f.filePath, unsorted: out[0]!.n }).toEqual({ file: f.filePath, unsorted: 0 });
      }
    } finally {
      con.closeSync();
    }
  });

  it("rewrote manifests, and kept only the last 2 snapshots with their snapshot-log and metadata-log", () => {
    const rewrites = reports.filter((r) => r.job === "rewrite_manifests" && r.status === "done");
    expect(rewrites.some((r) => (r.manifests_after ?? 0) < (r.manifests_before ?? 0))).toBe(true);
    for (const t of tables.values()) {
      const metadata = JSON.parse(fs.readFileSync(t.metadataFile, "utf8"));
      if (metadata.snapshots === undefined || metadata.snapshots.length === 0) continue;
      expect({ table: t.table, kept: metadata.snapshots.length <= 2 }).toEqual({
        table: t.table,
        kept: true,
      });
      expect(metadata["snapshot-log"].length).toBeGreaterThan(0);
      expect(metadata["metadata-log"].length).toBeGreaterThan(0);
    }
  });

  it("serves and commits gold windows equal to the recomputation", () => {
    const got = kpis.map((w) => toGoldWindow(w));
    expect(diffByKey(got, expected.gold, "window_start", GOLD_COLUMNS)).toEqual([]);
    const finalStarts = new Set(
      kpis.filter((w) => w.final === true).map((w) => Date.parse(String(w.window_start))),
    );
    const want = expected.gold.filter((w) => finalStarts.has(w.window_start));
    const rows = tables.get("gold_wiki_kpis")!.rows as unknown as GoldWindow[];
    expect(diffByKey(rows, want, "window_start", GOLD_COLUMNS)).toEqual([]);
  });
});
