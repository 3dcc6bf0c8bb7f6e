/**
 * Pure helpers of the StreamIngestor: the persisted state shape, the status report, the
 * stream URL with `?since=`, and a sliding events/s meter. No runtime APIs here.
 */
import { parseEventTime } from "../../r2/tables/event_time.ts";
import { parseSseId } from "./sse.ts";
import { isCanaryEvent, type RawEvent } from "./batching.ts";

/** What the ingestor persists (one row per key in its SQLite `kv` table). */
export interface IngestorState {
  running: boolean;
  url: string | null;
  since: string | null;
  resumeId: string | null;
  /** Resume ids of the other stream URLs read before (a file backfill then back to live). */
  positions: Record<string, string>;
  received: number;
  canary: number;
  /** Events read again after a resume and recognised as already received. */
  rereads: number;
  spilled: number;
  messagesSent: number;
  lastEventTime: number | null;
  lastFlushAt: number | null;
  /** The ingestion epoch the message numbers belong to (a reset starts a new one). */
  epoch: string | null;
  /** The number the next queue message gets (gap-free, persisted before the send). */
  nextSeq: number;
}

/** The state of an ingestor that never ran. */
export function initialIngestorState(): IngestorState {
  return {
    running: false,
    url: null,
    since: null,
    resumeId: null,
    positions: {},
    received: 0,
    canary: 0,
    rereads: 0,
    spilled: 0,
    messagesSent: 0,
    lastEventTime: null,
    lastFlushAt: null,
    epoch: null,
    nextSeq: 0,
  };
}

/** The ingestor's report over RPC (and in /api/health). */
export interface IngestorStatus {
  running: boolean;
  connected: boolean;
  url: string | null;
  last_event_id: string | null;
  events_per_second: number;
  lag_seconds: number | null;
  received: number;
  canary: number;
  rereads: number;
  spilled: number;
  messages_sent: number;
  /** Messages accepted by the queue whose batches the consumer has not confirmed yet. */
  messages_unacknowledged: number;
  connections: number;
  reconnects: number;
  last_error: string | null;
  last_connected_at: string | null;
  /** The ordered-admission numbering: the epoch and the number of the next message. */
  sequence: { epoch: string | null; next_seq: number };
}

/** What a start asks for: the stream URL, an optional `since`, and whether to backfill from it. */
export interface StartRequest {
  url: string;
  since?: string | null;
  /** Read from `since` even when a resume id exists (an operator's backfill). */
  backfill?: boolean;
}

/**
 * The state after a start. Each stream URL keeps its own resume id: switching URLs parks the
 * current one and takes the new URL's; a backfill forgets the new URL's, so reading starts at
 * `since` (events already received are recognised and not counted again).
 */
export function planStart(
  state: IngestorState,
  request: StartRequest,
): Pick<IngestorState, "running" | "url" | "since" | "resumeId" | "positions"> {
  const positions = { ...state.positions };
  if (state.url && state.resumeId) positions[state.url] = state.resumeId;
  const backfill = request.backfill === true && !!request.since;
  const resumeId = backfill ? null : positions[request.url] ?? null;
  delete positions[request.url];
  return { running: true, url: request.url, since: request.since ?? null, resumeId, positions };
}

/** Builds the URL to connect to: `since` applies only when there is no resume id. */
export function connectUrl(base: string, since: string | null, resumeId: string | null): string {
  if (!since || resumeId) return base;
  const url = new URL(base);
  url.searchParams.set("since", since);
  return url.toString();
}

/** Reads `meta.dt` (or `timestamp`) of an event's JSON text as epoch ms; null when absent. */
export function eventTimeOf(data: string): number | null {
  try {
    const event = JSON.parse(data);
    const dt = event?.meta?.dt;
    if (typeof dt === "string") return parseEventTime(dt);
    return typeof event?.timestamp === "number" ? event.timestamp * 1000 : null;
  } catch {
    return null;
  }
}

/** A sliding-window rate meter over the last `windowMs` of samples. */
export interface RateMeter {
  samples: Array<{ at: number; count: number }>;
  windowMs: number;
}

/** Returns a meter with the sample added and old samples dropped. */
export function recordRate(meter: RateMeter, at: number, count: number): RateMeter {
  const samples = meter.samples.filter((s) => s.at > at - meter.windowMs);
  samples.push({ at, count });
  return { ...meter, samples };
}

/** Events per second over the meter's window as seen at `now`. */
export function rateOf(meter: RateMeter, now: number): number {
  const live = meter.samples.filter((s) => s.at > now - meter.windowMs);
  const total = live.reduce((sum, s) => sum + s.count, 0);
  return Math.round((total / (meter.windowMs / 1000)) * 10) / 10;
}

/** Flush policy: a batch goes to the queue when any limit is reached. */
export interface FlushPolicy {
  maxEvents: number;
  maxBytes: number;
  maxWaitMs: number;
}

/**
 * Default flush policy: ≤ 250 ms of latency (the freshness goal is 1 s end to end, and the
 * wait is paid by every event of a quiet stream), ≤ ~1 MB per flush (a few sendBatch calls).
 */
export const DEFAULT_FLUSH: FlushPolicy = { maxEvents: 2_000, maxBytes: 1_000_000, maxWaitMs: 250 };

/** Decides whether the pending buffer must be flushed now. */
export function shouldFlush(
  pending: { events: number; bytes: number; firstAt: number | null },
  now: number,
  policy: FlushPolicy,
): boolean {
  if (pending.events === 0 || pending.firstAt === null) return false;
  return pending.events >= policy.maxEvents || pending.bytes >= policy.maxBytes ||
    now - pending.firstAt >= policy.maxWaitMs;
}

/** One event read from the stream and not flushed yet. */
export interface PendingEvent {
  event: RawEvent;
  canary: boolean;
  /** The source-event identity, set when the flush checks for re-reads. */
  identity?: string;
}

/** The ingestor's read buffer: SSE frames become pending events until the flush policy fires. */
export class PendingEvents {
  #items: PendingEvent[] = [];
  #bytes = 0;
  #firstAt: number | null = null;

  /** Adds one frame received at `at` (epoch ms). */
  add(frame: { id: string | null; data: string }, at: number): void {
    const event: RawEvent = { sse_id: frame.id, data: frame.data, received_at: at };
    this.#items.push({ event, canary: isCanaryEvent(frame.data) });
    this.#bytes += frame.data.length;
    this.#firstAt ??= at;
  }

  /** How many events wait. */
  get size(): number {
    return this.#items.length;
  }

  /** When the oldest waiting event arrived (null when none waits). */
  get firstAt(): number | null {
    return this.#firstAt;
  }

  /** Whether `policy` says to flush at `now`. */
  isDue(now: number, policy: FlushPolicy): boolean {
    return shouldFlush(
      { events: this.#items.length, bytes: this.#bytes, firstAt: this.#firstAt },
      now,
      policy,
    );
  }

  /** Takes every waiting event, leaving the buffer empty. */
  take(): PendingEvent[] {
    const items = this.#items;
    this.#items = [];
    this.#bytes = 0;
    this.#firstAt = null;
    return items;
  }
}

/** The R2 key an oversized event's text is spilled to (content-addressed, so a re-read rewrites the same key). */
export function spillKey(digestHex: string): string {
  return `ingest-spill/${digestHex}.json`;
}

/**
 * The resume id after reading frames with these SSE ids: the last well-formed one, else the
 * previous. A malformed id would make the server restart (or refuse) instead of continuing.
 */
export function resumePointOf(ids: ReadonlyArray<string | null>, previous: string | null): string | null {
  for (let i = ids.length - 1; i >= 0; i--) if (parseSseId(ids[i]).ok) return ids[i];
  return previous;
}
