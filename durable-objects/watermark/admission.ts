/**
 * Admission (core): which silver rows arrive late. Rows are judged one by one in the order the
 * pipeline processes them, against the watermark of every row admitted before them: a row is
 * late when the watermark had already passed its window's end (the window was final). This is
 * the "events within the watermark" semantics the gold table's pre-correction rows follow.
 * @module
 */
import type { GoldInput } from "../gold_window/gold_input.ts";
import { windowStartOf } from "../gold_window/kpi.ts";
import { advanceWatermark, isWindowFinal, watermarkOf } from "./watermark.ts";

/** A silver row as the tracker admits it: its KPI inputs plus its event time. */
export interface AdmitRow extends GoldInput {
  event_time: number;
}

/** A GoldWindow input with the admission's verdict. */
export interface JudgedInput extends GoldInput {
  late: boolean;
}

/** The rows one window receives from one admission. */
export interface WindowBatch {
  start: number;
  inputs: JudgedInput[];
  late: number;
}

/** The outcome of admitting rows: the new largest event time and the rows by window. */
export interface Admission {
  maxEventTime: number | null;
  windows: WindowBatch[];
}

/** Judges `rows` (in processing order) starting from `maxEventTime`; windows ascending. */
export function admitRows(maxEventTime: number | null, rows: readonly AdmitRow[]): Admission {
  let state = { maxEventTime };
  const byStart = new Map<number, WindowBatch>();
  for (const { event_time, ...input } of rows) {
    const start = windowStartOf(event_time);
    const late = isWindowFinal(start, watermarkOf(state));
    const batch = byStart.get(start) ?? { start, inputs: [], late: 0 };
    batch.inputs.push({ ...input, late });
    if (late) batch.late++;
    byStart.set(start, batch);
    state = advanceWatermark(state, [event_time]);
  }
  return {
    maxEventTime: state.maxEventTime,
    windows: [...byStart.values()].sort((a, b) => a.start - b.start),
  };
}
