/**
 * Test support: the pipeline's pure decisions composed the way the shells compose them.
 * SSE bytes → frames (`createSseReader`) → the ingestor's choices (drop canaries, drop re-reads
 * by bronze identity, spill oversized events, pack messages) → the consumer's plans (bronze
 * claim, silver classification, silver claim). In-memory claim indexes and an in-memory spill
 * store stand in for the TableCommitters and R2; nothing of our own is mocked.
 * @module
 */
import { createSseReader, type SseEvent } from "../../durable-objects/stream_ingestor/sse.ts";
import {
  isCanaryEvent,
  isOversized,
  packMessages,
  type RawEvent,
  type RawEventsMessage,
} from "../../durable-objects/stream_ingestor/batching.ts";
import { bronzeIdentity, eventKeyOf } from "../../workers/queue/bronze.ts";
import { planBronze, planSilver, splitClaimed } from "../../workers/queue/process_raw_events.ts";
import type { BronzeRow, QuarantineRow, SilverRow } from "../../r2/tables/rows.ts";

/** The `/api/health` event counts (DESIGN.md §4) plus the ingestor's own re-read and spill counts. */
export interface FlowCounts {
  received: number;
  canary: number;
  rereads: number;
  spilled: number;
  bronze: number;
  silver: number;
  quarantine: number;
  duplicate: number;
}

/** What one connection's bytes gave the SSE reader. */
export interface ConnectionRead {
  frames: SseEvent[];
  comments: string[];
  discarded: SseEvent | null;
}

/** Same limit as the StreamIngestor: 128 KB minus the queue's envelope margin. */
export const MAX_MESSAGE_BYTES = 120_000;

const encoder = new TextEncoder();

/** Encodes one SSE frame (`id:` only when given; data lines split on LF). */
export function sseFrame(data: string, id: string | null = null, eol = "\n"): string {
  const lines = data.split("\n").map((line) => `data: ${line}${eol}`).join("");
  return `${id === null ? "" : `id: ${id}${eol}`}${lines}${eol}`;
}

/** Splits `bytes` at the given (sorted or not) cut positions. */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  return chunks;
}

/** Reads one connection: all chunks, then the end of the stream. */
export function readConnection(chunks: readonly Uint8Array[]): ConnectionRead {
  const frames: SseEvent[] = [];
  const comments: string[] = [];
  const reader = createSseReader((frame) => frames.push(frame), (comment) => comments.push(comment));
  for (const chunk of chunks) reader.push(chunk);
  return { frames, comments, discarded: reader.end().discarded };
}

/** One pipeline's durable state across connections and deliveries. */
export class CoreFlow {
  readonly counts: FlowCounts = {
    received: 0,
    canary: 0,
    rereads: 0,
    spilled: 0,
    bronze: 0,
    silver: 0,
    quarantine: 0,
    duplicate: 0,
  };
  readonly bronze: BronzeRow[] = [];
  readonly silver: SilverRow[] = [];
  readonly quarantine: QuarantineRow[] = [];
  /** event_ids of silver candidates the silver claim refused (already in silver). */
  readonly duplicateIds: string[] = [];
  readonly #seen = new Set<string>();
  readonly #spilled = new Map<string, string>();
  readonly #bronzeOwners = new Map<string, string>();
  readonly #silverOwners = new Map<string, string>();
  readonly #stagedOwners = new Set<string>();
  #batches = 0;

  /** Reads `bytes` as one connection (cut at `cuts`), ingests and consumes what it gave. */
  run(bytes: Uint8Array | string, cuts: readonly number[] = [], receivedAt = 0): ConnectionRead {
    const raw = typeof bytes === "string" ? encoder.encode(bytes) : bytes;
    const read = readConnection(splitAt(raw, cuts));
    this.consume(this.ingest(read.frames, receivedAt));
    return read;
  }

  /** The ingestor's flush: counts, drops canaries and re-reads, spills, packs. */
  ingest(frames: readonly SseEvent[], receivedAt = 0): RawEventsMessage[] {
    const events: RawEvent[] = [];
    for (const frame of frames) {
      const event: RawEvent = { sse_id: frame.id, data: frame.data, received_at: receivedAt };
      const identity = bronzeIdentity(event, eventKeyOf(event.data));
      if (this.#seen.has(identity)) {
        this.counts.rereads++;
        continue;
      }
      this.#seen.add(identity);
      this.counts.received++;
      if (isCanaryEvent(event.data)) this.counts.canary++;
      else events.push(event);
    }
    for (const event of events) {
      if (!isOversized(event, MAX_MESSAGE_BYTES)) continue;
      const key = `spill/${this.#spilled.size}`;
      this.#spilled.set(key, event.data);
      Object.assign(event, { data: "", spilled_key: key });
      this.counts.spilled++;
    }
    return packMessages(events, {
      maxMessageBytes: MAX_MESSAGE_BYTES,
      newBatchId: () => `batch-${this.#batches++}`,
    });
  }

  /** The consumer over one delivery of `messages` (a redelivery must change nothing). */
  consume(messages: readonly RawEventsMessage[]): void {
    const loaded = messages.map((m) => ({
      ...m,
      events: m.events.map((e) =>
        e.spilled_key === undefined ? e : { ...e, data: this.#spilled.get(e.spilled_key)! }
      ),
    }));
    for (const plan of planBronze(loaded)) {
      const won = claim(this.#bronzeOwners, plan.owner, plan.candidates.map((c) => c.identity));
      const rows = plan.candidates.filter((c) => won.has(c.identity)).map((c) => c.row);
      const { silverCandidates, quarantine } = planSilver(rows);
      const newIds = claim(this.#silverOwners, plan.owner, silverCandidates.map((r) => r.event_id));
      const split = splitClaimed(silverCandidates, newIds);
      // The committers refuse to stage an owner twice: a redelivered message adds no rows.
      if (!this.#stagedOwners.has(plan.owner)) {
        this.#stagedOwners.add(plan.owner);
        this.bronze.push(...rows);
        this.silver.push(...split.rows);
        this.quarantine.push(...quarantine);
        this.duplicateIds.push(
          ...silverCandidates.filter((r) => !split.rows.includes(r)).map((r) => r.event_id),
        );
        this.counts.bronze += rows.length;
        this.counts.silver += split.rows.length;
        this.counts.quarantine += quarantine.length;
        this.counts.duplicate += split.duplicates;
      }
    }
  }
}

/** The committer's claim rule: a key belongs forever to the first owner that claimed it. */
function claim(owners: Map<string, string>, owner: string, keys: readonly string[]): Set<string> {
  const won = new Set<string>();
  for (const key of keys) {
    if (!owners.has(key)) owners.set(key, owner);
    if (owners.get(key) === owner) won.add(key);
  }
  return won;
}
