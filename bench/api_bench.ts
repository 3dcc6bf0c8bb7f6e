/**
 * `npm run bench -- api [--events 50000] [--span 24h] [--duration 10] [--runs 1] [--connections 50,200]
 *  [--direct] [--only latest] [--profile] [--var K:V ...]`
 *
 * Loads the local stack with a synth stream (default 50,000 events over 24 h of event time), waits
 * until it is idle, then drives the read API with autocannon on loopback: `/api/kpis/latest`,
 * `/api/kpis` over the 24 h of windows, and a silver drill-down (`/api/events/timeseries`, 5-minute
 * buckets) over the last 1 h and over 24 h, each at every `--connections` level for `--duration`
 * seconds. Reports requests/s, p50/p95/p99 latency (from every response's time) and errors.
 * `--direct` also sends every load straight to Miniflare's entry socket (the user workerd),
 * bypassing wrangler's HTTP proxy; every row splits the stack's CPU per request by process.
 * `--only` keeps the endpoints whose name contains it; `--profile` samples a V8 CPU profile of the
 * Worker's isolate over all the loads (bench/lib/cpu_profile.ts); `--var K:V` sets a Worker var.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { appendResults, LoadRange, markdownTable, median, percentile } from "./lib/results.ts";
import {
  REPO_ROOT,
  runDir,
  secs,
  startLocalStack,
  synthStream,
  varsNote,
  workerVars,
} from "./lib/bench_stack.ts";
import { cpuByRole, treeCpuSeconds } from "./lib/proc_cpu.ts";
import {
  findProcesses,
  listeningPorts,
  type Profiling,
  saveCpuProfile,
  startCpuProfile,
} from "./lib/cpu_profile.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "50000" },
    span: { type: "string", default: "24h" },
    start: { type: "string", default: "2026-01-01T00:00:00Z" },
    duration: { type: "string", default: "10" },
    runs: { type: "string", default: "1" },
    connections: { type: "string", default: "50,200" },
    direct: { type: "boolean", default: false },
    only: { type: "string" },
    profile: { type: "boolean", default: false },
    var: { type: "string", multiple: true, default: [] },
  },
});
const extraVars = workerVars(values.var!);
const events = Number(values.events);
const duration = Number(values.duration);
const runs = Number(values.runs);
const levels = values.connections!.split(",").map(Number);
if (!Number.isInteger(events) || events < 1000 || events > 2_000_000) {
  throw new RangeError("--events 1000..2000000");
}
if (!(duration >= 2 && duration <= 120)) throw new RangeError("--duration 2..120");
if (!Number.isInteger(runs) || runs < 1 || runs > 9) throw new RangeError("--runs 1..9");
if (!levels.every((n) => Number.isInteger(n) && n >= 1 && n <= 1000)) {
  throw new RangeError("--connections 1..1000 each");
}

interface Measure {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  requests: number;
  /** CPU milliseconds of the stack's processes per answered request (steady on a shared machine). */
  cpuMsPerRequest: number;
  /** The same split by process role (bench/lib/proc_cpu.ts). */
  roleMsPerRequest: Map<string, number>;
}

/** "workerd", "proxy", "wrangler", …: a process role in a table cell. */
function shortRole(role: string): string {
  return role.includes("HTTP proxy") ? "proxy" : role.split(" ")[0]!;
}

/** Miniflare's entry socket: the user workerd's listening port that answers /api/health. */
async function entrySocketUrl(pids: number[]): Promise<string> {
  for (const pid of findProcesses(pids, /workerd serve .*--inspector-addr/)) {
    for (const port of listeningPorts(pid)) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(10_000) });
        if (r.ok && (await r.text()).startsWith("{")) return `http://127.0.0.1:${port}`;
      } catch { /* not the entry socket */ }
    }
  }
  throw new Error("no entry socket of the user workerd answered /api/health");
}

const loadSeen = new LoadRange();

/** One autocannon run against `url`; latencies from every response. */
async function load(url: string, connections: number, pids: number[]): Promise<Measure> {
  loadSeen.note();
  const times: number[] = [];
  const roles0 = cpuByRole(pids);
  const cpu0 = treeCpuSeconds(pids);
  const instance = autocannon({ url, connections, duration, pipelining: 1, timeout: 30 });
  instance.on("response", (_client: unknown, _status: number, _bytes: number, ms: number) => times.push(ms));
  const r = await instance;
  loadSeen.note();
  const cpuS = treeCpuSeconds(pids) - cpu0;
  const roles = new Map(
    [...cpuByRole(pids)].map((
      [k, v],
    ) => [k, (1000 * (v - (roles0.get(k) ?? 0))) / Math.max(1, times.length)]),
  );
  return {
    roleMsPerRequest: roles,
    cpuMsPerRequest: times.length ? (1000 * cpuS) / times.length : NaN,
    rps: r.requests.average,
    p50: times.length ? percentile(times, 50) : NaN,
    p95: times.length ? percentile(times, 95) : NaN,
    p99: times.length ? percentile(times, 99) : NaN,
    errors: r.errors + r.timeouts + r.non2xx,
    requests: r.requests.total,
  };
}

const dir = runDir("api");
const stream = join(dir, "stream.jsonl");
synthStream(stream, { events, span: values.span!, start: values.start });
const stack = await startLocalStack({
  files: [stream],
  speed: "max",
  port: 0,
  persistDir: join(dir, "state"),
  crons: ["* * * * *"],
  vars: { RATE_LIMIT_READ_API: "off", ...extraVars }, // every load client is 127.0.0.1
});
let profileSummary: string | null = null;
const results = new Map<string, Measure[]>();
let loadS = 0;
let direct: string | null = null;
try {
  const t0 = Date.now();
  // Under heavy load a /api/health call can outlast the harness's own request timeout: try again.
  for (let attempt = 1;; attempt++) {
    try {
      await stack.waitIdle({ timeoutMs: 1_800_000, quietMs: 5_000 });
      break;
    } catch (error) {
      if (attempt >= 20 || !/TimeoutError|aborted due to timeout/.test(String(error))) throw error;
      console.error(`[api] /api/health timed out while loading (attempt ${attempt}); waiting again`);
    }
  }
  loadS = (Date.now() - t0) / 1000;
  if (values.direct) direct = await entrySocketUrl(stack.pids);
  const latest = await (await fetch(`${stack.url}/api/kpis/latest`)).json() as any;
  const end = Date.parse(latest.windows[0].window_end);
  const iso = (ms: number) => new Date(ms).toISOString();
  const allTargets: Array<[string, string]> = [
    ["/api/kpis/latest", "/api/kpis/latest"],
    ["/api/kpis 24 h", `/api/kpis?from=${iso(end - 86_400_000)}&to=${iso(end)}`],
    [
      "/api/events/timeseries 5m, 1 h",
      `/api/events/timeseries?bucket=5m&from=${iso(end - 3_600_000)}&to=${iso(end)}`,
    ],
    [
      "/api/events/timeseries 5m, 24 h",
      `/api/events/timeseries?bucket=5m&from=${iso(end - 86_400_000)}&to=${iso(end)}`,
    ],
  ];
  const targets = allTargets.filter(([name]) => !values.only || name.includes(values.only));
  if (!targets.length) throw new RangeError(`--only ${values.only} matches no endpoint`);
  let profiling: Profiling | undefined;
  if (values.profile) profiling = await startCpuProfile(stack.pids, 1_000);
  for (let run = 0; run < runs; run++) {
    for (const [name, path] of targets) {
      const check = await fetch(`${stack.url}${path}`);
      if (!check.ok) {
        throw new Error(`${path} answered ${check.status}: ${(await check.text()).slice(0, 300)}`);
      }
      await check.arrayBuffer();
      for (const [via, base] of direct ? [["", stack.url], [" (direct)", direct]] : [["", stack.url]]) {
        for (const c of levels) {
          const m = await load(`${base}${path}`, c, stack.pids);
          console.error(
            `[api] ${name} @${c}: ${m.rps.toFixed(0)} req/s p50 ${m.p50.toFixed(0)} p99 ${
              m.p99.toFixed(0)
            } errors ${m.errors}`,
          );
          const key = `${name}${via}\u0000${c}`;
          results.set(key, [...(results.get(key) ?? []), m]);
        }
      }
    }
  }
  if (profiling) profileSummary = (await saveCpuProfile(profiling, REPO_ROOT, dir)).summary;
} finally {
  await stack.stop();
}
const rows = [...results.entries()].map(([key, ms]) => {
  const [name, c] = key.split("\u0000");
  const m = (f: (x: Measure) => number) => median(ms.map(f));
  return [
    name!,
    c!,
    m((x) => x.rps).toFixed(0),
    `${m((x) => x.p50).toFixed(0)} ms`,
    `${m((x) => x.p95).toFixed(0)} ms`,
    `${m((x) => x.p99).toFixed(0)} ms`,
    `${m((x) => x.cpuMsPerRequest).toFixed(2)} ms`,
    [...ms[0]!.roleMsPerRequest].filter(([, v]) => v >= 0.01).sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${shortRole(k)} ${v.toFixed(2)}`).join(", "),
    ms.map((x) => `${x.errors}/${x.requests}`).join(", "),
  ];
});
appendResults(
  "api",
  markdownTable([
    "endpoint",
    "clients",
    "requests/s",
    "p50",
    "p95",
    "p99",
    "stack CPU per request",
    "by process (ms, run 1)",
    "errors/requests",
  ], rows),
  [
    `Data: scripts/synth.ts --events ${events} --span ${values.span} (loaded and idle in ${
      secs(loadS * 1000)
    }); ` +
    `autocannon ${duration} s per row, ${runs} run(s) (median), loopback, one \`wrangler dev\`.`,
    "Stack CPU per request: user + system seconds of the replay server, wrangler (its proxy) and workerd (/proc) " +
    "during the row's load ÷ responses; it includes the idle pipeline's own timers. By process: workerd = the user " +
    "workerd (Worker, DOs, simulators), the proxy = wrangler's HTTP proxy workerd, wrangler = its Node process. " +
    "_(direct)_ rows load Miniflare's entry socket of the user workerd, bypassing wrangler's proxy.",
    `Load average (1 min) around the loads: ${loadSeen} on 2 cores.`,
    ...varsNote(extraVars),
    ...(profileSummary ? [`V8 CPU profile of the Worker isolate over all the loads: ${profileSummary}`] : []),
  ],
);
