import { describe, expect, it } from "vitest";
import { BRONZE, SILVER } from "../tables/schemas.ts";
import type { AnyRow, BronzeRow } from "../tables/rows.ts";
import { sampleRows } from "../testing/sample_rows.ts";
import { estimateRowBytes, sliceRowChunks } from "./row_chunks.ts";

function bronzeRow(i: number, rawChars: number): BronzeRow {
  return {
    event_key: `k${i}`,
    raw_json: "x".repeat(rawChars),
    topic: null,
    partition: null,
    offset: i,
    kafka_timestamp: null,
    ingestion_time: 0,
  };
}

describe("estimateRowBytes", () => {
  it("counts a string by its length and every other value, null included, as 8 bytes", () => {
    // event_key "k1" (2) + raw_json (100) + topic null, partition null, offset, kafka_timestamp null, ingestion_time.
    expect(estimateRowBytes(BRONZE, bronzeRow(1, 100))).toBe(2 + 100 + 5 * 8);
  });
});

describe("sliceRowChunks", () => {
  it("keeps every row once, in order, in slices within the row and byte limits", () => {
    const rows = sampleRows(SILVER, 1_000, 0);
    const limits = { maxRows: 64, maxBytes: 4_000 };
    const chunks = [...sliceRowChunks(SILVER, rows, limits)];
    expect(chunks.flat()).toEqual(rows);
    for (const chunk of chunks) {
      expect(chunk.length).toBeGreaterThan(0);
      expect(chunk.length).toBeLessThanOrEqual(limits.maxRows);
      expect(chunk.reduce((n, r) => n + estimateRowBytes(SILVER, r), 0)).toBeLessThanOrEqual(limits.maxBytes);
    }
  });

  it("cuts by bytes when rows are large and by rows when they are small", () => {
    const large = Array.from({ length: 10 }, (_, i) => bronzeRow(i, 1_000));
    expect([...sliceRowChunks(BRONZE, large, { maxRows: 100, maxBytes: 3_500 })].map((c) => c.length))
      .toEqual([3, 3, 3, 1]);
    const small = Array.from({ length: 10 }, (_, i) => bronzeRow(i, 1));
    expect([...sliceRowChunks(BRONZE, small, { maxRows: 4, maxBytes: 1_000_000 })].map((c) => c.length))
      .toEqual([4, 4, 2]);
  });

  it("gives a row larger than the byte limit a slice of its own", () => {
    const rows = [bronzeRow(0, 10), bronzeRow(1, 50_000), bronzeRow(2, 10)];
    const chunks = [...sliceRowChunks(BRONZE, rows, { maxRows: 100, maxBytes: 1_000 })];
    expect(chunks.map((c) => c.map((r) => (r as BronzeRow).event_key))).toEqual([["k0"], ["k1"], ["k2"]]);
  });

  it("yields nothing for no rows", () => {
    expect([...sliceRowChunks(BRONZE, [] as AnyRow[], { maxRows: 1, maxBytes: 1 })]).toEqual([]);
  });

  it("rejects limits below one, stating them", () => {
    expect(() => [...sliceRowChunks(BRONZE, [], { maxRows: 0, maxBytes: 10 })]).toThrow(
      'Row chunk limits must be at least 1, got {"maxRows":0,"maxBytes":10}',
    );
  });
});
