/**
 * Shell: the admin reset. Stops ingestion, forgets every object's state and deletes the
 * lake's objects, leaving an empty pipeline (tables are re-created by the next commit).
 */
import { TABLES } from "../r2/tables/schemas.ts";
import { windowName } from "../durable-objects/gold_window/kpi.ts";
import { WATERMARK_NAME } from "../durable-objects/watermark/watermark_tracker_object.ts";
import { controlClient } from "../durable-objects/pipeline_control/control_client.ts";
import { committerStub, DEAD_LETTER_PREFIX, ingestorStub } from "./pipeline.ts";
import { dayName } from "../durable-objects/events_rollup/rollup_query.ts";
import { LIVE_HUB_NAME } from "../durable-objects/live_hub/live_hub_object.ts";

const LAKE_PREFIXES = (env: Env) => [`${env.WAREHOUSE}/`, "ingest-spill/", DEAD_LETTER_PREFIX];

/** Resets everything; returns what was removed. */
export async function resetPipeline(env: Env) {
  const ingestor = await ingestorStub(env).reset();
  const tracker = env.WATERMARK.getByName(WATERMARK_NAME);
  const starts = await tracker.allStarts();
  for (const start of starts) await env.GOLD_WINDOW.getByName(windowName(start)).reset();
  // Every silver row reaches its day's EventsRollup and its window in the same admission, so
  // the tracker's windows name every rollup day that holds rows.
  // Days before the retention cut were deleted whole (a reset() would re-create them empty).
  const droppedBefore = await tracker.rollupsDroppedBefore();
  const days = [...new Set(starts.filter((s) => s >= droppedBefore).map(dayName))];
  for (const day of days) await env.EVENTS_ROLLUP.getByName(day).reset();
  await tracker.reset(ingestor.sequence.epoch);
  for (const spec of TABLES) await committerStub(env, spec.name).reset();
  let objects = 0;
  for (const prefix of LAKE_PREFIXES(env)) objects += await deletePrefix(env.LAKE, prefix);
  const control = await controlClient(env.PIPELINE_CONTROL).resetControl(Date.now(), "admin");
  const live = await env.LIVE_HUB.getByName(LIVE_HUB_NAME).reset(); // new epoch; tells every page
  return {
    reset: true,
    windows: starts.length,
    rollup_days: days.length,
    live_subscribers: live.subscribers,
    objects_deleted: objects,
    control,
  };
}

async function deletePrefix(bucket: R2Bucket, prefix: string): Promise<number> {
  let deleted = 0;
  while (true) {
    const page = await bucket.list({ prefix, limit: 1000 });
    if (!page.objects.length) return deleted;
    await bucket.delete(page.objects.map((o) => o.key));
    deleted += page.objects.length;
  }
}
