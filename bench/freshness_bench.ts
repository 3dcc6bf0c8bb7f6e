/**
 * `npm run bench -- freshness [--rate 100] [--seconds 60] [--runs 1] [--var K:V ...]`
 *
 * Fresh events at a steady rate from an SSE server in this process (events of a synth stream,
 * re-stamped with the emission time; valid, unique ids, so every one must be counted), read by
 * the local stack (`wrangler dev`). For every event it measures the time from emission to
 * (a) counted in `/api/kpis/latest` (polled every `--poll-ms`; an event is counted when its
 * window's `total_edits` reaches its rank among the emitted events of that window), (b) pushed
 * on `/api/live` (`event: recent` carrying its event_id), (c) present in a committed silver
 * snapshot (`/api/health` silver rows ≥ its emission rank; rows commit in stream order).
 * The stack runs in live mode, so the Worker keeps wrangler.toml's vars, COMMIT_INTERVAL_SECONDS
 * included (the deployed default), unless `--var K:V` sets one; the report names the interval
 * and the load average seen during the runs.
 */
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { appendResults, LoadRange, markdownTable, median, percentile } from "./lib/results.ts";
import { REPO_ROOT, runDir, startLocalStack, synthStream, varsNote, workerVars } from "./lib/bench_stack.ts";
import { parseVar } from "../scripts/lib/local_stack_core.ts";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "100" },
    seconds: { type: "string", default: "60" },
    runs: { type: "string", default: "1" },
    "poll-ms": { type: "string", default: "100" },
    "health-poll-ms": { type: "string", default: "500" },
    var: { type: "string", multiple: true, default: [] },
  },
});
const extraVars = workerVars(values.var!);
const tomlInterval = parseVar(
  readFileSync(join(REPO_ROOT, "wrangler.toml"), "utf8"),
  "COMMIT_INTERVAL_SECONDS",
);
const commitInterval = extraVars.COMMIT_INTERVAL_SECONDS ?? tomlInterval;
const loadSeen = new LoadRange();
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const runs = Number(values.runs);
const pollMs = Number(values["poll-ms"]);
const healthPollMs = Number(values["health-poll-ms"]);
if (!(rate >= 1 && rate <= 2000)) throw new RangeError("--rate 1..2000");
if (!(seconds >= 10 && seconds <= 1800)) throw new RangeError("--seconds 10..1800");
if (!Number.isInteger(runs) || runs < 1 || runs > 9) throw new RangeError("--runs 1..9");
const WINDOW_MS = 300_000;
const TOPIC = "eqiad.mediawiki.recentchange";

/** Emission record of one event. */
interface Emitted {
  id: string;
  at: number;
  window: number;
  rankInWindow: number;
}

/** A steady-rate SSE source of fresh events; resumes after the `Last-Event-ID` offset. */
function freshSource(templates: Record<string, any>[], total: number) {
  const emitted: Emitted[] = [];
  const perWindow = new Map<number, number>();
  const clients = new Set<ServerResponse>();
  let next = 0;
  const server = createServer((req, res) => {
    if (!req.url?.startsWith("/v2/stream/recentchange")) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write(": fresh source\n\n");
    const last = req.headers["last-event-id"];
    let from = 0;
    try {
      if (typeof last === "string") from = Number(JSON.parse(last)[0].offset) + 1;
    } catch { /* from the start */ }
    // Re-send what this connection missed (same ids and times: duplicates, recognised as re-reads).
    for (let n = from; n < emitted.length; n++) res.write(frame(n));
    clients.add(res);
    req.on("close", () => clients.delete(res));
  });
  const bodies: string[] = [];
  const frame = (n: number) =>
    `event: message\nid: ${JSON.stringify([{ topic: TOPIC, partition: 0, offset: n }])}\ndata: ${
      bodies[n]
    }\n\n`;
  const emitOne = () => {
    const at = Date.now();
    const t = structuredClone(templates[next % templates.length]!);
    const id = `fresh-${process.pid}-${at}-${next}`;
    t.meta = { ...t.meta, id, dt: new Date(at).toISOString(), offset: next, partition: 0, topic: TOPIC };
    t.timestamp = Math.floor(at / 1000);
    bodies.push(JSON.stringify(t));
    const window = Math.floor(at / WINDOW_MS) * WINDOW_MS;
    const rank = (perWindow.get(window) ?? 0) + 1;
    perWindow.set(window, rank);
    emitted.push({ id, at, window, rankInWindow: rank });
    for (const c of clients) c.write(frame(next));
    next++;
  };
  let timer: ReturnType<typeof setInterval> | null = null;
  const start = () =>
    new Promise<void>((resolve) => {
      const began = Date.now();
      timer = setInterval(() => {
        const due = Math.min(total, Math.floor(((Date.now() - began) / 1000) * rate));
        while (next < due) emitOne();
        if (next >= total) {
          clearInterval(timer!);
          resolve();
        }
      }, 5);
    });
  return {
    emitted,
    start,
    listen: () =>
      new Promise<string>((r) =>
        server.listen(0, "127.0.0.1", () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))
      ),
    close: () => {
      if (timer) clearInterval(timer);
      for (const c of clients) c.destroy();
      server.close();
    },
  };
}

/** Reads `/api/live` and records when each event_id was first pushed. */
function watchLive(url: string, seen: Map<string, number>): () => void {
  const ac = new AbortController();
  void (async () => {
    const res = await fetch(`${url}/api/live`, { signal: ac.signal });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    while (true) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value;
      let cut: number;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        if (!block.includes("event: recent")) continue;
        const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5)).join("\n");
        const now = Date.now();
        for (const e of JSON.parse(data).events ?? []) if (!seen.has(e.event_id)) seen.set(e.event_id, now);
      }
    }
  })().catch(() => {});
  return () => ac.abort();
}

interface RunResult {
  kpis: number[];
  live: number[];
  silver: number[];
  missing: { kpis: number; live: number; silver: number };
  events: number;
}

async function oneRun(): Promise<RunResult> {
  const dir = runDir("freshness");
  const templateFile = join(dir, "templates.jsonl");
  synthStream(templateFile, { events: 2000, span: "1h", duplicates: 0, canaries: 0, bad: 0 });
  const templates = readFileSync(templateFile, "utf8").split("\n").filter((l) => l.trim()).map((l) =>
    JSON.parse(l)
  );
  const total = Math.round(rate * seconds);
  const source = freshSource(templates, total);
  const sourceUrl = await source.listen();
  const stack = await startLocalStack({
    live: true,
    streamUrl: `${sourceUrl}/v2/stream/recentchange`,
    port: 0,
    persistDir: join(dir, "state"),
    crons: ["* * * * *"],
    vars: extraVars,
  });
  const pushed = new Map<string, number>();
  const stopLive = watchLive(stack.url, pushed);
  // window_start → [(time, total_edits)] as /api/kpis/latest showed it.
  const kpiSeen = new Map<number, Array<[number, number]>>();
  const silverSeen: Array<[number, number]> = [];
  let polling = true;
  const pollKpis = (async () => {
    while (polling) {
      const t0 = Date.now();
      try {
        const body = await (await fetch(`${stack.url}/api/kpis/latest`)).json() as any;
        const now = Date.now();
        for (const w of body.windows ?? []) {
          const start = Date.parse(w.window_start);
          if (!kpiSeen.has(start)) kpiSeen.set(start, []);
          kpiSeen.get(start)!.push([now, w.total_edits]);
        }
      } catch { /* counted as missing below if it never shows */ }
      await new Promise((r) => setTimeout(r, Math.max(0, pollMs - (Date.now() - t0))));
    }
  })();
  const pollSilver = (async () => {
    while (polling) {
      const t0 = Date.now();
      try {
        const h = await stack.health() as any;
        silverSeen.push([Date.now(), h.events.silver]);
      } catch { /* retried */ }
      loadSeen.note();
      await new Promise((r) => setTimeout(r, Math.max(0, healthPollMs - (Date.now() - t0))));
    }
  })();
  try {
    await new Promise((r) => setTimeout(r, 3_000)); // the ingestor connects
    await source.start();
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const committed = silverSeen.at(-1)?.[1] ?? 0;
      if (committed >= total && pushed.size >= total) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    polling = false;
    stopLive();
    await Promise.allSettled([pollKpis, pollSilver]);
    await stack.stop();
    source.close();
  }
  const kpis: number[] = [];
  const live: number[] = [];
  const silver: number[] = [];
  const missing = { kpis: 0, live: 0, silver: 0 };
  source.emitted.forEach((e, i) => {
    const k = kpiSeen.get(e.window)?.find(([t, n]) => t >= e.at && n >= e.rankInWindow);
    if (k) kpis.push(k[0] - e.at);
    else missing.kpis++;
    const p = pushed.get(e.id);
    if (p !== undefined) live.push(p - e.at);
    else missing.live++;
    const s = silverSeen.find(([t, n]) => t >= e.at && n >= i + 1);
    if (s) silver.push(s[0] - e.at);
    else missing.silver++;
  });
  return { kpis, live, silver, missing, events: source.emitted.length };
}

const results: RunResult[] = [];
for (let i = 0; i < runs; i++) results.push(await oneRun());
const ms = (v: number) => `${(v / 1000).toFixed(2)} s`;
const rows: string[][] = [];
for (
  const [name, pick, miss] of [
    ["counted in /api/kpis/latest", (r: RunResult) => r.kpis, (r: RunResult) => r.missing.kpis],
    ["pushed on /api/live", (r: RunResult) => r.live, (r: RunResult) => r.missing.live],
    ["in a committed silver snapshot", (r: RunResult) => r.silver, (r: RunResult) => r.missing.silver],
  ] as const
) {
  const per = results.map((r) => {
    const v = pick(r);
    return v.length ? [percentile(v, 50), percentile(v, 95), percentile(v, 99)] : [NaN, NaN, NaN];
  });
  rows.push([
    name,
    String(results.length),
    ms(median(per.map((p) => p[0]!))),
    ms(median(per.map((p) => p[1]!))),
    ms(median(per.map((p) => p[2]!))),
    results.map((r) => `${miss(r)}/${r.events}`).join(", "),
  ]);
}
appendResults("freshness", markdownTable(["emit →", "runs", "p50", "p95", "p99", "never seen"], rows), [
  `Steady ${rate} events/s for ${seconds} s from an SSE server in the bench process (fresh event times, ` +
  "unique ids), through `wrangler dev`. Median over runs of each run's percentiles.",
  `Polling resolution: /api/kpis/latest every ${pollMs} ms, /api/health every ${healthPollMs} ms (the ` +
  "figures include up to one poll interval plus the request's own time). An event whose window stopped being " +
  "the latest before its count showed is 'never seen' for the KPI column.",
  `COMMIT_INTERVAL_SECONDS = ${commitInterval} s (${
    extraVars.COMMIT_INTERVAL_SECONDS !== undefined ? "set by --var" : "wrangler.toml's, the deployed default"
  }): it bounds the committed-silver column.`,
  ...varsNote(extraVars),
  `Load average (1 min) during the runs: ${loadSeen} on ${cpus().length} cores.`,
  "The machine is shared with other helpers' test and benchmark runs (2 cores): figures are noisy.",
]);
