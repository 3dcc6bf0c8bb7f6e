import { describe, expect, it } from "vitest";
import { barRange } from "./time_chart.ts";

describe("barRange()", () => {
  it("widens the x range by half the smallest step at each end, so the outer bars are whole", () => {
    expect(barRange([600, 900, 1200, 1800])).toEqual([450, 1950]);
  });

  it("gives a lone bar half a 5-minute window each side, and nothing for no data", () => {
    expect(barRange([3000])).toEqual([2850, 3150]);
    expect(barRange([])).toBeUndefined();
  });
});
