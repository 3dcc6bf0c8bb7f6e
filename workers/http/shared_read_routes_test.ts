/**
 * Concurrent requests for one answer share a read (shared_read_routes.ts). In the real runtime every
 * request has its own I/O context: a shared answer must reach each request as its own response
 * (a response built in another request's context fails with "Cannot perform I/O on behalf of a
 * different request"), and must equal what a lone request answers. The no-stale-read order is
 * FreshFlight's unit test (workers/single_flight_test.ts).
 */
import { env, exports } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../main.ts";
import { buildRawEvents } from "../../r2/testing/raw_events_fixture.ts";
import { RAW_EVENTS_QUEUE } from "../queue/queue_names.ts";

const BASE = "http://wikiflare.test";
const START = Date.UTC(2031, 2, 3, 10);
const VALID = 90;
const fetchApp = (path: string): Promise<Response> =>
  (exports as any).default.fetch(new Request(`${BASE}${path}`));
const iso = (ms: number) => new Date(ms).toISOString();

/** `n` concurrent requests for `path`: their statuses, content types and bodies. */
async function concurrently(path: string, n: number) {
  const responses = await Promise.all(Array.from({ length: n }, () => fetchApp(path)));
  return Promise.all(responses.map(async (r) => ({
    status: r.status,
    type: r.headers.get("Content-Type"),
    body: await r.json() as any,
  })));
}

/** A KPI window without what the tracker's alarm may change between two reads (finality). */
const stable = (w: any) => [w.window_start, w.total_edits, w.unique_editors, w.active_pages, w.bot_edits];

describe("concurrent requests for one answer", () => {
  beforeAll(async () => {
    const { messages } = buildRawEvents({
      tag: "shared-read",
      valid: VALID,
      resent: 0,
      bad: 0,
      days: 1,
      perMessage: 30,
      startMs: START,
      firstOffset: 7_000_000,
    });
    const batch = createMessageBatch(
      RAW_EVENTS_QUEUE,
      messages.map((body, seq) => ({
        id: body.batch_id,
        timestamp: new Date(),
        attempts: 1,
        body: { ...body, epoch: "shared-read", seq },
      })),
    );
    await worker.queue(batch, env);
    const result = await getQueueResult(batch, createExecutionContext());
    expect(result.explicitAcks.length).toBe(messages.length);
  }, 120_000);

  it("80 concurrent /api/kpis requests each get the answer a lone request gets", async () => {
    const path = `/api/kpis?from=${iso(START)}&to=${iso(START + 3_600_000)}`;
    const answers = await concurrently(path, 80);
    const alone = await (await fetchApp(path)).json() as any;
    const edits = alone.windows.reduce((n: number, w: any) => n + w.total_edits, 0);
    expect(edits).toBe(VALID); // one edit per valid event, all in this hour (1 s apart)
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.type).toBe("application/json");
      expect(a.body.windows.map(stable)).toEqual(alone.windows.map(stable));
    }
  });

  it("80 concurrent /api/kpis/latest requests each get a window", async () => {
    const answers = await concurrently("/api/kpis/latest", 80);
    const alone = await (await fetchApp("/api/kpis/latest")).json() as any;
    expect(alone.windows).toHaveLength(1);
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.body.windows.map(stable)).toEqual(alone.windows.map(stable));
    }
  });

  it("60 concurrent drill-downs each get the answer a lone request gets", async () => {
    const range = `from=${iso(START)}&to=${iso(START + 3_600_000)}`;
    for (
      const path of [
        `/api/events/timeseries?${range}&bucket=5m`,
        `/api/events/breakdown?${range}&by=change_type`,
        `/api/events/top-pages?${range}&limit=5`,
        `/api/events/recent?${range}&limit=20`,
      ]
    ) {
      const answers = await concurrently(path, 60);
      const alone = await (await fetchApp(path)).json();
      for (const a of answers) {
        expect(a.status, path).toBe(200);
        expect(a.body, path).toEqual(alone);
      }
    }
    const series = await (await fetchApp(`/api/events/timeseries?${range}&bucket=5m`)).json() as any;
    expect(series.points.reduce((n: number, p: any) => n + p.events, 0)).toBe(VALID);
  });
});
