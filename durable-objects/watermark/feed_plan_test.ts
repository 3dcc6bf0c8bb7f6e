import { describe, expect, it } from "vitest";
import { feedPlan } from "./feed_plan.ts";
import type { JudgedInput } from "./admission.ts";

const input = (event_id: string, late = false): JudgedInput => ({
  event_id,
  user_name: "u",
  wiki: "enwiki",
  page_title: "P",
  is_bot: false,
  bytes_diff: 1,
  late,
});

describe("feedPlan", () => {
  it("puts every pending owner's rows of a window into one call, in admission order, windows ascending", () => {
    const plan = feedPlan([
      {
        windows: [
          { start: 600_000, inputs: [input("a"), input("b", true)], late: 1 },
          { start: 300_000, inputs: [input("c")], late: 0 },
        ],
      },
      { windows: [{ start: 600_000, inputs: [input("d")], late: 0 }] },
      { windows: [] },
      { windows: [{ start: 900_000, inputs: [input("e", true)], late: 1 }] },
    ]);
    expect(plan.map((f) => [f.start, f.inputs.map((i) => `${i.event_id}${i.late ? "!" : ""}`)])).toEqual([
      [300_000, ["c"]],
      [600_000, ["a", "b!", "d"]],
      [900_000, ["e!"]],
    ]);
  });

  it("plans nothing for nothing pending and leaves its input unchanged", () => {
    expect(feedPlan([])).toEqual([]);
    const pending = [{ windows: [{ start: 0, inputs: [input("x")], late: 0 }] }];
    feedPlan(pending).forEach((f) => f.inputs.push(input("y")));
    expect(pending[0]!.windows[0]!.inputs.map((i) => i.event_id)).toEqual(["x"]);
  });
});
