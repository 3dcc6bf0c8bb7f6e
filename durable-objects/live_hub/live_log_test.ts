import { describe, expect, it } from "vitest";
import {
  framesAfterOpenWindows,
  logRecent,
  logWindow,
  matchesFilters,
  newLiveLog,
  parseEventId,
  planResume,
  renderFrame,
} from "./live_log.ts";

const ev = (wiki: string, user_type = "BOT") => ({
  wiki,
  user_type,
  edit_size: "SMALL",
  change_type: "edit",
});

describe("live log", () => {
  it("numbers frames 1, 2, 3 … under the epoch and replays exactly those after an id", () => {
    const log = newLiveLog("abc");
    logWindow(log, `{"w":1}`);
    logRecent(log, [ev("enwiki")], 10);
    logWindow(log, `{"w":2}`);
    expect(log.seq).toBe(3);
    const plan = planResume(log, parseEventId("abc-1"));
    expect(plan.kind).toBe("resume");
    expect(plan.kind === "resume" && plan.frames.map((f) => f.seq)).toEqual([2, 3]);
    expect(planResume(log, parseEventId("abc-3"))).toEqual({ kind: "resume", frames: [] });
    expect(planResume(log, null)).toEqual({ kind: "fresh" });
  });

  it("answers a reset for another epoch, a future seq, or an id older than the log", () => {
    const log = newLiveLog("e1", 2);
    for (let i = 0; i < 5; i++) logWindow(log, `{"w":${i}}`);
    expect(log.frames.map((f) => f.seq)).toEqual([4, 5]);
    expect(planResume(log, parseEventId("e2-5"))).toEqual({ kind: "reset", reason: "other_epoch" });
    expect(planResume(log, parseEventId("e1-9"))).toEqual({ kind: "reset", reason: "other_epoch" });
    expect(planResume(log, parseEventId("e1-2"))).toEqual({ kind: "reset", reason: "too_old" });
    // the frame just before the oldest kept one is still a clean resume
    expect(planResume(log, parseEventId("e1-3"))).toMatchObject({ kind: "resume" });
  });

  it("drops the oldest frames past the byte bound but keeps the newest", () => {
    const log = newLiveLog("b", 100, 25);
    logRecent(log, [ev("a")], 10);
    logRecent(log, [ev("b")], 10);
    logRecent(log, [ev("c")], 10);
    expect(log.frames.map((f) => f.seq)).toEqual([2, 3]);
    expect(log.bytes).toBe(20);
    logRecent(log, [ev("d")], 100);
    expect(log.frames.map((f) => f.seq)).toEqual([4]);
  });

  it("renders recent frames per filter set and skips a frame none of whose events pass", () => {
    const log = newLiveLog("f");
    const frame = logRecent(log, [ev("enwiki"), ev("dewiki", "ANONYMOUS")], 50);
    expect(renderFrame(log, frame, { wiki: "dewiki" })).toBe(
      `id: f-1\nevent: recent\ndata: {"events":[${JSON.stringify(ev("dewiki", "ANONYMOUS"))}]}\n\n`,
    );
    expect(renderFrame(log, frame, { wiki: "frwiki" })).toBeNull();
    expect(matchesFilters(ev("enwiki"), { wiki: "enwiki", user_type: "BOT" })).toBe(true);
    expect(matchesFilters(ev("enwiki"), { wiki: "enwiki", user_type: "REGISTERED" })).toBe(false);
  });

  it("parses only ids of its own form", () => {
    expect(parseEventId("abc-12")).toEqual({ epoch: "abc", seq: 12 });
    for (const bad of ["", "abc", "-1", "ABC-1", "a-1-2", "a-01x", `${"a".repeat(25)}-1`]) {
      expect(parseEventId(bad), bad).toBeNull();
    }
    expect(() => newLiveLog("Bad-Epoch")).toThrow(RangeError);
  });

  it("after the open windows, a resume gets every missed recent frame and only the newest version of a closed window", () => {
    const log = newLiveLog("e1");
    const w = (start: string, edits: number, final: boolean) =>
      logWindow(log, JSON.stringify({ window_start: start, total_edits: edits, final }));
    const frames = [
      w("2026-01-01T00:00:00Z", 1, false),
      logRecent(log, [ev("enwiki")], 10),
      w("2026-01-01T00:00:00Z", 2, true), // closed meanwhile: its final version is needed
      w("2026-01-01T00:05:00Z", 1, false), // still open: superseded by the current version
      logRecent(log, [ev("dewiki")], 10),
      w("2026-01-01T00:05:00Z", 3, false),
    ];
    const kept = framesAfterOpenWindows(frames, new Set(["2026-01-01T00:05:00Z"]));
    expect(kept.map((f) => f.seq)).toEqual([2, 3, 5]);
  });
});
