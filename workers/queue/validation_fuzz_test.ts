/**
 * Property tests of validation and the consumer's plans (issue 6): thousands of generated events
 * — arbitrary JSON values and text, valid recentchange events with fields deleted, retyped or set
 * to random strings, huge numbers and NaN-ish times — never make the core throw; each gets exactly
 * one verdict; and streamed through SSE, the ingestor's decisions and the consumer, every source
 * event lands in exactly one place and the counts reconcile.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CHANGE_TYPES, classifyEvent } from "./silver_rules.ts";
import { toBronzeRow } from "./bronze.ts";
import { isCanaryEvent } from "../../durable-objects/stream_ingestor/batching.ts";
import { eventPosition, parseSseId } from "../../durable-objects/stream_ingestor/sse.ts";
import { CoreFlow, readConnection, splitAt, sseFrame } from "../../test/core/core_flow.ts";

const T = Date.UTC(2026, 0, 1);
const INT32 = 2 ** 31 - 1;
const encoder = new TextEncoder();
// ignoreBOM: a U+FEFF that starts a string is data, not a byte-order mark to strip.
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const PATHS = [
  "meta",
  "meta.id",
  "meta.dt",
  "meta.domain",
  "type",
  "wiki",
  "title",
  "user",
  "namespace",
  "bot",
  "minor",
  "length",
  "length.old",
  "length.new",
  "revision",
  "revision.new",
  "server_name",
  "comment",
  "timestamp",
];

const validEvent = fc.record({
  id: fc.uuid(),
  dt: fc.date({ min: new Date("1900-01-01"), max: new Date("2200-01-01"), noInvalidDate: true }).map((d) =>
    d.toISOString()
  ),
  type: fc.constantFrom(...CHANGE_TYPES),
  user: fc.oneof(fc.string(), fc.ipV4(), fc.ipV6(), fc.constant("~2026-1")),
  title: fc.string({ unit: "grapheme" }),
  old: fc.integer({ min: 0, max: 10_000_000 }),
  new: fc.integer({ min: 0, max: 10_000_000 }),
  bot: fc.boolean(),
}).map((e) => ({
  meta: { id: e.id, dt: e.dt, domain: "en.wikipedia.org" },
  type: e.type,
  namespace: 0,
  title: e.title,
  user: e.user,
  bot: e.bot,
  length: { old: e.old, new: e.new },
  revision: { old: 1, new: 2 },
  wiki: "enwiki",
  timestamp: Math.floor(Date.parse(e.dt) / 1000),
}));

/** Values that break a field: wrong types, huge and non-integral numbers, NaN-ish and odd date texts. */
const badValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ unit: "binary" }),
  fc.constantFrom(1e308, -1e308, 2 ** 53 + 2, 2 ** 31, -(2 ** 31) - 1, 0.5, -0, 1.0),
  fc.constantFrom("NaN", "Infinity", "-1", "", "2026-13-01T00:00:00Z", "2026-01-01T00:00:60Z", "0000-00-00"),
  fc.constantFrom("2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00.123456789Z", "+275760-09-13T00:00:00Z"),
  fc.constant("canary"),
);

/** A valid event with some fields deleted or set to bad values. */
const mutatedEvent = fc.tuple(
  validEvent,
  fc.array(fc.tuple(fc.constantFrom(...PATHS), fc.option(badValue, { nil: undefined })), { maxLength: 4 }),
).map(([event, changes]) => {
  const copy: Record<string, any> = structuredClone(event);
  for (const [path, value] of changes) {
    const keys = path.split(".");
    const last = keys.pop()!;
    const parent = keys.reduce<any>((o, k) => (o !== null && typeof o === "object" ? o[k] : undefined), copy);
    if (parent === null || typeof parent !== "object") continue;
    if (value === undefined) delete parent[last];
    else parent[last] = value;
  }
  return JSON.stringify(copy);
});

/** Any event text: arbitrary JSON, arbitrary text, valid and mutated events. */
const eventText = fc.oneof(
  { arbitrary: fc.jsonValue().map((v) => JSON.stringify(v) ?? "null"), weight: 2 },
  { arbitrary: fc.string({ unit: "binary" }), weight: 1 },
  { arbitrary: validEvent.map((e) => JSON.stringify(e)), weight: 2 },
  { arbitrary: mutatedEvent, weight: 5 },
  {
    arbitrary: validEvent.map((e) => JSON.stringify({ ...e, meta: { ...e.meta, domain: "canary" } })),
    weight: 1,
  },
);

/** `meta.id` of a JSON object text when it is a string; null otherwise (an independent reading). */
function metaIdOf(data: string): string | null {
  try {
    const id = JSON.parse(data)?.meta?.id;
    return typeof id === "string" ? id : null;
  } catch {
    return null;
  }
}

describe("classifyEvent() on generated events", () => {
  it("never throws, and gives a valid row, a canary or a reason, agreeing with the ingestor on canaries", () => {
    fc.assert(
      fc.property(eventText, (data) => {
        const result = classifyEvent(data, T);
        expect(result.ok || result.kind === "canary" || result.kind === "invalid").toBe(true);
        expect(isCanaryEvent(data)).toBe(!result.ok && result.kind === "canary");
        if (!result.ok && result.kind === "invalid") expect(result.reason).toMatch(/^\S.{8,}/s);
        if (!result.ok) return;
        const row = result.row;
        const event = JSON.parse(data);
        expect(row.event_id).toBe(event.meta.id);
        expect(CHANGE_TYPES).toContain(row.change_type);
        expect(Number.isSafeInteger(row.event_time)).toBe(true);
        expect(Math.abs(row.bytes_diff)).toBeLessThanOrEqual(INT32);
        expect(row.namespace === null || Math.abs(row.namespace) <= INT32).toBe(true);
        expect(row.bytes_diff).toBe((event.length?.new ?? 0) - (event.length?.old ?? 0));
        expect(row.edit_size).toBe(
          row.bytes_diff > 500 ? "LARGE" : row.bytes_diff < -500 ? "LARGE_REMOVAL" : "SMALL",
        );
        if (typeof event.meta.dt === "string" && /\.\d{0,3}Z$|:\d\dZ$/.test(event.meta.dt)) {
          expect(row.event_time).toBe(Date.parse(event.meta.dt));
        }
      }),
      { numRuns: 5000 },
    );
  });

  it("quarantines every valid event once a required field is deleted", () => {
    const required = fc.constantFrom("meta.id", "type", "wiki", "title", "user");
    fc.assert(
      fc.property(validEvent, required, (event, path) => {
        const copy: Record<string, any> = structuredClone(event);
        if (path === "meta.id") delete copy.meta.id;
        else delete copy[path];
        const result = classifyEvent(JSON.stringify(copy), T);
        expect(result).toEqual({ ok: false, kind: "invalid", reason: `missing field "${path}"` });
      }),
      { numRuns: 500 },
    );
  });
});

describe("toBronzeRow() and SSE ids", () => {
  it("never throw on arbitrary ids and texts, and take the position only from a well-formed id", () => {
    const id = fc.oneof(
      fc.constant(null),
      fc.string({ unit: "binary" }),
      fc.jsonValue().map((v) => JSON.stringify(v) ?? ""),
      fc.array(
        fc.record({
          topic: fc.oneof(fc.string(), fc.jsonValue()),
          partition: fc.oneof(fc.integer(), fc.double(), fc.string()),
          offset: fc.oneof(fc.integer({ min: -1 }), fc.double(), fc.constant(null)),
        }, { requiredKeys: [] }),
        { maxLength: 3 },
      ).map((entries) => JSON.stringify(entries)),
    );
    fc.assert(
      fc.property(id, eventText, (sseId, data) => {
        const ids = parseSseId(sseId);
        const position = ids.ok ? eventPosition(ids.entries) : null;
        if (ids.ok) expect(position === null || ids.entries.includes(position)).toBe(true);
        const row = toBronzeRow({ sse_id: sseId, data, received_at: T }, data);
        expect(row.raw_json).toBe(data);
        const metaId = metaIdOf(data);
        if (metaId === null) expect(row.event_key).toMatch(/^[0-9a-f]{64}$/);
        else expect(row.event_key).toBe(metaId);
        expect(row.partition === null || Number.isInteger(row.partition)).toBe(true);
        if (!ids.ok) expect([row.topic, row.partition, row.offset]).toEqual([null, null, null]);
      }),
      { numRuns: 3000 },
    );
  });
});

/** One generated source event on the stream, or a copy of an earlier one. */
const streamItem = fc.oneof(
  { arbitrary: eventText.map((data) => ({ kind: "new" as const, data })), weight: 8 },
  { arbitrary: fc.nat().map((of) => ({ kind: "reread" as const, of })), weight: 1 },
  { arbitrary: fc.nat().map((of) => ({ kind: "resent" as const, of })), weight: 1 },
);

describe("the core flow over generated streams", () => {
  it("puts every source event in exactly one place, reconciles the counts, and ignores redelivery", () => {
    fc.assert(
      fc.property(
        fc.array(streamItem, { maxLength: 60, size: "medium" }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (items, cuts) => {
          const frames: Array<{ id: string; data: string }> = [];
          let rereads = 0;
          for (const [i, item] of items.entries()) {
            const data = item.kind === "new"
              ? item.data.replace(/\r\n?/g, "\n")
              : frames[item.of % frames.length]?.data;
            if (data === undefined) continue;
            const copy = item.kind === "reread" ? frames[item.of % frames.length] : null;
            if (copy) rereads++;
            frames.push(
              copy ??
                { id: i % 3 === 0 ? `garbage-${i}` : `[{"topic":"t","partition":0,"offset":${i}}]`, data },
            );
          }
          const bytes = encoder.encode(frames.map((f) => sseFrame(f.data, f.id)).join(""));
          const read = readConnection(splitAt(bytes, cuts.map((c) => c % (bytes.length + 1))));
          expect(read.frames.map((f) => f.data)).toEqual(
            frames.map((f) => decoder.decode(encoder.encode(f.data))),
          );

          const flow = new CoreFlow();
          const messages = flow.ingest(read.frames, T);
          flow.consume(messages);
          const { received, canary, bronze, silver, quarantine, duplicate } = flow.counts;
          expect(flow.counts.rereads).toBe(rereads);
          expect(received).toBe(frames.length - rereads);
          expect(received - canary).toBe(bronze);
          expect(bronze).toBe(silver + quarantine + duplicate);
          const verdicts = flow.bronze.map((r) => classifyEvent(r.raw_json, r.ingestion_time));
          expect(verdicts.filter((v) => !v.ok).length).toBe(quarantine);
          expect(new Set(flow.silver.map((r) => r.event_id)).size).toBe(silver);
          const placed = [
            ...flow.silver.map((r) => r.event_id),
            ...flow.quarantine.map((r) => r.event_key),
            ...flow.duplicateIds,
          ];
          expect(placed.sort()).toEqual(flow.bronze.map((r) => r.event_key).sort());

          const before = structuredClone(flow.counts);
          flow.consume(messages);
          expect(flow.counts).toEqual(before);
        },
      ),
      { numRuns: 400 },
    );
  });
});
