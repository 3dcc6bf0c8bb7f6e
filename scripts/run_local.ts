/**
 * `npm start` (live) and `npm run demo -- [--file PATH]… [--speed N|max] [--port P]` (offline).
 *
 * Starts the local runtime (`wrangler dev`, Miniflare) and, in demo mode, the replay server;
 * starts ingestion; prints where the API is and a progress line every few seconds; runs until
 * SIGINT/SIGTERM and then stops every process it started. Runs on Node 22 (type stripping).
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { PortInUseError, REPO_ROOT, startLocalStack } from "./lib/local_stack.ts";

const LIVE_URL = "https://stream.wikimedia.org/v2/stream/recentchange";
// Oldest capture first: in event-time order every recorded event is on time (a newer recording
// first would make the older ones late events, visible in gold only after a correction).
const RECORDINGS = [
  "recentchange-2025-05-03.jsonl",
  "recentchange-2026-02-26.jsonl",
  "recentchange-2026-06-20.sse",
].map((f) => resolve(REPO_ROOT, "../shared/data", f));

const { values } = parseArgs({
  options: {
    live: { type: "boolean", default: false },
    demo: { type: "boolean", default: false },
    file: { type: "string", multiple: true },
    speed: { type: "string", default: "1" },
    port: { type: "string", default: "8787" },
    "cut-every": { type: "string" },
    "stream-url": { type: "string" },
    "persist-to": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(
    "usage: npm run demo -- [--file PATH]… [--speed N|max] [--port P] [--cut-every N]\n       npm start [-- --port P]",
  );
  process.exit(0);
}
const speed = values.speed === "max" ? "max" : Number(values.speed);
const port = Number(values.port);
if (speed !== "max" && !(speed > 0)) {
  fail(`--speed must be a positive number or "max", got "${values.speed}"`);
}
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  fail(`--port must be 1..65535, got "${values.port}"`);
}

const live = values.live && !values.demo;
// Live mode always names its stream (wrangler.toml's STREAM_URL is this same URL), so the banner shows it.
const liveUrl = values["stream-url"] ?? LIVE_URL;
if (live) await checkReachable(liveUrl);

const stack = await startLocalStack({
  live,
  streamUrl: live ? liveUrl : undefined,
  files: live ? undefined : (values.file?.map((f) => resolve(f)) ?? RECORDINGS),
  speed,
  port,
  cutEvery: values["cut-every"] ? Number(values["cut-every"]) : undefined,
  persistDir: values["persist-to"] ? resolve(values["persist-to"]) : undefined,
}).catch((error) => {
  if (error instanceof PortInUseError) fail(error.message, 1);
  throw error;
});

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.error(`\n${signal}: stopping every process this run started…`);
  await stack.stop();
  process.exit(0);
};
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));

console.error([
  "",
  `wikiflare is running (${live ? "live" : "demo"} mode), reading ${stack.streamUrl}`,
  `  API:          ${stack.url}/api/health   ${stack.url}/api/kpis   ${stack.url}/api/tables`,
  `  admin token:  ${stack.token}   (Authorization: Bearer …)`,
  `  local state:  ${stack.persistDir}   logs: ${stack.logsDir}`,
  "  Ctrl-C stops it; the next run resumes where this one stopped.",
  "",
].join("\n"));

while (!stopping) {
  await new Promise((r) => setTimeout(r, 5_000));
  if (stopping) break;
  try {
    const h = await stack.health();
    const e = h.events;
    const ingestor = h.ingestor as {
      connected?: boolean;
      events_per_second?: number;
      last_error?: string | null;
    };
    console.error(
      `[${
        new Date().toISOString().slice(11, 19)
      }] ${h.status} received=${e.received} canary=${e.canary} bronze=${e.bronze} ` +
        `silver=${e.silver} quarantine=${e.quarantine} duplicate=${e.duplicate} ${
          ingestor?.events_per_second ?? 0
        }/s ` +
        `watermark=${h.watermark ?? "-"}${ingestor?.connected ? "" : " (not connected)"}` +
        (ingestor?.last_error ? `\n  last error: ${ingestor.last_error}` : ""),
    );
  } catch (error) {
    console.error(`health check failed: ${String(error)}`);
  }
}

async function checkReachable(url: string): Promise<void> {
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(10_000),
      headers: { Accept: "text/event-stream" },
    });
    await response.body?.cancel();
    if (!response.ok) {
      console.error(
        `warning: ${url} answered HTTP ${response.status}; the ingestor will retry with backoff.`,
      );
    }
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    console.error([
      `warning: cannot reach the live Wikimedia stream at ${url}`,
      `  (${
        cause?.code ?? cause?.message ?? String(error)
      }) — this machine seems to have no internet access.`,
      "  The pipeline starts anyway and the ingestor keeps retrying with backoff (see /api/health).",
      "  For an offline run use: npm run demo",
    ].join("\n"));
  }
}

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}
