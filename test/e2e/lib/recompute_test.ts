import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Buffer } from "node:buffer";
import { beforeAll, describe, expect, it } from "vitest";
import { expectedFinalWindows, type GoldWindow, type Recomputation, recomputeStream } from "./recompute.ts";

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/mini_stream.jsonl");
const T0 = Date.UTC(2026, 0, 1); // 2026-01-01T00:00:00Z
const MIN = 60_000;

/** Hand-computed from the fixture (see test/e2e/fixtures/README.md). */
const GOLD: GoldWindow[] = [
  {
    window_start: T0,
    window_end: T0 + 5 * MIN,
    total_edits: 4,
    unique_editors: 3,
    active_pages: 3,
    bot_edits: 1,
    human_edits: 3,
    net_bytes_added: -150,
    avg_bytes_per_edit: -37.5,
    large_edits_count: 1,
    revert_like_edits: 1,
    volatility_score: 1450,
    bot_edit_percentage: 25,
    edits_per_minute: 0.8,
    knowledge_trend: "SHRINKING",
  },
  {
    window_start: T0 + 5 * MIN,
    window_end: T0 + 10 * MIN,
    total_edits: 2,
    unique_editors: 2,
    active_pages: 2,
    bot_edits: 1,
    human_edits: 1,
    net_bytes_added: 10,
    avg_bytes_per_edit: 5,
    large_edits_count: 0,
    revert_like_edits: 0,
    volatility_score: 10,
    bot_edit_percentage: 50,
    edits_per_minute: 0.4,
    knowledge_trend: "GROWING",
  },
  {
    window_start: T0 + 15 * MIN,
    window_end: T0 + 20 * MIN,
    total_edits: 2,
    unique_editors: 2,
    active_pages: 2,
    bot_edits: 0,
    human_edits: 2,
    net_bytes_added: -995,
    avg_bytes_per_edit: -497.5,
    large_edits_count: 0,
    revert_like_edits: 1,
    volatility_score: 1005,
    bot_edit_percentage: 0,
    edits_per_minute: 0.4,
    knowledge_trend: "SHRINKING",
  },
  {
    window_start: T0 + 20 * MIN,
    window_end: T0 + 25 * MIN,
    total_edits: 1,
    unique_editors: 1,
    active_pages: 1,
    bot_edits: 0,
    human_edits: 1,
    net_bytes_added: 0,
    avg_bytes_per_edit: 0,
    large_edits_count: 0,
    revert_like_edits: 0,
    volatility_score: 0,
    bot_edit_percentage: 0,
    edits_per_minute: 0.2,
    knowledge_trend: "STABLE",
  },
];

describe("recomputeStream() over the hand-made mini stream", () => {
  let r: Recomputation;
  beforeAll(async () => {
    r = await recomputeStream(FIXTURE);
  });

  it("counts lines, canaries, bronze, quarantine, silver and duplicates", () => {
    expect({
      lines: r.lines,
      canary: r.canary,
      bronze: r.bronze,
      valid: r.valid,
      quarantine: r.quarantine,
      silver: r.silver,
      duplicate: r.duplicate,
      conflictingDuplicates: r.conflictingDuplicates,
    }).toEqual({
      lines: 23,
      canary: 1,
      bronze: 22,
      valid: 11,
      quarantine: 11,
      silver: 9,
      duplicate: 2,
      conflictingDuplicates: 0,
    });
    expect(r.bronze).toBe(r.silver + r.quarantine + r.duplicate);
  });

  it("keeps the exact text of every bronze and quarantine line", () => {
    const lines = fs.readFileSync(FIXTURE, "utf8").split("\n");
    expect(r.bronzeRaw.length).toBe(22);
    expect(r.bronzeRaw).not.toContain(lines[2]); // the canary
    expect(r.quarantineRaw).toEqual([5, 6, 7, 8, 9, 11, 12, 19, 20, 21, 23].map((i) => lines[i]).sort());
  });

  it("lists the distinct valid event ids", () => {
    expect(r.silverIds).toEqual(["e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9"]);
  });

  it("names the first broken rule of every invalid line", () => {
    expect(r.invalidLines).toEqual([
      { line: 6, reason: "not JSON" },
      { line: 7, reason: "not a JSON object" },
      { line: 8, reason: "missing user" },
      { line: 9, reason: "wrong type: namespace" },
      { line: 10, reason: "unparseable meta.dt" },
      { line: 12, reason: "unknown type" },
      { line: 13, reason: "missing meta.dt and timestamp" },
      { line: 20, reason: "not a JSON object" },
      { line: 21, reason: "not JSON" },
      { line: 22, reason: "wrong type: bot" },
      { line: 24, reason: "not JSON" },
    ]);
  });

  it("enriches silver rows by the DESIGN rules", () => {
    const byId = new Map(r.silverRows.map((s) => [s.event_id, s]));
    expect(byId.get("e1")).toEqual({
      event_id: "e1",
      event_time: T0 + 60_250,
      wiki: "enwiki",
      server_name: "en.wikipedia.org",
      page_title: "A",
      namespace: 0,
      change_type: "edit",
      user_name: "Alice",
      is_bot: false,
      is_minor: true,
      bytes_diff: 600,
      edit_size: "LARGE",
      user_type: "REGISTERED",
      comment: "grow",
      revision_new: 11,
    });
    expect(byId.get("e3")).toMatchObject({
      event_time: T0 + 179_000,
      change_type: "new",
      bytes_diff: 50,
      edit_size: "SMALL",
      user_type: "ANONYMOUS",
      is_minor: false,
      comment: null,
      revision_new: 31,
    });
    expect(byId.get("e2")).toMatchObject({ bytes_diff: -800, edit_size: "LARGE_REMOVAL", user_type: "BOT" });
    expect(byId.get("e4")).toMatchObject({ namespace: 2, bytes_diff: 0, revision_new: null });
    expect(byId.get("e6")).toMatchObject({ user_type: "ANONYMOUS", bytes_diff: 10 });
    expect(byId.get("e8")).toMatchObject({ user_type: "ANONYMOUS", bytes_diff: 5 });
  });

  it("computes all 15 gold columns per 5-minute window", () => {
    expect(r.gold).toEqual(GOLD);
  });

  it("places the watermark 10 minutes behind the largest event time", () => {
    expect(r.maxEventTime).toBe(T0 + 21 * MIN);
    expect(r.watermark).toBe(T0 + 11 * MIN);
  });
});

describe("recomputeStream() lateness in stream order", () => {
  it("judges each first copy against the watermark of the lines before it", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "recompute-")), "late.jsonl");
    const at = (id: string, minutes: number) =>
      JSON.stringify({
        meta: { id, dt: new Date(T0 + minutes * MIN).toISOString() },
        type: "edit",
        title: `T${id}`,
        user: `U${id}`,
        wiki: "w",
      });
    // e2 moves the watermark to T0+6m: window T0 is final, so e3 is late; e5 moves it to
    // T0+16m: window T0+5m is final, so e6 is late while e4 (before e5) was on time.
    const lines = [
      at("e1", 1),
      at("e2", 16),
      at("e3", 2),
      at("e3", 2),
      at("e4", 7),
      at("e5", 26),
      at("e6", 8),
    ];
    fs.writeFileSync(file, lines.join("\n") + "\n");
    const r = await recomputeStream(file);
    expect(r.lateEvents).toBe(2);
    expect(r.lateWindowStarts).toEqual([T0, T0 + 5 * MIN]);
    expect(r.goldOnTime.map((w) => [w.window_start, w.total_edits])).toEqual([
      [T0, 1],
      [T0 + 5 * MIN, 1],
      [T0 + 15 * MIN, 1],
      [T0 + 25 * MIN, 1],
    ]);
    expect(r.gold.map((w) => [w.window_start, w.total_edits])).toEqual([
      [T0, 2],
      [T0 + 5 * MIN, 2],
      [T0 + 15 * MIN, 1],
      [T0 + 25 * MIN, 1],
    ]);
  });
});

describe("recomputeStream() on raw bytes", () => {
  it("splits like the replay server: CRLF, blank lines, invalid UTF-8 kept as not JSON", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "recompute-")), "bytes.jsonl");
    const ok = (id: string) =>
      `{"meta":{"id":"${id}","dt":"2026-01-01T00:00:01Z"},"type":"edit","title":"T","user":"U","wiki":"w"}`;
    const bytes = Buffer.concat([
      Buffer.from(`${ok("a")}\r\n \t\n\n`),
      Buffer.from('{"meta":{"id":"b'),
      Buffer.from([0xc3, 0x28, 0xff, 0x20, 0x7d, 0x0a]),
      Buffer.from(`${ok("c")}\n${ok("a")}`),
    ]);
    fs.writeFileSync(file, bytes);
    const r = await recomputeStream(file);
    expect([r.lines, r.bronze, r.silver, r.duplicate, r.quarantine]).toEqual([4, 4, 2, 1, 1]);
    expect(r.invalidLines).toEqual([{ line: 4, reason: "not JSON" }]);
    expect(r.invalidUtf8).toBe(1);
    expect(r.bronzeRaw).toEqual([ok("a"), ok("a"), ok("c")]);
    expect(r.quarantineRaw).toEqual([]);
  });
});

describe("recomputeStream() time and range rules", () => {
  it("wants RFC 3339 meta.dt with a zone, truncates to ms and rejects out-of-range integers", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "recompute-")), "rules.jsonl");
    const ev = (id: string, extra: Record<string, unknown>, dt?: string) =>
      JSON.stringify({
        meta: { id, ...(dt ? { dt } : {}) },
        type: "edit",
        title: "T",
        user: "U",
        wiki: "w",
        ...extra,
      });
    fs.writeFileSync(
      file,
      [
        ev("offset", {}, "2026-01-01T00:00:00.123456+01:00"),
        ev("no-zone", {}, "2026-01-01T00:00:00"),
        ev("feb-30", {}, "2026-02-30T00:00:00Z"),
        ev("ts-only", { timestamp: 1767225600 }),
        ev("ts-float", { timestamp: 1767225600.5 }),
        ev("ns-big", { namespace: 2 ** 40 }, "2026-01-01T00:00:00Z"),
        ev("diff-big", { length: { old: 0, new: 2 ** 32 } }, "2026-01-01T00:00:00Z"),
        ev("ts-huge", { timestamp: 1e13 }),
      ].join("\n") + "\n",
    );
    const r = await recomputeStream(file);
    expect(r.silverRows.map((s) => [s.event_id, s.event_time])).toEqual([
      ["offset", Date.UTC(2025, 11, 31, 23, 0, 0, 123)],
      ["ts-only", Date.UTC(2026, 0, 1)],
    ]);
    expect(r.invalidLines.map((l) => l.reason)).toEqual([
      "unparseable meta.dt",
      "unparseable meta.dt",
      "wrong type: timestamp",
      "namespace out of range",
      "bytes_diff out of range",
      "timestamp out of range",
    ]);
  });
});

describe("expectedFinalWindows()", () => {
  it("keeps the windows whose end the watermark has reached", () => {
    expect(expectedFinalWindows(GOLD, T0 + 11 * MIN).map((w) => w.window_start)).toEqual([T0, T0 + 5 * MIN]);
    expect(expectedFinalWindows(GOLD, T0 + 10 * MIN).map((w) => w.window_start)).toEqual([T0, T0 + 5 * MIN]);
    expect(expectedFinalWindows(GOLD, T0 + 5 * MIN - 1)).toEqual([]);
  });

  it("returns nothing without a watermark", () => {
    expect(expectedFinalWindows(GOLD, null)).toEqual([]);
  });
});
