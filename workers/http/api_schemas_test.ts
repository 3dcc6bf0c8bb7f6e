import { describe, expect, it } from "vitest";
import { BreakdownQuery, RecentQuery, resolveRange, TimeseriesQuery } from "./api_schemas.ts";

const base = { from: "2026-01-01T00:00:00Z", to: "2026-01-01T01:00:00Z" };

describe("api_schemas", () => {
  it("accepts a valid query and fills defaults", () => {
    expect(TimeseriesQuery.parse(base)).toEqual({ ...base, bucket: "5m" });
    expect(BreakdownQuery.parse({ ...base, by: "wiki" }).limit).toBe(20);
    expect(RecentQuery.parse({ ...base, limit: "500" }).limit).toBe(500);
  });

  it("rejects bad enums, repeated parameters, bad limits and ranges", () => {
    const bad = [
      { ...base, user_type: "bot" },
      { ...base, edit_size: "HUGE" },
      { ...base, change_type: "EDIT" },
      { ...base, wiki: "En-Wiki" },
      { ...base, wiki: ["enwiki", "dewiki"] },
      { ...base, from: [base.from, base.from] },
      { ...base, bucket: "2m" },
      { from: base.to, to: base.to },
      { from: base.to, to: base.from },
      { from: "2026-01-01T00:00:00Z", to: "2026-01-08T00:00:01Z" },
      { from: "2026-01-01", to: base.to },
    ];
    for (const q of bad) expect(TimeseriesQuery.safeParse(q).success, JSON.stringify(q)).toBe(false);
    for (const limit of ["0", "501", "1.5", "-1", "x", ["1", "2"]]) {
      expect(RecentQuery.safeParse({ ...base, limit }).success, String(limit)).toBe(false);
    }
    const repeated = TimeseriesQuery.safeParse({ ...base, wiki: ["a", "b"] });
    expect(repeated.error?.issues[0]?.message).toBe('"wiki" must be given at most once');
  });

  it("accepts exactly 168 hours", () => {
    const r = resolveRange("2026-01-01T00:00:00Z", "2026-01-08T00:00:00Z", 0);
    expect(r).toEqual({
      ok: true,
      from: Date.parse("2026-01-01T00:00:00Z"),
      to: Date.parse("2026-01-08T00:00:00Z"),
    });
    expect(resolveRange(undefined, "2026-01-01T01:00:00Z", 0)).toEqual({
      ok: true,
      from: Date.parse("2026-01-01T00:00:00Z"),
      to: Date.parse("2026-01-01T01:00:00Z"),
    });
  });
});
