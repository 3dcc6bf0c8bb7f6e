import { describe, expect, it } from "vitest";
import { mergeRecent, type MonitorData, renderMonitor, toBars, toLogRow } from "./monitor_view.ts";
import type { SilverEventT } from "../workers/http/api_schemas.ts";

const echo = { from: "2026-01-01T10:00:00.000Z", to: "2026-01-01T10:03:00.000Z", filters: {} };
const breakdown = (
  by: "user_type" | "edit_size" | "change_type" | "wiki",
  rows: Array<[string, number]>,
) => ({
  ...echo,
  by,
  rows: rows.map(([key, events]) => ({ key, events })),
});

function event(id: string, time: string, extra: Partial<SilverEventT> = {}): SilverEventT {
  return {
    event_id: id,
    event_time: time,
    wiki: "enwiki",
    server_name: "en.wikipedia.org",
    page_title: "Main Page",
    namespace: 0,
    change_type: "edit",
    user_name: "Alice",
    is_bot: false,
    is_minor: false,
    bytes_diff: -42,
    processing_delay_seconds: 1,
    edit_size: "SMALL",
    user_type: "REGISTERED",
    comment: null,
    revision_new: 1,
    ingestion_time: time,
    ...extra,
  };
}

const data: MonitorData = {
  timeseries: {
    ...echo,
    bucket: "1m",
    points: [
      { t: "2026-01-01T10:00:00.000Z", events: 3, bot: 1, human: 2 },
      { t: "2026-01-01T10:01:00.000Z", events: 0, bot: 0, human: 0 },
      { t: "2026-01-01T10:02:00.000Z", events: 5, bot: 5, human: 0 },
    ],
  },
  userType: breakdown("user_type", [["BOT", 6], ["REGISTERED", 2]]),
  editSize: breakdown("edit_size", [["SMALL", 8]]),
  changeType: breakdown("change_type", [["edit", 7], ["new", 1]]),
  wikis: breakdown("wiki", [["enwiki", 8]]),
  topPages: {
    ...echo,
    rows: [{ wiki: "enwiki", page_title: "A B", edits: 4, url: "https://en.wikipedia.org/wiki/A_B" }],
  },
  recent: { ...echo, events: [event("e1", "2026-01-01T10:02:30.000Z")] },
};

describe("renderMonitor()", () => {
  it("shows loading, then the error message with the error state", () => {
    expect(renderMonitor({ kind: "loading" }).state).toBe("loading");
    const v = renderMonitor({ kind: "error", message: "/api/events/timeseries answered 500" });
    expect(v.state).toBe("error");
    expect(v.message).toContain("answered 500");
  });

  it("draws every chart from the API's numbers, the timeseries as x in seconds with bot and human", () => {
    const v = renderMonitor({ kind: "data", data, live: "live" });
    expect(v.state).toBe("ready");
    expect(v.totalEvents).toBe(8);
    expect(v.overTime.x).toEqual([1767261600, 1767261660, 1767261720]);
    expect(v.overTime.series).toEqual([{ name: "Human", values: [2, 0, 0] }, {
      name: "Bot",
      values: [1, 0, 5],
    }]);
    expect(v.overTime.labels).toEqual(["10:00", "10:01", "10:02"]);
    expect(v.userType.rows.map((r) => [r.key, r.value, r.share])).toEqual([["BOT", 6, 0.75], [
      "REGISTERED",
      2,
      0.25,
    ]]);
    expect(v.topPages).toEqual([{
      wiki: "enwiki",
      title: "A B",
      edits: 4,
      url: "https://en.wikipedia.org/wiki/A_B",
    }]);
    expect(v.recent.map((r) => r.id)).toEqual(["e1"]);
  });

  it("is empty when the range has no events", () => {
    const points = data.timeseries.points.map((p) => ({ ...p, events: 0, bot: 0, human: 0 }));
    const v = renderMonitor({
      kind: "data",
      data: { ...data, timeseries: { ...data.timeseries, points } },
      live: "polling",
    });
    expect(v.state).toBe("empty");
    expect(v.message).toContain("refreshing every 10 s");
  });
});

describe("toBars(), toLogRow(), mergeRecent()", () => {
  it("labels user types and edit sizes and keeps the API's order", () => {
    expect(toBars(breakdown("edit_size", [["LARGE_REMOVAL", 1], ["LARGE", 1]])).rows.map((r) => r.label))
      .toEqual(["Large removal (< −500 B)", "Large (> 500 B)"]);
  });

  it("links a title on its wiki, spaces as underscores, percent-encoded", () => {
    const r = toLogRow(
      event("x", "2026-01-01T10:00:05.000Z", { page_title: "Ünïcode page?", bytes_diff: 1234 }),
    );
    expect(r.url).toBe("https://en.wikipedia.org/wiki/%C3%9Cn%C3%AFcode_page%3F");
    expect(r.time).toBe("10:00:05");
    expect(r.bytesText).toBe("+1,234");
    expect(toLogRow(event("y", "2026-01-01T10:00:05.000Z", { server_name: null })).url).toBeNull();
  });

  it("merges pushed rows newest first, ties by event_id, without duplicates, bounded", () => {
    const current = [event("b", "2026-01-01T10:00:02Z"), event("a", "2026-01-01T10:00:01Z")];
    const incoming = [
      event("d", "2026-01-01T10:00:03Z"),
      event("c", "2026-01-01T10:00:03Z"),
      event("b", "2026-01-01T10:00:02Z"),
    ];
    expect(mergeRecent(current, incoming, 3).map((e) => e.event_id)).toEqual(["c", "d", "b"]);
  });
});
