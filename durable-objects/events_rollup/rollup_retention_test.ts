import { describe, expect, it } from "vitest";
import { rollupRetentionDays, rollupsKeptFrom } from "./rollup_retention.ts";

describe("rollup retention", () => {
  it("reads ROLLUP_RETENTION_DAYS as whole days from 8 to 3650, 35 when unset", () => {
    expect(rollupRetentionDays(undefined)).toBe(35);
    expect(rollupRetentionDays("")).toBe(35);
    expect(rollupRetentionDays("8")).toBe(8);
    expect(rollupRetentionDays("3650")).toBe(3650);
    for (const bad of ["7", "3651", "1.5", "-10", "35 ", "1e3", "abc"]) {
      expect(() => rollupRetentionDays(bad)).toThrow(RangeError);
    }
  });

  it("keeps today and the given number of whole UTC days before it", () => {
    const now = Date.UTC(2026, 11, 5, 10, 30);
    expect(new Date(rollupsKeptFrom(now, 35)).toISOString()).toBe("2026-10-31T00:00:00.000Z");
    expect(rollupsKeptFrom(Date.UTC(2026, 11, 5), 1)).toBe(Date.UTC(2026, 11, 4));
  });
});
