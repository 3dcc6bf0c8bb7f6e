/**
 * Shell helpers that address the Durable Objects by their one naming function each, and the
 * pipeline-wide actions the HTTP admin API and the crons share.
 */
import { readLastMaintenance } from "./maintenance.ts";
import { INGESTOR_NAME } from "../durable-objects/stream_ingestor/stream_ingestor_object.ts";
import { WATERMARK_NAME } from "../durable-objects/watermark/watermark_tracker_object.ts";
import { committerName } from "../durable-objects/table_committer/committer_core.ts";
import { controlClient } from "../durable-objects/pipeline_control/control_client.ts";
import { TABLES } from "../r2/tables/schemas.ts";
import { buildHealth } from "./health.ts";
import { shouldAutoStart } from "../durable-objects/pipeline_control/control.ts";

/** The StreamIngestor stub. */
export function ingestorStub(env: Env) {
  return env.STREAM_INGESTOR.getByName(INGESTOR_NAME);
}

/** The TableCommitter stub of a table. */
export function committerStub(env: Env, table: string) {
  return env.TABLE_COMMITTER.getByName(committerName(table));
}

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

/** Collects every object's report into the `/api/health` shape. */
export async function readHealth(env: Env) {
  const [control, ingestor, tables, deadLetters, tracker, maintenance] = await Promise.all([
    controlClient(env.PIPELINE_CONTROL).get(),
    ingestorStub(env).status(),
    Promise.all(TABLES.map((t) => committerStub(env, t.name).status(t.name))),
    countDeadLetters(env),
    env.WATERMARK.getByName(WATERMARK_NAME).status(),
    readLastMaintenance(env),
  ]);
  const { watermark, ...gold } = tracker;
  const health = buildHealth({
    now: Date.now(),
    control,
    ingestor,
    tables,
    deadLettered: deadLetters.total,
    deadLettersToReplay: deadLetters.toReplay,
    watermark,
    gold: {
      ...gold,
      max_event_time: gold.max_event_time === null ? null : new Date(gold.max_event_time).toISOString(),
    },
  });
  return { ...health, maintenance };
}
