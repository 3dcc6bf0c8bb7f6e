/**
 * The event-time watermark (core, DESIGN.md §3): the largest event_time seen minus 10
 * minutes. A window is final once the watermark passes its end.
 *
 * Decision, "passes its end": a window holds event times in [start, end), so its last
 * instant is end − 1 ms; the watermark has passed it as soon as `watermark ≥ end`. A window
 * ending exactly at the watermark is therefore final.
 * @module
 */
import { WINDOW_MS } from "../gold_window/kpi.ts";

/** How far the watermark trails the largest event time: 10 minutes. */
export const WATERMARK_DELAY_MS = 600_000;

/** What the watermark remembers. */
export interface WatermarkState {
  maxEventTime: number | null;
}

/** The state after seeing `eventTimes` (the maximum only ever grows). */
export function advanceWatermark(state: WatermarkState, eventTimes: readonly number[]): WatermarkState {
  let max = state.maxEventTime;
  for (const time of eventTimes) {
    if (!Number.isFinite(time)) throw new RangeError(`event time must be finite, got ${time}`);
    if (max === null || time > max) max = time;
  }
  return { maxEventTime: max };
}

/** The watermark: max event time − 10 minutes; null before any event. */
export function watermarkOf(state: WatermarkState): number | null {
  return state.maxEventTime === null ? null : state.maxEventTime - WATERMARK_DELAY_MS;
}

/** True when the watermark has reached the end of the window starting at `windowStart`. */
export function isWindowFinal(windowStart: number, watermark: number | null): boolean {
  return watermark !== null && watermark >= windowStart + WINDOW_MS;
}

/** The open windows that the watermark makes final, ascending and without repeats. */
export function windowsToFinalize(openWindowStarts: Iterable<number>, watermark: number | null): number[] {
  return [...new Set(openWindowStarts)]
    .filter((start) => isWindowFinal(start, watermark))
    .sort((a, b) => a - b);
}
