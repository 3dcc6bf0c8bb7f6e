/**
 * Shell: the admin reset. Stops ingestion, forgets every object's state and deletes the
 * lake's objects, leaving an empty pipeline (tables are re-created by the next commit).
 */
import { TABLES } from "../r2/tables/schemas.ts";
import { windowName } from "../durable-objects/gold_window/kpi.ts";
import { WATERMARK_NAME } from "../durable-objects/watermark/watermark_tracker_object.ts";
import { controlClient } from "../durable-objects/pipeline_control/control_client.ts";
import { committerStub, DEAD_LETTER_PREFIX, ingestorStub } from "./pipeline.ts";

const LAKE_PREFIXES = (env: Env) => [`${env.WAREHOUSE}/`, "ingest-spill/", DEAD_LETTER_PREFIX];

/** Resets everything; returns what was removed. */
export async function resetPipeline(env: Env) {
  const ingestor = await ingestorStub(env).reset();
  const tracker = env.WATERMARK.getByName(WATERMARK_NAME);
  const starts = await tracker.allStarts();
  for (const start of starts) await env.GOLD_WINDOW.getByName(windowName(start)).reset();
  await tracker.reset(ingestor.sequence.epoch);
  for (const spec of TABLES) await committerStub(env, spec.name).reset();
  let objects = 0;
  for (const prefix of LAKE_PREFIXES(env)) objects += await deletePrefix(env.LAKE, prefix);
  const control = await controlClient(env.PIPELINE_CONTROL).resetControl(Date.now(), "admin");
  return { reset: true, windows: starts.length, objects_deleted: objects, control };
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
