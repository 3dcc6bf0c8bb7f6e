/**
 * Test support inside workerd: delivers raw-events messages to the Worker's real queue handler
 * as one Queue batch (createMessageBatch) and answers what it acknowledged and retried.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import worker from "../../workers/main.ts";
import type { RawEventsMessage } from "../../durable-objects/stream_ingestor/batching.ts";

/** Runs the consumer over `messages` (delivery attempt `attempts`); resolves to the batch's result. */
export async function deliverRawEvents(messages: readonly RawEventsMessage[], attempts = 1) {
  const batch = createMessageBatch(
    "wiki-raw-events",
    messages.map((body, i) => ({ id: `msg-${i}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}
