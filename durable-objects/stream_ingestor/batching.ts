/**
 * The Queue message contract between the StreamIngestor and the queue consumer, and the pure
 * decisions about it: canary detection, packing events into messages under the Queue size
 * limits, grouping messages for `sendBatch`, and reconnect backoff.
 * @module
 */
import { utf8Length } from "./sse.ts";

/** One source event as read from the stream (persisted in the queue: keep it plain). */
export interface RawEvent {
  /** The SSE frame's `id:` (null when the frame had none). */
  sse_id: string | null;
  /** The frame's `data:` text; "" when the text was spilled to R2. */
  data: string;
  /** When the StreamIngestor received it, epoch ms. */
  received_at: number;
  /** R2 key of the data when it is too large for a message (data is then ""). */
  spilled_key?: string;
}

/** A Queue message body, version 1: many events, one batch id (the consumer's "owner"). */
export interface RawEventsMessage {
  v: 1;
  batch_id: string;
  events: RawEvent[];
  /** The ingestion epoch of `seq` (absent on messages from before ordered admission). */
  epoch?: string;
  /** The message's gap-free number in its epoch, assigned write-ahead by the ingestor. */
  seq?: number;
}

/** Room to keep for `,"epoch":<id ≤ 64 bytes>,"seq":<≤ 16 digits>`, added after packing. */
export const SEQUENCE_TAG_BYTES = 100;

/** Numbers `messages` in order from `first` in `epoch` (the ingestor persists them before sending). */
export function numberMessages(
  messages: readonly RawEventsMessage[],
  epoch: string,
  first: number,
): RawEventsMessage[] {
  return messages.map((m, i) => ({ ...m, epoch, seq: first + i }));
}

/** Options of `packMessages`. */
export interface PackOptions {
  /** Upper bound of one serialized message in UTF-8 bytes (Queues allow 128 KB). */
  maxMessageBytes?: number;
  /** Makes a fresh batch id; its JSON form must not exceed `MAX_BATCH_ID_BYTES`. */
  newBatchId: () => string;
}

/** Options of `groupForSendBatch`. */
export interface SendBatchOptions {
  /** At most this many messages per `sendBatch` call (Queues allow 100). */
  maxMessages?: number;
  /** At most this many serialized bytes per `sendBatch` call (Queues allow 256 KB). */
  maxBytes?: number;
}

/** Default bound of one message: 128 KB minus a margin for the queue's own envelope. */
export const DEFAULT_MAX_MESSAGE_BYTES = 120_000;
/** Batch ids longer than this (JSON-encoded, in bytes) are refused: `isOversized` assumes it. */
export const MAX_BATCH_ID_BYTES = 64;
/** Ceiling of the reconnect backoff. */
export const MAX_BACKOFF_MS = 60_000;

const CANARY_NEEDLE = "canary";

/** True when the event text is a JSON object whose `meta.domain` is "canary". */
export function isCanaryEvent(data: string): boolean {
  // Cheap exact pre-check: a canary's text contains "canary", unless JSON escapes spell it.
  if (!data.includes(CANARY_NEEDLE) && !data.includes("\\u")) return false;
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    return false;
  }
  if (typeof event !== "object" || event === null) return false;
  const meta = (event as { meta?: unknown }).meta;
  return typeof meta === "object" && meta !== null && (meta as { domain?: unknown }).domain === CANARY_NEEDLE;
}

/** Size of a message as the queue sees it: UTF-8 bytes of its JSON text. */
export function messageSize(message: RawEventsMessage): number {
  return utf8Length(JSON.stringify(message));
}

/** True when `event` alone cannot fit a message of `maxMessageBytes`: the shell must spill it. */
export function isOversized(event: RawEvent, maxMessageBytes: number = DEFAULT_MAX_MESSAGE_BYTES): boolean {
  return envelopeBytes(MAX_BATCH_ID_BYTES) + eventBytes(event) > maxMessageBytes;
}

/**
 * Packs events, in order, into as few messages as fit greedily, each at most
 * `maxMessageBytes` serialized. Throws RangeError for an oversized event (spill it first).
 */
export function packMessages(events: readonly RawEvent[], options: PackOptions): RawEventsMessage[] {
  const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const messages: RawEventsMessage[] = [];
  let current: RawEventsMessage | null = null;
  let size = 0;
  for (const [i, event] of events.entries()) {
    const bytes = eventBytes(event);
    if (envelopeBytes(MAX_BATCH_ID_BYTES) + bytes > max) {
      throw new RangeError(`Event ${i} (${bytes} bytes) cannot fit a ${max}-byte message; spill it`);
    }
    if (current !== null && size + 1 + bytes <= max) {
      current.events.push(event);
      size += 1 + bytes; // the comma before it
      continue;
    }
    current = { v: 1, batch_id: checkedBatchId(options.newBatchId()), events: [event] };
    size = envelopeBytes(utf8Length(JSON.stringify(current.batch_id))) + bytes;
    messages.push(current);
  }
  return messages;
}

/**
 * Splits messages, in order, into groups for one `sendBatch` call each: at most `maxMessages`
 * messages and `maxBytes` serialized bytes per group (`sizeOf`, default {@link messageSize}: a
 * caller that holds the messages' JSON already passes their sizes). Throws RangeError for a
 * message larger than `maxBytes` on its own.
 */
export function groupForSendBatch(
  messages: readonly RawEventsMessage[],
  options: SendBatchOptions = {},
  sizeOf: (message: RawEventsMessage, index: number) => number = messageSize,
): RawEventsMessage[][] {
  const maxMessages = options.maxMessages ?? 100;
  const maxBytes = options.maxBytes ?? 250_000;
  if (!Number.isInteger(maxMessages) || maxMessages < 1) {
    throw new RangeError(`maxMessages must be a positive integer, got ${maxMessages}`);
  }
  const groups: RawEventsMessage[][] = [];
  let group: RawEventsMessage[] = [];
  let bytes = 0;
  for (const [i, message] of messages.entries()) {
    const size = sizeOf(message, i);
    if (size > maxBytes) {
      throw new RangeError(`Message ${message.batch_id} has ${size} bytes, over ${maxBytes}`);
    }
    if (group.length === maxMessages || bytes + size > maxBytes) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(message);
    bytes += size;
  }
  if (group.length) groups.push(group);
  return groups;
}

/**
 * Delay before reconnect attempt `attempt` (1 = first retry): 1 s doubling per attempt,
 * capped at 60 s, with "equal jitter" from `rand` ∈ [0, 1): the result is in [cap/2, cap].
 */
export function nextBackoffMs(attempt: number, rand: number): number {
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new RangeError(`attempt must be a non-negative integer, got ${attempt}`);
  }
  if (!(rand >= 0 && rand < 1)) throw new RangeError(`rand must be in [0, 1), got ${rand}`);
  const ceiling = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempt);
  return Math.floor(ceiling / 2 + (rand * ceiling) / 2);
}

/** Serialized bytes of `{"v":1,"batch_id":<id>,"events":[]}` given the id's JSON byte length. */
function envelopeBytes(batchIdJsonBytes: number): number {
  return '{"v":1,"batch_id":'.length + batchIdJsonBytes + ',"events":[]}'.length;
}

function eventBytes(event: RawEvent): number {
  return utf8Length(JSON.stringify(event));
}

function checkedBatchId(id: string): string {
  const bytes = utf8Length(JSON.stringify(id));
  if (bytes > MAX_BATCH_ID_BYTES) {
    throw new RangeError(
      `Batch id ${JSON.stringify(id)} is ${bytes} bytes as JSON, over ${MAX_BATCH_ID_BYTES}`,
    );
  }
  return id;
}
