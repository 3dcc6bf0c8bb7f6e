import { describe, expect, it } from "vitest";
import { connectUrl, initialIngestorState, planStart, resumePointOf } from "./ingestor_state.ts";

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
