/**
 * `npm run bench -- ingest [--events 50000 --span 6h --seed 1 --late-share 0]`
 *
 * End-to-end ingest benchmark on the local runtime: synthesizes a stream, replays it at max
 * speed through `wrangler dev` (replay server → StreamIngestor → Queue → consumer → Iceberg
 * tables → gold windows), waits until the pipeline is idle with reconciled counts, then times
 * the late-data correction (bronze re-read of every file + gold overwrite), and prints the
 * measured rates as a Markdown table row for bench/RESULTS.md. Runs on Node 22.
 */
import { mkdirSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { synthStream } from "./lib/bench_stack.ts";
import { REPO_ROOT, startLocalStack } from "../scripts/lib/local_stack.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "50000" },
    span: { type: "string", default: "6h" },
    seed: { type: "string", default: "1" },
    "late-share": { type: "string", default: "0" },
  },
});
const events = Number(values.events);
if (!Number.isInteger(events) || events < 1 || events > 2_000_000) {
  console.error(`--events must be 1..2000000, got ${values.events}`);
  process.exit(2);
}
const dir = join(REPO_ROOT, "bench", "out", `run-${Date.now()}`);
mkdirSync(dir, { recursive: true });
const stream = join(dir, "stream.jsonl");
synthStream(stream, {
  events,
  span: values.span!,
  seed: values.seed!,
  lateShare: Number(values["late-share"]),
});

const stack = await startLocalStack({
  files: [stream],
  speed: "max",
  port: 0,
  persistDir: join(dir, "state"),
  crons: ["* * * * *"], // the watchdog only: the correction is timed below
});
try {
  const started = Date.now();
  let firstReceived: number | null = null;
  let allReceived: number | null = null;
  while (allReceived === null) {
    const h = await stack.health();
    if (firstReceived === null && h.events.received > 0) firstReceived = Date.now();
    if (h.events.received >= events) allReceived = Date.now();
    else await new Promise((r) => setTimeout(r, 250));
    if (Date.now() - started > 900_000) throw new Error("benchmark did not finish reading in 15 min");
  }
  const quietMs = 5_000;
  const idle = await stack.waitIdle({ timeoutMs: 900_000, quietMs });
  const done = Date.now() - quietMs;
  const seconds = (ms: number) => ms / 1000;
  const correctionStarted = Date.now();
  let [bronzeRead, lateFolded, windowsCorrected, runs] = [0, 0, 0, 0];
  while (true) {
    const res = await fetch(`${stack.url}/api/admin/correction?max_files=1000`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.token}` },
    });
    const report = await res.json() as any;
    if (!res.ok) throw new Error(`correction failed: ${JSON.stringify(report)}`);
    runs++;
    bronzeRead += report.bronze.events_read;
    lateFolded += report.gold.late_events;
    windowsCorrected += report.gold.windows.length;
    if (report.bronze.files_remaining === 0) break;
  }
  const correction = seconds(Date.now() - correctionStarted);
  const read = seconds(allReceived - started);
  const total = seconds(done - started);
  const row = [
    new Date().toISOString().slice(0, 10),
    `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
    String(events),
    `${read.toFixed(1)} s (${(events / read).toFixed(0)} ev/s)`,
    `${total.toFixed(1)} s (${(events / total).toFixed(0)} ev/s)`,
    `${idle.events.bronze}/${idle.events.silver}/${idle.events.quarantine}/${idle.events.duplicate}`,
    `${correction.toFixed(1)} s (${runs} run(s): ${bronzeRead} bronze events re-read, ${lateFolded} late ` +
    `events in ${windowsCorrected} windows folded)`,
  ];
  console.log(`\n| ${row.join(" | ")} |`);
} finally {
  await stack.stop();
}
