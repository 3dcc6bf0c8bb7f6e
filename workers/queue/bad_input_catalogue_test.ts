/**
 * Issue 6, "nothing silent on bad input": every kind of bad input, fed as SSE bytes through the
 * real core (SSE reader, the ingestor's decisions, bronze, silver rules), ends up in exactly one
 * place — silver, quarantine with a reason a person understands, or dropped by rule (canaries,
 * counted) — and the counts reconcile: received − canary = bronze = silver + quarantine + duplicate.
 */
import { describe, expect, it } from "vitest";
import { CoreFlow, MAX_MESSAGE_BYTES, readConnection, splitAt, sseFrame } from "../../test/core/core_flow.ts";
import {
  isOversized,
  messageSize,
  packMessages,
  type RawEvent,
} from "../../durable-objects/stream_ingestor/batching.ts";

const DELETE = Symbol("delete");
const DT = "2026-01-01T00:00:00.000Z";
const T = Date.parse(DT);
const encoder = new TextEncoder();
const offsetId = (offset: number) =>
  JSON.stringify([{ topic: "eqiad.mediawiki.recentchange", partition: 0, offset }]);

/** A valid recentchange event with id `id`, changed at dotted paths (DELETE removes a field). */
function event(id: string, changes: Record<string, unknown> = {}): string {
  const base: Record<string, any> = {
    meta: { id, dt: DT, domain: "en.wikipedia.org", topic: "eqiad.mediawiki.recentchange" },
    type: "edit",
    namespace: 0,
    title: "Page",
    user: "Alice",
    bot: false,
    length: { old: 100, new: 150 },
    revision: { old: 1, new: 2 },
    server_name: "en.wikipedia.org",
    wiki: "enwiki",
  };
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split(".");
    const last = keys.pop()!;
    const parent = keys.reduce((o, k) => o[k], base);
    if (value === DELETE) delete parent[last];
    else parent[last] = value;
  }
  return JSON.stringify(base);
}

type Place = "silver" | "quarantine" | "canary" | "nothing";
interface Case {
  name: string;
  stream: string | Uint8Array;
  place: Place;
  reason?: RegExp;
}

const [UTF8_HEAD, UTF8_TAIL] = event("utf8-title", { title: "Caf" }).split('"Caf"');
const bytes = (...parts: Array<string | number[]>) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === "string" ? [...encoder.encode(p)] : p)));
const quarantined = (name: string, data: string, reason: RegExp): Case => ({
  name,
  stream: sseFrame(data, offsetId(1)),
  place: "quarantine",
  reason,
});
const kept = (name: string, data: string, id: string | null = offsetId(1)): Case => ({
  name,
  stream: sseFrame(data, id),
  place: "silver",
});
const wrongType = (path: string, value: unknown, reason: RegExp) =>
  quarantined(
    `a wrong type at ${path} (${JSON.stringify(value)})`,
    event(`wrong-${path}-${JSON.stringify(value)}`, { [path]: value }),
    reason,
  );

const BAD_DTS = [
  "yesterday",
  "NaN",
  "2026-02-30T00:00:00Z",
  "2026-01-01 00:00:00Z",
  "2026-01-01T24:00:00Z",
  "",
];
const CASES: Case[] = [
  quarantined("text that is not JSON", '{"meta": {"id": "cut', /^not valid JSON: /),
  { name: "an empty data line", stream: "data:\n\n", place: "quarantine", reason: /^not valid JSON: / },
  quarantined("a JSON array", "[1,2]", /^not a JSON object: got an array$/),
  quarantined("a JSON number", "42", /^not a JSON object: got number 42$/),
  quarantined("a JSON string", '"edit"', /^not a JSON object: got string "edit"$/),
  quarantined("JSON null", "null", /^not a JSON object: got null$/),
  ...["meta.id", "type", "wiki", "title", "user"].map((path) =>
    quarantined(
      `an event without ${path}`,
      event(`miss-${path}`, { [path]: DELETE }),
      new RegExp(`^missing field "${path}"$`),
    )
  ),
  quarantined("a null user", event("null-user", { user: null }), /^missing field "user" \(it is null\)$/),
  quarantined(
    "a meta that is a string",
    event("x", { meta: "m" }),
    /^"meta" must be an object, got string "m"$/,
  ),
  quarantined(
    "an event with neither meta.dt nor timestamp",
    event("no-time", { "meta.dt": DELETE }),
    /^missing both "meta\.dt" and "timestamp"$/,
  ),
  ...BAD_DTS.map((dt) =>
    quarantined(
      `an unparseable meta.dt ${JSON.stringify(dt)}`,
      event(`dt-${dt}`, { "meta.dt": dt }),
      /^"meta\.dt" is not an ISO-8601 date-time with Z or ±hh:mm offset: string /,
    )
  ),
  kept("an event timed only by timestamp", event("ts-only", { "meta.dt": DELETE, timestamp: T / 1000 })),
  wrongType("namespace", "0", /^"namespace" must be an integer, got string "0"$/),
  wrongType("user", 42, /^"user" must be a string, got number 42$/),
  wrongType("meta.id", 7, /^"meta\.id" must be a string, got number 7$/),
  wrongType("title", ["A"], /^"title" must be a string, got an array$/),
  wrongType("bot", "false", /^"bot" must be a boolean, got string "false"$/),
  wrongType("minor", 1, /^"minor" must be a boolean, got number 1$/),
  wrongType("comment", 5, /^"comment" must be a string, got number 5$/),
  wrongType("length", "100", /^"length" must be an object, got string "100"$/),
  wrongType("length.new", "5", /^"length\.new" must be an integer, got string "5"$/),
  wrongType("revision.new", 1.5, /^"revision\.new" must be an integer, got number 1\.5$/),
  wrongType("meta.dt", 1767225600, /^"meta\.dt" must be a string, got number 1767225600$/),
  wrongType("namespace", 2 ** 40, /^"namespace" 1099511627776 does not fit 32 bits$/),
  kept("a length with only its new side", event("len-new", { length: { new: 120 } })),
  kept("a length with only its old side", event("len-old", { length: { old: 80 } })),
  quarantined(
    "an unknown type",
    event("ping", { type: "ping" }),
    /^unknown change type "ping" \(expected one of edit, new, log/,
  ),
  {
    name: "a canary",
    stream: sseFrame(event("c1", { "meta.domain": "canary" }), offsetId(1)),
    place: "canary",
  },
  { name: "a broken canary", stream: sseFrame('{"meta":{"domain":"canary"}}'), place: "canary" },
  {
    name: "a canary spelled with JSON escapes",
    stream: sseFrame('{"meta":{"domain":"\\u0063anary"}}'),
    place: "canary",
  },
  { name: "comments and keep-alives", stream: ":ok\n\n: keep-alive\n\n:\n\n", place: "nothing" },
  kept("an event whose id line is not JSON", event("id-text"), "not json at all"),
  kept("an event whose id is a JSON object", event("id-object"), '{"topic":"t","partition":0}'),
  kept(
    "an event whose id has only -1 placeholders",
    event("id-placeholder"),
    '[{"topic":"t","partition":0,"offset":-1}]',
  ),
  kept("an event without an id line", event("id-none"), null),
  {
    name: "invalid UTF-8 inside a string",
    stream: bytes(`data: ${UTF8_HEAD}"Caf`, [0xc3, 0xff], `"${UTF8_TAIL}\n\n`),
    place: "silver",
  },
  {
    name: "invalid UTF-8 outside strings",
    stream: bytes('data: {"meta":', [0xff, 0xfe], "}\n\n"),
    place: "quarantine",
    reason: /^not valid JSON: /,
  },
  kept("an event over the queue's 128 KB limit", event("huge", { comment: "x".repeat(200_000) })),
  quarantined(
    "text over the queue's 128 KB limit that is not JSON",
    "{".repeat(200_000),
    /^not valid JSON: /,
  ),
];

const placesOf = (flow: CoreFlow) => ({
  silver: flow.counts.silver,
  quarantine: flow.counts.quarantine,
  canary: flow.counts.canary,
  duplicate: flow.counts.duplicate,
});

describe("the bad-input catalogue, one input at a time", () => {
  it.each(CASES)("$name ends up in $place", ({ stream, place, reason }) => {
    const flow = new CoreFlow();
    flow.run(stream, [], T);
    const expected = { silver: 0, quarantine: 0, canary: 0, duplicate: 0 };
    if (place !== "nothing") expected[place] = 1;
    expect(placesOf(flow)).toEqual(expected);
    expect(flow.counts.received).toBe(place === "nothing" ? 0 : 1);
    expect(flow.counts.bronze).toBe(flow.counts.received - flow.counts.canary);
    if (reason) expect(flow.quarantine[0].reason).toMatch(reason);
    else expect(flow.quarantine).toEqual([]);
    if (place === "silver") expect(flow.silver[0].event_id).toBe(flow.bronze[0].event_key);
  });

  it("passes comments and keep-alives to onComment, and reports a frame cut before its blank line", () => {
    const comments = new CoreFlow().run(":ok\n\n: keep-alive\n\n:\n\n");
    expect(comments).toEqual({ frames: [], comments: ["ok", "keep-alive", ""], discarded: null });
    const cut = new CoreFlow();
    const read = cut.run(`id: ${offsetId(1)}\ndata: ${event("cut")}\n`);
    expect(read.frames).toEqual([]);
    expect(read.discarded).toEqual({ id: offsetId(1), event: "message", data: event("cut") });
    expect(cut.counts.received).toBe(0); // not lost: the resume id stays before it, so it is read again
  });

  it("keeps the replaced bytes as U+FFFD in the raw text and in the title", () => {
    const flow = new CoreFlow();
    flow.run(CASES.find((c) => c.name === "invalid UTF-8 inside a string")!.stream);
    expect(flow.silver[0].page_title).toBe("Caf\uFFFD\uFFFD");
    expect(flow.bronze[0].raw_json).toContain("Caf\uFFFD\uFFFD");
  });

  it("counts a missing length side as 0 bytes", () => {
    const flow = new CoreFlow();
    flow.run(sseFrame(event("a", { length: { new: 120 } })) + sseFrame(event("b", { length: { old: 80 } })));
    expect(flow.silver.map((r) => r.bytes_diff)).toEqual([120, -80]);
  });

  it("gives bronze no position, but the meta.dt time, when the id is not the expected JSON", () => {
    const ids = [
      "not json at all",
      '{"topic":"t","partition":0}',
      "[]",
      '[{"topic":"t","partition":0,"offset":-1}]',
    ];
    for (const id of ids) {
      const flow = new CoreFlow();
      flow.run(sseFrame(event("e"), id), [], T + 5);
      const position = { event_key: "e", topic: null, partition: null, offset: null, kafka_timestamp: T };
      expect(flow.bronze).toEqual([expect.objectContaining(position)]);
    }
  });
});

describe("events over the Queue's 128 KB message limit", () => {
  const huge: RawEvent = {
    sse_id: offsetId(1),
    data: event("huge", { comment: "é".repeat(70_000) }),
    received_at: T,
  };
  const small: RawEvent = { sse_id: offsetId(2), data: event("small"), received_at: T };

  it("are oversized by their UTF-8 bytes, and packing refuses them until spilled", () => {
    expect(isOversized(huge, MAX_MESSAGE_BYTES)).toBe(true);
    expect(isOversized(small, MAX_MESSAGE_BYTES)).toBe(false);
    expect(() => packMessages([small, huge], { newBatchId: () => "b" })).toThrow(/Event 1 .* spill it/);
  });

  it("are spilled by the ingestor, packed under the limit and loaded back by the consumer", () => {
    const flow = new CoreFlow();
    const messages = flow.ingest([{ id: huge.sse_id, event: "message", data: huge.data }], T);
    expect(flow.counts.spilled).toBe(1);
    expect(messages.every((m) => messageSize(m) <= 128 * 1024)).toBe(true);
    flow.consume(messages);
    expect(flow.silver.map((r) => r.comment?.length)).toEqual([70_000]);
    expect(flow.bronze[0].raw_json).toBe(huge.data);
  });
});

describe("the whole catalogue in one stream", () => {
  const input = CASES.map((c) => (typeof c.stream === "string" ? encoder.encode(c.stream) : c.stream));
  const resent = encoder.encode(sseFrame(event("len-new", { length: { new: 120 } }), offsetId(999)));
  const stream = bytes(...[...input, resent].map((b) => [...b]));
  const expect1 = (place: Place) => CASES.filter((c) => c.place === place).length;

  it("puts each source event in exactly one place and the counts reconcile", () => {
    const flow = new CoreFlow();
    flow.run(stream, [], T);
    const { received, canary, bronze, silver, quarantine, duplicate } = flow.counts;
    expect({ silver, quarantine, canary, duplicate }).toEqual({
      silver: expect1("silver"),
      quarantine: expect1("quarantine"),
      canary: expect1("canary"),
      duplicate: 1,
    });
    expect(flow.counts.rereads).toBe(0);
    expect(flow.counts.spilled).toBe(2);
    expect(received - canary).toBe(bronze);
    expect(bronze).toBe(silver + quarantine + duplicate);
    const placed = [
      ...flow.silver.map((r) => r.event_id),
      ...flow.quarantine.map((r) => r.event_key),
      ...flow.duplicateIds,
    ];
    expect(placed.sort()).toEqual(flow.bronze.map((r) => r.event_key).sort());
  });

  it("gives the same result read one byte at a time, and a redelivery adds nothing", () => {
    const whole = new CoreFlow();
    whole.run(stream, [], T);
    const bytewise = new CoreFlow();
    const read = readConnection(splitAt(stream, Array.from({ length: stream.length }, (_, i) => i)));
    const messages = bytewise.ingest(read.frames, T);
    bytewise.consume(messages);
    bytewise.consume(messages);
    expect(bytewise.counts).toEqual(whole.counts);
    expect(bytewise.silver).toEqual(whole.silver);
    expect(bytewise.quarantine).toEqual(whole.quarantine);
  });
});
