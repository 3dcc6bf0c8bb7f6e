/**
 * Property tests of the SSE reader (issue 6): arbitrary bytes never make it throw and give the
 * same frames however the stream is chunked; generated streams (mixed CR/LF/CRLF, comments,
 * keep-alives, multi-byte and invalid text, a BOM) come back frame for frame from any chunking;
 * and a stream cut at random byte offsets and resumed after the last complete frame's id loses
 * and repeats nothing.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createSseReader, parseSseId, type SseEndResult, type SseEvent } from "./sse.ts";
import { readConnection, splitAt } from "../../test/core/core_flow.ts";

const encoder = new TextEncoder();
// ignoreBOM: a U+FEFF that starts a string is data, not a byte-order mark to strip.
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const EOLS = ["\n", "\r", "\r\n"] as const;

/** Every frame and comment of one read, plus what `end()` reported. */
function readAll(
  chunks: readonly Uint8Array[],
): { frames: SseEvent[]; comments: string[]; end: SseEndResult } {
  const frames: SseEvent[] = [];
  const comments: string[] = [];
  const reader = createSseReader((f) => frames.push(f), (c) => comments.push(c));
  for (const chunk of chunks) reader.push(chunk);
  return { frames, comments, end: reader.end() };
}

/** Cut positions anywhere in a stream of `length` bytes (mid-line and mid-character included). */
const cutsFor = (length: number) =>
  fc.array(fc.integer({ min: 0, max: Math.max(0, length) }), { maxLength: 24 });

/** What the text becomes after UTF-8 encoding and decoding (lone surrogates turn into U+FFFD). */
const wellFormed = (text: string) => decoder.decode(encoder.encode(text));

const lineText = fc.string({
  unit: fc.oneof(
    fc.constantFrom("é", "€", "𝄞", "ж", " ", ":"),
    fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  ),
  maxLength: 16,
})
  .map((s) => s.replace(/[\r\n]/g, ""));

interface GenFrame {
  comments: string[];
  id: string | null;
  event: string | null;
  lines: string[];
}

const genFrame: fc.Arbitrary<GenFrame> = fc.record({
  comments: fc.array(fc.oneof(fc.constant(" keep-alive"), fc.constant("ok"), lineText), { maxLength: 2 }),
  id: fc.option(lineText.map((s) => s.replaceAll("\0", "")), { nil: null }),
  event: fc.option(lineText.filter((s) => s !== ""), { nil: null }),
  lines: fc.array(lineText, { minLength: 1, maxLength: 3 }),
});

/** Encodes frames with a line ending picked per line (never a CR directly followed by an LF-ended blank line). */
function encodeFrames(frames: readonly GenFrame[], eolPicks: readonly number[], bom: boolean): string {
  let text = bom ? "\uFEFF" : "";
  let previous = "";
  let pick = 0;
  const line = (content: string) => {
    let eol = EOLS[(eolPicks[pick++ % Math.max(1, eolPicks.length)] ?? 0) % 3];
    if (previous === "\r" && content === "" && eol === "\n") eol = "\r\n"; // "\r" + "\n" would be one CRLF
    text += content + eol;
    previous = eol;
  };
  for (const f of frames) {
    for (const c of f.comments) line(`:${c}`);
    if (f.id !== null) line(`id: ${f.id}`);
    if (f.event !== null) line(`event: ${f.event}`);
    for (const l of f.lines) line(`data: ${l}`);
    line("");
  }
  return text;
}

describe("createSseReader() on arbitrary bytes", () => {
  it("never throws and yields the same frames, comments and end report however the bytes are chunked", () => {
    const stream = fc.uint8Array({ maxLength: 400 }).chain((bytes) =>
      fc.tuple(fc.constant(bytes), cutsFor(bytes.length))
    );
    const sseish = fc.array(
      fc.oneof(
        fc.constantFrom("data: ", "id: ", "event: ", ":", "\n", "\r", "\r\n", "data:x\n\n", "\uFEFF"),
        fc.string({ unit: "binary", maxLength: 4 }),
      ),
      { maxLength: 40 },
    ).map((parts) => encoder.encode(parts.join(""))).chain((bytes) =>
      fc.tuple(fc.constant(bytes), cutsFor(bytes.length))
    );
    fc.assert(
      fc.property(fc.oneof(stream, sseish), ([bytes, cuts]) => {
        const whole = readAll([bytes]);
        expect(readAll(splitAt(bytes, cuts))).toEqual(whole);
        expect(readAll([...bytes].map((b) => Uint8Array.of(b)))).toEqual(whole);
        for (const f of whole.frames) expect(f.data).toBe(wellFormed(f.data));
      }),
      { numRuns: 3000 },
    );
  });

  it("turns invalid UTF-8 into U+FFFD wherever the chunk boundary falls, keeping the frame", () => {
    // A stray continuation byte right after "<" is never valid; high bytes after it may or may not be.
    const invalid = fc.tuple(fc.integer({ min: 0x80, max: 0xbf }), fc.uint8Array({ maxLength: 5 }))
      .map(([first, rest]) => Uint8Array.from([first, ...rest.map((x) => 0x80 | x)]));
    fc.assert(
      fc.property(invalid, fc.nat(), (bad, at) => {
        const bytes = new Uint8Array([...encoder.encode("data: <"), ...bad, ...encoder.encode(">\n\n")]);
        const { frames } = readAll(splitAt(bytes, [at % bytes.length]));
        expect(frames).toHaveLength(1);
        expect(frames[0].data).toBe(decoder.decode(bytes).slice(6, -2));
        expect(frames[0].data).toMatch(/^<.*\uFFFD.*>$/su);
      }),
      { numRuns: 500 },
    );
  });
});

describe("createSseReader() on generated streams", () => {
  it("yields exactly the generated frames and comments, with any line endings and chunking", () => {
    const input = fc.record({
      frames: fc.array(genFrame, { maxLength: 8 }),
      eols: fc.array(fc.nat(2), { maxLength: 16 }),
      bom: fc.boolean(),
      unterminated: fc.option(genFrame, { nil: null }),
    }).chain((g) => {
      const text = encodeFrames(g.frames, g.eols, g.bom) +
        (g.unterminated ? encodeFrames([g.unterminated], [0], false).replace(/\n$/, "") : "");
      return fc.tuple(
        fc.constant(g),
        fc.constant(encoder.encode(text)),
        cutsFor(encoder.encode(text).length),
      );
    });
    fc.assert(
      fc.property(input, ([g, bytes, cuts]) => {
        const { frames, comments, end } = readAll(splitAt(bytes, cuts));
        const expected = (f: GenFrame) => ({
          id: f.id === null ? null : wellFormed(f.id),
          event: f.event === null ? "message" : wellFormed(f.event),
          data: f.lines.map(wellFormed).join("\n"),
        });
        expect(frames).toEqual(g.frames.map(expected));
        const all = [...g.frames, ...(g.unterminated ? [g.unterminated] : [])];
        expect(comments).toEqual(all.flatMap((f) => f.comments.map((c) => wellFormed(c).replace(/^ /, ""))));
        expect(end.discarded).toEqual(g.unterminated ? expected(g.unterminated) : null);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("a stream cut at random byte offsets and resumed by the last complete frame's id", () => {
  it("delivers every frame exactly once, in order", () => {
    const events = fc.array(lineText, { minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(
        events,
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 30 }),
        (datas, budgets) => {
          const serve = (from: number) =>
            encoder.encode(
              ":ok\n\n" + datas.slice(from).map((d, i) =>
                `id: [{"topic":"t","partition":0,"offset":${from + i}}]\ndata: ${d}\n\n`
              ).join(""),
            );
          const got: SseEvent[] = [];
          let next = 0;
          for (let connection = 0; next < datas.length; connection++) {
            const bytes = serve(next);
            // The last connection is not cut, so the loop always ends.
            const budget = connection < budgets.length ? budgets[connection] : bytes.length;
            const read = readConnection([bytes.subarray(0, Math.min(budget, bytes.length))]);
            got.push(...read.frames);
            const last = read.frames.at(-1);
            if (last) {
              const ids = parseSseId(last.id);
              next = ids.ok ? ids.entries[0].offset! + 1 : next;
            }
          }
          expect(got.map((f) => f.data)).toEqual(datas.map(wellFormed));
        },
      ),
      { numRuns: 500 },
    );
  });
});
