import type { RawEventsMessage } from "../../durable-objects/stream_ingestor/batching.ts";
import { decodeRawEventsMessage, retryDelaySeconds } from "./message.ts";
import { ingestMessages } from "./ingest_messages.ts";
import { ingestorStub } from "../pipeline.ts";

/** Prefix of the objects that keep a failing message's last error (read by the DLQ consumer). */
export const FAILURE_PREFIX = "queue-failures/";

/**
 * Consumer of `wiki-raw-events`: decodes the batch, writes bronze, silver, quarantine and the
 * gold windows (all idempotent per message batch id), then acks. A failure retries every
 * message of the batch with backoff; `max_retries` then moves it to the dead-letter queue.
 */
export async function handleRawEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const good: Array<{ message: Message<unknown>; body: RawEventsMessage }> = [];
  for (const message of batch.messages) {
    const decoded = decodeRawEventsMessage(message.body);
    if (decoded.ok) good.push({ message, body: decoded.message });
    else await fail(env, message, `undecodable message: ${decoded.reason}`);
  }
  if (!good.length) return;
  try {
    const report = await ingestMessages(env, good.map((g) => g.body));
    for (const g of good) g.message.ack();
    await acknowledgeToIngestor(env, good.map((g) => g.body.batch_id));
    // One structured line per batch, carrying its batch ids (find a batch's fate in `wrangler tail`).
    const batchIds = good.map((g) => g.body.batch_id);
    console.log(
      JSON.stringify({ msg: "Batch ingested", batch_ids: batchIds, messages: good.length, ...report }),
    );
  } catch (error) {
    for (const g of good) await fail(env, g.message, String(error));
  }
}

/** Tells the ingestor these batches are in the lake; a failure only means a later idempotent resend. */
export async function acknowledgeToIngestor(env: Env, batchIds: string[]): Promise<void> {
  try {
    await ingestorStub(env).acknowledge(batchIds);
  } catch (error) {
    console.error(JSON.stringify({ msg: "Cannot acknowledge to the ingestor", error: String(error) }));
  }
}

async function fail(env: Env, message: Message<unknown>, reason: string): Promise<void> {
  const body = message.body as { batch_id?: unknown } | null;
  const id = typeof body?.batch_id === "string" ? body.batch_id : `message-${message.id}`;
  console.error(
    JSON.stringify({ msg: "Cannot ingest message", batch_id: id, attempts: message.attempts, reason }),
  );
  try {
    await env.LAKE.put(
      `${FAILURE_PREFIX}${id}.json`,
      JSON.stringify({ reason, attempts: message.attempts, at: new Date().toISOString() }),
    );
  } catch (error) {
    console.error(
      JSON.stringify({ msg: "Cannot record failure reason", batch_id: id, error: String(error) }),
    );
  }
  message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
}
