import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { planSegments, planSignedSegments } from "./rollup_query.ts";

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

/** Raw milliseconds a plan reads. */
const rawMs = (segs: Array<{ unit: number | null; from: number; to: number }>) =>
  segs.filter((s) => s.unit === null).reduce((sum, s) => sum + s.to - s.from, 0);

describe("planSignedSegments()", () => {
  it("counts every instant of [from, to) once and none outside, reading at most the plain plan's raw rows", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 48 * H }),
        fc.integer({ min: 1, max: 30 * H }),
        fc.array(fc.integer({ min: -2 * H, max: 80 * H }), { minLength: 20, maxLength: 20 }),
        (start, length, probes) => {
          const from = T0 + start;
          const to = from + length;
          const segs = planSignedSegments(from, to, H);
          for (const s of segs) {
            expect(s.from).toBeLessThan(s.to);
            if (s.unit !== null) expect([s.from % H, s.to % H, s.sign]).toEqual([0, 0, 1]);
          }
          // the edges, the block bounds and random instants
          const xs = [
            from - 1,
            from,
            to - 1,
            to,
            ...segs.flatMap((s) => [s.from, s.to - 1]),
            ...probes.map((p) => T0 + p),
          ];
          for (const x of xs) {
            const count = segs.filter((s) => s.from <= x && x < s.to).reduce((n, s) => n + s.sign, 0);
            expect(count, `instant ${x} of [${from}, ${to})`).toBe(x >= from && x < to ? 1 : 0);
          }
          expect(rawMs(segs)).toBeLessThanOrEqual(rawMs(planSegments(from, to, [H])));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("reads an unaligned hour's nearer edges: 10:11–11:11 is hour 10 minus 10:00–10:11, plus 11:00–11:11", () => {
    const at = (h: number, m: number) => T0 + h * H + m * 60_000;
    expect(planSignedSegments(at(10, 11), at(11, 11), H)).toEqual([
      { unit: H, from: at(10, 0), to: at(11, 0), sign: 1 },
      { unit: null, from: at(10, 0), to: at(10, 11), sign: -1 },
      { unit: null, from: at(11, 0), to: at(11, 11), sign: 1 },
    ]);
    expect(planSignedSegments(at(10, 40), at(11, 40), H)).toEqual([
      { unit: null, from: at(10, 40), to: at(11, 0), sign: 1 },
      { unit: H, from: at(11, 0), to: at(12, 0), sign: 1 },
      { unit: null, from: at(11, 40), to: at(12, 0), sign: -1 },
    ]);
    expect(planSignedSegments(at(10, 0), at(12, 0), H)).toEqual([{
      unit: H,
      from: at(10, 0),
      to: at(12, 0),
      sign: 1,
    }]);
    expect(planSignedSegments(at(10, 5), at(10, 20), H)).toEqual([
      { unit: null, from: at(10, 5), to: at(10, 20), sign: 1 },
    ]);
    expect(planSignedSegments(5, 5, H)).toEqual([]);
  });
});
