/**
 * Local stand-in for Wikimedia EventStreams: serves recorded `.sse` and `.jsonl` files as the
 * `recentchange` SSE stream with real `id:` lines, Last-Event-ID / `?since=` resume, pacing
 * and injected disconnects (every N events, or after a seeded random number of bytes).
 *
 *   deno run -A scripts/replay_server.ts [--file PATH]... [--port 8788] [--host 127.0.0.1]
 *     [--speed N|max] [--cut-every N] [--cut-random-bytes MAX] [--seed S] [--loop]
 *     [--close-at-end] [--keep-alive 15s] [--quiet]
 * @module
 */

import { parseArgs } from "node:util";
import { parseCount, parseDuration } from "./lib/cli_values.ts";
import type { ReplayFrame } from "./lib/replay_frames.ts";
import { DEFAULT_FILES, loadReplayFrames } from "./lib/recordings.ts";
import { createRng, type Rng } from "./lib/prng.ts";
import { computePaceOffsets, planStart } from "./lib/replay_position.ts";
import { ReplayCounters, type ReplayStats } from "./lib/replay_stats.ts";
import { createReplayStream, type ReplayStream } from "./lib/replay_stream.ts";

export { DEFAULT_FILES, loadReplayFrames };

/** Options of `startReplayServer`; only `files` (or `frames`) matters for most callers. */
export interface ReplayServerOptions {
  /** Input files served one after another as one stream (default: `DEFAULT_FILES`). */
  files?: string[];
  /** Frames to serve instead of files (tests). */
  frames?: ReplayFrame[];
  /** Port to listen on; 0 picks a free one (default 8788). */
  port?: number;
  host?: string;
  /** Multiple of real time by event time, or `"max"` (default). */
  speed?: number | "max";
  /** Close each connection after this many events (default 0: never). */
  cutEvery?: number;
  /**
   * Close each connection after a pseudo-random number of bytes in [1, MAX], drawn per
   * connection from `seed`: cuts land mid-frame, mid-line, even mid-character (default 0: never).
   */
  cutRandomBytes?: number;
  /** Seed of the random cuts (default "1"): the same seed cuts the same connections the same way. */
  seed?: string;
  loop?: boolean;
  /** Close connections at the end of the input instead of idling with keep-alives. */
  closeAtEnd?: boolean;
  keepAliveMs?: number;
  progressMs?: number;
  quiet?: boolean;
  /** Where progress lines go (default: stderr). */
  log?: (line: string) => void;
}

/** A running replay server. */
export interface ReplayServer {
  port: number;
  /** Base URL, e.g. `http://127.0.0.1:8788`. */
  url: string;
  /** URL of the stream, `…/v2/stream/recentchange`. */
  streamUrl: string;
  stats(): ReplayStats;
  /** Ends every open connection and stops listening. */
  close(): Promise<void>;
}

/** What every request handler of one server shares. */
interface ServerContext {
  frames: ReplayFrame[];
  pace: Float64Array;
  options: ReplayServerOptions;
  counters: ReplayCounters;
  open: Set<ReplayStream>;
  log: (line: string) => void;
  /** Draws each connection's byte budget for `cutRandomBytes`. */
  rng: Rng;
}

const json = (body: unknown, status = 200) => Response.json(body, { status });

/** Starts the replay server; resolves once it listens. */
export async function startReplayServer(options: ReplayServerOptions = {}): Promise<ReplayServer> {
  const files = options.frames ? [] : options.files ?? DEFAULT_FILES;
  const frames = options.frames ?? await loadReplayFrames(files);
  const context: ServerContext = {
    frames,
    pace: computePaceOffsets(frames),
    options,
    counters: new ReplayCounters(frames.length, files, Date.now()),
    open: new Set(),
    log: options.quiet ? () => {} : options.log ?? ((line: string) => console.error(line)),
    rng: createRng(options.seed ?? "1"),
  };
  const host = options.host ?? "127.0.0.1";
  const server = Deno.serve(
    { port: options.port ?? 8788, hostname: host, onListen: () => {} },
    (request, info) => route(context, request, `${info.remoteAddr.hostname}:${info.remoteAddr.port}`),
  );
  const progress = setInterval(() => {
    const line = context.counters.progressLine(Date.now());
    if (line) context.log(line);
  }, options.progressMs ?? 5_000);
  const url = `http://${host}:${server.addr.port}`;
  context.log(`replay: serving ${frames.length} events from ${files.length} file(s) on ${url}${STREAM_PATH}`);
  return {
    port: server.addr.port,
    url,
    streamUrl: `${url}${STREAM_PATH}`,
    stats: () => context.counters.snapshot(Date.now()),
    close: async () => {
      clearInterval(progress);
      for (const stream of [...context.open]) stream.stop();
      // A reader that stopped reading can hold a graceful shutdown forever; do not wait for it.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([server.shutdown(), new Promise((resolve) => timer = setTimeout(resolve, 2_000))]);
      clearTimeout(timer);
    },
  };
}

const STREAM_PATH = "/v2/stream/recentchange";

function route(context: ServerContext, request: Request, remote: string): Response {
  const { pathname } = new URL(request.url);
  if (request.method !== "GET") return json({ error: { status: 405, message: "Only GET is served" } }, 405);
  if (pathname === STREAM_PATH || pathname === "/") return openStream(context, request, remote);
  if (pathname === "/stats") return json(context.counters.snapshot(Date.now()));
  if (pathname === "/health") return json({ status: "ok", frames: context.frames.length });
  return json({ error: { status: 404, message: `No route ${pathname}` } }, 404);
}

function openStream(context: ServerContext, request: Request, remote: string): Response {
  const { frames, options, counters, log } = context;
  const lastEventId = request.headers.get("last-event-id");
  const plan = planStart(frames, {
    lastEventId,
    since: new URL(request.url).searchParams.get("since"),
  });
  if (!plan.ok) return json({ error: { status: plan.status, message: plan.message } }, plan.status);
  counters.recordOpened(lastEventId, plan.index);
  if (plan.warning) log(`replay: warning: ${plan.warning}; starting from the beginning`);
  const number = ++counters.connectionsTotal;
  counters.connectionsOpen++;
  const maxBytes = options.cutRandomBytes ?? 0;
  const cutAfterBytes = maxBytes > 0 ? 1 + context.rng.int(maxBytes) : 0;
  const budget = cutAfterBytes > 0 ? `, cut after ${cutAfterBytes} bytes` : "";
  log(
    `replay: connection #${number} from ${remote} opened at ${plan.index}/${frames.length} (${plan.note}${budget})`,
  );
  const stream = createReplayStream({
    frames,
    pace: context.pace,
    startIndex: plan.index,
    speed: options.speed ?? "max",
    cutEvery: options.cutEvery ?? 0,
    cutAfterBytes,
    loop: options.loop ?? false,
    closeAtEnd: options.closeAtEnd ?? false,
    keepAliveMs: options.keepAliveMs ?? 15_000,
    onServed: (events, next, lastId) => counters.recordServed(events, next, lastId),
    onClose: (reason, served, next) => {
      context.open.delete(stream);
      counters.connectionsOpen--;
      if (reason === "cut") counters.connectionsCut++;
      log(
        `replay: connection #${number} closed (${reason}) after ${served} events at ${next}/${frames.length}`,
      );
    },
  });
  context.open.add(stream);
  return new Response(stream.body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      // no-transform also keeps Deno from compressing (and so buffering) the stream.
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    },
  });
}

/** Parses the command line into server options. */
export function parseReplayArgs(args: string[]): ReplayServerOptions {
  const { values } = parseArgs({
    args,
    options: {
      file: { type: "string", multiple: true },
      port: { type: "string", default: "8788" },
      host: { type: "string", default: "127.0.0.1" },
      speed: { type: "string", default: "max" },
      "cut-every": { type: "string", default: "0" },
      "cut-random-bytes": { type: "string", default: "0" },
      seed: { type: "string", default: "1" },
      "keep-alive": { type: "string", default: "15s" },
      loop: { type: "boolean", default: false },
      "close-at-end": { type: "boolean", default: false },
      quiet: { type: "boolean", default: false },
    },
    strict: true,
  });
  const speed = values.speed === "max" ? "max" : Number(values.speed);
  if (speed !== "max" && !(speed > 0)) {
    throw new RangeError(`Invalid --speed "${values.speed}": use N > 0 or max`);
  }
  return {
    files: values.file,
    port: parseCount(values.port, "port"),
    host: values.host,
    speed,
    cutEvery: parseCount(values["cut-every"], "cut-every"),
    cutRandomBytes: parseCount(values["cut-random-bytes"], "cut-random-bytes"),
    seed: values.seed,
    keepAliveMs: parseDuration(values["keep-alive"]),
    loop: values.loop,
    closeAtEnd: values["close-at-end"],
    quiet: values.quiet,
  };
}

const USAGE = `Usage: deno run -A scripts/replay_server.ts [options]
  --file PATH        .sse or .jsonl input, repeatable, served in order (default: the three recordings)
  --port N           port (default 8788; 0 picks a free one)    --host H   (default 127.0.0.1)
  --speed N|max      N x real time by event time, or max (default) as fast as the reader takes it
  --cut-every N      close each connection after N events (default 0: never)
  --cut-random-bytes MAX   close each connection after a random number of bytes in [1, MAX], drawn
                     per connection from --seed: cuts land mid-event, mid-line (default 0: never)
  --seed S           seed of the random cuts (default 1): same seed, same cuts
  --loop             start over after the last event     --close-at-end   close instead of idling at the end
  --keep-alive D     keep-alive comment interval when idle (default 15s)     --quiet   no progress lines
Stream: GET /v2/stream/recentchange (or /), Last-Event-ID header or ?since=ISO|epoch-ms; GET /stats, /health`;

if (import.meta.main) {
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(USAGE);
    Deno.exit(0);
  }
  try {
    const server = await startReplayServer(parseReplayArgs(Deno.args));
    const stop = () => void server.close().then(() => Deno.exit(0)); // exit once connections are closed
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  } catch (error) {
    console.error(`replay_server: ${(error as Error).message}\n${USAGE}`);
    Deno.exit(2);
  }
}
