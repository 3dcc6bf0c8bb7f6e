/**
 * End to end: a synthetic stream (disorder, late events, duplicates, canaries, bad events) is
 * replayed at max speed through the whole local stack; the health counts, the exported Iceberg
 * tables and the KPI API must equal an independent DuckDB recomputation from the stream file.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type HealthReport,
  type LocalStack,
  parseCronTriggers,
  REPO_ROOT,
  startLocalStack,
} from "../../scripts/lib/local_stack.ts";
import { icebergCheckFailures, LAKE_TABLES, readLakeTable, type TableReadback } from "./lib/lake_readback.ts";
import {
  expectedHealthEvents,
  type GoldWindow,
  type Recomputation,
  recomputeStream,
} from "./lib/recompute.ts";
import { createRunDir, exportLake, stageSummary, synthStream } from "./lib/e2e_steps.ts";
import { diffByKey, GOLD_COLUMNS, SILVER_COLUMNS, toGoldWindow } from "./lib/compare.ts";

const RUN_DIR = createRunDir("ingest");
const STREAM = path.join(RUN_DIR, "stream.jsonl");
const LAKE = path.join(RUN_DIR, "lake");
const SYNTH_ARGS = [
  "--events",
  "6000",
  "--span",
  "90m",
  "--disorder",
  "60s",
  // Late data (events for windows already final) is the late-data correction's subject and is
  // tested with it; here every event arrives within the watermark, so final rows are exact.
  "--late-share",
  "0",
  "--duplicates",
  "0.01",
  "--canaries",
  "0.005",
  "--bad",
  "0.005",
  "--seed",
  "7",
];

/** `meta.id` of an event's JSON text when it is a string, else null. */
function metaIdOf(text: string): string | null {
  try {
    const id = JSON.parse(text)?.meta?.id;
    return typeof id === "string" ? id : null;
  } catch {
    return null;
  }
}

/** Wanted values absent from `got` (first 5) and how many `got` values were not wanted. */
function sortedMultisetDiff(got: string[], want: string[]): { missing: string[]; unexpected: number } {
  const counts = new Map<string, number>();
  for (const g of got) counts.set(g, (counts.get(g) ?? 0) + 1);
  const missing: string[] = [];
  for (const w of want) {
    const n = counts.get(w) ?? 0;
    if (n === 0) missing.push(w);
    else counts.set(w, n - 1);
  }
  const unexpected = [...counts.values()].reduce((a, b) => a + b, 0);
  return { missing: missing.slice(0, 5), unexpected };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe("a replayed stream ends up in the lake and the KPIs exactly as recomputed", () => {
  let expected: Recomputation;
  let stack: LocalStack | undefined;
  let health: HealthReport;
  let kpis: { windows: Record<string, unknown>[] } | Error;
  let lakeError: Error | undefined;
  const tables = new Map<string, TableReadback>();
  /** A table read back from the export (rethrows the export's error in the tests that need it). */
  const table = (name: string): TableReadback => {
    if (lakeError) throw lakeError;
    return tables.get(name)!;
  };
  const windows = () => {
    if (kpis instanceof Error) throw kpis;
    return kpis.windows;
  };

  beforeAll(async () => {
    synthStream(STREAM, SYNTH_ARGS);
    expected = await recomputeStream(STREAM);
    const {
      silverIds: _i,
      silverRows: _r,
      invalidLines: _l,
      bronzeRaw: _b,
      quarantineRaw: _q,
      gold,
      ...counts
    } = expected;
    stageSummary("ingest", `stream ${STREAM}: ${JSON.stringify(counts)}, ${gold.length} windows`);

    const started = Date.now();
    stack = await startLocalStack({
      files: [STREAM],
      speed: "max",
      port: 0,
      persistDir: path.join(RUN_DIR, "state"),
      log: (line) => console.log(`[stack] ${line}`),
    });
    const ready = Date.now();
    health = await stack.waitIdle({ timeoutMs: 480_000, quietMs: 15_000 });
    const idle = Date.now();
    const ingestMs = idle - ready - 15_000;
    stageSummary(
      "ingest",
      `timings: stack start ${seconds(ready - started)}, ingest to idle ${seconds(ingestMs)} ` +
        `(${
          (health.events.received / Math.max(ingestMs / 1000, 0.001)).toFixed(0)
        } events/s, quiet period excluded)`,
    );

    const crons = parseCronTriggers(fs.readFileSync(path.join(REPO_ROOT, "wrangler.toml"), "utf8"));
    const fired: string[] = [];
    for (const cron of crons) fired.push(`"${cron}" → ${(await stack.fireCron(cron)).status}`);
    stageSummary("ingest", `crons ${fired.join(", ")}`);
    health = await stack.waitIdle({ timeoutMs: 180_000, quietMs: 15_000 });

    const from = new Date(expected.gold[0].window_start - 3_600_000).toISOString();
    const to = new Date(expected.gold.at(-1)!.window_end + 3_600_000).toISOString();
    const kpiRes = await fetch(`${stack.url}/api/kpis?from=${from}&to=${to}`);
    const kpiText = await kpiRes.text();
    try {
      kpis = JSON.parse(kpiText) as { windows: Record<string, unknown>[] };
    } catch {
      kpis = new Error(`GET /api/kpis answered ${kpiRes.status}: ${kpiText.slice(0, 500)}`);
    }

    const exportStart = Date.now();
    try {
      exportLake(stack.persistDir, LAKE);
      for (const name of LAKE_TABLES) tables.set(name, await readLakeTable(LAKE, name));
    } catch (error) {
      lakeError = error as Error;
    }
    stageSummary("ingest", `export + readback ${seconds(Date.now() - exportStart)}; artefacts in ${RUN_DIR}`);
  }, 900_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it("recomputes the same counts as the synth script's own tally (test generator sanity check)", () => {
    const manifest = JSON.parse(fs.readFileSync(`${STREAM}.manifest.json`, "utf8"));
    expect(manifest.expected_health).toEqual(expectedHealthEvents(expected));
  });

  it("reconciles the health counts to the recomputation", () => {
    expect(health.events).toEqual(expectedHealthEvents(expected));
    expect(expected.conflictingDuplicates).toBe(0);
  });

  it("puts the watermark 10 minutes behind the largest event time", () => {
    expect(health.watermark === null ? null : Date.parse(health.watermark)).toBe(expected.watermark);
  });

  it("passes iceberg-check over every snapshot of all four tables", () => {
    if (lakeError) throw lakeError;
    expect(icebergCheckFailures(LAKE).join("\n")).toBe("");
  });

  it("writes Parquet field ids equal to the Iceberg schema's in every table", () => {
    for (const t of LAKE_TABLES.map(table)) {
      const expectedIds = Object.fromEntries(Object.entries(t.schemaFieldIds).map(([k, v]) => [k, [v]]));
      expect({ table: t.table, ids: t.parquetFieldIds }).toEqual({ table: t.table, ids: expectedIds });
    }
  });

  it("agrees on row counts between manifests, Parquet files (DuckDB) and icebird", () => {
    for (const t of LAKE_TABLES.map(table)) {
      const mismatched = t.dataFiles.filter((f) => f.parquetRows !== f.recordCount);
      expect({ table: t.table, mismatched }).toEqual({ table: t.table, mismatched: [] });
      expect({ table: t.table, deleteFiles: t.deleteFiles }).toEqual({ table: t.table, deleteFiles: 0 });
      expect([t.table, t.rows.length, t.icebirdRows.length]).toEqual([
        t.table,
        t.manifestRecordCount,
        t.manifestRecordCount,
      ]);
    }
  });

  it("holds exactly the recomputed distinct valid event ids in silver", () => {
    const ids = table("silver_wiki_events").rows.map((r) => String(r.event_id));
    const got = new Set(ids);
    const want = new Set(expected.silverIds);
    const missing = expected.silverIds.filter((id) => !got.has(id));
    const extra = [...got].filter((id) => !want.has(id));
    expect({ missing: missing.slice(0, 20), extra: extra.slice(0, 20), repeated: ids.length - got.size })
      .toEqual({ missing: [], extra: [], repeated: 0 });
    const icebirdIds = new Set(table("silver_wiki_events").icebirdRows.map((r) => String(r.event_id)));
    expect(icebirdIds.size === want.size && [...want].every((id) => icebirdIds.has(id))).toBe(true);
  });

  it("enriches every silver row as DESIGN §3 says", () => {
    const rows = table("silver_wiki_events").rows;
    const diff = diffByKey(
      rows,
      expected.silverRows as unknown as Record<string, unknown>[],
      "event_id",
      SILVER_COLUMNS,
    );
    expect(diff.slice(0, 10)).toEqual([]);
  });

  it("keeps one bronze row per non-canary source event, raw_json exactly as received", () => {
    const bronze = table("bronze_wiki_events").rows;
    expect(bronze.length).toBe(expected.bronze);
    expect(sortedMultisetDiff(bronze.map((r) => String(r.raw_json)), expected.bronzeRaw)).toEqual({
      missing: [],
      unexpected: expected.invalidUtf8, // lines that were not UTF-8 have no exact text to compare
    });
    const wrongKeys = bronze.filter((r) => {
      const id = metaIdOf(String(r.raw_json));
      return id !== null && r.event_key !== id;
    });
    expect(wrongKeys.slice(0, 5)).toEqual([]);
  });

  it("quarantines every invalid event with a reason and its raw_json", () => {
    const quarantine = table("quarantine_wiki_events").rows;
    expect(quarantine.length).toBe(expected.quarantine);
    expect(quarantine.filter((r) => typeof r.reason !== "string" || r.reason.trim() === "")).toEqual([]);
    expect(sortedMultisetDiff(quarantine.map((r) => String(r.raw_json)), expected.quarantineRaw)).toEqual({
      missing: [],
      unexpected: expected.invalidUtf8,
    });
  });

  it("serves every KPI window, final or open, equal to the recomputation", () => {
    const got = windows().map((w) => toGoldWindow(w));
    const starts = got.map((w) => w.window_start);
    expect(starts).toEqual([...starts].sort((a, b) => a - b)); // DESIGN §4: ordered by window_start
    expect(diffByKey(got, expected.gold, "window_start", GOLD_COLUMNS)).toEqual([]);
    const finals = new Map(windows().map((w) => [Date.parse(String(w.window_start)), w.final]));
    const wrongFlags = expected.gold
      .filter((w) => w.window_end !== expected.watermark) // "passes its end" is ambiguous at equality
      .filter((w) => finals.get(w.window_start) !== (w.window_end < expected.watermark!))
      .map((w) => ({
        window_start: new Date(w.window_start).toISOString(),
        final: finals.get(w.window_start),
      }));
    expect(wrongFlags).toEqual([]);
  });

  it("commits exactly the final windows to the gold table, equal to the recomputation", () => {
    const rows = table("gold_wiki_kpis").rows as unknown as GoldWindow[];
    const finalStarts = new Set(
      windows().filter((w) => w.final === true).map((w) => Date.parse(String(w.window_start))),
    );
    const want = expected.gold.filter((w) => finalStarts.has(w.window_start));
    expect(finalStarts.size).toBeGreaterThan(0);
    expect(diffByKey(rows, want, "window_start", GOLD_COLUMNS)).toEqual([]);
  });
});
