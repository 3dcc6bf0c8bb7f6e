/**
 * bronze_wiki_events rows (core): every source event, minimally transformed (DESIGN.md §3).
 * A source event is identified by its SSE id together with its event_key.
 * @module
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { RawEvent } from "../../durable-objects/stream_ingestor/batching.ts";
import { eventPosition, parseSseId } from "../../durable-objects/stream_ingestor/sse.ts";
import type { BronzeRow } from "../../r2/tables/rows.ts";
import { parseEventTime } from "./silver_rules.ts";

const encoder = new TextEncoder();

/**
 * Builds the bronze row of one event whose text is `data` (the event's own `data`, or the
 * spilled text loaded from R2). event_key is `meta.id` when the text is a JSON object with a
 * string `meta.id`, else the hex SHA-256 of the text's UTF-8 bytes. topic/partition/offset
 * come from the SSE id's identifying entry; kafka_timestamp from that entry's timestamp,
 * else from a valid `meta.dt`.
 */
export function toBronzeRow(event: RawEvent, data: string): BronzeRow {
  const meta = metaOf(data);
  const ids = parseSseId(event.sse_id);
  const position = ids.ok
    ? eventPosition(ids.entries, typeof meta?.topic === "string" ? meta.topic : null)
    : null;
  const dt = typeof meta?.dt === "string" ? parseEventTime(meta.dt) : null;
  return {
    event_key: typeof meta?.id === "string" ? meta.id : hashText(data),
    raw_json: data,
    topic: position?.topic ?? null,
    partition: position?.partition ?? null,
    offset: position?.offset ?? null,
    kafka_timestamp: position?.timestamp ?? dt,
    ingestion_time: event.received_at,
  };
}

/** The event_key of an event's text: `meta.id` when present, else the hex SHA-256 of the text. */
export function eventKeyOf(data: string): string {
  const id = metaOf(data)?.id;
  return typeof id === "string" ? id : hashText(data);
}

/**
 * The key of "the same source event" for bronze dedup: hex SHA-256 of the SSE id ("" when
 * none) and the event_key, separated by a newline (an SSE id cannot contain one).
 */
export function bronzeIdentity(event: Pick<RawEvent, "sse_id">, eventKey: string): string {
  return hashText(`${event.sse_id ?? ""}\n${eventKey}`);
}

function hashText(text: string): string {
  return bytesToHex(sha256(encoder.encode(text)));
}

/** The `meta` object of a JSON object text; null for anything else. */
function metaOf(data: string): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const meta = (value as Record<string, unknown>).meta;
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) return null;
  return meta as Record<string, unknown>;
}
