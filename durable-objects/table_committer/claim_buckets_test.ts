import { describe, expect, it } from "vitest";
import { claimBucketDay, claimBucketTable, isBucketPast } from "./claim_buckets.ts";

const DAY = 86_400_000;

describe("claim day buckets", () => {
  it("puts a claim in the UTC day of its time and names the day's table from the day number", () => {
    expect(claimBucketDay(Date.UTC(2026, 0, 1))).toBe(20454);
    expect(claimBucketDay(Date.UTC(2026, 0, 1) + DAY - 1)).toBe(20454);
    expect(claimBucketTable(20454)).toBe("claims_d20454");
  });

  it("lets a day go only when all of it is before the cutoff", () => {
    const start = 20454 * DAY;
    expect(isBucketPast(20454, start + DAY - 1)).toBe(false);
    expect(isBucketPast(20454, start + DAY)).toBe(true);
  });

  it("refuses a day or time that is not a non-negative integer", () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 60]) expect(() => claimBucketTable(bad)).toThrow(RangeError);
    expect(() => claimBucketDay(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
