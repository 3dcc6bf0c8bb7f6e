/**
 * Decoding of Queue message bodies: anything that is not a version-1 RawEventsMessage is
 * rejected with a reason (the message is retried and finally dead-lettered, never dropped).
 */
import type { RawEventsMessage } from "../../durable-objects/stream_ingestor/batching.ts";

/** Result of decoding one message body. */
export type DecodeResult = { ok: true; message: RawEventsMessage } | { ok: false; reason: string };

/** Checks a message body's shape. */
export function decodeRawEventsMessage(body: unknown): DecodeResult {
  if (typeof body !== "object" || body === null) {
    return { ok: false, reason: `message body is ${typeof body}, not an object` };
  }
  const m = body as Record<string, unknown>;
  if (m.v !== 1) return { ok: false, reason: `unsupported message version ${JSON.stringify(m.v)}` };
  if (typeof m.batch_id !== "string" || !m.batch_id) return { ok: false, reason: "message has no batch_id" };
  if (!Array.isArray(m.events)) return { ok: false, reason: "message has no events array" };
  if (m.seq !== undefined || m.epoch !== undefined) {
    if (typeof m.epoch !== "string" || !m.epoch || m.epoch.length > 64) {
      return { ok: false, reason: "message has a bad epoch" };
    }
    if (typeof m.seq !== "number" || !Number.isSafeInteger(m.seq) || m.seq < 0) {
      return { ok: false, reason: "message has a bad seq" };
    }
  }
  for (const [i, e] of m.events.entries()) {
    const ev = e as Record<string, unknown>;
    if (typeof ev !== "object" || ev === null) return { ok: false, reason: `event ${i} is not an object` };
    if (typeof ev.data !== "string") return { ok: false, reason: `event ${i} has no data string` };
    if (ev.sse_id !== null && typeof ev.sse_id !== "string") {
      return { ok: false, reason: `event ${i} has a bad sse_id` };
    }
    if (typeof ev.received_at !== "number" || !Number.isFinite(ev.received_at)) {
      return { ok: false, reason: `event ${i} has a bad received_at` };
    }
    if (ev.spilled_key !== undefined && typeof ev.spilled_key !== "string") {
      return { ok: false, reason: `event ${i} has a bad spilled_key` };
    }
  }
  return { ok: true, message: m as unknown as RawEventsMessage };
}

/** Retry delay for a failed message: exponential in its attempts, capped at 5 minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(2 ** Math.max(0, attempts), 300);
}
