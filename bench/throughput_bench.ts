/**
 * `npm run bench -- throughput [--events 200000] [--span 10h] [--runs 1] [--sample-ms 1000] [--profile]`
 *
 * Synth events at max speed through the whole local stack (replay server → StreamIngestor →
 * Queue → consumer → bronze/silver/quarantine → WatermarkTracker → GoldWindows → gold), then,
 * in the same run and on the same file, DuckDB doing the batch equivalent (bench/lib/duckdb_baseline.ts).
 * Reports events/s until every event was read (accepted into the queue) and until every row was
 * committed with reconciled counts, the queue backlog (messages the consumer has not confirmed)
 * over time, how long /api/health took under that load, and our time as a ratio to DuckDB's.
 * The CPU seconds of each process of the stack are recorded by role; `--profile` also samples a
 * V8 CPU profile of the Worker's isolate for the whole run 1 (bench/lib/cpu_profile.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { appendResults, LoadRange, markdownTable, median, percentile } from "./lib/results.ts";
import { REPO_ROOT, runDir, secs, startLocalStack, synthStream } from "./lib/bench_stack.ts";
import { type BaselineReport, duckdbBaseline } from "./lib/duckdb_baseline.ts";
import { cpuByRole, treeCpuSeconds } from "./lib/proc_cpu.ts";
import { type Profiling, saveCpuProfile, startCpuProfile } from "./lib/cpu_profile.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "200000" },
    span: { type: "string", default: "10h" },
    runs: { type: "string", default: "1" },
    "sample-ms": { type: "string", default: "1000" },
    seed: { type: "string", default: "1" },
    profile: { type: "boolean", default: false },
  },
});
const events = Number(values.events);
const runs = Number(values.runs);
const sampleMs = Number(values["sample-ms"]);
if (!Number.isInteger(events) || events < 1000 || events > 5_000_000) {
  throw new RangeError("--events 1000..5000000");
}
if (!Number.isInteger(runs) || runs < 1 || runs > 9) throw new RangeError("--runs 1..9");
if (!(sampleMs >= 200 && sampleMs <= 60_000)) throw new RangeError("--sample-ms 200..60000");

/** One health sample taken during the run. */
interface Sample {
  t: number;
  received: number;
  unacked: number;
  silver: number;
  healthMs: number;
}

/** The consumer's per-stage spans summed over the run's "Batch ingested" log lines. */
function stageProfile(logFile: string): string {
  if (!existsSync(logFile)) return "no log";
  let batches = 0;
  let rows = 0;
  const spans: Record<string, number> = {};
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
    const at = line.indexOf('{"msg":"Batch ingested"');
    if (at < 0) continue;
    try {
      const r = JSON.parse(line.slice(at));
      batches++;
      rows += r.bronze ?? 0;
      for (const [k, v] of Object.entries(r.stage_ms ?? {})) spans[k] = (spans[k] ?? 0) + (v as number);
    } catch { /* a line cut by the logger */ }
  }
  const total = Object.values(spans).reduce((a, b) => a + b, 0);
  const parts = Object.entries(spans).sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s (${((100 * v) / Math.max(1, total)).toFixed(0)} %)`);
  return `${batches} consumer batches, ${
    (rows / Math.max(1, batches)).toFixed(0)
  } bronze rows each on average; ` +
    `wall time per stage: ${parts.join(", ")}`;
}

interface RunResult {
  profile: string;
  readS: number;
  doneS: number;
  /** CPU seconds of the stack's processes (replay server, wrangler, workerd) until all committed. */
  stackCpuS: number;
  /** CPU seconds of this process (DuckDB runs in it, on all its threads) during the baseline. */
  duckCpuS: number;
  duck: BaselineReport;
  samples: Sample[];
  counts: string;
  /** CPU seconds by process role (own time of each live process) from start to all committed. */
  roles: Map<string, number>;
  /** Load average (1 min) sampled during the run: min and max. */
  load: LoadRange;
  /** Where the run's V8 CPU profile was saved, with its summary (with `--profile`). */
  cpuProfile?: { file: string; summary: string };
}

function roleDelta(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)]));
}

async function oneRun(run: number): Promise<RunResult> {
  const dir = runDir("throughput");
  const stream = join(dir, "stream.jsonl");
  synthStream(stream, { events, span: values.span!, seed: values.seed });
  const stack = await startLocalStack({
    files: [stream],
    speed: "max",
    port: 0,
    persistDir: join(dir, "state"),
    crons: ["* * * * *"], // the watchdog (also commits due work); no correction or maintenance
  });
  let profiling: Profiling | undefined;
  const load = new LoadRange();
  load.note();
  try {
    if (values.profile && run === 1) profiling = await startCpuProfile(stack.pids, 1_000);
    const rolesBefore = cpuByRole(stack.pids);
    const cpuBefore = treeCpuSeconds(stack.pids);
    const started = Date.now();
    const samples: Sample[] = [];
    let allReceived: number | null = null;
    while (allReceived === null) {
      const t0 = Date.now();
      const h = await stack.health() as any;
      const healthMs = Date.now() - t0;
      samples.push({
        t: t0 - started,
        received: h.events.received,
        unacked: h.ingestor?.messages_unacknowledged ?? NaN,
        silver: h.events.silver,
        healthMs,
      });
      load.note();
      if (h.events.received >= events) allReceived = Date.now();
      else await new Promise((r) => setTimeout(r, Math.max(0, sampleMs - healthMs)));
      if (Date.now() - started > 3_600_000) throw new Error("did not finish reading in 1 h");
    }
    // Keep sampling the backlog until it drains, then wait for idle.
    while (true) {
      const t0 = Date.now();
      const h = await stack.health() as any;
      const healthMs = Date.now() - t0;
      const unacked = h.ingestor?.messages_unacknowledged ?? 0;
      samples.push({
        t: t0 - started,
        received: h.events.received,
        unacked,
        silver: h.events.silver,
        healthMs,
      });
      if (unacked === 0 || Date.now() - started > 3_600_000) break;
      await new Promise((r) => setTimeout(r, Math.max(0, sampleMs - healthMs)));
    }
    const quietMs = 5_000;
    const idle = await stack.waitIdle({ timeoutMs: 1_800_000, quietMs });
    const done = Date.now() - quietMs;
    const stackCpuS = treeCpuSeconds(stack.pids) - cpuBefore; // includes the 5 s quiet check
    const roles = roleDelta(cpuByRole(stack.pids), rolesBefore);
    const cpuProfile = profiling ? await saveCpuProfile(profiling, REPO_ROOT, dir) : undefined;
    await stack.stop();
    const cpu0 = process.cpuUsage();
    const duck = await duckdbBaseline(stream, join(dir, "duckdb"));
    const cpu1 = process.cpuUsage(cpu0);
    const duckCpuS = (cpu1.user + cpu1.system) / 1e6;
    const e = idle.events;
    console.error(
      `[throughput] run ${run}: read ${secs(allReceived - started)}, done ${secs(done - started)}, ` +
        `DuckDB ${duck.seconds.toFixed(2)} s (${duck.silverRows} silver rows vs ${e.silver} ours)`,
    );
    return {
      profile: stageProfile(join(stack.logsDir, "wrangler.log")),
      readS: (allReceived - started) / 1000,
      doneS: (done - started) / 1000,
      stackCpuS,
      duckCpuS,
      duck,
      samples,
      counts: `${e.bronze}/${e.silver}/${e.quarantine}/${e.duplicate}`,
      roles,
      load,
      cpuProfile,
    };
  } finally {
    await stack.stop();
  }
}

const results: RunResult[] = [];
const harnessCpu0 = process.cpuUsage();
for (let i = 1; i <= runs; i++) results.push(await oneRun(i));
const harnessCpu = process.cpuUsage(harnessCpu0);
const harnessCpuS = (harnessCpu.user + harnessCpu.system) / 1e6 - results.reduce((n, r) => n + r.duckCpuS, 0);

const rate = (s: number) => `${(events / s).toFixed(0)} ev/s`;
const rows = results.map((r, i) => {
  const backlogs = r.samples.map((s) => s.unacked).filter(Number.isFinite);
  const at = (share: number) => {
    const t = share * r.doneS * 1000;
    const s = r.samples.reduce((best, x) => Math.abs(x.t - t) < Math.abs(best.t - t) ? x : best);
    return s.unacked;
  };
  const health = r.samples.map((s) => s.healthMs);
  return [
    String(i + 1),
    String(events),
    `${r.readS.toFixed(1)} s (${rate(r.readS)})`,
    `${r.doneS.toFixed(1)} s (${rate(r.doneS)})`,
    `${r.stackCpuS.toFixed(0)} s (${(events / r.stackCpuS).toFixed(0)} ev/CPU-s)`,
    `${r.duck.seconds.toFixed(2)} s (CPU ${r.duckCpuS.toFixed(2)} s)`,
    `${(r.doneS / r.duck.seconds).toFixed(0)}× (CPU ${(r.stackCpuS / r.duckCpuS).toFixed(0)}×)`,
    `${at(0.25)}/${at(0.5)}/${at(0.75)}/${at(1)} (max ${Math.max(...backlogs)})`,
    `${percentile(health, 50)}/${percentile(health, 95)}/${Math.max(...health)} ms`,
    r.counts,
  ];
});
if (runs > 1) {
  const m = (f: (r: RunResult) => number) => median(results.map(f));
  rows.push([
    "median",
    String(events),
    `${m((r) => r.readS).toFixed(1)} s (${rate(m((r) => r.readS))})`,
    `${m((r) => r.doneS).toFixed(1)} s (${rate(m((r) => r.doneS))})`,
    `${m((r) => r.stackCpuS).toFixed(0)} s (${(events / m((r) => r.stackCpuS)).toFixed(0)} ev/CPU-s)`,
    `${m((r) => r.duck.seconds).toFixed(2)} s`,
    `${m((r) => r.doneS / r.duck.seconds).toFixed(0)}×`,
    "",
    "",
    "",
  ]);
}
const table = markdownTable([
  "run",
  "events",
  "read",
  "all committed",
  "stack CPU",
  "DuckDB batch",
  "ours ÷ DuckDB",
  "backlog (msgs) at 25/50/75/100 % of the run",
  "/api/health p50/p95/max",
  "bronze/silver/quarantine/duplicate",
], rows);
const timeline = results[0]!.samples.filter((_, i, a) => i % Math.max(1, Math.floor(a.length / 12)) === 0)
  .map((s) =>
    `${(s.t / 1000).toFixed(0)} s: ${s.received} read, ${s.silver} silver committed, ${s.unacked} unacked`
  )
  .join("; ");
appendResults("throughput", table, [
  `Stream: scripts/synth.ts --events ${events} --span ${values.span} --seed ${values.seed} (1 % duplicates, ` +
  "0.5 % canaries, 0.5 % bad), replayed at max speed. _Read_: the ingestor accepted every event into the " +
  "queue; _all committed_: every row committed and the counts reconciled (the 5 s quiet check excluded).",
  "DuckDB batch (same file, same run, after the pipeline stopped): read_json, drop canaries/invalid, dedup by " +
  "meta.id, silver columns → zstd Parquet, gold 5-minute windows in SQL → Parquet.",
  `Backlog timeline of run 1: ${timeline}.`,
  `Consumer profile of run 1 (workers/queue/ingest_messages.ts spans): ${results[0]!.profile}.`,
  `Load average (1 min) during the runs: ${results.map((r) => String(r.load)).join(", ")}.`,
  `CPU by process, run 1 (own user + system seconds from start to all committed): ${
    [...results[0]!.roles].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v.toFixed(1)} s (${(events / Math.max(0.01, v)).toFixed(0)} ev/CPU-s)`).join(
        ", ",
      )
  }; the bench harness itself (Node, health polls) used ${harnessCpuS.toFixed(1)} s in all.`,
  ...(results[0]!.cpuProfile
    ? [
      `V8 CPU profile of the Worker isolate (all its Durable Objects), run 1, sampled every 1 ms over the whole run: ${
        results[0]!.cpuProfile.summary
      }.`,
    ]
    : []),
  "Stack CPU: user + system seconds of the replay server, wrangler and workerd (/proc) from start to all " +
  "committed; on a shared machine it is the steadier figure. DuckDB's CPU is this process's during the batch.",
  "The machine is shared with other helpers' test and benchmark runs (2 cores): figures are noisy.",
]);
