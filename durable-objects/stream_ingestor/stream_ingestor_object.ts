import { DurableObject } from "cloudflare:workers";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { createSseReader, utf8Length } from "./sse.ts";
import { bronzeIdentity, eventKeyOf } from "../../r2/tables/event_identity.ts";
import {
  groupForSendBatch,
  isOversized,
  nextBackoffMs,
  numberMessages,
  packMessages,
  type RawEvent,
  SEQUENCE_TAG_BYTES,
} from "./batching.ts";
import { Outbox, SeenIdentities } from "./ingestor_tables_binding.ts";
import {
  connectUrl,
  DEFAULT_FLUSH,
  eventTimeOf,
  type IngestorState,
  type IngestorStatus,
  initialIngestorState,
  type PendingEvent,
  PendingEvents,
  planStart,
  type RateMeter,
  rateOf,
  recordRate,
  resumePointOf,
  spillKey,
  type StartRequest,
} from "./ingestor_state.ts";

/** The single ingestor's instance name. */
export const INGESTOR_NAME = "recentchange";
const WATCHDOG_MS = 30_000;
const MAX_CONNECTION_MS = 10 * 60_000;
/** Packing bound: 120 KB minus the room the sequence tag takes after packing. */
const MAX_MESSAGE_BYTES = 120_000 - SEQUENCE_TAG_BYTES;
/** How long identities of read events are remembered to recognise re-reads after a resume. */
const SEEN_RETENTION_MS = 6 * 3_600_000;
/** Flushes of at least this many events (a backlog, not the live rate) log their stage times. */
const PROFILE_FLUSH_EVENTS = 1_000;

/** Options of `start()`. */
export type IngestorStartOptions = StartRequest;

/**
 * StreamIngestor: holds the one SSE connection, drops canaries, packs events into Queue
 * messages, numbers them (gap-free per epoch) and writes them, with the resume id, to its
 * outbox before the send: a crash re-sends the same messages rather than re-numbering events.
 */
export class StreamIngestor extends DurableObject<Env> {
  #abort: AbortController | null = null;
  #loop: Promise<void> | null = null;
  #connected = false;
  #connections = 0;
  #failures = 0;
  #lastError: string | null = null;
  #lastConnectedAt: number | null = null;
  #meter: RateMeter = { samples: [], windowMs: 10_000 };
  #lastPrune = 0;
  readonly #seen: SeenIdentities;
  readonly #outbox: Outbox;
  #lastResendCheck = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
    this.#seen = new SeenIdentities(ctx.storage.sql);
    this.#outbox = new Outbox(ctx.storage.sql);
  }

  /** The consumer's end-to-end acknowledgement: these batches are in the lake. */
  acknowledge(batchIds: string[]): { removed: number } {
    return { removed: this.ctx.storage.transactionSync(() => this.#outbox.remove(batchIds)) };
  }

  /**
   * Sends again the messages the consumer has not acknowledged within the resend delay (a
   * queue that lost them, e.g. a killed local runtime). Same batch ids, so the consumer's
   * claims make a second delivery a no-op.
   */
  async resendUnacknowledged(): Promise<number> {
    const now = Date.now();
    const delayMs = Number(this.env.OUTBOX_RESEND_SECONDS || "120") * 1000;
    const stale = this.#outbox.stale(now - delayMs);
    if (!stale.length) return 0;
    for (const group of groupForSendBatch(stale)) {
      await this.env.RAW_EVENTS.sendBatch(group.map((body) => ({ body, contentType: "json" as const })));
    }
    this.ctx.storage.transactionSync(() => this.#outbox.markResent(stale.map((m) => m.batch_id), now));
    console.log(JSON.stringify({ msg: "Re-sent unacknowledged messages", count: stale.length }));
    return stale.length;
  }

  /** Starts (or keeps) ingesting from `url`; idempotent unless it switches URL or backfills. */
  async start(options: IngestorStartOptions): Promise<IngestorStatus> {
    const state = this.#load();
    const restart = state.url !== options.url || (options.backfill === true && !!options.since);
    if (restart && this.#loop) {
      // Let the current connection flush and persist its resume id before it is parked or replaced.
      this.#abort?.abort(state.url !== options.url ? "stream URL changed" : "backfill");
      await this.#loop;
    }
    this.#save(planStart(this.#load(), options));
    await this.ctx.storage.setAlarm(Date.now());
    await this.resendUnacknowledged();
    return this.status();
  }

  /** Stops ingesting and closes the connection after flushing what was read. */
  async stop(): Promise<IngestorStatus> {
    this.#save({ running: false });
    this.#abort?.abort("stopped");
    await this.ctx.storage.deleteAlarm();
    await this.#loop;
    return this.status();
  }

  /** Forgets everything (resume id and counters); used by the admin reset. */
  async reset(): Promise<IngestorStatus> {
    await this.stop();
    this.ctx.storage.sql.exec("DELETE FROM kv");
    // A new ingestion epoch: numbering restarts at 0 (the tracker's reset takes this epoch).
    this.#save({ epoch: crypto.randomUUID() });
    this.#seen.clear();
    this.#outbox.clear();
    this.#meter = { samples: [], windowMs: 10_000 };
    this.#connections = 0;
    this.#failures = 0;
    this.#lastError = null;
    return this.status();
  }

  /** Reports connection state, resume id, rate and lag. */
  status(): IngestorStatus {
    const s = this.#load();
    const now = Date.now();
    return {
      running: s.running,
      connected: this.#connected,
      url: s.url,
      last_event_id: s.resumeId,
      events_per_second: rateOf(this.#meter, now),
      lag_seconds: s.lastEventTime === null ? null : Math.max(0, Math.round((now - s.lastEventTime) / 1000)),
      received: s.received,
      canary: s.canary,
      rereads: s.rereads,
      spilled: s.spilled,
      messages_sent: s.messagesSent,
      messages_unacknowledged: this.#outbox.size(),
      connections: this.#connections,
      reconnects: Math.max(0, this.#connections - 1),
      last_error: this.#lastError,
      last_connected_at: this.#lastConnectedAt === null
        ? null
        : new Date(this.#lastConnectedAt).toISOString(),
      sequence: { epoch: s.epoch, next_seq: s.nextSeq },
    };
  }

  /** Alarm: keeps the connection alive; re-armed as a watchdog while a connection runs. */
  override async alarm(): Promise<void> {
    if (!this.#load().running) return;
    await this.ctx.storage.setAlarm(Date.now() + WATCHDOG_MS);
    if (this.#loop) return; // a connection is already being read in this isolate
    this.#loop = this.#connectOnce().finally(() => (this.#loop = null));
    await this.#loop;
    if (!this.#load().running) return;
    const delay = this.#failures === 0 ? 100 : nextBackoffMs(this.#failures, Math.random());
    await this.ctx.storage.setAlarm(Date.now() + delay);
  }

  async #connectOnce(): Promise<void> {
    const state = this.#load();
    if (!state.url) throw new Error("StreamIngestor has no stream URL; call start({ url }) first");
    const url = connectUrl(state.url, state.since, state.resumeId);
    const abort = new AbortController();
    this.#abort = abort;
    const timer = setTimeout(() => abort.abort("maximum connection time reached"), MAX_CONNECTION_MS);
    try {
      const response = await fetch(url, { headers: this.#headers(state.resumeId), signal: abort.signal });
      if (!response.ok || !response.body) {
        throw new Error(`HTTP ${response.status} ${response.statusText} from ${url}`);
      }
      this.#connected = true;
      this.#connections++;
      this.#lastConnectedAt = Date.now();
      await this.#read(response.body, abort.signal);
      this.#failures = 0;
    } catch (error) {
      if (abort.signal.aborted) {
        this.#failures = 0;
      } else {
        this.#failures++;
        this.#lastError = `${new Date().toISOString()} cannot read ${url}: ${describeFetchError(error)}`;
        console.error(JSON.stringify({ msg: "Stream connection failed", url, error: String(error) }));
      }
    } finally {
      clearTimeout(timer);
      this.#connected = false;
      this.#abort = null;
    }
  }

  #headers(resumeId: string | null): Record<string, string> {
    const headers: Record<string, string> = {
      Accept: "text/event-stream",
      "User-Agent": this.env.USER_AGENT,
    };
    if (resumeId) headers["Last-Event-ID"] = resumeId;
    return headers;
  }

  async #read(body: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<void> {
    const pending = new PendingEvents();
    const reader = createSseReader((frame) => pending.add(frame, Date.now()));
    const flush = () => this.#flush(pending.take());
    const stream = body.getReader();
    try {
      let next = stream.read();
      while (true) {
        const wait = pending.firstAt === null
          ? DEFAULT_FLUSH.maxWaitMs
          : Math.max(0, DEFAULT_FLUSH.maxWaitMs - (Date.now() - pending.firstAt));
        const result = await readOrTimeout(next, wait);
        if (result === undefined) {
          if (pending.size) await flush();
          else if (Date.now() - this.#lastResendCheck > 10_000) {
            this.#lastResendCheck = Date.now();
            await this.resendUnacknowledged();
          }
          continue;
        }
        if (result.done) {
          const { discardedBytes } = reader.end();
          if (discardedBytes) {
            console.log(
              JSON.stringify({
                msg: "Unterminated last frame dropped; re-read on resume",
                bytes: discardedBytes,
              }),
            );
          }
          break;
        }
        reader.push(result.value);
        if (pending.isDue(Date.now(), DEFAULT_FLUSH)) await flush();
        next = stream.read();
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      // Complete frames read so far are kept; an unterminated last frame is re-read on resume.
      if (pending.size) await flush();
      stream.releaseLock();
    }
  }

  async #flush(read: PendingEvent[]): Promise<void> {
    if (read.length === 0) return;
    const started = Date.now();
    const batch = this.#withoutRereads(read);
    const events = batch.filter((p) => !p.canary).map((p) => p.event);
    const spilled = await this.#spillOversized(events);
    const state = this.#load();
    const epoch = state.epoch ?? crypto.randomUUID();
    const messages = numberMessages(
      packMessages(events, { maxMessageBytes: MAX_MESSAGE_BYTES, newBatchId: () => crypto.randomUUID() }),
      epoch,
      state.nextSeq,
    );
    // Write-ahead: the numbers, the outbox and the resume point are durable before the send, so
    // a crash after it re-sends these very messages (same batch ids, same numbers) from the
    // outbox instead of numbering the re-read events again.
    const lastId = resumePointOf(read.map((p) => p.event.sse_id), state.resumeId);
    const lastData = events.at(-1)?.data;
    const now = Date.now();
    // Each message's JSON once: the outbox keeps it and its UTF-8 length sizes the sendBatch groups.
    const texts = messages.map((m) => JSON.stringify(m));
    this.ctx.storage.transactionSync(() => {
      this.#seen.addAll(batch.map((p) => p.identity!), now);
      messages.forEach((m, i) => this.#outbox.add(m, now, texts[i]));
      this.#save({
        resumeId: lastId,
        received: state.received + batch.length,
        canary: state.canary + batch.filter((p) => p.canary).length,
        rereads: state.rereads + (read.length - batch.length),
        spilled: state.spilled + spilled,
        messagesSent: state.messagesSent + messages.length,
        lastEventTime: (lastData ? eventTimeOf(lastData) : null) ?? state.lastEventTime,
        lastFlushAt: now,
        epoch,
        nextSeq: state.nextSeq + messages.length,
      });
    });
    const written = Date.now();
    // The sends overlap (each call ≤ 256 KB, so ≈ 2 messages): one flush is a handful of calls
    // in flight instead of a chain. Arrival order does not matter: the tracker admits by number.
    await Promise.all(
      groupForSendBatch(messages, {}, (_, i) => utf8Length(texts[i]!)).map((group) =>
        this.env.RAW_EVENTS.sendBatch(group.map((body) => ({ body, contentType: "json" as const })))
      ),
    );
    if (batch.length >= PROFILE_FLUSH_EVENTS) {
      console.log(JSON.stringify({
        msg: "Flush stages",
        events: batch.length,
        messages: messages.length,
        stage_ms: { prepare_and_write_ahead: written - started, send: Date.now() - written },
      }));
    }
    if (now - this.#lastPrune > 60_000) {
      this.#lastPrune = now;
      this.#seen.prune(now - SEEN_RETENTION_MS);
    }
    this.#meter = recordRate(this.#meter, now, batch.length);
  }

  /** Drops events read before (a resume by timestamp re-serves the same millisecond's events). */
  #withoutRereads(read: PendingEvent[]): PendingEvent[] {
    const fresh: PendingEvent[] = [];
    for (const p of read) p.identity = bronzeIdentity(p.event, eventKeyOf(p.event.data));
    const skip = this.#seen.seenAmong(read.map((p) => p.identity!)); // read before, or earlier in this batch
    for (const p of read) {
      if (skip.has(p.identity!)) continue;
      skip.add(p.identity!);
      fresh.push(p);
    }
    return fresh;
  }

  async #spillOversized(events: RawEvent[]): Promise<number> {
    let count = 0;
    for (const event of events) {
      if (!isOversized(event, MAX_MESSAGE_BYTES)) continue;
      const text = new TextEncoder().encode(`${event.sse_id ?? ""}\n${event.data}`);
      const key = spillKey(bytesToHex(sha256(text)));
      await this.env.LAKE.put(key, event.data);
      event.spilled_key = key;
      event.data = "";
      count++;
    }
    return count;
  }

  #load(): IngestorState {
    const state = initialIngestorState() as unknown as Record<string, unknown>;
    for (const row of this.ctx.storage.sql.exec<{ k: string; v: string }>("SELECT k, v FROM kv")) {
      state[row.k] = JSON.parse(row.v);
    }
    return state as unknown as IngestorState;
  }

  #save(patch: Partial<IngestorState>): void {
    this.ctx.storage.transactionSync(() => {
      for (const [k, v] of Object.entries(patch)) {
        this.ctx.storage.sql.exec("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", k, JSON.stringify(v));
      }
    });
  }
}

/** workerd reports DNS and connection failures as an opaque "internal error"; say what it usually means. */
function describeFetchError(error: unknown): string {
  const text = String(error);
  return /internal error/i.test(text)
    ? `${text} (the runtime's report of a network failure: is the host reachable from this machine?)`
    : text;
}

/** Waits for `read` at most `ms`; the timer is always cleared (workerd caps live timeouts at 10,000). */
async function readOrTimeout<T>(read: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
