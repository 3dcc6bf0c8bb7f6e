import { describe, expect, it } from "vitest";
import {
  connectUrl,
  initialIngestorState,
  PendingEvents,
  planStart,
  resumePointOf,
} from "./ingestor_state.ts";

const LIVE = "https://stream.example/v2/stream/recentchange";
const FILE = "http://127.0.0.1:8788/v2/stream/recentchange";

describe("planStart", () => {
  it("keeps the resume id when the same stream is started again", () => {
    const state = { ...initialIngestorState(), url: LIVE, resumeId: "[live-9]" };
    expect(planStart(state, { url: LIVE, since: "2026-01-01T00:00:00Z" })).toMatchObject({
      url: LIVE,
      resumeId: "[live-9]",
    });
  });

  it("parks the live stream's position during a file backfill and takes it back afterwards", () => {
    const live = { ...initialIngestorState(), url: LIVE, resumeId: "[live-9]" };
    const onFile = {
      ...live,
      ...planStart(live, { url: FILE, since: "1970-01-01T00:00:00Z", backfill: true }),
    };
    expect(onFile).toMatchObject({ url: FILE, resumeId: null, positions: { [LIVE]: "[live-9]" } });
    const back = planStart({ ...onFile, resumeId: "[file-500]" }, { url: LIVE });
    expect(back).toMatchObject({ url: LIVE, resumeId: "[live-9]", positions: { [FILE]: "[file-500]" } });
  });

  it("forgets the resume id on a backfill, so reading starts at since", () => {
    const state = { ...initialIngestorState(), url: LIVE, resumeId: "[live-9]" };
    const next = planStart(state, { url: LIVE, since: "2026-01-01T00:00:00Z", backfill: true });
    expect(next.resumeId).toBeNull();
    expect(connectUrl(next.url!, next.since, next.resumeId)).toBe(`${LIVE}?since=2026-01-01T00%3A00%3A00Z`);
  });

  it("ignores backfill without a since", () => {
    const state = { ...initialIngestorState(), url: LIVE, resumeId: "[live-9]" };
    expect(planStart(state, { url: LIVE, backfill: true }).resumeId).toBe("[live-9]");
  });
});

describe("resumePointOf", () => {
  const good = (offset: number) =>
    `[{"topic":"eqiad.mediawiki.recentchange","partition":0,"offset":${offset}}]`;

  it("resumes after the last well-formed id, skipping malformed and missing ones", () => {
    expect(resumePointOf([good(1), good(2), "not json", null, "[]"], good(0))).toBe(good(2));
  });

  it("keeps the previous resume id when no frame had a usable id", () => {
    expect(resumePointOf(["{oops", null], good(7))).toBe(good(7));
    expect(resumePointOf([], null)).toBeNull();
  });
});

describe("PendingEvents", () => {
  const policy = { maxEvents: 3, maxBytes: 100, maxWaitMs: 250 };

  it("holds frames as events with their canary mark until taken, and is due by count, bytes or wait", () => {
    const pending = new PendingEvents();
    expect(pending.isDue(0, policy)).toBe(false);
    pending.add({ id: "a", data: '{"meta":{"domain":"canary"}}' }, 1_000);
    pending.add({ id: null, data: "{}" }, 1_010);
    expect(pending.size).toBe(2);
    expect(pending.firstAt).toBe(1_000);
    expect(pending.isDue(1_249, policy)).toBe(false);
    expect(pending.isDue(1_250, policy)).toBe(true); // waited maxWaitMs
    pending.add({ id: "c", data: "{}" }, 1_020);
    expect(pending.isDue(1_020, policy)).toBe(true); // maxEvents
    const taken = pending.take();
    expect(taken.map((p) => [p.event.sse_id, p.canary, p.event.received_at])).toEqual([
      ["a", true, 1_000],
      [null, false, 1_010],
      ["c", false, 1_020],
    ]);
    expect([pending.size, pending.firstAt, pending.isDue(9_999, policy)]).toEqual([0, null, false]);
    pending.add({ id: "d", data: "x".repeat(100) }, 2_000);
    expect(pending.isDue(2_000, policy)).toBe(true); // maxBytes
  });
});
