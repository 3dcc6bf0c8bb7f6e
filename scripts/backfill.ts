/**
 * `npm run backfill -- --since ISO-TIME | --file PATH [--api URL] [--token T] [--url STREAM]`
 *
 * Backfills a running wikiflare (local `npm run demo`/`npm start`, or deployed via --api):
 * - `--since`: restarts the ingestor at that time (`?since=`), forgetting its resume id; events
 *   it already received are recognised and not counted again.
 * - `--file`: serves PATH (.sse/.jsonl) from a local replay server, points the ingestor at it
 *   from the start, and afterwards back at the stream it read before, which resumes where it was.
 * Prints progress until the pipeline is idle again. Events whose windows are already final land
 * in silver as late and wait for the correction job; nothing is counted twice (event_id claims).
 * Runs on Node 22 (type stripping).
 */
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { type BackfillOptions, parseBackfillOptions, progressLine } from "./lib/backfill_core.ts";
import { freePort, spawnLogged, stopChild, tailFile, waitFor } from "./lib/child_processes.ts";
import { idleFingerprint, isReplayDone, pendingWork } from "./lib/local_stack_core.ts";
import type { HealthReport } from "./lib/local_stack_types.ts";
import { REPLAY_STREAM_PATH, REPO_ROOT } from "./lib/local_stack.ts";

const USAGE = `usage: npm run backfill -- (--since ISO-TIME | --file PATH) [--api http://127.0.0.1:8787]
       [--token T (default $ADMIN_TOKEN)] [--url STREAM-URL] [--quiet-seconds 15] [--timeout-seconds 3600]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      since: { type: "string" },
      file: { type: "string" },
      api: { type: "string" },
      token: { type: "string" },
      url: { type: "string" },
      "quiet-seconds": { type: "string" },
      "timeout-seconds": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return console.log(USAGE);
  const opts = parseBackfillOptions(values, process.env.ADMIN_TOKEN);
  const start = await health(opts);
  const previousUrl = String((start.ingestor as Record<string, unknown> | undefined)?.url ?? "") || null;
  if (opts.source.kind === "since") {
    await admin(opts, "/api/admin/ingest/start", {
      since: opts.source.since,
      ...(opts.url ? { url: opts.url } : {}),
    });
    console.log(`backfill: ingestor restarted at ${opts.source.since} on ${opts.url ?? previousUrl}`);
    await follow(opts, start, null);
    return;
  }
  const file = path.resolve(opts.source.path);
  const port = await freePort();
  const logFile = path.join(REPO_ROOT, "test-output", "backfill", `replay-${port}.log`);
  const replay = spawnLogged("replay server", path.join(REPO_ROOT, "node_modules", ".bin", "deno"), [
    "run",
    "-A",
    "scripts/replay_server.ts",
    "--file",
    file,
    "--speed",
    "max",
    "--port",
    String(port),
  ], { cwd: REPO_ROOT, env: process.env, logFile });
  const replayUrl = `http://127.0.0.1:${port}`;
  try {
    await waitFor(async () => (await fetch(`${replayUrl}/health`)).ok, {
      timeoutMs: 30_000,
      children: [replay],
      fail: () => `replay server did not start:\n${tailFile(logFile)}`,
    });
    await admin(opts, "/api/admin/ingest/start", {
      url: `${replayUrl}${REPLAY_STREAM_PATH}`,
      since: "1970-01-01T00:00:00Z",
    });
    console.log(`backfill: replaying ${file} through ${replayUrl}`);
    await follow(opts, start, replayUrl);
  } finally {
    if (previousUrl) {
      await admin(opts, "/api/admin/ingest/start", { url: previousUrl });
      console.log(`backfill: ingestor back on ${previousUrl}, resuming where it was`);
    }
    await stopChild(replay);
  }
}

/** Prints progress until the counts are quiet, nothing is pending and (for a file) it is all served. */
async function follow(opts: BackfillOptions, start: HealthReport, replayUrl: string | null): Promise<void> {
  const began = Date.now();
  let [last, quietSince, lastLog] = ["", Date.now(), 0];
  while (Date.now() - began < opts.timeoutMs) {
    await sleep(1_000);
    const h = await health(opts);
    const fingerprint = idleFingerprint(h);
    if (fingerprint !== last) [last, quietSince] = [fingerprint, Date.now()];
    if (Date.now() - lastLog >= 5_000) {
      lastLog = Date.now();
      console.log(progressLine(start, h, Date.now() - began));
    }
    const served = replayUrl === null ||
      isReplayDone(await (await fetch(`${replayUrl}/stats`)).json() as Record<string, unknown>) !== false;
    if (served && pendingWork(h) === 0 && Date.now() - quietSince >= opts.quietMs) {
      console.log(`${progressLine(start, h, Date.now() - began)}\nbackfill: done (pipeline idle).`);
      const gold = (h.gold ?? {}) as Record<string, unknown>;
      console.log(
        `backfill: ${
          gold.uncorrected_late_windows ?? 0
        } final window(s) hold late events; the correction job ` +
          `(cron, or POST /api/admin/correction) folds them into gold.`,
      );
      return;
    }
  }
  throw new Error(`backfill not idle after ${opts.timeoutMs / 1000} s`);
}

async function health(opts: BackfillOptions): Promise<HealthReport> {
  const res = await fetch(`${opts.api}/api/health`).catch((e) => {
    throw new Error(
      `cannot reach ${opts.api}/api/health (${e.cause?.code ?? e.message}); is the pipeline running?`,
    );
  });
  if (!res.ok) throw new Error(`${opts.api}/api/health answered ${res.status}`);
  return await res.json() as HealthReport;
}

async function admin(opts: BackfillOptions, route: string, query: Record<string, string>): Promise<void> {
  const res = await fetch(`${opts.api}${route}?${new URLSearchParams(query)}`, {
    method: "POST",
    headers: { authorization: `Bearer ${opts.token}` },
  });
  if (!res.ok) throw new Error(`POST ${route} answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
}

main().catch((error) => {
  console.error(`backfill: ${error instanceof Error ? error.message : error}\n${USAGE}`);
  process.exit(1);
});
