import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { bronzeIdentity, toBronzeRow } from "./bronze.ts";
import type { RawEvent } from "../../durable-objects/stream_ingestor/batching.ts";

const sha256Hex = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
const RECEIVED = 1_781_970_600_000;
const EQIAD_TS = '[{"topic":"eqiad.mediawiki.recentchange","partition":0,"timestamp":1781970588989},' +
  '{"topic":"codfw.mediawiki.recentchange","partition":0,"offset":-1}]';
const DATA = JSON.stringify({
  meta: { id: "84c92895", dt: "2026-06-20T15:49:48.988Z", topic: "eqiad.mediawiki.recentchange", offset: 62 },
  type: "edit",
  title: "Ünïcode ✓",
});
const raw = (sse_id: string | null, data = DATA): RawEvent => ({ sse_id, data, received_at: RECEIVED });

describe("toBronzeRow()", () => {
  it("takes the key from meta.id, the position and timestamp from the SSE id, and the text verbatim", () => {
    expect(toBronzeRow(raw(EQIAD_TS), DATA)).toEqual({
      event_key: "84c92895",
      raw_json: DATA,
      topic: "eqiad.mediawiki.recentchange",
      partition: 0,
      offset: null,
      kafka_timestamp: 1781970588989,
      ingestion_time: RECEIVED,
    });
  });

  it("keeps an offset id's offset and falls back to meta.dt for kafka_timestamp", () => {
    const row = toBronzeRow(
      raw('[{"topic":"eqiad.mediawiki.recentchange","partition":0,"offset":5559405228}]'),
      DATA,
    );
    expect(row).toMatchObject({ topic: "eqiad.mediawiki.recentchange", partition: 0, offset: 5559405228 });
    expect(row.kafka_timestamp).toBe(Date.parse("2026-06-20T15:49:48.988Z"));
  });

  it("prefers the SSE id entry of the event's own topic", () => {
    const id = '[{"topic":"codfw.mediawiki.recentchange","partition":0,"offset":7},' +
      '{"topic":"eqiad.mediawiki.recentchange","partition":0,"offset":62}]';
    expect(toBronzeRow(raw(id), DATA)).toMatchObject({ topic: "eqiad.mediawiki.recentchange", offset: 62 });
  });

  it.each([
    ["no id", null],
    ["a malformed id", "not json"],
    ["an id of placeholders only", '[{"topic":"t","partition":0,"offset":-1}]'],
  ])("leaves the position null for %s", (_name, id) => {
    expect(toBronzeRow(raw(id), DATA)).toMatchObject({
      topic: null,
      partition: null,
      offset: null,
      kafka_timestamp: Date.parse("2026-06-20T15:49:48.988Z"),
    });
  });

  it.each([
    ["text that is not JSON", "{oops"],
    ["a JSON array", '[{"meta":{"id":"x"}}]'],
    ["an object without meta", '{"id":"x"}'],
    ["a numeric meta.id", '{"meta":{"id":5}}'],
    ["a null meta.id", '{"meta":{"id":null}}'],
    ["non-ASCII text", "ünï\u2028"],
    ["empty text", ""],
  ])("keys %s by the SHA-256 of its UTF-8 text", (_name, data) => {
    const row = toBronzeRow(raw(null, data), data);
    expect(row.event_key).toBe(sha256Hex(data));
    expect(row.raw_json).toBe(data);
    expect(row.kafka_timestamp).toBeNull();
  });

  it("uses the data argument (a spilled event's loaded text), not the empty event.data", () => {
    const spilled: RawEvent = { ...raw(EQIAD_TS, ""), spilled_key: "spill/x" };
    expect(toBronzeRow(spilled, DATA)).toMatchObject({ event_key: "84c92895", raw_json: DATA });
  });

  it("leaves kafka_timestamp null when neither the id nor a valid meta.dt has a time", () => {
    const data = '{"meta":{"id":"a","dt":"2026-06-20 15:49:48"}}';
    expect(toBronzeRow(raw(null, data), data).kafka_timestamp).toBeNull();
  });

  it("never throws on arbitrary ids and text", () => {
    fc.assert(
      fc.property(
        fc.option(fc.string(), { nil: null }),
        fc.oneof(fc.string(), fc.jsonValue().map((v) => JSON.stringify(v))),
        (id, data) => {
          const row = toBronzeRow(raw(id, data), data);
          expect(row.raw_json).toBe(data);
          expect(typeof row.event_key).toBe("string");
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe("bronzeIdentity()", () => {
  it("hashes the SSE id and the event key, newline-separated", () => {
    expect(bronzeIdentity(raw(EQIAD_TS), "k")).toBe(sha256Hex(`${EQIAD_TS}\nk`));
    expect(bronzeIdentity(raw(null), "k")).toBe(sha256Hex("\nk"));
    expect(bronzeIdentity(raw(null), "k")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("tells apart events that share an SSE id (same millisecond) and copies under other ids", () => {
    const a = bronzeIdentity(raw(EQIAD_TS), "event-a");
    expect(bronzeIdentity(raw(EQIAD_TS), "event-b")).not.toBe(a);
    expect(bronzeIdentity(raw(EQIAD_TS.replace("8989", "8990")), "event-a")).not.toBe(a);
    expect(bronzeIdentity({ sse_id: EQIAD_TS }, "event-a")).toBe(a);
  });

  it("treats a missing id like an empty one and is a function of (id, key) only", () => {
    fc.assert(
      fc.property(fc.string().filter((s) => !/[\r\n]/.test(s)), fc.string(), fc.string(), (id, k1, k2) => {
        expect(bronzeIdentity({ sse_id: id }, k1) === bronzeIdentity({ sse_id: id }, k2)).toBe(k1 === k2);
      }),
    );
    expect(bronzeIdentity({ sse_id: "" }, "k")).toBe(bronzeIdentity({ sse_id: null }, "k"));
  });
});
