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
import { loadavg } from "node:os";
import { mkdirSync, readFileSync } from "node:fs";
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
  const loadBefore = loadavg().map((n) => n.toFixed(2)).join(" ");
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
  const loadAfter = loadavg().map((n) => n.toFixed(2)).join(" ");
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
  const routes = serverSideByRoute(join(stack.logsDir, "wrangler.log"), ROUTES);
  appendResults("load", `${table}\n\n${routes}`, [
    `${connections} autocannon connections on 127.0.0.1 cycling through ${ROUTES.join(", ")}; ` +
    `replay of ${events} synthetic events (span ${values.span}) at ${speed}× real time into the same ` +
    `wrangler dev (Miniflare/workerd) while the load ran.`,
    "Latency percentiles are over every response's own time (autocannon's `response` event), nearest rank.",
    'Per route: the Worker\'s own request log lines (`{"msg":"request","path","status","ms"}` in ' +
    "wrangler.log) during the run — time inside the Worker, without the local proxy's queueing.",
    `Load average (1/5/15 min) at the start of the load: ${loadBefore}; at its end: ${loadAfter} (2 cores, shared).`,
    "The machine is shared with other helpers' test runs right now: absolute numbers are noisy; one run.",
  ]);
  if (!exact) process.exitCode = 1;
} finally {
  await stack.stop();
}

/** Per route of the mix: the Worker's request log lines (server-side ms and statuses) as a table. */
function serverSideByRoute(logFile: string, routes: readonly string[]): string {
  const byPath = new Map<string, { ms: number[]; statuses: Map<number, number> }>();
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
    const at = line.indexOf('{"msg":"request"');
    if (at < 0) continue;
    let entry: { path?: string; status?: number; ms?: number };
    try {
      entry = JSON.parse(line.slice(at));
    } catch {
      continue;
    }
    if (typeof entry.path !== "string" || typeof entry.ms !== "number") continue;
    const e = byPath.get(entry.path) ?? { ms: [] as number[], statuses: new Map<number, number>() };
    e.ms.push(entry.ms);
    e.statuses.set(Number(entry.status), (e.statuses.get(Number(entry.status)) ?? 0) + 1);
    byPath.set(entry.path, e);
  }
  const paths = [...new Set(routes.map((r) => r.split("?")[0]!))];
  return markdownTable(
    ["route (server side)", "responses", "statuses", "p50", "p95", "p99", "max"],
    paths.filter((p) => byPath.has(p)).map((p) => {
      const e = byPath.get(p)!;
      const ms = (q: number) => `${percentile(e.ms, q)} ms`;
      const statuses = [...e.statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}: ${n}`).join(", ");
      return [p, String(e.ms.length), statuses, ms(50), ms(95), ms(99), `${Math.max(...e.ms)} ms`];
    }),
  );
}
