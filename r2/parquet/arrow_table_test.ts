import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Utf8, Vector } from "apache-arrow";
import { BRONZE } from "../tables/schemas.ts";
import type { BronzeRow } from "../tables/rows.ts";
import { buildArrowTable } from "./arrow_table.ts";

const encoder = new TextEncoder();

function bronzeRows(texts: readonly string[]): BronzeRow[] {
  return texts.map((raw_json, i) => ({
    event_key: `k${i}`,
    raw_json,
    topic: null,
    partition: null,
    offset: null,
    kafka_timestamp: null,
    ingestion_time: 0,
  }));
}

describe("buildArrowTable", () => {
  it("stores every string as its UTF-8 bytes, short or long, ASCII or not, in any order", () => {
    const text = fc.oneof(
      fc.string({ unit: "binary-ascii", maxLength: 80 }),
      fc.string({ unit: "binary", maxLength: 80 }),
      fc.string({ unit: "grapheme", maxLength: 40 }),
      // Characters at the edges of ASCII and of each UTF-8 length, a lone surrogate included.
      fc.string({
        unit: fc.constantFrom("a", "\u007f", "\u0080", "ÿ", "Ω", "\u07ff", "✓", "😀", "\ud800"),
        maxLength: 70,
      }),
      fc.tuple(
        fc.string({ unit: "binary-ascii", maxLength: 60 }),
        fc.string({ unit: "binary", maxLength: 8 }),
      )
        .map(([a, b]) => a + b),
    );
    fc.assert(fc.property(fc.array(text, { maxLength: 40 }), (texts) => {
      const column = buildArrowTable(BRONZE, bronzeRows(texts)).getChild("raw_json") as Vector<Utf8>;
      const data = column.data[0];
      const expected = texts.map((t) => encoder.encode(t));
      expect(Array.from(data.valueOffsets)).toEqual(
        expected.reduce((offsets, bytes) => [...offsets, offsets.at(-1)! + bytes.length], [0]),
      );
      expect(data.values).toEqual(new Uint8Array(expected.flatMap((bytes) => [...bytes])));
    }));
  });

  it("numbers a bad value's row from `firstRow`", () => {
    const rows = bronzeRows(["{}", "{}"]);
    (rows[1] as unknown as Record<string, unknown>).raw_json = 7;
    expect(() => buildArrowTable(BRONZE, rows, 100)).toThrow(
      "Row 101: column raw_json (string) needs a string, got 7",
    );
  });
});
