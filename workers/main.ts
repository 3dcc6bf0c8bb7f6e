/**
 * Composition root: the one Worker (HTTP, queue consumers, crons) and its Durable Objects.
 */
import wasm from "parquet-wasm/esm/parquet_wasm_bg.wasm";
import { initParquet } from "../r2/parquet/parquet_writer.ts";
import { app } from "./http/app.ts";
import { handleRawEvents } from "./queue/raw_events_handler.ts";
import { handleDeadLetters } from "./queue/dead_letter_handler.ts";
import { handleScheduled } from "./cron/scheduled_handler.ts";
import { DEAD_LETTER_QUEUE, RAW_EVENTS_QUEUE } from "./queue/queue_names.ts";

export { StreamIngestor } from "../durable-objects/stream_ingestor/stream_ingestor_object.ts";
export { TableCommitter } from "../durable-objects/table_committer/table_committer_object.ts";
export { GoldWindow } from "../durable-objects/gold_window/gold_window_object.ts";
export { WatermarkTracker } from "../durable-objects/watermark/watermark_tracker_object.ts";
export { PipelineControl } from "../durable-objects/pipeline_control/pipeline_control_object.ts";
export { EventsRollup } from "../durable-objects/events_rollup/events_rollup_object.ts";
export { LiveHub } from "../durable-objects/live_hub/live_hub_object.ts";

initParquet(wasm);

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    if (batch.queue === DEAD_LETTER_QUEUE) return handleDeadLetters(batch, env);
    if (batch.queue === RAW_EVENTS_QUEUE) return handleRawEvents(batch, env);
    console.error(JSON.stringify({ msg: "Batch from an unknown queue; retrying", queue: batch.queue }));
    batch.retryAll();
  },
  scheduled: (controller, env) => handleScheduled(controller, env),
} satisfies ExportedHandler<Env>;
