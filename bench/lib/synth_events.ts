/**
 * Synth events the way the pipeline sees them, for the suites that run the product's core in
 * Node (parquet, memory): each line of a scripts/synth.ts `.jsonl` becomes a RawEvent with the
 * SSE id the replay server would give it, events are packed into queue messages by the
 * ingestor's own `packMessages` at its packing limit, and messages become bronze, silver and
 * quarantine rows through the consumer's own planning functions.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  numberMessages,
  packMessages,
  type RawEvent,
  type RawEventsMessage,
  SEQUENCE_TAG_BYTES,
} from "../../durable-objects/stream_ingestor/batching.ts";
import { planBronze, planSilver } from "../../workers/queue/process_raw_events.ts";
import type { BronzeRow, QuarantineRow, SilverRow } from "../../r2/tables/rows.ts";
import { makeEventId, makeInvalidLineId } from "../../scripts/lib/replay_frames.ts";

/** The ingestor's packing bound (stream_ingestor_object.ts: 120 KB minus the sequence tag's room). */
export const INGESTOR_MAX_MESSAGE_BYTES = DEFAULT_MAX_MESSAGE_BYTES - SEQUENCE_TAG_BYTES;

/** Reads a `.jsonl` synth file as RawEvents, `chunk` events at a time; `rawBytes` counts UTF-8 bytes. */
export async function* readSynthEvents(
  file: string,
  chunk = 10_000,
  receivedAt = Date.UTC(2026, 0, 1, 12),
): AsyncGenerator<{ events: RawEvent[]; rawBytes: number }> {
  const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity });
  let events: RawEvent[] = [];
  let rawBytes = 0;
  let index = 0;
  for await (const line of lines) {
    const i = index++;
    if (!line.trim()) continue;
    let sseId: string;
    try {
      const parsed = JSON.parse(line);
      sseId = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
        ? makeEventId(parsed, receivedAt)
        : makeInvalidLineId(0, i);
    } catch {
      sseId = makeInvalidLineId(0, i);
    }
    events.push({ sse_id: sseId, data: line, received_at: receivedAt + i });
    rawBytes += Buffer.byteLength(line, "utf8");
    if (events.length === chunk) {
      yield { events, rawBytes };
      events = [];
      rawBytes = 0;
    }
  }
  if (events.length) yield { events, rawBytes };
}

/** Packs events into numbered queue messages exactly as the ingestor does (its limit, its order). */
export function packLikeIngestor(
  events: readonly RawEvent[],
  epoch: string,
  firstSeq: number,
): RawEventsMessage[] {
  let n = 0;
  const messages = packMessages(events, {
    maxMessageBytes: INGESTOR_MAX_MESSAGE_BYTES,
    newBatchId: () => `${epoch}-${firstSeq + n++}`,
  });
  return numberMessages(messages, epoch, firstSeq);
}

/** The rows one consumer batch makes of `messages`, every key new (what a first delivery claims). */
export interface BatchRows {
  bronze: BronzeRow[];
  silver: SilverRow[];
  quarantine: QuarantineRow[];
  /** Per owner (message batch id): the claim payloads the consumer sends its two committers. */
  bronzeClaimKeys: Array<{ owner: string; keys: string[] }>;
  silverClaimKeys: Array<{ owner: string; keys: string[] }>;
}

/**
 * Runs the consumer's planning (workers/queue/process_raw_events.ts) over `messages`. Silver
 * event ids already in `seenIds` (or repeated) are dropped, which is what the silver claim does.
 */
export function planBatch(messages: readonly RawEventsMessage[], seenIds = new Set<string>()): BatchRows {
  const bronzePlan = planBronze(messages);
  const out: BatchRows = { bronze: [], silver: [], quarantine: [], bronzeClaimKeys: [], silverClaimKeys: [] };
  for (const plan of bronzePlan) {
    out.bronzeClaimKeys.push({ owner: plan.owner, keys: plan.candidates.map((c) => c.identity) });
    const rows = plan.candidates.map((c) => c.row);
    out.bronze.push(...rows);
    const layer = planSilver(rows);
    out.silverClaimKeys.push({ owner: plan.owner, keys: layer.silverCandidates.map((r) => r.event_id) });
    for (const row of layer.silverCandidates) {
      if (seenIds.has(row.event_id)) continue;
      seenIds.add(row.event_id);
      out.silver.push(row);
    }
    out.quarantine.push(...layer.quarantine);
  }
  return out;
}
