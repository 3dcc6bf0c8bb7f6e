/**
 * bronze_wiki_events rows (core): every source event, minimally transformed (DESIGN.md §3).
 * A source event is identified by its SSE id together with its event_key.
 * @module
 */
import type { RawEvent } from "../../durable-objects/stream_ingestor/batching.ts";
import { eventPosition, parseSseId } from "../../durable-objects/stream_ingestor/sse.ts";
import type { BronzeRow } from "../../r2/tables/rows.ts";
import { parseEventTime } from "../../r2/tables/event_time.ts";
import { bronzeIdentity, eventKeyOf, hashText, metaOf } from "../../r2/tables/event_identity.ts";

export { bronzeIdentity, eventKeyOf };

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
