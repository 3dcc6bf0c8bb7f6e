/**
 * Pure: how the WatermarkTracker feeds pending admissions to the GoldWindows. All pending
 * owners' rows of one window go in one `add` call (owners in admission order, each row with its
 * own verdict), so a consumer batch of 100 messages costs one call per window it touches
 * instead of one per message and window.
 */
import type { JudgedInput, WindowBatch } from "./admission.ts";

/** One GoldWindow call: every pending row of the window, in admission order. */
export interface WindowFeed {
  start: number;
  inputs: JudgedInput[];
}

/** Groups the pending admissions (oldest first) by window, ascending by start. */
export function feedPlan(pending: ReadonlyArray<{ windows: readonly WindowBatch[] }>): WindowFeed[] {
  const byStart = new Map<number, JudgedInput[]>();
  for (const { windows } of pending) {
    for (const w of windows) {
      const inputs = byStart.get(w.start);
      if (inputs) inputs.push(...w.inputs);
      else byStart.set(w.start, [...w.inputs]);
    }
  }
  return [...byStart].sort(([a], [b]) => a - b).map(([start, inputs]) => ({ start, inputs }));
}
