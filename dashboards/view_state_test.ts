import { describe, expect, it } from "vitest";
import {
  apiQuery,
  chooseBucket,
  formatViewState,
  matchesView,
  parseViewState,
  resolveRange,
} from "./view_state.ts";

describe("parseViewState() / formatViewState()", () => {
  it("round-trips a custom range and every filter with the API's parameter names", () => {
    const search = "?from=2026-01-01T10%3A00%3A00.000Z&to=2026-01-01T12%3A00%3A00.000Z&wiki=enwiki" +
      "&user_type=BOT&edit_size=LARGE&change_type=edit";
    const state = parseViewState(search);
    expect(state).toEqual({
      range: {
        kind: "custom",
        from: Date.parse("2026-01-01T10:00:00Z"),
        to: Date.parse("2026-01-01T12:00:00Z"),
      },
      filters: { wiki: "enwiki", user_type: "BOT", edit_size: "LARGE", change_type: "edit" },
    });
    expect(formatViewState(state)).toBe(search);
  });

  it("drops invalid values instead of failing, and defaults to the last hour", () => {
    const state = parseViewState("?wiki=EN%20WIKI&user_type=robot&from=yesterday&to=2026-01-01T00:00:00Z");
    expect(state).toEqual({ range: { kind: "preset", preset: "1h" }, filters: {} });
    expect(formatViewState(state)).toBe("");
  });

  it("keeps a non-default preset as range=", () => {
    expect(formatViewState(parseViewState("?range=24h&change_type=new"))).toBe("?range=24h&change_type=new");
  });

  it("rejects a custom range that is reversed or longer than 168 hours", () => {
    expect(parseViewState("?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z").range.kind).toBe("preset");
    expect(parseViewState("?from=2026-01-01T00:00:00Z&to=2026-01-08T00:00:01Z").range.kind).toBe("preset");
    expect(parseViewState("?from=2026-01-01T00:00:00Z&to=2026-01-08T00:00:00Z").range.kind).toBe("custom");
  });
});

describe("resolveRange() and chooseBucket()", () => {
  it("anchors a preset at the given end", () => {
    const anchor = Date.parse("2026-01-01T12:00:00Z");
    expect(resolveRange({ kind: "preset", preset: "6h" }, anchor)).toEqual({
      from: Date.parse("2026-01-01T06:00:00Z"),
      to: anchor,
    });
  });

  it("picks 1m up to 3 h, 5m up to 48 h, else 1h", () => {
    const h = 3_600_000;
    expect(chooseBucket(0, 3 * h)).toBe("1m");
    expect(chooseBucket(0, 3 * h + 1)).toBe("5m");
    expect(chooseBucket(0, 48 * h)).toBe("5m");
    expect(chooseBucket(0, 49 * h)).toBe("1h");
  });
});

describe("apiQuery() and matchesView()", () => {
  const range = { from: Date.parse("2026-01-01T10:00:00Z"), to: Date.parse("2026-01-01T11:00:00Z") };
  it("sends ISO times, only the filters given, and extras", () => {
    expect(apiQuery(range, { wiki: "dewiki" }, { limit: "5" })).toBe(
      "from=2026-01-01T10%3A00%3A00.000Z&to=2026-01-01T11%3A00%3A00.000Z&wiki=dewiki&limit=5",
    );
  });

  it("matches [from, to) and every filter", () => {
    const e = {
      event_time: "2026-01-01T10:30:00Z",
      wiki: "enwiki",
      user_type: "BOT",
      edit_size: "SMALL",
      change_type: "edit",
    };
    expect(matchesView(e, range, {})).toBe(true);
    expect(
      matchesView(e, range, { wiki: "enwiki", user_type: "BOT", edit_size: "SMALL", change_type: "edit" }),
    )
      .toBe(true);
    expect(matchesView(e, range, { user_type: "ANONYMOUS" })).toBe(false);
    expect(matchesView({ ...e, event_time: "2026-01-01T11:00:00Z" }, range, {})).toBe(false);
    expect(matchesView({ ...e, event_time: "2026-01-01T10:00:00Z" }, range, {})).toBe(true);
  });
});
