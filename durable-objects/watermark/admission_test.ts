import { describe, expect, it } from "vitest";
import { type AdmitRow, admitRows } from "./admission.ts";

const T0 = Date.UTC(2026, 0, 1, 12, 0);
const MIN = 60_000;
const at = (id: string, minutes: number): AdmitRow => ({
  event_id: id,
  user_name: "u",
  wiki: "w",
  page_title: "p",
  is_bot: false,
  bytes_diff: 0,
  event_time: T0 + minutes * MIN,
});

describe("admitRows", () => {
  it("judges each row against the watermark of the rows before it", () => {
    const result = admitRows(null, [at("a", 1), at("b", 16), at("c", 2), at("d", 14)]);
    expect(result.maxEventTime).toBe(T0 + 16 * MIN);
    expect(result.windows.map((w) => [w.start, w.inputs.map((i) => [i.event_id, i.late])])).toEqual([
      [T0, [["a", false], ["c", true]]],
      [T0 + 10 * MIN, [["d", false]]],
      [T0 + 15 * MIN, [["b", false]]],
    ]);
  });

  it("treats a window ending exactly at the watermark as final", () => {
    const result = admitRows(T0 + 15 * MIN, [at("x", 4.99)]);
    expect(result.windows[0].late).toBe(1);
    expect(admitRows(T0 + 15 * MIN - 1, [at("y", 4.99)]).windows[0].late).toBe(0);
  });

  it("never lets an older event move the watermark back", () => {
    expect(admitRows(T0 + 60 * MIN, [at("z", 1)]).maxEventTime).toBe(T0 + 60 * MIN);
  });
});
