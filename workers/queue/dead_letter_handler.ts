import { DEAD_LETTER_PREFIX } from "../pipeline.ts";
import { acknowledgeToIngestor, FAILURE_PREFIX } from "./raw_events_handler.ts";

/**
 * Consumer of `wiki-raw-events-dlq`: keeps every dead-lettered message in R2 (one object per
 * batch, create-if-absent so a redelivery does not count twice) with the last failure reason,
 * where `/api/health` counts it and from where it can be replayed.
 */
export async function handleDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const body = message.body as { batch_id?: unknown } | null;
    const id = typeof body?.batch_id === "string" ? body.batch_id : `message-${message.id}`;
    const failure = await env.LAKE.get(`${FAILURE_PREFIX}${id}.json`);
    const record = {
      batch_id: id,
      dead_lettered_at: new Date().toISOString(),
      queue: "wiki-raw-events",
      reason: failure
        ? (await failure.json<{ reason: string }>()).reason
        : "exceeded max_retries (reason not recorded)",
      body: message.body,
    };
    await env.LAKE.put(`${DEAD_LETTER_PREFIX}${id}.json`, JSON.stringify(record), {
      onlyIf: { etagDoesNotMatch: "*" },
    });
    console.error(JSON.stringify({ msg: "Message dead-lettered", batch_id: id, reason: record.reason }));
    message.ack();
    // Kept in R2 for replay: the ingestor must not keep re-sending it.
    await acknowledgeToIngestor(env, [id]);
  }
}
