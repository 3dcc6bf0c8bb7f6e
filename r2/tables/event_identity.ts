/**
 * Source-event identity (core): bronze's `event_key` and the identity of "the same source event"
 * (DESIGN.md §3), used by the ingestor (re-read detection) and the consumer (bronze dedup), so it
 * sits below both.
 * @module
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

const encoder = new TextEncoder();

/** The event_key of an event's text: `meta.id` when present, else the hex SHA-256 of the text. */
export function eventKeyOf(data: string): string {
  const id = metaOf(data)?.id;
  return typeof id === "string" ? id : hashText(data);
}

/**
 * The key of "the same source event" for bronze dedup: hex SHA-256 of the SSE id ("" when
 * none) and the event_key, separated by a newline (an SSE id cannot contain one).
 */
export function bronzeIdentity(event: { sse_id?: string | null }, eventKey: string): string {
  return hashText(`${event.sse_id ?? ""}\n${eventKey}`);
}

/** Hex SHA-256 of a text's UTF-8 bytes. */
export function hashText(text: string): string {
  return bytesToHex(sha256(encoder.encode(text)));
}

/** The `meta` object of a JSON object text; null for anything else. */
export function metaOf(data: string): Record<string, unknown> | null {
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
