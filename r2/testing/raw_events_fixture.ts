/**
 * Test support: queue messages whose outcome is known by construction — `valid` recentchange
 * events with distinct `meta.id`s spread over `days` days, `resent` copies of some of them under
 * new SSE ids (bronze keeps them, silver counts them as duplicates) and `bad` lines that are not
 * JSON (quarantine). Ids, offsets and batch ids all carry `tag`, so fixtures never collide.
 */
import {
  isCanaryEvent,
  type RawEvent,
  type RawEventsMessage,
} from "../../durable-objects/stream_ingestor/batching.ts";

/** Options of `buildRawEvents`. */
export interface RawEventsFixtureOptions {
  tag: string;
  valid: number;
  resent: number;
  bad: number;
  /** Event times spread over this many UTC days from `startMs`. */
  days: number;
  /** Events per queue message. */
  perMessage: number;
  startMs: number;
  /** First Kafka offset (unique per fixture so bronze identities never collide). */
  firstOffset: number;
}

/** The messages and what a correct pipeline must make of them. */
export interface RawEventsFixture {
  messages: RawEventsMessage[];
  /** Distinct `meta.id`s of the valid events: exactly the silver ids. */
  validIds: string[];
  /** Source events (bronze rows). */
  events: number;
  bad: number;
  resent: number;
}

const DAY_MS = 86_400_000;

/** Builds the messages of a fixture. */
export function buildRawEvents(o: RawEventsFixtureOptions): RawEventsFixture {
  if (o.resent > o.valid) throw new RangeError(`resent (${o.resent}) must not exceed valid (${o.valid})`);
  const texts: string[] = [];
  const validIds: string[] = [];
  for (let i = 0; i < o.valid; i++) {
    const id = `${o.tag}-event-${i}`;
    validIds.push(id);
    texts.push(recentChange(id, o.startMs + (i % o.days) * DAY_MS + i * 1_000, i));
  }
  for (let i = 0; i < o.resent; i++) texts.push(texts[i]);
  for (let i = 0; i < o.bad; i++) texts.push(`{"not json": ${o.tag}-${i}`);
  const events: RawEvent[] = texts.map((data, n) => ({
    sse_id: JSON.stringify([{
      topic: "eqiad.mediawiki.recentchange",
      partition: 0,
      offset: o.firstOffset + n,
    }]),
    data,
    // Spread over the days too, so bronze (partitioned by ingestion day) has several files.
    received_at: o.startMs + (n % o.days) * DAY_MS + 3_600_000 + n,
  }));
  const messages: RawEventsMessage[] = [];
  for (let k = 0; k * o.perMessage < events.length; k++) {
    messages.push({
      v: 1,
      batch_id: `${o.tag}-batch-${k}`,
      events: events.slice(k * o.perMessage, (k + 1) * o.perMessage),
    });
  }
  return { messages, validIds, events: events.length, bad: o.bad, resent: o.resent };
}

function recentChange(id: string, dtMs: number, i: number): string {
  return JSON.stringify({
    $schema: "/mediawiki/recentchange/1.0.0",
    meta: {
      uri: `https://en.wikipedia.org/wiki/Page_${i}`,
      id,
      dt: new Date(dtMs).toISOString(),
      domain: "en.wikipedia.org",
      stream: "mediawiki.recentchange",
    },
    id: 1_000_000 + i,
    type: i % 5 === 0 ? "new" : "edit",
    namespace: 0,
    title: `Page_${i % 7}`,
    comment: `fixture edit ${i}`,
    timestamp: Math.floor(dtMs / 1000),
    user: i % 3 === 0 ? "ExampleBot" : `Editor ${i % 4}`,
    bot: i % 3 === 0,
    minor: i % 2 === 0,
    length: { old: 1_000, new: 1_000 + (i % 2 ? 700 : -40) },
    revision: { old: 5_000 + i, new: 6_000 + i },
    server_name: "en.wikipedia.org",
    wiki: "enwiki",
  });
}

/**
 * The source events of a recorded or synthetic stream's lines (e.g. testdata/synth-1000-seed7.jsonl),
 * as the ingestor reads them: one Kafka offset per line from `firstOffset`, received 1 ms apart
 * from `receivedAtMs`, canaries dropped (the ingestor drops them before the queue).
 */
export function eventsFromStreamLines(
  lines: readonly string[],
  firstOffset: number,
  receivedAtMs: number,
): RawEvent[] {
  return lines.map((data, i) => ({
    sse_id: `[{"topic":"eqiad.mediawiki.recentchange","partition":0,"offset":${firstOffset + i}}]`,
    data,
    received_at: receivedAtMs + i,
  })).filter((e) => !isCanaryEvent(e.data));
}
