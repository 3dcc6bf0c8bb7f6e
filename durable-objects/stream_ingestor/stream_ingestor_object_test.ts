import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";

/** Events in the three recordings served by the replay server of test/workerd/global_setup.ts. */
const RECORDED_EVENTS = 384 + 144 + 50;

async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) throw new Error(`timed out; last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
    value = await read();
  }
  return value;
}

describe("StreamIngestor against the local replay server", () => {
  it("reads every recorded event exactly once across connection cuts and persists the resume id", async () => {
    const ingestor = env.STREAM_INGESTOR.getByName("test-ingestor-recordings");
    await ingestor.start({ url: inject("replayStreamUrl") });
    const status = await waitFor(() => ingestor.status(), (s) => s.received >= RECORDED_EVENTS);
    // Let any further (wrong) reads show up before asserting exact counts.
    await new Promise((r) => setTimeout(r, 1_500));
    const settled = await ingestor.stop();
    expect(settled.received).toBe(RECORDED_EVENTS);
    expect(settled.canary).toBe(0);
    // The server cuts every 100 events, so the ingestor had to resume several times.
    expect(settled.connections).toBeGreaterThanOrEqual(Math.floor(RECORDED_EVENTS / 100));
    // The .sse recording is served last: the resume id is its last frame's Wikimedia id.
    expect(JSON.parse(settled.last_event_id ?? "null")).toEqual([
      { topic: "eqiad.mediawiki.recentchange", partition: 0, timestamp: expect.any(Number) },
      { topic: "codfw.mediawiki.recentchange", partition: 0, offset: -1 },
    ]);
    expect(settled.messages_sent).toBeGreaterThan(0);
    expect(status.last_error).toBeNull();
  });

  it("reports a clear error naming the URL when the stream cannot be reached", async () => {
    const ingestor = env.STREAM_INGESTOR.getByName("test-ingestor-unreachable");
    await ingestor.start({ url: "http://127.0.0.1:9/v2/stream/recentchange" });
    const status = await waitFor(() => ingestor.status(), (s) => s.last_error !== null, 15_000);
    await ingestor.stop();
    expect(status.connected).toBe(false);
    expect(status.last_error).toContain("http://127.0.0.1:9/v2/stream/recentchange");
    expect(status.received).toBe(0);
  });

  it("stops reading when stopped and keeps its counters", async () => {
    const ingestor = env.STREAM_INGESTOR.getByName("test-ingestor-stop");
    await ingestor.start({ url: inject("replayStreamUrl") });
    await waitFor(() => ingestor.status(), (s) => s.received > 0);
    const stopped = await ingestor.stop();
    expect(stopped.running).toBe(false);
    await new Promise((r) => setTimeout(r, 1_000));
    const later = await ingestor.status();
    expect(later.received).toBe(stopped.received);
    expect(later.connected).toBe(false);
  });
});
