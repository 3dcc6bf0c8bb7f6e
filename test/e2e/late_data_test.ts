/**
 * End to end, issue 5: a stream with late events (up to 20 min behind, for windows already
 * final), bounded disorder, duplicates, across a day boundary, replayed at max speed. Every final
 * gold row must equal an independent DuckDB recomputation over the input file — before the
 * correction over the events within the watermark (in stream order), after it over all events —
 * the correction must be one overwrite commit and idempotent, and a backfill of the same stream
 * must change nothing.
 */
import fs from "node:fs";
import path from "node:path";
import { Buffer } from "node:buffer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HealthReport, type LocalStack, startLocalStack } from "../../scripts/lib/local_stack.ts";
import { icebergCheckFailures, readLakeTable, type TableReadback } from "./lib/lake_readback.ts";
import {
  expectedHealthEvents,
  type GoldWindow,
  type Recomputation,
  recomputeStream,
} from "./lib/recompute.ts";
import { createRunDir, exportLake, runCommand, stageSummary, synthStream } from "./lib/e2e_steps.ts";
import { diffByKey, GOLD_COLUMNS, toGoldWindow } from "./lib/compare.ts";

const RUN_DIR = createRunDir("late");
const STREAM = path.join(RUN_DIR, "stream.jsonl");
const STREAM_START = "2026-03-01T23:00:00Z"; // 90 minutes of event time: crosses midnight UTC
const SYNTH_ARGS = [
  ...["--events", "6000", "--start", STREAM_START, "--span", "90m", "--disorder", "60s"],
  ...["--late-share", "0.03", "--late-by", "20m", "--duplicates", "0.01", "--canaries", "0.005"],
  ...["--bad", "0.005", "--seed", "11"],
];
/** The last line a command printed (the backfill's closing summary). */
const lastLine = (output: string) => output.trim().split("\n").at(-1) ?? "";
const BACKFILL = path.join(RUN_DIR, "backfill.jsonl");
const COMBINED = path.join(RUN_DIR, "stream+backfill.jsonl");
// 400 events no one has seen, dated inside windows that are final by then: all late.
const BACKFILL_ARGS = [
  ...["--events", "400", "--start", "2026-03-01T23:30:00Z", "--span", "30m", "--late-share", "0"],
  ...["--duplicates", "0", "--canaries", "0", "--bad", "0", "--seed", "12", "--first-offset", "5000000"],
];

interface Exported {
  gold: TableReadback;
  snapshots: Array<{ operation: string; commitId: string }>;
  dir: string;
}

async function exportAndReadGold(stack: LocalStack, name: string): Promise<Exported> {
  const dir = path.join(RUN_DIR, name);
  exportLake(stack.persistDir, dir);
  const gold = await readLakeTable(dir, "gold_wiki_kpis");
  const metadata = JSON.parse(fs.readFileSync(gold.metadataFile, "utf8"));
  const snapshots = (metadata.snapshots ?? []).map((s: { summary: Record<string, string> }) => ({
    operation: s.summary.operation,
    commitId: s.summary["wikiflare.commit-id"] ?? "",
  }));
  return { gold, snapshots, dir };
}

async function post(stack: LocalStack, route: string): Promise<any> {
  // `connection: close`: spawnSync blocks this process long enough for wrangler to drop pooled sockets.
  const res = await fetch(`${stack.url}${route}`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.token}`, connection: "close" },
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`POST ${route} → ${res.status} ${JSON.stringify(body)}`);
  return body;
}

describe("late data: final gold rows before and after the correction equal the recomputation", () => {
  let expected: Recomputation;
  let stack: LocalStack | undefined;
  let health: HealthReport;
  let kpisBefore: Record<string, unknown>[];
  let kpisAfter: Record<string, unknown>[];
  let before: Exported;
  let after: Exported;
  let first: any;
  let second: any;
  let backfillOutput: string;
  let healthAfterBackfill: HealthReport;
  let kpisAfterBackfill: Record<string, unknown>[];
  let combined: Recomputation;
  let backfillOnly: Recomputation;
  let fileOutput: string;
  let healthAfterFile: HealthReport;
  let third: any;
  let lakeFinal: Exported;
  let asOf: string;
  let silverBefore: TableReadback;
  let silverAfter: TableReadback;
  let maintenance: { jobs: Array<Record<string, unknown>> };
  let goldAfterMaintenance: Exported;
  let kpisAsOf: Record<string, unknown>[];
  const finalBefore = () => expected.goldOnTime.filter((w) => w.window_end <= expected.watermark!);
  const finalAll = () => expected.gold.filter((w) => w.window_end <= expected.watermark!);

  const kpis = async () => {
    const from = new Date(expected.gold[0].window_start - 3_600_000).toISOString();
    const to = new Date(expected.gold.at(-1)!.window_end + 3_600_000).toISOString();
    const res = await fetch(`${stack!.url}/api/kpis?from=${from}&to=${to}`, {
      headers: { connection: "close" },
    });
    return ((await res.json()) as { windows: Record<string, unknown>[] }).windows;
  };

  beforeAll(async () => {
    synthStream(STREAM, SYNTH_ARGS);
    expected = await recomputeStream(STREAM);
    stageSummary(
      "late",
      `${expected.lines} lines, ${expected.silver} distinct events, ${expected.lateEvents} late in ` +
        `${expected.lateWindowStarts.length} windows, ${expected.gold.length} windows`,
    );
    stack = await startLocalStack({
      files: [STREAM],
      speed: "max",
      port: 0,
      persistDir: path.join(RUN_DIR, "state"),
      crons: ["* * * * *"], // the watchdog only: the correction runs when this test says so
      log: (line) => console.log(`[stack] ${line}`),
    });
    health = await stack.waitIdle({ timeoutMs: 480_000, quietMs: 15_000 });
    kpisBefore = await kpis();
    before = await exportAndReadGold(stack, "lake-before");

    asOf = new Date().toISOString(); // the gold snapshot current now is the pre-correction one
    await new Promise((r) => setTimeout(r, 5));
    first = await post(stack, "/api/admin/correction");
    second = await post(stack, "/api/admin/correction");
    stageSummary("late", `correction 1 ${JSON.stringify(first)}; correction 2 ${JSON.stringify(second)}`);
    await stack.waitIdle({ timeoutMs: 120_000, quietMs: 5_000 });
    kpisAfter = await kpis();
    after = await exportAndReadGold(stack, "lake-after");

    backfillOutput = runCommand("npm", [
      "run",
      "-s",
      "backfill",
      "--",
      "--since",
      "2026-03-01T22:00:00Z",
      "--api",
      stack.url,
      "--token",
      stack.token,
      "--quiet-seconds",
      "10",
    ], 300_000);
    stageSummary("late", `backfill --since: ${lastLine(backfillOutput)}`);
    healthAfterBackfill = await stack.waitIdle({ timeoutMs: 120_000, quietMs: 5_000 });
    kpisAfterBackfill = await kpis();

    synthStream(BACKFILL, BACKFILL_ARGS);
    fs.writeFileSync(COMBINED, Buffer.concat([fs.readFileSync(STREAM), fs.readFileSync(BACKFILL)]));
    combined = await recomputeStream(COMBINED);
    backfillOnly = await recomputeStream(BACKFILL);
    fileOutput = runCommand("npm", [
      ...["run", "-s", "backfill", "--", "--file", BACKFILL],
      ...["--api", stack.url, "--token", stack.token, "--quiet-seconds", "10"],
    ], 300_000);
    stageSummary("late", `backfill --file: ${lastLine(fileOutput)}`);
    healthAfterFile = await stack.waitIdle({ timeoutMs: 120_000, quietMs: 5_000 });
    third = await post(stack, "/api/admin/correction");
    lakeFinal = await exportAndReadGold(stack, "lake-final");

    // Then all maintenance jobs on every table (defaults: 24 h / 10 snapshots, so the
    // pre-correction gold snapshot is kept), and time travel to before the first correction.
    silverBefore = await readLakeTable(lakeFinal.dir, "silver_wiki_events");
    maintenance = await post(stack, "/api/admin/maintenance");
    console.log(`late e2e: maintenance ${JSON.stringify(maintenance)}`);
    goldAfterMaintenance = await exportAndReadGold(stack, "lake-maintained");
    silverAfter = await readLakeTable(goldAfterMaintenance.dir, "silver_wiki_events");
    const from = new Date(expected.gold[0].window_start - 3_600_000).toISOString();
    const to = new Date(expected.gold.at(-1)!.window_end + 3_600_000).toISOString();
    const res = await fetch(`${stack.url}/api/kpis?from=${from}&to=${to}&as_of=${asOf}`, {
      headers: { connection: "close" },
    });
    if (!res.ok) throw new Error(`as_of answered ${res.status}: ${await res.text()}`);
    kpisAsOf = ((await res.json()) as { windows: Record<string, unknown>[] }).windows;
  }, 900_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it("injects late events into several windows, across the day boundary", () => {
    expect(expected.lateEvents).toBeGreaterThan(50);
    expect(expected.lateWindowStarts.length).toBeGreaterThan(5);
    const days = new Set(expected.gold.map((w) => new Date(w.window_start).toISOString().slice(0, 10)));
    expect(days.size).toBe(2);
  });

  it("counts every event once and every late event as late before the correction", () => {
    expect(health.events).toEqual(expectedHealthEvents(expected));
    expect(Date.parse(String(health.watermark))).toBe(expected.watermark);
    expect((health.gold as Record<string, number>).uncorrected_late_events).toBe(expected.lateEvents);
  });

  it("commits final rows over the events within the watermark only, before the correction", () => {
    expect(diffByKey(before.gold.rows, finalBefore(), "window_start", GOLD_COLUMNS)).toEqual([]);
  });

  it("serves final windows as committed, flagged corrected_pending exactly where late events wait", () => {
    const finals = kpisBefore.filter((w) => w.final === true).map((w) => toGoldWindow(w));
    expect(diffByKey(finals, finalBefore(), "window_start", GOLD_COLUMNS)).toEqual([]);
    const pending = kpisBefore.filter((w) => w.corrected_pending === true).map((w) =>
      Date.parse(String(w.window_start))
    );
    const withRows = new Set(finalBefore().map((w) => w.window_start));
    expect(pending).toEqual(expected.lateWindowStarts.filter((s) => withRows.has(s)));
  });

  it("corrects every late window in one overwrite commit, and the second run changes nothing", () => {
    expect(first.gold.windows).toEqual(expected.lateWindowStarts.map((s) => new Date(s).toISOString()));
    expect(first.gold.late_events).toBe(expected.lateEvents);
    expect(first.gold.commit).toBe("committed");
    expect(first.bronze.merged_into_silver).toBe(0); // every bronze event already reached silver
    expect(first.bronze.files_read).toBeGreaterThan(0);
    expect(second.gold).toMatchObject({ windows: [], commit: "none" });
    expect(second.bronze).toMatchObject({ files_read: 0, merged_into_silver: 0 });
    const corrections = after.snapshots.filter((s) => s.commitId.startsWith("correction-"));
    expect(corrections.map((s) => s.operation)).toEqual(["overwrite"]);
    expect(after.snapshots.length).toBe(before.snapshots.length + 1);
    expect(after.snapshots.filter((s) => !s.commitId.startsWith("correction-")).map((s) => s.operation))
      .toEqual(after.snapshots.slice(0, -1).map(() => "append"));
  });

  it("holds final rows over all events after the correction, exactly", () => {
    expect(diffByKey(after.gold.rows, finalAll(), "window_start", GOLD_COLUMNS)).toEqual([]);
    const finals = kpisAfter.filter((w) => w.final === true).map((w) => toGoldWindow(w));
    expect(diffByKey(finals, finalAll(), "window_start", GOLD_COLUMNS)).toEqual([]);
    expect(kpisAfter.filter((w) => w.corrected_pending === true)).toEqual([]);
  });

  it("changes no row of a window without late events", () => {
    // Every final window of the main stream has late events; the file backfill touches only
    // the windows its 400 events fall in, so the second correction must leave the others alone.
    const touched = new Set(backfillOnly.gold.map((w) => w.window_start));
    const untouched = (rows: Record<string, unknown>[]) =>
      rows.filter((r) => !touched.has(Number(r.window_start))) as unknown as GoldWindow[];
    expect(untouched(after.gold.rows).length).toBeGreaterThan(0);
    expect(touched.size).toBeGreaterThan(0);
    expect(
      diffByKey(untouched(lakeFinal.gold.rows), untouched(after.gold.rows), "window_start", GOLD_COLUMNS),
    )
      .toEqual([]);
  });

  it("passes iceberg-check over every snapshot of all four tables, before and after", () => {
    const failures = [before.dir, after.dir].flatMap((dir) =>
      icebergCheckFailures(dir).map((f) => `${path.basename(dir)}/${f}`)
    );
    expect(failures).toEqual([]);
  });

  it("backfills the same stream with progress output and counts nothing twice", () => {
    expect(backfillOutput).toMatch(/backfill \d+ s: received \+0 \(already seen: [1-9]\d*\)/);
    expect(backfillOutput).toMatch(/backfill: done/);
    expect(healthAfterBackfill.events).toEqual(health.events);
    expect(kpisAfterBackfill).toEqual(kpisAfter);
  });
  it("replays the file, then puts the ingestor back on its stream, counting every new event once", () => {
    expect(fileOutput).toMatch(/backfill: replaying .*backfill\.jsonl/);
    expect(fileOutput).toContain("backfill: ingestor back on");
    expect(healthAfterFile.events).toEqual(expectedHealthEvents(combined));
    const gold = healthAfterFile.gold as Record<string, number>;
    expect(combined.lateEvents - expected.lateEvents).toBe(400);
    expect(gold.uncorrected_late_events).toBe(400);
  });

  it("holds final rows over both streams after the correction, exactly", () => {
    expect(third.gold.late_events).toBe(400);
    const want = combined.gold.filter((w) => w.window_end <= combined.watermark!);
    expect(diffByKey(lakeFinal.gold.rows, want, "window_start", GOLD_COLUMNS)).toEqual([]);
    expect(lakeFinal.snapshots.filter((s) => s.commitId.startsWith("correction-")).length).toBe(2);
    expect(icebergCheckFailures(lakeFinal.dir, ["gold_wiki_kpis"])).toEqual([]);
  });

  it("maintenance leaves fewer silver data files and manifests, the same rows and ids, a new metadata version with both logs", () => {
    expect(maintenance.jobs.filter((j) => j.status === "failed")).toEqual([]);
    expect(silverAfter.dataFiles.length).toBeLessThan(silverBefore.dataFiles.length);
    expect(silverAfter.manifests).toBeLessThan(silverBefore.manifests);
    const ids = (t: TableReadback) => t.rows.map((r) => String(r.event_id)).sort();
    expect(silverAfter.rows.length).toBe(silverBefore.rows.length);
    expect(ids(silverAfter)).toEqual(ids(silverBefore));
    expect(new Set(ids(silverAfter))).toEqual(new Set(combined.silverIds));
    expect([silverAfter.icebirdRows.length, silverAfter.manifestRecordCount]).toEqual([
      silverAfter.rows.length,
      silverAfter.rows.length,
    ]);
    const version = (t: TableReadback) => Number(/v(\d+)\.metadata\.json$/.exec(t.metadataFile)![1]);
    expect(version(silverAfter)).toBeGreaterThan(version(silverBefore));
    const metadata = JSON.parse(fs.readFileSync(silverAfter.metadataFile, "utf8"));
    expect(metadata["snapshot-log"].length).toBeGreaterThan(0);
    expect(metadata["metadata-log"].at(-1)["metadata-file"]).toMatch(/\/metadata\/v\d+\.metadata\.json$/);
    expect(icebergCheckFailures(goldAfterMaintenance.dir).join("\n")).toBe("");
  });

  it("answers /api/kpis?as_of=<before the first correction> with the pre-correction final rows, after maintenance", () => {
    expect(kpisAsOf.every((w) => w.final === true)).toBe(true);
    expect(diffByKey(kpisAsOf.map((w) => toGoldWindow(w)), finalBefore(), "window_start", GOLD_COLUMNS))
      .toEqual([]);
    // and they are not the corrected numbers
    expect(diffByKey(kpisAsOf.map((w) => toGoldWindow(w)), finalAll(), "window_start", GOLD_COLUMNS)).not
      .toEqual([]);
  });
});
