import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  groupForSendBatch,
  isCanaryEvent,
  isOversized,
  MAX_BATCH_ID_BYTES,
  messageSize,
  nextBackoffMs,
  packMessages,
  type RawEvent,
  type RawEventsMessage,
} from "./batching.ts";

const encoder = new TextEncoder();
const bytesOf = (value: unknown) => encoder.encode(JSON.stringify(value)).length;
const counterIds = () => {
  let n = 0;
  return () => `batch-${n++}`;
};
const ev = (data: string, sse_id: string | null = "[]"): RawEvent => ({
  sse_id,
  data,
  received_at: 1_700_000_000_000,
});

describe("isCanaryEvent()", () => {
  it.each([
    ['{"meta":{"domain":"canary","id":"x"},"type":"edit"}', true],
    ['{"meta":{"domain":"\\u0063anary"}}', true],
    ['{"meta":{"domain":"commons.wikimedia.org"},"title":"canary"}', false],
    ['{"meta":{"domain":"canary.org"}}', false],
    ['{"domain":"canary"}', false],
    ['{"meta":null,"x":"canary"}', false],
    ['{"meta":"canary"}', false],
    ['[{"meta":{"domain":"canary"}}]', false],
    ['"canary"', false],
    ["canary", false],
    ['{"meta":{"domain":"canary"}', false],
    ["", false],
  ])("says %s → %s", (data, expected) => {
    expect(isCanaryEvent(data)).toBe(expected);
  });
});

describe("messageSize()", () => {
  it("counts UTF-8 bytes of the JSON text", () => {
    const message: RawEventsMessage = { v: 1, batch_id: "b", events: [ev("é🙂\u2028")] };
    expect(messageSize(message)).toBe(bytesOf(message));
    expect(messageSize(message)).toBeGreaterThan(JSON.stringify(message).length);
  });
});

const rawEvent = fc.record({
  sse_id: fc.option(fc.string({ maxLength: 40 }), { nil: null }),
  data: fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 300 }),
    fc.string({ maxLength: 5000 }),
    fc.nat({ max: 30_000 }).map((n) => "x".repeat(n)),
  ),
  received_at: fc.nat(),
});

describe("packMessages()", () => {
  it("keeps order and ids, and keeps every message within the limit", () => {
    fc.assert(
      fc.property(
        fc.array(rawEvent, { maxLength: 60 }),
        fc.integer({ min: 400, max: 130_000 }),
        (events, max) => {
          const fitting = events.filter((e) => !isOversized(e, max));
          const messages = packMessages(fitting, { maxMessageBytes: max, newBatchId: counterIds() });
          expect(messages.flatMap((m) => m.events)).toEqual(fitting);
          expect(messages.map((m) => m.batch_id)).toEqual(messages.map((_, i) => `batch-${i}`));
          for (const [i, m] of messages.entries()) {
            expect(m.v).toBe(1);
            expect(m.events.length).toBeGreaterThan(0);
            expect(bytesOf(m)).toBeLessThanOrEqual(max);
            // Greedy: the next message's first event would not have fitted in this one.
            const next = messages[i + 1];
            if (next) expect(bytesOf({ ...m, events: [...m.events, next.events[0]] })).toBeGreaterThan(max);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("fills a message up to the exact byte limit", () => {
    const events = [ev("a".repeat(100)), ev("b".repeat(100)), ev("c")];
    const max = bytesOf({ v: 1, batch_id: "batch-0", events: events.slice(0, 2) });
    const messages = packMessages(events, { maxMessageBytes: max, newBatchId: counterIds() });
    expect(messages.map((m) => m.events.length)).toEqual([2, 1]);
    expect(messageSize(messages[0])).toBe(max);
  });

  it("returns no message for no events", () => {
    expect(packMessages([], { newBatchId: counterIds() })).toEqual([]);
  });

  it("packs 1 KB events about a hundred to a 120 KB message by default", () => {
    const events = Array.from({ length: 1000 }, (_, i) => ev(`${i}`.padEnd(1000, "x")));
    const messages = packMessages(events, { newBatchId: counterIds() });
    expect(messages.length).toBe(9);
    expect(messages.every((m) => messageSize(m) <= 120_000)).toBe(true);
  });

  it("refuses an oversized event (the shell must spill it) and an overlong batch id", () => {
    const big = ev("x".repeat(120_000));
    expect(isOversized(big, 120_000)).toBe(true);
    expect(() => packMessages([big], { newBatchId: counterIds() })).toThrow(RangeError);
    expect(() => packMessages([ev("a")], { newBatchId: () => "x".repeat(MAX_BATCH_ID_BYTES) })).toThrow(
      /Batch id/,
    );
  });
});

describe("isOversized()", () => {
  it("is exact at the boundary, assuming the longest allowed batch id", () => {
    const longestId = "x".repeat(MAX_BATCH_ID_BYTES - 2); // its JSON form has the two quotes
    const event = ev("");
    const max = bytesOf({ v: 1, batch_id: longestId, events: [event] }) + 10;
    const exact = ev("y".repeat(10));
    expect(isOversized(exact, max)).toBe(false);
    expect(isOversized(ev("y".repeat(11)), max)).toBe(true);
    const [message] = packMessages([exact], { maxMessageBytes: max, newBatchId: () => longestId });
    expect(messageSize(message)).toBe(max);
  });

  it("counts the spilled reference, not the text", () => {
    expect(isOversized({ sse_id: null, data: "", received_at: 0, spilled_key: "spill/abc" }, 1000)).toBe(
      false,
    );
  });
});

describe("groupForSendBatch()", () => {
  const message = (i: number, size: number): RawEventsMessage => ({
    v: 1,
    batch_id: `b${i}`,
    events: [ev("z".repeat(size))],
  });

  it("splits by message count", () => {
    const messages = Array.from({ length: 250 }, (_, i) => message(i, 10));
    expect(groupForSendBatch(messages).map((g) => g.length)).toEqual([100, 100, 50]);
  });

  it("splits by bytes: two 120 KB messages per 250 KB call", () => {
    const messages = Array.from({ length: 5 }, (_, i) => message(i, 119_000));
    expect(groupForSendBatch(messages).map((g) => g.length)).toEqual([2, 2, 1]);
  });

  it("respects both limits for any messages, in order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 3000 }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 3100, max: 260_000 }),
        (sizes, maxMessages, maxBytes) => {
          const messages = sizes.map((s, i) => message(i, s));
          const groups = groupForSendBatch(messages, { maxMessages, maxBytes });
          expect(groups.flat()).toEqual(messages);
          for (const g of groups) {
            expect(g.length).toBeGreaterThan(0);
            expect(g.length).toBeLessThanOrEqual(maxMessages);
            expect(g.reduce((n, m) => n + bytesOf(m), 0)).toBeLessThanOrEqual(maxBytes);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses a message larger than a whole call", () => {
    expect(() => groupForSendBatch([message(0, 300_000)])).toThrow(RangeError);
    expect(groupForSendBatch([])).toEqual([]);
  });
});

describe("nextBackoffMs()", () => {
  it("doubles from 1 s per attempt with jitter in the upper half", () => {
    expect([1, 2, 3, 4].map((a) => nextBackoffMs(a, 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((a) => nextBackoffMs(a, 0.999999))).toEqual([999, 1999, 3999, 7999]);
    expect(nextBackoffMs(2, 0.5)).toBe(1500);
  });

  it("is capped at 60 s however many attempts failed", () => {
    expect(nextBackoffMs(7, 0)).toBe(30_000);
    expect(nextBackoffMs(10_000, 0.999999)).toBeLessThanOrEqual(60_000);
    fc.assert(
      fc.property(
        fc.nat({ max: 5000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (a, r) => {
          const ms = nextBackoffMs(a, r);
          const ceiling = Math.min(60_000, 500 * 2 ** a);
          return Number.isInteger(ms) && ms >= Math.floor(ceiling / 2) && ms <= ceiling;
        },
      ),
    );
  });

  it("rejects a bad attempt or random value", () => {
    expect(() => nextBackoffMs(-1, 0)).toThrow(RangeError);
    expect(() => nextBackoffMs(1.5, 0)).toThrow(RangeError);
    expect(() => nextBackoffMs(1, 1)).toThrow(RangeError);
    expect(() => nextBackoffMs(1, Number.NaN)).toThrow(RangeError);
  });
});

describe("numberMessages()", () => {
  it("numbers messages gap-free from the persisted next number, keeping ids and events", async () => {
    const { numberMessages } = await import("./batching.ts");
    const messages = [0, 1, 2].map((i) => ({ v: 1 as const, batch_id: `b${i}`, events: [] }));
    expect(numberMessages(messages, "ep", 7).map((m) => [m.batch_id, m.epoch, m.seq])).toEqual([
      ["b0", "ep", 7],
      ["b1", "ep", 8],
      ["b2", "ep", 9],
    ]);
  });
});
