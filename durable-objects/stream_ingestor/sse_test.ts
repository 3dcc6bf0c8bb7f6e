import fs from "node:fs";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  createSseReader,
  eventPosition,
  parseSseId,
  type SseEvent,
  type SsePosition,
  utf8Length,
} from "./sse.ts";

const SSE_FILE = new URL("../../../shared/data/recentchange-2026-06-20.sse", import.meta.url);
const recording = new Uint8Array(fs.readFileSync(SSE_FILE));
const encoder = new TextEncoder();

/** Feeds `chunks` to a fresh reader; returns the emitted frames, the comments and the end report. */
function read(chunks: Iterable<Uint8Array | string>) {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const reader = createSseReader((e) => events.push(e), (c) => comments.push(c));
  for (const chunk of chunks) reader.push(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
  return { events, comments, end: reader.end() };
}

/** Cuts `bytes` at the given positions (sorted, deduplicated). */
function cut(bytes: Uint8Array, positions: number[]): Uint8Array[] {
  const points = [...new Set(positions)].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

describe("createSseReader() on the real recording", () => {
  const whole = read([recording]);

  it("yields 383 frames: the unterminated 384th is not emitted", () => {
    expect(whole.events).toHaveLength(383);
    expect(whole.events.every((e) => e.event === "message")).toBe(true);
    expect(whole.events.every((e) => typeof JSON.parse(e.data).meta.id === "string")).toBe(true);
  });

  it("reports the discarded last frame and its size at end()", () => {
    const lastData = new TextDecoder().decode(recording).trimEnd().split("\n").at(-1)!.slice("data: ".length);
    expect(whole.end.discarded?.data).toBe(lastData);
    expect(whole.end.discarded?.id).toContain('"timestamp":1781970598059');
    expect(whole.end.discardedBytes).toBe(encoder.encode(lastData).length);
  });

  it("gives every frame its id line; events of the same millisecond share one", () => {
    expect(whole.events.every((e) => e.id !== null)).toBe(true);
    expect(new Set(whole.events.map((e) => e.id)).size).toBe(375);
    expect(new Set(whole.events.map((e) => `${e.id}\n${JSON.parse(e.data).meta.id}`)).size).toBe(383);
    expect(whole.events[0].id).toBe(
      '[{"topic":"eqiad.mediawiki.recentchange","partition":0,"timestamp":1781970588989},' +
        '{"topic":"codfw.mediawiki.recentchange","partition":0,"offset":-1}]',
    );
  });

  it("yields the same frames when fed one byte at a time (cuts inside multi-byte characters)", () => {
    const bytes = Array.from({ length: recording.length }, (_, i) => recording.subarray(i, i + 1));
    expect(read(bytes)).toEqual(whole);
  });

  it("yields the same frames wherever the chunk boundaries fall", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: recording.length }), { maxLength: 200 }), (points) => {
        expect(read(cut(recording, points))).toEqual(whole);
      }),
      { numRuns: 60 },
    );
  });

  it("emits the last frame too once the stream ends with its blank line", () => {
    const { events, end } = read([recording, "\n"]);
    expect(events).toHaveLength(384);
    expect(end).toEqual({ discarded: null, discardedBytes: 0 });
  });
});

describe("createSseReader() framing rules", () => {
  it("joins multi-line data with newlines and strips one space after the colon", () => {
    const { events } = read(["data: a\ndata:b\ndata:  c\ndata\n\n"]);
    expect(events).toEqual([{ id: null, event: "message", data: "a\nb\n c\n" }]);
  });

  it.each([
    ["LF", "\n"],
    ["CRLF", "\r\n"],
    ["CR", "\r"],
  ])("accepts %s line endings", (_name, eol) => {
    const text = ["id: 1", "event: e", "data: x", "", "data: y", "", ""].join(eol);
    expect(read([text]).events).toEqual([
      { id: "1", event: "e", data: "x" },
      { id: null, event: "message", data: "y" },
    ]);
  });

  it("treats a CRLF split across chunks as one line ending, not a blank line", () => {
    expect(read(["data: a\r", "\ndata: b\r", "\n\r", "\n"]).events).toEqual([
      { id: null, event: "message", data: "a\nb" },
    ]);
  });

  it("decodes a multi-byte character split across chunks", () => {
    const bytes = encoder.encode("data: é🙂\n\n");
    for (let i = 0; i <= bytes.length; i++) {
      expect(read([bytes.subarray(0, i), bytes.subarray(i)]).events).toEqual([
        { id: null, event: "message", data: "é🙂" },
      ]);
    }
  });

  it("turns invalid UTF-8 into U+FFFD instead of failing", () => {
    const bytes = new Uint8Array([...encoder.encode("data: a"), 0xff, 0xc3, ...encoder.encode("b\n\n")]);
    expect(read([bytes]).events).toEqual([{ id: null, event: "message", data: "a\uFFFD\uFFFDb" }]);
  });

  it("replaces an incomplete character at end of stream and still discards the frame", () => {
    const { events, end } = read([new Uint8Array([...encoder.encode("data: x"), 0xe2, 0x82])]);
    expect(events).toEqual([]);
    expect(end.discarded).toEqual({ id: null, event: "message", data: "x\uFFFD" });
  });

  it("ignores comments and keep-alives, passing them to onComment", () => {
    const { events, comments } = read([":ok\n\n: keep-alive\n\ndata: x\n: inside\n\n:\n\n"]);
    expect(events).toEqual([{ id: null, event: "message", data: "x" }]);
    expect(comments).toEqual(["ok", "keep-alive", "inside", ""]);
  });

  it("does not emit frames without data, and keeps the id per frame (not sticky)", () => {
    const { events } = read(["id: 7\n\nid: 8\ndata: a\n\ndata: b\n\nid:\ndata: c\n\nid: x\0y\ndata: d\n\n"]);
    expect(events.map((e) => [e.id, e.data])).toEqual([["8", "a"], [null, "b"], ["", "c"], [null, "d"]]);
  });

  it("ignores unknown fields and retry lines", () => {
    expect(read(["foo: 1\nretry: 10\nretry: x\ndata: a\nDATA: b\n\n"]).events).toEqual([
      { id: null, event: "message", data: "a" },
    ]);
  });

  it("strips one leading byte-order mark, even split across chunks", () => {
    const bytes = encoder.encode("\uFEFFdata: a\n\n");
    expect(read([bytes.subarray(0, 1), bytes.subarray(1, 2), bytes.subarray(2)]).events[0].data).toBe("a");
    expect(read(["\uFEFF\uFEFFdata: a\n\n"]).events).toEqual([]); // the 2nd BOM makes the field unknown
  });

  it("discards an unterminated frame whose last line is complete, and can be reused after end()", () => {
    const events: SseEvent[] = [];
    const reader = createSseReader((e) => events.push(e));
    reader.push(encoder.encode("data: a\n\ndata: b\n"));
    expect(reader.end()).toEqual({ discarded: { id: null, event: "message", data: "b" }, discardedBytes: 1 });
    reader.push(encoder.encode("data: c\r"));
    expect(reader.end().discarded?.data).toBe("c");
    reader.push(encoder.encode("\uFEFFdata: d\n\n"));
    expect(reader.end().discarded).toBeNull();
    expect(events.map((e) => e.data)).toEqual(["a", "d"]);
  });

  it("never throws on random bytes in random chunks", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const { events, end } = read(chunks);
        for (const e of [...events, ...(end.discarded ? [end.discarded] : [])]) {
          expect(typeof e.data).toBe("string");
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("round-trips any generated frames, with any line ending and chunking", () => {
    const noBreak = (s: string) => !/[\r\n]/.test(s);
    const text = fc.string({ unit: "grapheme", maxLength: 12 }).filter(noBreak);
    const frame = fc.record({
      id: fc.option(text.filter((s) => !s.includes("\0")), { nil: null }),
      event: fc.option(text.filter((s) => s !== ""), { nil: null }),
      lines: fc.array(text, { minLength: 1, maxLength: 3 }),
      comment: fc.option(text, { nil: null }),
    });
    fc.assert(
      fc.property(
        fc.array(frame, { maxLength: 8 }),
        fc.constantFrom("\n", "\r\n", "\r"),
        fc.array(fc.nat(), { maxLength: 10 }),
        (frames, eol, points) => {
          const body = frames.map((f) =>
            [
              ...(f.comment === null ? [] : [`:${f.comment}`]),
              ...(f.id === null ? [] : [`id: ${f.id}`]),
              ...(f.event === null ? [] : [`event: ${f.event}`]),
              ...f.lines.map((l) => `data: ${l}`),
              "",
            ].map((l) => l + eol).join("")
          ).join("");
          const bytes = encoder.encode(body);
          const { events, end } = read(cut(bytes, points.map((p) => p % (bytes.length + 1))));
          expect(events).toEqual(
            frames.map((f) => ({ id: f.id, event: f.event ?? "message", data: f.lines.join("\n") })),
          );
          expect(end.discarded).toBeNull();
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("utf8Length()", () => {
  it("counts like TextEncoder for well-formed text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => utf8Length(s) === encoder.encode(s).length),
    );
    expect(utf8Length("a\uD800b")).toBe(5); // a lone surrogate is encoded as U+FFFD
  });
});

describe("parseSseId()", () => {
  it("parses every id of the recording into an eqiad timestamp entry and a codfw placeholder", () => {
    for (const { id, data } of read([recording]).events) {
      const parsed = parseSseId(id);
      if (!parsed.ok) throw new Error(parsed.reason);
      const [eqiad, codfw] = parsed.entries;
      expect(eqiad).toEqual({
        topic: "eqiad.mediawiki.recentchange",
        partition: 0,
        offset: null,
        timestamp: Date.parse(JSON.parse(data).meta.dt) + 1,
      });
      expect(codfw).toEqual({
        topic: "codfw.mediawiki.recentchange",
        partition: 0,
        offset: -1,
        timestamp: null,
      });
      expect(eventPosition(parsed.entries)).toBe(eqiad);
    }
  });

  it("parses offset ids", () => {
    expect(parseSseId('[{"topic":"t","partition":3,"offset":0,"timestamp":null}]')).toEqual({
      ok: true,
      entries: [{ topic: "t", partition: 3, offset: 0, timestamp: null }],
    });
  });

  it.each([
    [null, /no id/],
    ["", /not JSON/],
    ["nope", /not JSON/],
    ['{"topic":"t"}', /not a JSON array/],
    ["[]", /empty/],
    ["[1]", /entry 0 is not an object/],
    ['[{"partition":0,"offset":1}]', /no topic/],
    ['[{"topic":"t","partition":-1,"offset":1}]', /partition/],
    ['[{"topic":"t","partition":"0","offset":1}]', /partition/],
    ['[{"topic":"t","partition":0.5,"offset":1}]', /partition/],
    ['[{"topic":"t","partition":0,"offset":"5"}]', /non-integer offset/],
    ['[{"topic":"t","partition":0,"timestamp":1.5}]', /non-integer timestamp/],
    ['[{"topic":"t","partition":0}]', /neither offset nor timestamp/],
    ['[{"topic":"t","partition":0,"offset":1},{"topic":"u"}]', /entry 1/],
  ])("rejects %j", (id, reason) => {
    const result = parseSseId(id);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe("eventPosition()", () => {
  const p = (topic: string, offset: number | null, timestamp: number | null = null): SsePosition => ({
    topic,
    partition: 0,
    offset,
    timestamp,
  });

  it("skips the -1 placeholders and takes the first identifying entry", () => {
    expect(eventPosition([p("a", -1), p("b", 0)])).toEqual(p("b", 0));
    expect(eventPosition([p("a", 5), p("b", 7)])).toEqual(p("a", 5));
    expect(eventPosition([p("a", -1, 1000)])).toEqual(p("a", -1, 1000));
  });

  it("prefers the entry of the event's own topic", () => {
    expect(eventPosition([p("a", 5), p("b", 7)], "b")).toEqual(p("b", 7));
    expect(eventPosition([p("a", 5), p("b", -1)], "b")).toEqual(p("a", 5));
  });

  it("returns null when no entry identifies the event", () => {
    expect(eventPosition([])).toBeNull();
    expect(eventPosition([p("a", -1), p("b", -1)])).toBeNull();
  });
});
