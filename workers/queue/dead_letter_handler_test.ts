/**
 * Fault 4 of issue 6: a message that fails every delivery (its spilled event text is not in R2
 * yet) is retried with backoff, dead-lettered with its reason, counted in /api/health, listed by
 * the admin API, and — once the cause is fixed — replayed into the lake exactly once.
 */
import { env, exports } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../main.ts";
import { app } from "../http/app.ts";
import { committerName, type TableStatus } from "../../durable-objects/table_committer/committer_core.ts";
import type { RawEventsMessage } from "../../durable-objects/stream_ingestor/batching.ts";
import { R2BlobStore } from "../../r2/r2_blob_store_binding.ts";
import { IcebergTable } from "../../r2/iceberg/table_writer.ts";
import { BRONZE, QUARANTINE, SILVER } from "../../r2/tables/schemas.ts";
import { auditTable, silverKey } from "../../r2/testing/table_audit.ts";
import { buildRawEvents } from "../../r2/testing/raw_events_fixture.ts";
import { deadLetterKey, REPLAYED_PREFIX } from "./dead_letter_handler.ts";
import { DEAD_LETTER_QUEUE, RAW_EVENTS_QUEUE } from "./queue_names.ts";

const MAX_RETRIES = 10; // wrangler.toml [[queues.consumers]] max_retries of wiki-raw-events
const AUTH = { Authorization: `Bearer ${env.ADMIN_TOKEN}` };
const LAYERS = [BRONZE, SILVER, QUARANTINE];

/** Delivers `bodies` as one batch; also reports each retry's delay (workerd's queue result omits it). */
async function deliver(queue: string, bodies: unknown[], attempts: number) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body, i) => ({ id: `${queue}-${attempts}-${i}`, timestamp: new Date(), attempts, body })),
  );
  const delays: number[] = [];
  const messages = batch.messages.map((m) => ({
    id: m.id,
    timestamp: m.timestamp,
    body: m.body,
    attempts: m.attempts,
    ack: () => m.ack(),
    retry: (options?: QueueRetryOptions) => {
      delays.push(options?.delaySeconds ?? 0);
      m.retry(options);
    },
  }));
  const ctx = createExecutionContext();
  await worker.queue({ ...batch, queue: batch.queue, messages } as MessageBatch, env);
  return { ...await getQueueResult(batch, ctx), delays };
}

async function commitAll(): Promise<Record<string, TableStatus>> {
  const out: Record<string, TableStatus> = {};
  for (const spec of LAYERS) {
    const committer = env.TABLE_COMMITTER.getByName(committerName(spec.name));
    await committer.status(spec.name); // binds a fresh committer to its table
    out[spec.name] = await committer.commitNow();
  }
  return out;
}

const health = async () =>
  await (await (exports as any).default.fetch(new Request("http://wikiflare.test/api/health"))).json() as {
    dead_lettered: number;
  };

describe("a poison message through retries, the dead-letter queue and a replay", () => {
  it("is retried, dead-lettered with its reason, counted, listed, and after the fix replayed exactly once", async () => {
    const fixture = buildRawEvents({
      tag: "fault4",
      valid: 12,
      resent: 2,
      bad: 2,
      days: 2,
      perMessage: 100,
      startMs: Date.UTC(2026, 5, 1, 8),
      firstOffset: 4_000_000,
    });
    const [message] = fixture.messages as [RawEventsMessage];
    const spilled = message.events[3];
    const spilledText = spilled.data;
    const spillKey = `spill/fault4-${crypto.randomUUID()}`;
    Object.assign(spilled, { data: "", spilled_key: spillKey });
    const before = await commitAll();
    const healthBefore = await health();

    const delays: number[] = [];
    for (let attempt = 1; attempt <= MAX_RETRIES; attempt++) {
      const result = await deliver(RAW_EVENTS_QUEUE, [message], attempt);
      expect(result.explicitAcks).toEqual([]);
      expect(result.retryMessages.length).toBe(1);
      delays.push(result.delays[0]);
    }
    expect(delays.every((d, i) => i === 0 || d >= delays[i - 1])).toBe(true);
    expect(delays[0]).toBeGreaterThan(0);
    expect(delays.at(-1)).toBeGreaterThan(delays[0]);
    expect(await commitAll()).toEqual(before); // nothing of it reached the lake

    // The queue gives up and moves it to the dead-letter queue, which delivers at least once.
    const readLetter = async () => await (await env.LAKE.get(deadLetterKey(message.batch_id)))?.json<any>();
    expect((await deliver(DEAD_LETTER_QUEUE, [message], 1)).explicitAcks.length).toBe(1);
    const letter = await readLetter();
    expect((await deliver(DEAD_LETTER_QUEUE, [message], 2)).explicitAcks.length).toBe(1);
    expect(await readLetter()).toEqual(letter); // kept once, first record wins
    expect(letter.reason).toBe(`Error: spilled event ${spillKey} is missing from R2`);
    expect(letter.body).toEqual(message);
    expect((await health()).dead_lettered - healthBefore.dead_lettered).toBe(1);
    const listed = await (await app.request("/api/admin/dead-letters", { headers: AUTH }, env)).json<any>();
    expect(listed.dead_letters.filter((d: any) => d.batch_id === message.batch_id)).toEqual([
      {
        batch_id: message.batch_id,
        dead_lettered_at: letter.dead_lettered_at,
        reason: letter.reason,
        events: fixture.events,
        replayable: true,
      },
    ]);

    // The cause is fixed (the spilled text arrives); the replay sends the same batch id again.
    await env.LAKE.put(spillKey, spilledText);
    const sent: unknown[] = [];
    const queue = {
      sendBatch: async (messages: Iterable<MessageSendRequest>) => {
        for (const m of messages) sent.push(m.body);
        return await env.RAW_EVENTS.sendBatch(messages);
      },
    };
    const replayEnv = { ...env, RAW_EVENTS: queue as unknown as Env["RAW_EVENTS"] };
    const response = await app.request(
      "/api/admin/dead-letters/replay",
      { method: "POST", headers: AUTH },
      replayEnv,
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      replayed: 1,
      batch_ids: [message.batch_id],
      skipped: [],
      remaining: 0,
    });
    expect(sent).toEqual([message]);
    expect(await env.LAKE.head(deadLetterKey(message.batch_id))).toBeNull();
    const moved = await (await env.LAKE.get(`${REPLAYED_PREFIX}${message.batch_id}.json`))?.json<any>();
    expect(moved).toMatchObject({
      batch_id: message.batch_id,
      reason: letter.reason,
      replayed_at: expect.any(String),
    });
    expect((await health()).dead_lettered - healthBefore.dead_lettered).toBe(1);

    // The replayed copy is delivered (here and, maybe concurrently, by the local queue itself).
    for (const attempt of [1, 2]) {
      expect((await deliver(RAW_EVENTS_QUEUE, sent, attempt)).explicitAcks.length).toBe(1);
    }
    const after = await commitAll();
    const delta = (t: string, k: "rows" | "duplicates") => after[t][k] - before[t][k];
    expect(delta(BRONZE.name, "rows")).toBe(fixture.events);
    expect(delta(SILVER.name, "rows")).toBe(fixture.validIds.length);
    expect(delta(SILVER.name, "duplicates")).toBe(fixture.resent);
    expect(delta(QUARANTINE.name, "rows")).toBe(fixture.bad);
    const silver = new IcebergTable(new R2BlobStore(env.LAKE), {
      spec: SILVER,
      bucket: env.LAKE_BUCKET_NAME,
      warehouse: env.WAREHOUSE,
    });
    const audit = await auditTable(new R2BlobStore(env.LAKE), silver, silverKey);
    expect(audit.problems).toEqual([]);
    expect(audit.keys.filter((k) => k.startsWith("fault4-")).sort()).toEqual([...fixture.validIds].sort());

    // A second replay finds nothing to do.
    const again = await app.request(
      "/api/admin/dead-letters/replay",
      { method: "POST", headers: AUTH },
      replayEnv,
    );
    expect(await again.json()).toEqual({ replayed: 0, batch_ids: [], skipped: [], remaining: 0 });
    expect(sent.length).toBe(1);
  });
});
