/**
 * Starts and stops the whole local runtime: the replay server (Deno), `wrangler dev` (Miniflare)
 * with local R2/Queues/DOs, the ingestor, and the Cron Triggers that local dev never fires by
 * itself. Used by the demo runner and the end-to-end tests. Runs under Node 22 type stripping
 * and type-checks under Deno (erasable TypeScript only).
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { clearTimeout, setTimeout } from "node:timers";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

/** The repository root (two levels above this file). */
export const REPO_ROOT: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The path the replay server serves, as on stream.wikimedia.org. */
export const REPLAY_STREAM_PATH = "/v2/stream/recentchange";

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** Replay input files (`.jsonl` / `.sse`); required unless `live`. */
  files?: string[];
  /** Replay speed: a factor of real time, or "max". Default 1. */
  speed?: number | "max";
  /** Replay server closes the connection every N events (exercises Last-Event-ID resume). */
  cutEvery?: number;
  /** Connect to Wikimedia (or `streamUrl`) instead of starting the replay server. */
  live?: boolean;
  /** Overrides the stream URL handed to the Worker (live mode; default: wrangler.toml's). */
  streamUrl?: string;
  /** Worker port (default 8787); 0 picks a free one. */
  port?: number;
  /** Replay server port (default: the state directory's own, see `stableReplayPort`). */
  replayPort?: number;
  /** Admin token (default: $ADMIN_TOKEN, else a random one). */
  token?: string;
  /** wrangler `--persist-to` directory (default `<root>/.wrangler/state`). */
  persistDir?: string;
  /** Where child logs go (default: `logs/` beside `persistDir`). */
  logsDir?: string;
  /** Repository root (default: {@link REPO_ROOT}). */
  root?: string;
  /** Extra Worker vars (`--var K:V`), e.g. a shorter OUTBOX_RESEND_SECONDS in fault tests. */
  vars?: Record<string, string>;
  /** Call POST /api/admin/ingest/start once the Worker is up (default true). */
  startIngest?: boolean;
  /** Drive Cron Triggers on their schedule: true = wrangler.toml's (default), false = none, or a list. */
  crons?: boolean | string[];
  /** Seconds to wait for `wrangler dev` to answer /api/health (default 60). */
  readyTimeoutSeconds?: number;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export type { HealthEvents, HealthReport } from "./local_stack_types.ts";
export {
  cronMatches,
  idleFingerprint,
  isReconciled,
  isReplayDone,
  parseCronTriggers,
  pendingWork,
} from "./local_stack_core.ts";
export {
  assertPortFree,
  PortInUseError,
  spawnLogged,
  type StackChild,
  stopChild,
  tailFile,
} from "./child_processes.ts";
import {
  cronMatches,
  idleFingerprint,
  isReconciled,
  isReplayDone,
  parseCronTriggers,
  pendingWork,
} from "./local_stack_core.ts";
import {
  assertPortFree,
  fetchText,
  freePort,
  spawnLogged,
  type StackChild,
  stopChild,
  tailFile,
  waitFor,
} from "./child_processes.ts";
import type { HealthReport } from "./local_stack_types.ts";

/** Options of {@link LocalStack.waitIdle}. */
export interface WaitIdleOptions {
  /** Give up after this long (default 10 min). */
  timeoutMs?: number;
  /** The counts (and table snapshots) must not change for this long (default 5 s). */
  quietMs?: number;
}

/** A running local stack. */
export interface LocalStack {
  url: string;
  token: string;
  persistDir: string;
  logsDir: string;
  /** The replay server's base URL (null in live mode). */
  replayUrl: string | null;
  /** The URL the Worker reads the stream from. */
  streamUrl: string;
  /** Process ids of the children (each leads its own process group). */
  pids: number[];
  /** GET /api/health, parsed. */
  health(): Promise<HealthReport>;
  /** GET the replay server's /stats (null in live mode). */
  replayStats(): Promise<Record<string, unknown> | null>;
  /** Waits until the replay is served, the counts reconcile and nothing changes for `quietMs`. */
  waitIdle(options?: WaitIdleOptions): Promise<HealthReport>;
  /** Fires one Cron Trigger now (`/cdn-cgi/handler/scheduled?cron=`), resolving when it ran. */
  fireCron(expr: string): Promise<{ status: number; body: string }>;
  /** Stops every child process tree (SIGTERM, then SIGKILL); idempotent. */
  stop(): Promise<void>;
  /** Kills every child process tree at once with SIGKILL (a crash, for fault tests); idempotent. */
  kill(): Promise<void>;
}

// ---------------------------------------------------------------- the stack

/** A short progress note from the replay server's /stats (`position next/frames, served N`). */
function describeReplay(stats: Record<string, unknown> | null): string {
  if (stats === null) return "-";
  const position = stats.position as { next?: unknown } | undefined;
  if (typeof stats.frames === "number" && typeof position?.next === "number") {
    return `${position.next}/${stats.frames} (served ${stats.eventsServed ?? "?"})`;
  }
  return JSON.stringify(stats).slice(0, 200);
}

function binary(root: string, name: string): string {
  const local = path.join(root, "node_modules", ".bin", name);
  return fs.existsSync(local) ? local : name;
}

/** What the start-up steps share. */
interface StackContext {
  opts: LocalStackOptions;
  root: string;
  logsDir: string;
  env: Record<string, string | undefined>;
  log: (line: string) => void;
  children: StackChild[];
}

/**
 * The replay port of a state directory: the one persisted in `replay-port.json` when it is still
 * free, else a fresh free one (then persisted). A restarted stack thus serves the same stream under
 * the same URL, and the ingestor resumes with the `Last-Event-ID` it keeps for that URL.
 */
export async function stableReplayPort(persistDir: string): Promise<number> {
  const file = path.join(persistDir, "replay-port.json");
  try {
    const { port } = JSON.parse(fs.readFileSync(file, "utf8")) as { port?: unknown };
    if (typeof port === "number" && Number.isInteger(port) && port > 1023 && port < 65536) {
      // A killed server's socket can take a moment to go away: wait for it (up to 15 s).
      for (let attempt = 0; attempt < 30; attempt++) {
        if (await isFree(port)) return port;
        await sleep(500);
      }
    }
  } catch {
    // none yet, or unreadable: pick a new one
  }
  const port = await freePort();
  fs.writeFileSync(file, JSON.stringify({ port }));
  return port;
}

async function isFree(port: number): Promise<boolean> {
  const net = await import("node:net");
  return await new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** Starts the replay server and waits for its /health; resolves to its base URL. */
async function startReplay(ctx: StackContext, files: string[], persistDir: string): Promise<string> {
  const port = ctx.opts.replayPort ?? await stableReplayPort(persistDir);
  await assertPortFree(port, "the replay server");
  const args = [
    "run",
    "-A",
    "scripts/replay_server.ts",
    ...files.flatMap((f) => ["--file", path.resolve(f)]),
  ];
  args.push("--speed", String(ctx.opts.speed ?? 1), "--port", String(port));
  if (ctx.opts.cutEvery) args.push("--cut-every", String(ctx.opts.cutEvery));
  const logFile = path.join(ctx.logsDir, "replay.log");
  const replay = spawnLogged("replay server", binary(ctx.root, "deno"), args, {
    cwd: ctx.root,
    env: ctx.env,
    logFile,
  });
  ctx.children.push(replay);
  const url = `http://127.0.0.1:${port}`;
  ctx.log(`replay server on ${url} (${files.length} file(s), speed ${ctx.opts.speed ?? 1})`);
  await waitFor(async () => (await fetchText(`${url}/health`, {}, 2_000)).status === 200, {
    timeoutMs: 30_000,
    children: [replay],
    fail: () => `replay server did not answer /health in 30 s; last log lines:\n${tailFile(logFile)}`,
  });
  return url;
}

/** Starts `wrangler dev` and waits until /api/health answers; resolves to the Worker's URL. */
async function startWrangler(
  ctx: StackContext,
  vars: Record<string, string>,
  persistDir: string,
): Promise<string> {
  const port = ctx.opts.port === 0 ? await freePort() : ctx.opts.port ?? 8787;
  await assertPortFree(port, "the Worker"); // never talk to a runtime some other run left behind
  const args = [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(await freePort()),
  ];
  args.push("--persist-to", persistDir, "--test-scheduled", "--show-interactive-dev-session=false");
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const logFile = path.join(ctx.logsDir, "wrangler.log");
  const wrangler = spawnLogged("wrangler dev", binary(ctx.root, "wrangler"), args, {
    cwd: ctx.root,
    env: ctx.env,
    logFile,
  });
  ctx.children.push(wrangler);
  const url = `http://127.0.0.1:${port}`;
  const seconds = ctx.opts.readyTimeoutSeconds ?? 60;
  ctx.log(`wrangler dev on ${url} (state ${persistDir})`);
  await waitFor(async () => {
    const r = await fetchText(`${url}/api/health`, {}, 5_000);
    return r.status < 500 || r.body.trimStart().startsWith("{");
  }, {
    timeoutMs: seconds * 1_000,
    children: [wrangler],
    fatal: /Build failed/, // wrangler then waits for a file change instead of exiting
    fail: () => `wrangler dev did not become ready in ${seconds} s; last log lines:\n${tailFile(logFile)}`,
  });
  return url;
}

/** Fires each cron at the start of every UTC minute it matches; returns a stopper. */
function driveCrons(
  crons: string[],
  fire: (expr: string) => Promise<{ status: number }>,
  log: (line: string) => void,
): () => void {
  const running = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const tick = () => {
    const at = new Date();
    for (const expr of crons.filter((c) => cronMatches(c, at) && !running.has(c))) {
      running.add(expr);
      fire(expr).then(
        (r) => log(`cron "${expr}" → ${r.status}`),
        (e) => log(`cron "${expr}" failed: ${e instanceof Error ? e.message : e}`),
      ).finally(() => running.delete(expr));
    }
    schedule();
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(tick, 60_000 - (Date.now() % 60_000) + 500);
    timer.unref();
  };
  schedule();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

/** Polls until the replay is served, counts reconcile, nothing is pending and nothing changed for `quietMs`. */
async function waitUntilIdle(
  ctx: StackContext,
  probe: { health(): Promise<HealthReport>; replayStats(): Promise<Record<string, unknown> | null> },
  { timeoutMs = 600_000, quietMs = 5_000 }: WaitIdleOptions,
): Promise<HealthReport> {
  const deadline = Date.now() + timeoutMs;
  let [last, since, lastLog, warned] = ["", Date.now(), 0, false];
  let h: HealthReport | null = null;
  let stats: Record<string, unknown> | null = null;
  while (Date.now() < deadline) {
    const dead = ctx.children.find((c) => c.exitedYet);
    if (dead) throw new Error(`${dead.name} exited; last log lines:\n${tailFile(dead.logFile)}`);
    h = await probe.health();
    stats = await probe.replayStats().catch(() => null);
    let replayDone = stats ? isReplayDone(stats) : ctx.opts.live ? true : false;
    if (replayDone === null) {
      if (!warned) ctx.log(`replay /stats not recognised, relying on the counts: ${JSON.stringify(stats)}`);
      [warned, replayDone] = [true, true];
    }
    const fp = idleFingerprint(h);
    if (fp !== last) [last, since] = [fp, Date.now()];
    const e = h.events;
    if (Date.now() - lastLog >= 5_000) {
      lastLog = Date.now();
      ctx.log(
        `received=${e.received} canary=${e.canary} bronze=${e.bronze} silver=${e.silver} quarantine=${e.quarantine} ` +
          `duplicate=${e.duplicate} pending=${pendingWork(h)} watermark=${h.watermark} replay=${
            describeReplay(stats)
          }`,
      );
    }
    if (replayDone && isReconciled(e) && pendingWork(h) === 0 && Date.now() - since >= quietMs) return h;
    await sleep(1_000);
  }
  const wranglerLog = path.join(ctx.logsDir, "wrangler.log");
  throw new Error(
    `pipeline not idle after ${Math.round(timeoutMs / 1000)} s; health.events=${JSON.stringify(h?.events)} ` +
      `watermark=${h?.watermark} replay=${JSON.stringify(stats)}\nwrangler log:\n${tailFile(wranglerLog)}`,
  );
}

/** Starts replay server (unless live), `wrangler dev`, the ingestor and the cron driver. */
export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const root = path.resolve(opts.root ?? REPO_ROOT);
  const persistDir = path.resolve(opts.persistDir ?? path.join(root, ".wrangler", "state"));
  const logsDir = path.resolve(opts.logsDir ?? path.join(path.dirname(persistDir), "logs"));
  const token = opts.token ?? process.env.ADMIN_TOKEN ?? randomBytes(16).toString("hex");
  const bin = path.join(root, "node_modules", ".bin");
  const ctx: StackContext = {
    opts,
    root,
    logsDir,
    log: opts.log ?? ((line: string) => process.stderr.write(`[stack] ${line}\n`)),
    env: {
      ...process.env,
      PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
      NO_COLOR: "1",
      FORCE_COLOR: "0",
    },
    children: [],
  };
  ctx.env.WRANGLER_SEND_METRICS = "false";
  let stopCrons = () => {};
  let stopped = false;
  const stop = async (signal: "SIGTERM" | "SIGKILL" = "SIGTERM") => {
    if (stopped) return;
    stopped = true;
    stopCrons();
    await Promise.all(ctx.children.map((c) => stopChild(c, signal === "SIGKILL" ? 0 : 8_000, signal)));
    ctx.log(`${signal === "SIGKILL" ? "killed" : "stopped"} (logs in ${logsDir})`);
  };

  try {
    fs.mkdirSync(persistDir, { recursive: true });
    if (opts.port !== 0) await assertPortFree(opts.port ?? 8787, "the Worker"); // before any child starts
    if (!opts.live && !opts.files?.length) {
      throw new TypeError("startLocalStack: `files` is required unless `live`");
    }
    const replayUrl = opts.live ? null : await startReplay(ctx, opts.files!, persistDir);
    const streamUrl = replayUrl ? `${replayUrl}${REPLAY_STREAM_PATH}` : opts.streamUrl ?? "";
    // S3_ENDPOINT on: the catalog's engines read the table files from this Worker (issue 15).
    // Replays commit every 10 s (short runs, quick idle); live runs keep wrangler.toml's interval.
    // Recordings and synth streams carry past event times: their drill-down days stay (10 years).
    const replayVars: Record<string, string> = opts.live
      ? {}
      : { COMMIT_INTERVAL_SECONDS: "10", ROLLUP_RETENTION_DAYS: "3650" };
    // `wrangler dev` logs every request itself ("GET /api/kpis 200 OK (12ms)"); the Worker's own
    // JSON line per request doubled that and cost ≈ 1.7 ms of wrangler's Node per request under load
    // (bench/RESULTS.md, api): locally only errors and slow requests get it (deployed: every one).
    const vars: Record<string, string> = {
      ADMIN_TOKEN: token,
      AUTO_START: "false",
      S3_ENDPOINT: "on",
      REQUEST_LOG: "errors",
      ...replayVars,
      ...opts.vars,
    };
    if (streamUrl) vars.STREAM_URL = streamUrl;
    const url = await startWrangler(ctx, vars, persistDir);

    if (opts.startIngest ?? true) {
      const headers = { authorization: `Bearer ${token}` };
      const r = await fetchText(`${url}/api/admin/ingest/start`, { method: "POST", headers }, 60_000);
      if (r.status >= 300) {
        throw new Error(`POST /api/admin/ingest/start answered ${r.status}: ${r.body.slice(0, 500)}`);
      }
      ctx.log(`ingestor started from ${streamUrl || "wrangler.toml's STREAM_URL"}`);
    }

    const health = async (): Promise<HealthReport> => {
      // A pooled keep-alive socket may have been closed by wrangler while this process was busy
      // (e.g. blocked in spawnSync): one retry on a fresh connection tells that from a dead server.
      const r = await fetchText(`${url}/api/health`).catch(async (error) => {
        if (!/other side closed|ECONNRESET|UND_ERR_SOCKET/.test(String(error?.cause ?? error))) throw error;
        await sleep(200);
        return await fetchText(`${url}/api/health`, { headers: { connection: "close" } });
      });
      try {
        return JSON.parse(r.body) as HealthReport;
      } catch {
        throw new Error(`GET /api/health answered ${r.status} with non-JSON: ${r.body.slice(0, 300)}`);
      }
    };
    const replayStats = async () =>
      replayUrl ? JSON.parse((await fetchText(`${replayUrl}/stats`)).body) as Record<string, unknown> : null;
    const fireCron = (expr: string) =>
      fetchText(`${url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(expr)}`, {}, 300_000);

    const crons = opts.crons === false
      ? []
      : Array.isArray(opts.crons)
      ? opts.crons
      : parseCronTriggers(fs.readFileSync(path.join(root, "wrangler.toml"), "utf8"));
    crons.forEach((c) => cronMatches(c, new Date())); // rejects unsupported syntax up front
    if (crons.length) {
      stopCrons = driveCrons(crons, fireCron, ctx.log);
      ctx.log(`driving crons ${crons.map((c) => `"${c}"`).join(", ")}`);
    }

    return {
      url,
      token,
      persistDir,
      logsDir,
      replayUrl,
      streamUrl,
      pids: ctx.children.map((c) => c.proc.pid).filter((p): p is number => p !== undefined),
      health,
      replayStats,
      waitIdle: (options = {}) => waitUntilIdle(ctx, { health, replayStats }, options),
      fireCron,
      stop: () => stop(),
      kill: () => stop("SIGKILL"),
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
