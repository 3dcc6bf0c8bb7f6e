/**
 * Pure decisions of streaming compaction: the event-time slices a group is rewritten in. Each
 * input's rows are assumed spread evenly between its manifest bounds of the sort column; the
 * slices cut the group's time range so that every slice is expected to hold at most
 * `maxRows` rows. The shell reads, per slice, only the inputs whose bounds overlap it, sorts
 * that slice in memory and appends it to the output, so every output file is sorted with a
 * memory bound of one slice (plus one input chunk), whatever the partition's size.
 */
import type { DataFile } from "./data_file.ts";

/** Rows with a sort value in [from, to) (epoch ms); `from = null` is the slice of null values. */
export interface TimeSlice {
  from: number | null;
  to: number | null;
  /** The inputs whose bounds overlap the slice. */
  inputs: DataFile[];
  /** Rows expected in it (from the even-spread assumption). */
  expectedRows: number;
}

/** The sort-column range of a data file in epoch ms ([min, max], inclusive), from its bounds. */
export function timeRangeOf(file: DataFile, fieldId: number): { min: number; max: number } | null {
  const lower = file.lower_bounds?.[fieldId];
  const upper = file.upper_bounds?.[fieldId];
  if (!lower || !upper || lower.length !== 8 || upper.length !== 8) return null;
  const micros = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0, true);
  return { min: Number(micros(lower) / 1000n), max: Number(micros(upper) / 1000n) };
}

/** The slices of one group, ascending, then the null slice when some input holds nulls. */
export function planSlices(inputs: readonly DataFile[], fieldId: number, maxRows: number): TimeSlice[] {
  if (!Number.isSafeInteger(maxRows) || maxRows < 1) {
    throw new RangeError(`maxRows must be ≥ 1, got ${maxRows}`);
  }
  const ranged = inputs.map((f) => ({ f, r: timeRangeOf(f, fieldId) }));
  const unbounded = ranged.filter((x) => x.r === null).map((x) => x.f);
  if (unbounded.some((f) => (f.null_value_counts?.[fieldId] ?? 0) < f.record_count)) {
    // Without bounds nothing can be sliced: one slice over everything (the old, unbounded path).
    return [{ from: -8.64e15, to: 8.64e15, inputs: [...inputs], expectedRows: sum(inputs) }];
  }
  const spans = ranged.filter((x) => x.r !== null).map((x) => ({
    f: x.f,
    min: x.r!.min,
    end: x.r!.max + 1,
    rows: x.f.record_count - (x.f.null_value_counts?.[fieldId] ?? 0),
  }));
  const cuts = [...new Set(spans.flatMap((s) => [s.min, s.end]))].sort((a, b) => a - b);
  const slices: TimeSlice[] = [];
  let from = cuts[0];
  let expected = 0;
  const close = (to: number) => {
    if (to <= from) return;
    const overlapping = spans.filter((s) => s.min < to && s.end > from).map((s) => s.f);
    slices.push({ from, to, inputs: overlapping, expectedRows: Math.round(expected) });
    from = to;
    expected = 0;
  };
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [a, b] = [cuts[i], cuts[i + 1]];
    const density = spans.reduce((d, s) => d + (s.min <= a && s.end >= b ? s.rows / (s.end - s.min) : 0), 0);
    let at = a;
    while (at < b) {
      if (expected >= maxRows) close(at);
      const room = density > 0 ? Math.max(1, Math.floor((maxRows - expected) / density)) : b - at;
      const step = Math.min(b - at, room);
      expected += density * step;
      at += step;
    }
  }
  if (cuts.length) close(cuts[cuts.length - 1]);
  const withNulls = inputs.filter((f) => (f.null_value_counts?.[fieldId] ?? 0) > 0);
  if (withNulls.length) {
    const rows = withNulls.reduce((n, f) => n + (f.null_value_counts?.[fieldId] ?? 0), 0);
    slices.push({ from: null, to: null, inputs: withNulls, expectedRows: rows });
  }
  return slices;
}

/** Splits a slice that held more rows than expected into two halves (null for a 1 ms slice). */
export function halveSlice(slice: TimeSlice): [TimeSlice, TimeSlice] | null {
  if (slice.from === null || slice.to === null || slice.to - slice.from < 2) return null;
  const mid = slice.from + Math.floor((slice.to - slice.from) / 2);
  const half = Math.ceil(slice.expectedRows / 2);
  return [
    { ...slice, to: mid, expectedRows: half },
    { ...slice, from: mid, expectedRows: half },
  ];
}

function sum(files: readonly DataFile[]): number {
  return files.reduce((n, f) => n + f.record_count, 0);
}
