/**
 * Server-Sent Events framing (core): bytes in, complete frames out, on top of
 * eventsource-parser. Also reads the Wikimedia SSE `id:` (a JSON array of Kafka positions).
 *
 * Decisions:
 * - Bytes are decoded as UTF-8 with a streaming, non-fatal TextDecoder: a chunk boundary may
 *   fall anywhere, even inside a multi-byte character; invalid bytes become U+FFFD, so the
 *   `data` of such a frame is not byte-identical to what was sent (it is never rejected).
 * - As the SSE specification says, a frame is dispatched only at its closing blank line: an
 *   unterminated frame at end of stream is discarded and reported by `end()`.
 * - `id` is the frame's own `id:` field (null without one), not the spec's sticky
 *   "last event ID": an event is identified by the id it was sent with.
 * @module
 */
import { createParser, type EventSourceParser } from "eventsource-parser";

/** One complete SSE frame. `event` is "message" when the frame has no `event:` field. */
export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

/** What `end()` reports: the unterminated frame the spec says to drop (null when none). */
export interface SseEndResult {
  /** The frame that was pending at end of stream and therefore NOT emitted. */
  discarded: SseEvent | null;
  /** UTF-8 bytes of the discarded frame's data (0 when none), for logging. */
  discardedBytes: number;
}

/** A streaming reader: push byte chunks, then `end()` once the stream is over. */
export interface SseReader {
  /** Feeds the next chunk of the byte stream; complete frames go to `onEvent` synchronously. */
  push(chunk: Uint8Array): void;
  /** Ends the stream: reports (never emits) an unterminated last frame and resets the reader. */
  end(): SseEndResult;
}

/** Creates an SSE reader that calls `onEvent` per complete frame (comments go to `onComment`). */
export function createSseReader(
  onEvent: (event: SseEvent) => void,
  onComment?: (comment: string) => void,
): SseReader {
  let ending = false;
  let discarded: SseEvent | null = null;
  const parser: EventSourceParser = createParser({
    onEvent(message) {
      const event = { id: message.id ?? null, event: message.event ?? "message", data: message.data };
      if (ending) discarded = event;
      else onEvent(event);
    },
    onComment: onComment ? (comment) => onComment(comment) : undefined,
    // Unknown fields and bad `retry:` values are ignored, as the spec says.
    onError: () => {},
  });
  // ignoreBOM: keep a leading BOM in the text so that the parser strips exactly one (spec).
  let decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  return {
    push(chunk) {
      const text = decoder.decode(chunk, { stream: true });
      if (text) parser.feed(text);
    },
    end() {
      const rest = decoder.decode();
      if (rest) parser.feed(rest);
      // Terminate whatever is pending and capture, instead of emitting, what that dispatches.
      ending = true;
      try {
        parser.feed("\n\n");
      } finally {
        ending = false;
      }
      const result: SseEndResult = {
        discarded,
        discardedBytes: discarded === null ? 0 : utf8Length((discarded as SseEvent).data),
      };
      discarded = null;
      parser.reset();
      decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
      return result;
    },
  };
}

/** One entry of a Wikimedia SSE id: a Kafka topic-partition and its offset or timestamp. */
export interface SsePosition {
  topic: string;
  partition: number;
  offset: number | null;
  timestamp: number | null;
}

/** Result of `parseSseId`. */
export type SseIdResult = { ok: true; entries: SsePosition[] } | { ok: false; reason: string };

/** Parses a Wikimedia SSE id (`[{"topic","partition","offset"|"timestamp"}, …]`). */
export function parseSseId(id: string | null): SseIdResult {
  if (id === null) return { ok: false, reason: "the frame has no id" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(id);
  } catch (error) {
    return { ok: false, reason: `id is not JSON: ${(error as Error).message}` };
  }
  if (!Array.isArray(parsed)) return { ok: false, reason: "id is not a JSON array" };
  if (parsed.length === 0) return { ok: false, reason: "id is an empty array" };
  const entries: SsePosition[] = [];
  for (const [i, entry] of parsed.entries()) {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      return { ok: false, reason: `id entry ${i} is not an object` };
    }
    const { topic, partition, offset, timestamp } = entry as Record<string, unknown>;
    if (typeof topic !== "string" || topic === "") return { ok: false, reason: `id entry ${i} has no topic` };
    if (!isInt32(partition) || partition < 0) {
      return { ok: false, reason: `id entry ${i} has no valid partition` };
    }
    if (offset != null && !Number.isSafeInteger(offset)) {
      return { ok: false, reason: `id entry ${i} has a non-integer offset` };
    }
    if (timestamp != null && !Number.isSafeInteger(timestamp)) {
      return { ok: false, reason: `id entry ${i} has a non-integer timestamp` };
    }
    if (offset == null && timestamp == null) {
      return { ok: false, reason: `id entry ${i} has neither offset nor timestamp` };
    }
    entries.push({
      topic,
      partition,
      offset: (offset as number | null | undefined) ?? null,
      timestamp: (timestamp as number | null | undefined) ?? null,
    });
  }
  return { ok: true, entries };
}

/**
 * Chooses the entry that identifies the event: one with a timestamp or an offset ≥ 0 (offset
 * −1 is the other datacentre's placeholder). With several, the one on `preferTopic` (the
 * event's `meta.topic`) wins, else the first. Null when no entry qualifies.
 */
export function eventPosition(
  entries: readonly SsePosition[],
  preferTopic?: string | null,
): SsePosition | null {
  const candidates = entries.filter((e) => e.timestamp !== null || (e.offset !== null && e.offset >= 0));
  return candidates.find((e) => e.topic === preferTopic) ?? candidates[0] ?? null;
}

function isInt32(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= -2147483648 && (value as number) <= 2147483647;
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(1 << 16);

/**
 * UTF-8 length of a string (lone surrogates count as U+FFFD, 3 bytes), encoded natively into a
 * reused buffer: a character loop in JavaScript showed in the ingestor's CPU profile.
 */
export function utf8Length(text: string): number {
  if (scratch.length < text.length * 3) scratch = new Uint8Array(text.length * 3);
  return encoder.encodeInto(text, scratch).written;
}
