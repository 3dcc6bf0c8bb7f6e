import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  advanceWatermark,
  isWindowFinal,
  WATERMARK_DELAY_MS,
  watermarkOf,
  windowsToFinalize,
} from "./watermark.ts";
import { WINDOW_MS } from "../gold_window/kpi.ts";

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;

describe("advanceWatermark() and watermarkOf()", () => {
  it("starts without a watermark", () => {
    expect(watermarkOf({ maxEventTime: null })).toBeNull();
    expect(advanceWatermark({ maxEventTime: null }, [])).toEqual({ maxEventTime: null });
  });

  it("trails the largest event time by 10 minutes, whatever the arrival order", () => {
    const state = advanceWatermark({ maxEventTime: null }, [T0 + 21 * MIN, T0, T0 + 3 * MIN]);
    expect(state).toEqual({ maxEventTime: T0 + 21 * MIN });
    expect(watermarkOf(state)).toBe(T0 + 11 * MIN);
    expect(WATERMARK_DELAY_MS).toBe(10 * MIN);
  });

  it("never moves back", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: -1e13, max: 1e13 }))), (batches) => {
        let state = { maxEventTime: null as number | null };
        for (const times of batches) {
          const next = advanceWatermark(state, times);
          if (state.maxEventTime !== null) {
            expect(next.maxEventTime!).toBeGreaterThanOrEqual(state.maxEventTime);
          }
          state = next;
        }
        const all = batches.flat();
        expect(state.maxEventTime).toBe(all.length ? Math.max(...all) : null);
      }),
    );
  });

  it("rejects a non-finite event time", () => {
    expect(() => advanceWatermark({ maxEventTime: 0 }, [Number.NaN])).toThrow(RangeError);
  });
});

describe("isWindowFinal()", () => {
  it("is final once the watermark reaches the window end (it has passed the last instant, end − 1 ms)", () => {
    expect(isWindowFinal(T0, T0 + WINDOW_MS)).toBe(true);
    expect(isWindowFinal(T0, T0 + WINDOW_MS - 1)).toBe(false);
    expect(isWindowFinal(T0, T0 + WINDOW_MS + 1)).toBe(true);
    expect(isWindowFinal(T0, null)).toBe(false);
  });

  it("makes a window final when an event 15 minutes after its start arrives", () => {
    const watermark = watermarkOf(advanceWatermark({ maxEventTime: null }, [T0 + 15 * MIN]));
    expect(isWindowFinal(T0, watermark)).toBe(true);
    expect(isWindowFinal(T0 + 5 * MIN, watermark)).toBe(false);
  });
});

describe("windowsToFinalize()", () => {
  it("lists the open windows the watermark finalizes, ascending and once", () => {
    const open = [T0 + 10 * MIN, T0, T0 + 5 * MIN, T0, -WINDOW_MS];
    expect(windowsToFinalize(open, T0 + 10 * MIN)).toEqual([-WINDOW_MS, T0, T0 + 5 * MIN]);
    expect(windowsToFinalize(open, null)).toEqual([]);
    expect(windowsToFinalize([], T0)).toEqual([]);
  });
});
