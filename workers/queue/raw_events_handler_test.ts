import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../main.ts";
import {
  isCanaryEvent,
  packMessages,
  type RawEventsMessage,
} from "../../durable-objects/stream_ingestor/batching.ts";
import { committerName } from "../../durable-objects/table_committer/committer_core.ts";
import synth from "../../testdata/synth-1000-seed7.jsonl?raw";
import manifest from "../../testdata/synth-1000-seed7.jsonl.manifest.json";

const TABLES = ["bronze_wiki_events", "silver_wiki_events", "quarantine_wiki_events"] as const;

function messagesFromFixture(): RawEventsMessage[] {
  const lines = synth.split("\n").filter((l) => l.length > 0);
  const events = lines.map((data, i) => ({
    sse_id: `[{"topic":"eqiad.mediawiki.recentchange","partition":0,"offset":${1_000_000 + i}}]`,
    data,
    received_at: Date.UTC(2026, 0, 1, 1, 0, 0) + i,
  })).filter((e) => !isCanaryEvent(e.data));
  let n = 0;
  return packMessages(events, { maxMessageBytes: 120_000, newBatchId: () => `test-batch-${n++}` });
}

async function deliver(messages: RawEventsMessage[], attempts = 1) {
  const batch = createMessageBatch(
    "wiki-raw-events",
    messages.map((body, i) => ({ id: `msg-${i}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

async function counts() {
  const out: Record<string, { rows: number; duplicates: number }> = {};
  for (const table of TABLES) {
    const status = await env.TABLE_COMMITTER.getByName(committerName(table)).commitNow();
    out[table] = { rows: status.rows, duplicates: status.duplicates };
  }
  return out;
}

describe("queue consumer with real Queue batches", () => {
  it("writes bronze, silver and quarantine exactly once, also when the batch is delivered again", async () => {
    const messages = messagesFromFixture();
    const nonCanary = manifest.lines - manifest.canaries;
    expect(messages.reduce((n, m) => n + m.events.length, 0)).toBe(nonCanary);
    const before = await counts();

    const first = await deliver(messages);
    expect(first.retryMessages).toEqual([]);
    expect(first.explicitAcks.length).toBe(messages.length);
    const after = await counts();
    const delta = (t: string, k: "rows" | "duplicates") => after[t][k] - before[t][k];
    expect(delta("bronze_wiki_events", "rows")).toBe(nonCanary);
    expect(delta("silver_wiki_events", "rows")).toBe(manifest.valid);
    expect(delta("quarantine_wiki_events", "rows")).toBe(manifest.bad.total);
    expect(delta("silver_wiki_events", "duplicates")).toBe(manifest.duplicates);

    const again = await deliver(messages, 2);
    expect(again.explicitAcks.length).toBe(messages.length);
    expect(await counts()).toEqual(after);
  });

  it("retries a message that is not a RawEventsMessage instead of dropping it", async () => {
    const batch = createMessageBatch("wiki-raw-events", [
      { id: "bad-1", timestamp: new Date(), attempts: 1, body: { hello: "world" } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["bad-1"]);
    const failure = await env.LAKE.get("queue-failures/message-bad-1.json");
    expect(await failure?.json()).toMatchObject({
      reason: expect.stringContaining("unsupported message version"),
    });
  });
});
