import { DEAD_LETTER_PREFIX } from "../pipeline.ts";
import { acknowledgeToIngestor, FAILURE_PREFIX } from "./raw_events_handler.ts";
import { decodeRawEventsMessage } from "./message.ts";
import { sequenceTagOf } from "./ingest_messages.ts";
import { WATERMARK_NAME } from "../../durable-objects/watermark/watermark_tracker_object.ts";
import { groupForSendBatch, type RawEventsMessage } from "../../durable-objects/stream_ingestor/batching.ts";

/**
 * Where replayed dead letters are moved: inside DEAD_LETTER_PREFIX, so `/api/health`'s
 * `dead_lettered` still counts every message ever dead-lettered, while the pending ones are
 * the objects directly under DEAD_LETTER_PREFIX.
 */
export const REPLAYED_PREFIX = `${DEAD_LETTER_PREFIX}replayed/`;

/** One dead-lettered message as kept in R2. */
export interface DeadLetter {
  batch_id: string;
  dead_lettered_at: string;
  queue: string;
  reason: string;
  body: unknown;
  replayed_at?: string;
}

/** The R2 key of a pending dead letter (the id is URI-encoded so it never nests a "/"). */
export function deadLetterKey(batchId: string): string {
  return `${DEAD_LETTER_PREFIX}${encodeURIComponent(batchId)}.json`;
}

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
    const record: DeadLetter = {
      batch_id: id,
      dead_lettered_at: new Date().toISOString(),
      queue: "wiki-raw-events",
      reason: failure
        ? (await failure.json<{ reason: string }>()).reason
        : "exceeded max_retries (reason not recorded)",
      body: message.body,
    };
    await env.LAKE.put(deadLetterKey(id), JSON.stringify(record), { onlyIf: { etagDoesNotMatch: "*" } });
    console.error(JSON.stringify({ msg: "Message dead-lettered", batch_id: id, reason: record.reason }));
    // Its number is released: ordered admission moves on without it (recorded in /api/health).
    const decoded = decodeRawEventsMessage(message.body);
    const tag = decoded.ok ? sequenceTagOf(decoded.message) : undefined;
    if (tag) await env.WATERMARK.getByName(WATERMARK_NAME).releaseSequence(tag, id);
    message.ack();
    // Kept in R2 for replay: the ingestor must not keep re-sending it.
    await acknowledgeToIngestor(env, [id]);
  }
}

/** Keys of up to `limit` pending dead letters (in key order) and whether more wait. */
async function pendingKeys(env: Env, limit: number): Promise<{ keys: string[]; more: boolean }> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    // R2 counts the delimited "replayed/" prefix against `limit` too, hence the loop.
    const page = await env.LAKE.list({ prefix: DEAD_LETTER_PREFIX, delimiter: "/", limit, cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor && keys.length <= limit);
  return { keys: keys.slice(0, limit), more: keys.length > limit || cursor !== undefined };
}

/** Counts the pending dead letters (paging through R2's list). */
export async function countPendingDeadLetters(env: Env): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await env.LAKE.list({ prefix: DEAD_LETTER_PREFIX, delimiter: "/", cursor });
    count += page.objects.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return count;
}

/** Up to `limit` pending dead letters with their reasons (bodies left out: they can be large). */
export async function listDeadLetters(env: Env, limit: number) {
  const { keys, more } = await pendingKeys(env, limit);
  const letters = [];
  for (const key of keys) {
    const letter = await (await env.LAKE.get(key))?.json<DeadLetter>();
    if (!letter) continue; // replayed meanwhile
    const events = (letter.body as { events?: unknown } | null)?.events;
    letters.push({
      batch_id: letter.batch_id,
      dead_lettered_at: letter.dead_lettered_at,
      reason: letter.reason,
      events: Array.isArray(events) ? events.length : null,
      replayable: decodeRawEventsMessage(letter.body).ok,
    });
  }
  return { dead_letters: letters, truncated: more };
}

/**
 * Re-sends up to `limit` pending dead letters to RAW_EVENTS under their own batch id (so one
 * already in the lake is a no-op for the consumer), then moves each to REPLAYED_PREFIX. Sent
 * before moved: a crash in between only means a second, idempotent, replay. Letters whose body
 * is not a RawEventsMessage would only fail again; they stay pending and are reported.
 */
export async function replayDeadLetters(env: Env, limit: number) {
  const { keys } = await pendingKeys(env, limit);
  const replay: Array<{ key: string; letter: DeadLetter; body: RawEventsMessage }> = [];
  const skipped: Array<{ batch_id: string; reason: string }> = [];
  for (const key of keys) {
    const letter = await (await env.LAKE.get(key))?.json<DeadLetter>();
    if (!letter) continue;
    const decoded = decodeRawEventsMessage(letter.body);
    if (decoded.ok) replay.push({ key, letter, body: decoded.message });
    else skipped.push({ batch_id: letter.batch_id, reason: `not replayable: ${decoded.reason}` });
  }
  for (const group of groupForSendBatch(replay.map((r) => r.body))) {
    await env.RAW_EVENTS.sendBatch(group.map((body) => ({ body, contentType: "json" as const })));
  }
  const now = new Date().toISOString();
  for (const { letter } of replay) {
    await env.LAKE.put(
      `${REPLAYED_PREFIX}${encodeURIComponent(letter.batch_id)}.json`,
      JSON.stringify({ ...letter, replayed_at: now }),
    );
  }
  if (replay.length) await env.LAKE.delete(replay.map((r) => r.key));
  console.log(
    JSON.stringify({ msg: "Dead letters replayed", replayed: replay.length, skipped: skipped.length }),
  );
  return {
    replayed: replay.length,
    batch_ids: replay.map((r) => r.letter.batch_id),
    skipped,
    remaining: await countPendingDeadLetters(env),
  };
}
