/**
 * Shell helpers that address the Durable Objects by their one naming function each, and the
 * pipeline-wide actions the HTTP admin API and the crons share.
 */
import { readLastMaintenance } from "./maintenance.ts";
import { INGESTOR_NAME } from "../durable-objects/stream_ingestor/stream_ingestor_object.ts";
import { WATERMARK_NAME } from "../durable-objects/watermark/watermark_tracker_object.ts";
import { committerStub } from "../durable-objects/table_committer/lake_writer_binding.ts";
import { controlClient } from "../durable-objects/pipeline_control/control_client.ts";
import { TABLES } from "../r2/tables/schemas.ts";
import { buildHealth } from "./health.ts";
import { healthThresholds } from "./health_reasons.ts";
import { shouldAutoStart } from "../durable-objects/pipeline_control/control.ts";
import { admissionReasons, gapBoundMs } from "../durable-objects/watermark/sequencing.ts";
import { SingleFlight } from "./single_flight.ts";

/** The StreamIngestor stub. */
export function ingestorStub(env: Env) {
  return env.STREAM_INGESTOR.getByName(INGESTOR_NAME);
}

/** The TableCommitter stub of a table (addressed below the Worker and the tracker). */
export { committerStub };

/** Prefix under which dead-lettered queue messages are kept (one object per batch id). */
export const DEAD_LETTER_PREFIX = "dead-letter/";

/** Starts ingestion: records the wish in PipelineControl, then (re)starts the ingestor. */
export async function startIngest(
  env: Env,
  options: { streamUrl?: string | null; since?: string | null },
  by: string,
) {
  const control = await controlClient(env.PIPELINE_CONTROL).start(options, Date.now(), by);
  const ingestor = await ingestorStub(env).start({
    url: control.streamUrl ?? env.STREAM_URL,
    since: control.since,
    // An operator's `since` is a backfill: read from it even where a resume id exists.
    backfill: !!options.since,
  });
  return { control, ingestor };
}

/** Stops ingestion (flushes what was read), recording the wish in PipelineControl. */
export async function stopIngest(env: Env, by: string) {
  const control = await controlClient(env.PIPELINE_CONTROL).stop(Date.now(), by);
  const ingestor = await ingestorStub(env).stop();
  return { control, ingestor };
}

/**
 * Watchdog: reconnects the ingestor when ingestion is wanted (idempotent). A pipeline nobody
 * has started or stopped yet starts by itself when AUTO_START is "true" (a fresh deploy).
 */
export async function watchIngest(env: Env): Promise<{ started: boolean }> {
  const control = await controlClient(env.PIPELINE_CONTROL).get();
  if (control.desired !== "running") {
    if (!shouldAutoStart(env.AUTO_START, control)) return { started: false };
    await startIngest(env, {}, "auto-start");
    return { started: true };
  }
  await ingestorStub(env).start({ url: control.streamUrl ?? env.STREAM_URL, since: control.since });
  return { started: true };
}

/**
 * Counts dead-lettered messages: every object under DEAD_LETTER_PREFIX (replayed ones are moved
 * into its `replayed/` folder, so they still count) and those still waiting for a replay.
 */
export async function countDeadLetters(env: Env): Promise<{ total: number; toReplay: number }> {
  let [total, toReplay] = [0, 0];
  let cursor: string | undefined;
  do {
    const page = await env.LAKE.list({ prefix: DEAD_LETTER_PREFIX, cursor });
    total += page.objects.length;
    toReplay += page.objects.filter((o) => !o.key.slice(DEAD_LETTER_PREFIX.length).includes("/")).length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return { total, toReplay };
}

/** Concurrent health reports of the same thresholds share one computation (see below). */
const healthFlight = new SingleFlight<Awaited<ReturnType<typeof collectHealth>>>();

/**
 * The `/api/health` report. Requests that arrive while one is being collected share it: the
 * report fans out to ~10 Durable Objects and R2, and /api/health is deliberately not
 * rate-limited (monitors must see `down`, not 429), so 200 concurrent callers must not start 200
 * fan-outs (bench/RESULTS.md, load). Nothing is cached after it settles. `waitUntil` (the
 * request's) keeps the shared collection running when the request that started it goes away.
 */
export function readHealth(env: Env, waitUntil?: (p: Promise<unknown>) => void) {
  const vars = env as unknown as Record<string, unknown>;
  const key = JSON.stringify(
    Object.keys(vars).filter((k) => k.startsWith("HEALTH_") || k === "ADMISSION_GAP_MAX_SECONDS").sort()
      .map((k) => [k, vars[k]]),
  );
  return healthFlight.run(key, () => {
    const collecting = collectHealth(env);
    waitUntil?.(collecting.catch(() => {})); // its callers see the failure
    return collecting;
  });
}

/** A health report slower than this logs how long each part took. */
const SLOW_HEALTH_MS = 500;

/** Collects every object's report into the `/api/health` shape. */
async function collectHealth(env: Env) {
  const began = Date.now();
  const spans: Record<string, number> = {};
  const timed = <T>(name: string, p: Promise<T>) => p.finally(() => (spans[name] = Date.now() - began));
  const [control, ingestor, tables, deadLetters, tracker, maintenance] = await Promise.all([
    timed("control", controlClient(env.PIPELINE_CONTROL).get()),
    timed("ingestor", ingestorStub(env).status()),
    timed("tables", Promise.all(TABLES.map((t) => committerStub(env, t.name).status(t.name)))),
    timed("dead_letters", countDeadLetters(env)),
    timed("tracker", env.WATERMARK.getByName(WATERMARK_NAME).status()),
    timed("maintenance", readLastMaintenance(env)),
  ]);
  if (Date.now() - began >= SLOW_HEALTH_MS) {
    console.log(JSON.stringify({ msg: "Slow health report", took_ms: Date.now() - began, part_ms: spans }));
  }
  const { watermark, admission, ...gold } = tracker;
  const now = Date.now();
  const health = buildHealth({
    admission: {
      ...admission,
      oldest_held_at: admission.oldest_held_at === null
        ? null
        : new Date(admission.oldest_held_at).toISOString(),
    },
    reasons: admissionReasons(admission, now, gapBoundMs(env.ADMISSION_GAP_MAX_SECONDS)),
    now,
    control,
    ingestor,
    tables,
    deadLettered: deadLetters.total,
    deadLettersToReplay: deadLetters.toReplay,
    watermark,
    thresholds: healthThresholds(env as unknown as Record<string, unknown>),
    maintenanceLastRunAt: typeof maintenance?.at === "string" ? maintenance.at : null,
    gold: {
      ...gold,
      max_event_time: gold.max_event_time === null ? null : new Date(gold.max_event_time).toISOString(),
    },
  });
  return { ...health, maintenance };
}
