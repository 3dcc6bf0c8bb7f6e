/**
 * `npm run bench -- load [--duration 60 --connections 200 --events 24000 --span 2h --rate-limit off]`
 *
 * Load test of the read API on the local runtime (127.0.0.1 only, bounded to at most 60 s):
 * autocannon drives `--connections` concurrent clients over a mix of read routes while a replay
 * is being ingested (paced so it lasts the whole run), then waits until the pipeline is idle and
 * checks its counts are still exact (received = events, the `/api/health` counts reconcile).
 * Reports requests/s, p50/p95/p99 latency (from every response's own time), errors, timeouts,
 * non-2xx, 429 and 5xx, and appends them to bench/RESULTS.md.
 *
 * Every client is 127.0.0.1, so with the rate limit on they share one budget: by default the
 * Worker runs with `RATE_LIMIT_READ_API=off`; `--rate-limit on` keeps it and counts the 429s.
 */
import autocannon from "autocannon";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { synthStream } from "./lib/bench_stack.ts";
import { REPO_ROOT, startLocalStack } from "../scripts/lib/local_stack.ts";
import { appendResults, markdownTable, percentile } from "./lib/results.ts";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "60" },
    connections: { type: "string", default: "200" },
    events: { type: "string", default: "24000" },
    span: { type: "string", default: "2h" },
    seed: { type: "string", default: "1" },
    "rate-limit": { type: "string", default: "off" },
  },
});
const bounded = (name: string, raw: string | undefined, min: number, max: number) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name} must be an integer from ${min} to ${max}, got ${raw}`);
    process.exit(2);
  }
  return n;
};
const duration = bounded("duration", values.duration, 5, 60);
const connections = bounded("connections", values.connections, 1, 500);
const events = bounded("events", values.events, 100, 500_000);
const spanMatch = /^(\d{1,3})h$/.exec(values.span ?? "");
if (!spanMatch) {
  console.error(`--span must be hours like 2h, got ${values.span}`);
  process.exit(2);
}
const rateLimit = values["rate-limit"];
if (rateLimit !== "on" && rateLimit !== "off") {
  console.error(`--rate-limit must be on or off, got ${rateLimit}`);
  process.exit(2);
}
// Replay pace: the stream's span spread over the run plus a margin, so ingest runs throughout.
const speed = Math.max(1, Math.round((Number(spanMatch[1]) * 3600) / (duration + 20)));

const dir = join(REPO_ROOT, "bench", "out", `load-${Date.now()}`);
mkdirSync(dir, { recursive: true });
const stream = join(dir, "stream.jsonl");
synthStream(stream, { events, span: values.span!, seed: values.seed! });

/** The read routes the clients cycle through (each connection walks the list in order). */
const ROUTES = [
  "/api/health",
  "/api/kpis",
  "/api/kpis/latest",
  "/api/events/timeseries?bucket=1m",
  "/api/events/breakdown?by=wiki&limit=20",
  "/api/events/top-pages?limit=10",
  "/api/events/recent?limit=50",
  "/api/anomalies",
  "/api/tables",
];

const stack = await startLocalStack({
  files: [stream],
  speed,
  port: 0,
  persistDir: join(dir, "state"),
  crons: ["* * * * *"],
  vars: { RATE_LIMIT_READ_API: rateLimit },
});
try {
  const before = await stack.health();
  const latencies: number[] = [];
  const instance = autocannon({
    url: stack.url,
    connections,
    duration,
    timeout: 30,
    requests: ROUTES.map((path) => ({ method: "GET", path })),
  });
  instance.on("response", (_client, _status, _bytes, ms) => latencies.push(ms));
  const result = await instance;
  const during = await stack.health();
  const idle = await stack.waitIdle({ timeoutMs: 600_000, quietMs: 5_000 });
  const exact = idle.events.received === events && idle.reconciled === true;
  const count = (code: string) => result.statusCodeStats[code]?.count ?? 0;
  const ms = (p: number) => latencies.length ? `${percentile(latencies, p).toFixed(0)} ms` : "n/a";
  const table = markdownTable(
    [
      "clients",
      "duration",
      "rate limit",
      "requests",
      "req/s",
      "p50",
      "p95",
      "p99",
      "errors / timeouts",
      "non-2xx",
      "429",
      "5xx",
      "ingested during run",
      "counts exact after",
    ],
    [[
      String(connections),
      `${result.duration.toFixed(0)} s`,
      rateLimit,
      String(result.requests.total),
      result.requests.average.toFixed(0),
      ms(50),
      ms(95),
      ms(99),
      `${result.errors} / ${result.timeouts}`,
      String(result.non2xx),
      String(count("429")),
      String(result["5xx"]),
      `${during.events.received - before.events.received} events`,
      exact
        ? `yes (${idle.events.received} received, bronze ${idle.events.bronze} = silver ${idle.events.silver} + quarantine ${idle.events.quarantine} + duplicate ${idle.events.duplicate})`
        : `NO (${JSON.stringify(idle.events)}, reconciled ${idle.reconciled})`,
    ]],
  );
  appendResults("load", table, [
    `${connections} autocannon connections on 127.0.0.1 cycling through ${ROUTES.join(", ")}; ` +
    `replay of ${events} synthetic events (span ${values.span}) at ${speed}× real time into the same ` +
    `wrangler dev (Miniflare/workerd) while the load ran.`,
    "Latency percentiles are over every response's own time (autocannon's `response` event), nearest rank.",
    "The machine is shared with other helpers' test runs right now: absolute numbers are noisy; one run.",
  ]);
  if (!exact) process.exitCode = 1;
} finally {
  await stack.stop();
}
