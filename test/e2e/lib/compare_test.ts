import { describe, expect, it } from "vitest";
import { diffByKey, toGoldWindow } from "./compare.ts";

describe("diffByKey()", () => {
  it("reports missing, extra, repeated keys and unequal columns", () => {
    const want = [{ id: "a", n: 1 }, { id: "b", n: 2 }, { id: "c", n: 3 }];
    const got = [{ id: "a", n: 1n }, { id: "b", n: 5 }, { id: "d", n: 4 }, { id: "d", n: 4 }];
    expect(diffByKey(got, want, "id", ["n"])).toEqual([
      { key: "d", problem: "repeated" },
      { key: "b", problem: "unequal", column: "n", got: 5, want: 2 },
      { key: "c", problem: "missing" },
      { key: "d", problem: "extra" },
    ]);
  });

  it("finds nothing to report for equal sets in any order", () => {
    expect(diffByKey([{ k: 2, x: null }, { k: 1 }], [{ k: 1 }, { k: 2, x: null }], "k", ["x"])).toEqual([]);
  });
});

describe("toGoldWindow()", () => {
  it("turns ISO window bounds into epoch ms and drops fields outside the 15 columns", () => {
    const w = toGoldWindow({
      window_start: "2026-01-01T00:05:00.000Z",
      window_end: "2026-01-01T00:10:00Z",
      final: true,
    });
    expect(w.window_start).toBe(Date.UTC(2026, 0, 1, 0, 5));
    expect(w.window_end).toBe(Date.UTC(2026, 0, 1, 0, 10));
    expect("final" in w).toBe(false);
  });
});
