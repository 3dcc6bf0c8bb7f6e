import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../main.ts";
import { packMessages, type RawEventsMessage } from "../../durable-objects/stream_ingestor/batching.ts";
import { eventsFromStreamLines } from "../../r2/testing/raw_events_fixture.ts";
import { deliverRawEvents } from "../../test/workerd/queue_delivery.ts";
import { committerName } from "../../durable-objects/table_committer/committer_core.ts";
import { readLakeTable, recomputeFixture } from "../../test/workerd/duckdb_oracle.ts";
import synth from "../../testdata/synth-1000-seed7.jsonl?raw";
import manifest from "../../testdata/synth-1000-seed7.jsonl.manifest.json";

const TABLES = ["bronze_wiki_events", "silver_wiki_events", "quarantine_wiki_events"] as const;

/** The fixture's lines as source events (canaries are dropped by the ingestor, before the queue). */
function eventsFromFixture() {
  const lines = synth.split("\n").filter((l) => l.length > 0);
  return eventsFromStreamLines(lines, 1_000_000, Date.UTC(2026, 0, 1, 1, 0, 0));
}

function pack(maxMessageBytes: number, prefix: string): RawEventsMessage[] {
  let n = 0;
  return packMessages(eventsFromFixture(), { maxMessageBytes, newBatchId: () => `${prefix}-${n++}` });
}

const deliver = deliverRawEvents;

/** This fixture's rows in each layer's current snapshot, read by icebird + DuckDB (not the committers' counters). */
async function lakeRows(validIds: Set<string>) {
  for (const table of TABLES) await env.TABLE_COMMITTER.getByName(committerName(table)).commitNow();
  const read = (t: string) => readLakeTable(env.LAKE, env.WAREHOUSE, t).then((r) => r.rows);
  const bronze = (await read("bronze_wiki_events")).filter((r) =>
    Number(r.offset) >= 1_000_000 && Number(r.offset) < 1_000_000 + manifest.lines
  );
  const keys = new Set(bronze.map((r) => String(r.event_key)));
  return {
    bronze: bronze.map((r) => `${r.offset}/${r.event_key}`).sort(),
    silver: (await read("silver_wiki_events")).filter((r) => validIds.has(String(r.event_id)))
      .map((r) => String(r.event_id)).sort(),
    quarantine: (await read("quarantine_wiki_events")).filter((r) => keys.has(String(r.event_key)))
      .map((r) => String(r.event_key)).sort(),
  };
}

describe("queue consumer with real Queue batches", () => {
  it("lands the fixture in bronze, silver and quarantine exactly once, counted in the lake, also when it is delivered again and re-read under new batch ids", async () => {
    const want = await recomputeFixture("testdata/synth-1000-seed7.jsonl");
    const messages = pack(120_000, "test-batch");
    expect(messages.reduce((n, m) => n + m.events.length, 0)).toBe(want.bronze);

    const log = vi.spyOn(console, "log");
    const first = await deliver(messages);
    const lines = log.mock.calls.map(([line]) => String(line)); // mockRestore() forgets the calls
    log.mockRestore();
    expect(first.retryMessages).toEqual([]);
    // Structured JSON log lines name the batches they ingested.
    const logged = lines.filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l)).filter((l) => l.msg === "Batch ingested");
    expect(logged.flatMap((l) => l.batch_ids).sort()).toEqual(messages.map((m) => m.batch_id).sort());
    expect(first.explicitAcks.length).toBe(messages.length);
    const validIds = new Set(want.silverIds);
    const after = await lakeRows(validIds);
    expect(after.bronze.length).toBe(want.bronze);
    expect(new Set(after.bronze).size).toBe(want.bronze);
    expect(after.silver).toEqual([...want.silverIds].sort());
    expect(after.quarantine.length).toBe(want.quarantine);

    // The queue delivers the same messages again (same batch ids): nothing new lands.
    const again = await deliver(messages, 2);
    expect(again.explicitAcks.length).toBe(messages.length);
    expect(await lakeRows(validIds)).toEqual(after);

    // The ingestor re-reads the same events after a resume and packs them under new batch ids:
    // only the committers' claims on bronze identities and silver event ids stand between them
    // and a second copy.
    const reread = pack(40_000, "test-reread");
    expect(reread.length).toBeGreaterThan(messages.length);
    expect((await deliver(reread)).explicitAcks.length).toBe(reread.length);
    expect(await lakeRows(validIds)).toEqual(after);
  });

  it("retries a message that is not a RawEventsMessage instead of dropping it", async () => {
    const batch = createMessageBatch("wiki-raw-events", [
      { id: "bad-1", timestamp: new Date(), attempts: 1, body: { hello: "world" } },
    ]);
    const ctx = createExecutionContext();
    const errors = vi.spyOn(console, "error");
    await worker.queue(batch, env);
    const line = errors.mock.calls.map(([l]) => String(l)).find((l) => l.includes("Cannot ingest message"));
    errors.mockRestore();
    expect(JSON.parse(line!)).toMatchObject({ batch_id: "message-bad-1", attempts: 1 });
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["bad-1"]);
    const failure = await env.LAKE.get("queue-failures/message-bad-1.json");
    expect(await failure?.json()).toMatchObject({
      reason: expect.stringContaining("unsupported message version"),
    });
  });
});
