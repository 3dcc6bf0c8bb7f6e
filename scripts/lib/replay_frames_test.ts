import assert from "node:assert/strict";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import fc from "fast-check";
import { DEFAULT_FILES } from "./recordings.ts";
import {
  encodeFrame,
  makeEventId,
  parseIdKeys,
  parseJsonlRecording,
  parseSseRecording,
  type ReplayFrame,
} from "./replay_frames.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const [JSONL_2025, JSONL_2026, SSE_2026] = DEFAULT_FILES;

/** Parses SSE text the way the product does (spec-following `eventsource-parser`). */
function parseWithSpecParser(text: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  parser.feed(text);
  return events;
}

function encodeAll(frames: ReplayFrame[]): string {
  return frames.map((frame) => decoder.decode(encodeFrame(frame))).join("");
}

Deno.test("the .sse recording yields 384 frames because end of file ends the unterminated last frame", async () => {
  const bytes = await Deno.readFile(SSE_2026);
  const frames = parseSseRecording(bytes);
  assert.equal(frames.length, 384);
  // A spec-following parser of the raw file drops the unterminated last frame: 383.
  assert.equal(parseWithSpecParser(decoder.decode(bytes)).length, 383);
  const last = JSON.parse(decoder.decode(frames[383].data));
  assert.equal(typeof last.meta.id, "string");
});

Deno.test("recorded .sse frames keep their own ids and data verbatim", async () => {
  const text = await Deno.readTextFile(SSE_2026);
  const frames = parseSseRecording(encoder.encode(text));
  const recordedIds = text.split("\n").filter((l) => l.startsWith("id: ")).map((l) => l.slice(4));
  const recordedData = text.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
  assert.deepEqual(frames.map((f) => f.id), recordedIds);
  assert.deepEqual(frames.map((f) => decoder.decode(f.data)), recordedData);
  for (const frame of frames) {
    const event = JSON.parse(decoder.decode(frame.data));
    assert.equal(frame.eventTimeMs, Date.parse(event.meta.dt));
    // Only the eqiad timestamp entry is a position; the codfw offset -1 entry is not.
    assert.deepEqual(frame.keys, [{
      topic: "eqiad.mediawiki.recentchange",
      partition: 0,
      timestamp: frame.eventTimeMs! + 1,
    }]);
  }
});

Deno.test("re-encoded .sse frames parse back to the recorded events, all 384", async () => {
  const frames = parseSseRecording(await Deno.readFile(SSE_2026));
  const events = parseWithSpecParser(encodeAll(frames));
  assert.equal(events.length, 384);
  assert.deepEqual(events.map((e) => e.id), frames.map((f) => f.id));
  assert.ok(events.every((e) => e.event === "message"));
});

Deno.test("a .jsonl event with meta.offset gets an offset id written like Wikimedia's", async () => {
  const frames = parseJsonlRecording(await Deno.readFile(JSONL_2025));
  assert.equal(frames.length, 144);
  assert.equal(frames[0].id, '[{"topic":"eqiad.mediawiki.recentchange","partition":0,"offset":5559405228}]');
  const codfw = parseJsonlRecording(await Deno.readFile(JSONL_2026));
  assert.equal(codfw[0].id, '[{"topic":"codfw.mediawiki.recentchange","partition":0,"offset":2015394065}]');
  assert.deepEqual(codfw[0].keys, [{
    topic: "codfw.mediawiki.recentchange",
    partition: 0,
    offset: 2015394065,
  }]);
});

Deno.test("a .jsonl event without meta.offset gets a timestamp id from meta.dt", () => {
  assert.equal(
    makeEventId({ meta: { dt: "2026-01-01T00:00:00.123Z" } }, 0),
    '[{"topic":"eqiad.mediawiki.recentchange","partition":0,"timestamp":1767225600123}]',
  );
  assert.equal(
    makeEventId(
      { meta: { topic: "codfw.mediawiki.recentchange", partition: 3, dt: "2025-05-03T07:46:19Z" } },
      0,
    ),
    '[{"topic":"codfw.mediawiki.recentchange","partition":3,"timestamp":1746258379000}]',
  );
  // No parseable meta.dt: `timestamp` seconds, else the fallback (the previous line's time).
  assert.equal(
    makeEventId({ meta: { dt: "garbage" }, timestamp: 1767225600 }, 5),
    makeEventId({ meta: { dt: "2026-01-01T00:00:00Z" } }, 0),
  );
  assert.equal(
    makeEventId({}, 42),
    '[{"topic":"eqiad.mediawiki.recentchange","partition":0,"timestamp":42}]',
  );
});

Deno.test("lines that are not JSON objects are kept byte for byte with a replay.invalid id", () => {
  const invalidUtf8 = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0xfe, 0x28]);
  const good = encoder.encode('{"meta":{"offset":7,"dt":"2026-01-01T00:00:00Z"}}');
  const bytes = concat([good, encoder.encode("\n\n   \n"), invalidUtf8, encoder.encode("\r\n[1,2]\n42")]);
  const frames = parseJsonlRecording(bytes, 2);
  assert.equal(frames.length, 4);
  assert.deepEqual(frames[1].data, invalidUtf8);
  assert.equal(frames[1].id, '[{"topic":"replay.invalid","partition":2,"offset":3}]');
  assert.equal(frames[2].id, '[{"topic":"replay.invalid","partition":2,"offset":4}]');
  assert.equal(decoder.decode(frames[3].data), "42");
  assert.equal(frames[1].eventTimeMs, null);
  // The invalid bytes reach the wire unchanged.
  const wire = encodeFrame(frames[1]);
  assert.deepEqual(wire.subarray(wire.length - invalidUtf8.length - 2, wire.length - 2), invalidUtf8);
});

Deno.test("data with line breaks is split into several data: lines", () => {
  const wire = decoder.decode(encodeFrame({ id: "[]", data: encoder.encode("a\nb\r\nc\rd") }));
  assert.equal(wire, "event: message\nid: []\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
  assert.equal(parseWithSpecParser(wire)[0].data, "a\nb\nc\nd");
});

Deno.test("the SSE reader handles CRLF, comments, multi-line data and frames without id", () => {
  const text =
    ':ok\r\n\r\nevent: message\r\nid: [{"topic":"t","partition":1,"offset":9}]\r\ndata: {"x":\r\ndata: 1}\r\n\r\n' +
    'data: {"meta":{"offset":3,"topic":"u","partition":0}}\n\n';
  const frames = parseSseRecording(encoder.encode(text));
  assert.equal(frames.length, 2);
  assert.equal(decoder.decode(frames[0].data), '{"x":\n1}');
  assert.deepEqual(frames[0].keys, [{ topic: "t", partition: 1, offset: 9 }]);
  assert.equal(frames[1].id, '[{"topic":"u","partition":0,"offset":3}]');
});

Deno.test("the edge-case fixture parses into its five frames", async () => {
  const bytes = await Deno.readFile(new URL("../../testdata/replay-edge-cases.sse", import.meta.url));
  const frames = parseSseRecording(bytes);
  assert.equal(
    parseWithSpecParser(decoder.decode(bytes)).length,
    4,
    "a spec parser drops the unterminated frame",
  );
  assert.equal(frames.length, 5);
  assert.equal(
    decoder.decode(frames[1].data),
    '{"meta":{"id":"a2","dt":"2026-01-01T00:00:01.000Z","offset":2},\n"type":"edit"}',
  );
  assert.equal(frames[2].id, '[{"topic":"codfw.mediawiki.recentchange","partition":0,"offset":3}]');
  assert.equal(decoder.decode(frames[3].data), '{"meta": truncated');
  assert.equal(frames[3].id, '[{"topic":"eqiad.mediawiki.recentchange","partition":0,"offset":4}]');
  assert.deepEqual(frames[4].keys, [{
    topic: "eqiad.mediawiki.recentchange",
    partition: 0,
    timestamp: 1767225604001,
  }]);
  assert.deepEqual(
    frames.map((f) => f.eventTimeMs),
    [0, 1000, 2000, null, 4000].map((ms) => (ms === null ? null : 1767225600000 + ms)),
  );
});

Deno.test("ids that are not position arrays give no resume keys", () => {
  assert.deepEqual(parseIdKeys("nope"), []);
  assert.deepEqual(parseIdKeys('{"topic":"t"}'), []);
  assert.deepEqual(parseIdKeys('[{"topic":"t","partition":0,"offset":-1}]'), []);
});

Deno.test("any .jsonl content survives parse, encode and a spec parser (property)", () => {
  const line = fc.string({ unit: "binary", maxLength: 40 }).filter((s) =>
    !/[\r\n]/.test(s) && s.trim() !== ""
  );
  fc.assert(fc.property(fc.array(line, { minLength: 1, maxLength: 20 }), (lines) => {
    const frames = parseJsonlRecording(encoder.encode(lines.join("\n")));
    const events = parseWithSpecParser(encodeAll(frames));
    assert.deepEqual(events.map((e) => e.data), lines.map((l) => decoder.decode(encoder.encode(l))));
  }));
});

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
