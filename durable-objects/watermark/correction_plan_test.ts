import { describe, expect, it } from "vitest";
import { dayRange, type FinalWindow, planGoldCorrection } from "./correction_plan.ts";
import type { GoldRow } from "../../r2/tables/rows.ts";

const DAY = Date.UTC(2026, 2, 1);
const row = (start: number, total: number) =>
  ({ window_start: start, total_edits: total }) as unknown as GoldRow;

describe("planGoldCorrection", () => {
  const finals: Record<number, FinalWindow[]> = {};
  const d0 = DAY / 86_400_000;
  finals[d0] = [
    { start: DAY + 600_000, row: row(DAY + 600_000, 3) },
    { start: DAY + 900_000, row: null }, // only late rows so far
    { start: DAY + 1_200_000, row: row(DAY + 1_200_000, 5) },
  ];
  finals[d0 + 1] = [{ start: DAY + 86_400_000, row: row(DAY + 86_400_000, 7) }];
  const finalOfDay = (day: number) => finals[day] ?? [];

  it("rewrites every final row of each affected day, corrected ones replaced, and no other day", () => {
    const corrected = new Map([[DAY + 900_000, row(DAY + 900_000, 2)], [
      DAY + 1_200_000,
      row(DAY + 1_200_000, 6),
    ]]);
    const plan = planGoldCorrection(corrected, finalOfDay);
    expect(plan.days).toEqual([d0]);
    expect(plan.rows.map((r) => [r.window_start, r.total_edits])).toEqual([
      [DAY + 600_000, 3],
      [DAY + 900_000, 2],
      [DAY + 1_200_000, 6],
    ]);
    expect(plan.expectedRows).toEqual({ [d0]: 2 });
    expect(plan.commitId).toMatch(/^correction-[0-9a-f]{32}$/);
  });

  it("derives the same commit id from the same rows, and another from other rows", () => {
    const a = new Map([[DAY + 600_000, row(DAY + 600_000, 4)]]);
    const b = new Map([[DAY + 600_000, row(DAY + 600_000, 9)]]);
    expect(planGoldCorrection(a, finalOfDay).commitId).toBe(
      planGoldCorrection(new Map(a), finalOfDay).commitId,
    );
    expect(planGoldCorrection(a, finalOfDay).commitId).not.toBe(planGoldCorrection(b, finalOfDay).commitId);
  });

  it("spans both days when windows of both are corrected", () => {
    const corrected = new Map([[DAY + 600_000, row(DAY + 600_000, 4)], [
      DAY + 86_400_000,
      row(DAY + 86_400_000, 8),
    ]]);
    const plan = planGoldCorrection(corrected, finalOfDay);
    expect(plan.days).toEqual([d0, d0 + 1]);
    expect(plan.expectedRows).toEqual({ [d0]: 2, [d0 + 1]: 1 });
    expect(plan.rows.length).toBe(3);
    expect(dayRange(d0)).toEqual({ from: DAY, to: DAY + 86_400_000 });
  });
});
