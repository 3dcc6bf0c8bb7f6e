import { describe, expect, it } from "vitest";
import {
  arrive,
  drainFrom,
  gapBoundMs,
  gapTooOld,
  initialSequence,
  release,
  type SequenceState,
} from "./sequencing.ts";

/** Runs arrivals (a seq, or "r<seq>" for a release) through the core; returns the admit order. */
function simulate(
  steps: Array<number | string>,
): { admitted: number[]; passed: number[]; state: SequenceState } {
  let state: SequenceState = initialSequence("e1");
  const waiting = new Map(state.waiting);
  const admitted: number[] = [];
  const passed: number[] = [];
  for (const step of steps) {
    if (typeof step === "string") {
      const seq = Number(step.slice(1));
      const r = release(state, seq);
      if (r.kind === "record") waiting.set(seq, "released");
      if (r.kind === "advance") {
        admitted.push(...r.drain.admit);
        for (const n of [...r.drain.admit, ...r.drain.skipped]) waiting.delete(n);
        state = { ...state, next: r.drain.next, waiting };
      }
      state = { ...state, waiting };
      continue;
    }
    const a = arrive(state, { epoch: "e1", seq: step });
    if (a.kind === "hold") waiting.set(step, "held");
    if (a.kind === "passed") passed.push(step);
    if (a.kind === "in_order") {
      admitted.push(step, ...a.drain.admit);
      for (const n of [...a.drain.admit, ...a.drain.skipped]) waiting.delete(n);
      state = { ...state, next: a.drain.next };
    }
    state = { ...state, waiting };
  }
  return { admitted, passed, state };
}

describe("ordered admission", () => {
  it("admits in sequence order whatever the arrival order (every permutation of 0..5)", () => {
    const perms = (xs: number[]): number[][] =>
      xs.length <= 1
        ? [xs]
        : xs.flatMap((x, i) => perms([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
    for (const order of perms([0, 1, 2, 3, 4, 5])) {
      const { admitted, state } = simulate(order);
      expect(admitted).toEqual([0, 1, 2, 3, 4, 5]);
      expect(state.next).toBe(6);
      expect(state.waiting.size).toBe(0);
    }
  });

  it("holds a message retried after 20 newer ones until it arrives, then admits all 21 in order", () => {
    const newer = Array.from({ length: 20 }, (_, i) => i + 1);
    const before = simulate(newer);
    expect(before.admitted).toEqual([]);
    expect(before.state.waiting.size).toBe(20);
    const after = simulate([...newer, 0]);
    expect(after.admitted).toEqual([0, ...newer]);
  });

  it("a released number closes its gap; the released message, replayed later, is judged as passed", () => {
    const { admitted, passed, state } = simulate([1, 2, "r0", 3, 0]);
    expect(admitted).toEqual([1, 2, 3]);
    expect(passed).toEqual([0]);
    expect(state.next).toBe(4);
  });

  it("a release recorded ahead of next is skipped when the drain reaches it", () => {
    const { admitted, state } = simulate(["r1", 2, 0]);
    expect(admitted).toEqual([0, 2]);
    expect(state.next).toBe(3);
  });

  it("a released number above next, replayed before the drain reaches it, is judged as passed", () => {
    const { admitted, passed } = simulate(["r2", 2, 0]);
    expect(passed).toEqual([2]);
    expect(admitted).toEqual([0]);
    const held: SequenceState = { epoch: "e1", next: 0, waiting: new Map([[2, "held"]]) };
    expect(release(held, 2).kind).toBe("passed");
  });

  it("a second delivery of a held number is a duplicate; a message of another epoch is passed", () => {
    const state: SequenceState = { epoch: "e1", next: 0, waiting: new Map([[3, "held"]]) };
    expect(arrive(state, { epoch: "e1", seq: 3 }).kind).toBe("duplicate");
    expect(arrive(state, { epoch: "old", seq: 0 }).kind).toBe("passed");
    expect(arrive(initialSequence(null), { epoch: "any", seq: 0 }).kind).toBe("in_order");
  });

  it("rejects malformed numbers", () => {
    expect(() => arrive(initialSequence("e"), { epoch: "e", seq: -1 })).toThrow(RangeError);
    expect(() => release(initialSequence("e"), 1.5)).toThrow(RangeError);
  });

  it("drains until the first missing number", () => {
    expect(drainFrom(new Map([[1, "held"], [2, "released"], [4, "held"]]), 1)).toEqual({
      admit: [1],
      skipped: [2],
      next: 3,
    });
  });

  it("reports a gap older than the bound; the bound comes from the var with a safe default", () => {
    expect(gapTooOld(null, 10_000, 1_000)).toBe(false);
    expect(gapTooOld(0, 1_000, 1_000)).toBe(false);
    expect(gapTooOld(0, 1_001, 1_000)).toBe(true);
    expect(gapBoundMs("60")).toBe(60_000);
    expect(gapBoundMs(undefined)).toBe(900_000);
    expect(gapBoundMs("-3")).toBe(900_000);
  });
});
