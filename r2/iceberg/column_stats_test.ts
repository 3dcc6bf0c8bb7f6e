import { describe, it } from "vitest";
import { BRONZE, GOLD, QUARANTINE, SILVER } from "../tables/schemas.ts";
import type { AnyRow, GoldRow } from "../tables/rows.ts";
import { sampleRows } from "../testing/sample_rows.ts";
import { computeColumnStats } from "./column_stats.ts";

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const str = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);

describe("computeColumnStats", () => {
  it("counts values including nulls, and nulls, per field id", ({ expect }) => {
    const rows = sampleRows(BRONZE, 12, 0);
    const stats = computeColumnStats(BRONZE, rows);
    expect(stats.value_counts).toEqual({ 1: 12, 2: 12, 3: 12, 4: 12, 5: 12, 6: 12, 7: 12 });
    expect(stats.null_value_counts[3]).toBe(
      rows.filter((r) => (r as { topic: unknown }).topic === null).length,
    );
    expect(stats.null_value_counts[1]).toBe(0);
    expect(stats.nan_value_counts).toEqual({});
  });

  it("bounds ints, longs and timestamps by their min and max non-null values", ({ expect }) => {
    const rows = sampleRows(BRONZE, 12, Date.UTC(1969, 11, 31));
    const stats = computeColumnStats(BRONZE, rows);
    const values = (name: string) =>
      rows.map((r) => (r as unknown as Record<string, number | null>)[name]).filter((v) =>
        v !== null
      ) as number[];
    expect(view(stats.lower_bounds[4]).getInt32(0, true)).toBe(Math.min(...values("partition")));
    expect(view(stats.upper_bounds[4]).getInt32(0, true)).toBe(Math.max(...values("partition")));
    expect(view(stats.lower_bounds[5]).getBigInt64(0, true)).toBe(BigInt(Math.min(...values("offset"))));
    expect(view(stats.upper_bounds[7]).getBigInt64(0, true)).toBe(
      BigInt(Math.max(...values("ingestion_time"))) * 1000n,
    );
    expect(view(stats.lower_bounds[7]).getBigInt64(0, true)).toBeLessThan(0n);
  });

  it("never uses NaN as a bound, counts NaN, and puts -0 below +0", ({ expect }) => {
    const base = sampleRows(GOLD, 1, 0)[0] as GoldRow;
    const rows: AnyRow[] = [Number.NaN, 0, -0, 2.5, Number.NaN].map((v) => ({
      ...base,
      avg_bytes_per_edit: v,
    }));
    const stats = computeColumnStats(GOLD, rows);
    expect(stats.nan_value_counts[9]).toBe(2);
    expect(Object.is(view(stats.lower_bounds[9]).getFloat64(0, true), -0)).toBe(true);
    expect(view(stats.upper_bounds[9]).getFloat64(0, true)).toBe(2.5);
    const allNaN = computeColumnStats(GOLD, [{ ...base, avg_bytes_per_edit: Number.NaN }]);
    expect(allNaN.lower_bounds[9]).toBeUndefined();
    expect(allNaN.upper_bounds[9]).toBeUndefined();
    expect(allNaN.value_counts[9]).toBe(1);
  });

  it("truncates string bounds to 16 code points, rounding the upper bound up", ({ expect }) => {
    const base = sampleRows(QUARANTINE, 1, 0)[0];
    const rows = ["zebra crossing at the corner", "apple pie with cream and more", "mango"].map((reason) => ({
      ...base,
      reason,
    }));
    const stats = computeColumnStats(QUARANTINE, rows);
    expect(str(stats.lower_bounds[3])).toBe("apple pie with c");
    expect(str(stats.upper_bounds[3])).toBe("zebra crossing b");
  });

  it("orders strings by code point and bounds booleans as one byte", ({ expect }) => {
    const rows = sampleRows(SILVER, 6, 0).map((r, i) => ({
      ...r,
      page_title: ["\uFFFF", "😀", "a"][i % 3],
      is_bot: i === 0,
    }));
    const stats = computeColumnStats(SILVER, rows);
    expect(str(stats.lower_bounds[5])).toBe("a");
    expect(str(stats.upper_bounds[5])).toBe("😀");
    expect([...stats.lower_bounds[9]]).toEqual([0]);
    expect([...stats.upper_bounds[9]]).toEqual([1]);
  });

  it("omits bounds of a column that is entirely null", ({ expect }) => {
    const rows = sampleRows(BRONZE, 3, 0).map((r) => ({ ...r, topic: null }));
    const stats = computeColumnStats(BRONZE, rows);
    expect(stats.lower_bounds[3]).toBeUndefined();
    expect(stats.null_value_counts[3]).toBe(3);
  });
});
