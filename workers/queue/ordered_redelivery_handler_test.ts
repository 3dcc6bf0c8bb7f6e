/**
 * Issue 12: a consumer batch that fails once (an R2 or committer hiccup) is retried after 20
 * newer messages. With ordered admission the tracker holds the newer ones until it arrives,
 * so no event is judged late and every final window equals DuckDB's recomputation over the
 * events in sequence order (test/e2e/lib/recompute.ts, through the DuckDB oracle).
 */
import { env, exports } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../main.ts";
import type { RawEventsMessage } from "../../durable-objects/stream_ingestor/batching.ts";
import { committerName } from "../../durable-objects/table_committer/committer_core.ts";
import { WATERMARK_NAME } from "../../durable-objects/watermark/watermark_tracker_object.ts";
import { buildRawEvents } from "../../r2/testing/raw_events_fixture.ts";
import { GOLD, SILVER } from "../../r2/tables/schemas.ts";
import { DEAD_LETTER_QUEUE, RAW_EVENTS_QUEUE } from "./queue_names.ts";
import { readHealth } from "../pipeline.ts";
import { readLakeTable, recomputeLines } from "../../test/workerd/duckdb_oracle.ts";
import { toGoldWindow } from "../../test/e2e/lib/compare.ts";

const MIN = 60_000;
const DAY = 86_400_000;
const BASE = Date.UTC(2026, 3, 1, 8);
const EPOCH = "ordered-redelivery";

/** 21 messages numbered from `firstSeq`: message 0 in the first window, 1..20 16–36 min later. */
function run(tag: string, startMs: number, firstSeq: number): RawEventsMessage[] {
  return Array.from({ length: 21 }, (_, k) => {
    const [message] = buildRawEvents({
      tag: `${tag}-m${k}`,
      valid: k === 0 ? 24 : 5,
      resent: 0,
      bad: 0,
      days: 1,
      perMessage: 30,
      startMs: startMs + (k === 0 ? 0 : (15 + k) * MIN),
      firstOffset: 5_000_000 + firstSeq * 100 + k * 40,
    }).messages;
    return { ...message, epoch: EPOCH, seq: firstSeq + k };
  });
}

async function deliver(
  messages: RawEventsMessage[],
  attempts: number,
  on: Env = env,
  queue = RAW_EVENTS_QUEUE,
) {
  const batch = createMessageBatch(
    queue,
    messages.map((body) => ({ id: body.batch_id, timestamp: new Date(), attempts, body })),
  );
  await worker.queue(batch, on);
  return getQueueResult(batch, createExecutionContext());
}

/** The real env, except that staging silver fails (the batch is retried). */
function failingSilverStage(): Env {
  const committers = {
    getByName(name: string) {
      const stub = env.TABLE_COMMITTER.getByName(name);
      return {
        claim: (...a: Parameters<typeof stub.claim>) => stub.claim(...a),
        stagedOwners: (...a: Parameters<typeof stub.stagedOwners>) => stub.stagedOwners(...a),
        stage: (...a: Parameters<typeof stub.stage>) =>
          name === committerName(SILVER.name)
            ? Promise.reject(new Error("injected fault: silver stage"))
            : stub.stage(...a),
      };
    },
  };
  return { ...env, TABLE_COMMITTER: committers as unknown as Env["TABLE_COMMITTER"] };
}

/** DuckDB's recomputation (DESIGN §3 as SQL) over the messages' events in sequence order. */
function recomputeInOrder(messages: RawEventsMessage[]) {
  const ordered = [...messages].sort((x, y) => x.seq! - y.seq!);
  return recomputeLines(ordered.flatMap((m) => m.events.map((e) => e.data)));
}

/** The tracker's final windows in [from, from + 60 min), as gold rows, once `count` are final (the alarm finalizes). */
async function finalRows(from: number, count = 0) {
  for (let i = 0;; i++) {
    const windows = await env.WATERMARK.getByName(WATERMARK_NAME).windows(from, from + 60 * MIN);
    const final = windows.filter((w) => w.state === "final").map((w) => w.row);
    if (final.length >= count || i >= 100) return final;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The final windows `GET /api/kpis` serves in [from, from + 60 min), as gold rows. */
async function finalKpis(from: number) {
  const range = `from=${new Date(from).toISOString()}&to=${new Date(from + 60 * MIN).toISOString()}`;
  const res: Response = await (exports as any).default.fetch(
    new Request(`http://wikiflare.test/api/kpis?${range}`),
  );
  expect(res.status).toBe(200);
  const { windows } = await res.json() as { windows: Record<string, unknown>[] };
  return windows.filter((w) => w.final === true).map(toGoldWindow);
}

/** The gold table's rows in [from, from + 60 min) once committed, read by icebird + DuckDB. */
async function goldTableRows(from: number) {
  await env.TABLE_COMMITTER.getByName(committerName(GOLD.name)).commitNow();
  const { rows } = await readLakeTable(env.LAKE, env.WAREHOUSE, GOLD.name);
  return rows.filter((r) => Number(r.window_start) >= from && Number(r.window_start) < from + 60 * MIN)
    .sort((a, b) => Number(a.window_start) - Number(b.window_start));
}

describe("queue consumer, ordered admission (real local Queues, R2 and Durable Objects)", () => {
  it("a batch that fails once and is retried after 20 newer ones: zero late; before any correction every final window of the tracker, /api/kpis and the gold table equals DuckDB's", async () => {
    const tracker = env.WATERMARK.getByName(WATERMARK_NAME);
    const all = run("retry", BASE + DAY, 0);
    const want = await recomputeInOrder(all);
    expect(want.lateEvents).toBe(0);
    const [first, ...newer] = all;
    const failed = await deliver([first], 1, failingSilverStage());
    expect(failed.retryMessages.map((m) => m.msgId)).toEqual([first.batch_id]);
    for (const m of newer) expect((await deliver([m], 1)).explicitAcks).toEqual([m.batch_id]);
    const held = await tracker.status();
    expect(held.admission).toMatchObject({ next_seq: 0, held: 20 });
    // The watermark has not passed the unadmitted message's events (newer ones did not move it).
    expect(held.watermark === null || held.watermark < BASE + DAY).toBe(true);

    expect((await deliver([first], 2)).explicitAcks).toEqual([first.batch_id]);
    const status = await tracker.status();
    expect(status.admission).toMatchObject({ next_seq: 21, held: 0, released: 0 });
    expect(status.uncorrected_late_events).toBe(0);
    expect(status.watermark).toBe(want.watermark);

    // Before any correction, every final window — the tracker's, /api/kpis's and the gold
    // table's rows — equals DuckDB's gold over the input (window_end ≤ its watermark).
    const final = want.gold.filter((w) => w.window_end <= want.watermark!);
    expect(final.map((w) => w.window_start - BASE - DAY)).toEqual([0, 15 * MIN, 20 * MIN]);
    expect(final[0].total_edits).toBe(24);
    expect(await finalRows(BASE + DAY, final.length)).toEqual(final);
    expect(await finalKpis(BASE + DAY)).toEqual(final);
    expect(await goldTableRows(BASE + DAY)).toEqual(final);
    // A correction then finds nothing late to fold in.
    expect((await tracker.correct()).late_events).toBe(0);
  });

  // Continues the epoch of the test above (the one tracker has one epoch): numbers 21..24.
  it("a dead-lettered message releases its number: health reason while the gap waits, the watermark moves on, the replay is late and the correction folds it in", async () => {
    const tracker = env.WATERMARK.getByName(WATERMARK_NAME);
    const dlq = run("dlq", BASE + 2 * DAY, 21).slice(0, 4);
    const [dead, ...newer] = dlq;
    for (const m of newer) await deliver([m], 1);
    expect((await tracker.status()).admission).toMatchObject({ next_seq: 21, held: 3 });
    await new Promise((r) => setTimeout(r, 1_100));
    const waiting = await readHealth({ ...env, ADMISSION_GAP_MAX_SECONDS: "1" } as unknown as Env);
    // Other reasons (rows waiting for a commit, a dead letter) may stand beside it in the merged health.
    expect(waiting.status).not.toBe("ok");
    expect(waiting.reasons).toContainEqual(expect.stringContaining("admission gap: message 21"));
    const watermarkBefore = (await tracker.status()).watermark;

    // Queues gives up on it: the DLQ consumer keeps it in R2 and releases its number.
    expect((await deliver([dead], 1, env, DEAD_LETTER_QUEUE)).explicitAcks).toEqual([dead.batch_id]);
    const released = await tracker.status();
    expect(released.admission).toMatchObject({ next_seq: 25, held: 0, released: 1 });
    expect(released.admission.released_batches[0]).toMatchObject({ seq: 21, batch_id: dead.batch_id });
    expect(released.watermark!).toBeGreaterThan(watermarkBefore ?? -Infinity);
    const health = await readHealth({ ...env, ADMISSION_GAP_MAX_SECONDS: "1" } as unknown as Env);
    // The gap is gone; what remains is the dead letter itself, waiting for its replay.
    expect(health.reasons).toEqual([expect.stringContaining("dead letter(s) waiting for a replay")]);
    expect(health.admission).toMatchObject({ released: 1 });

    // The replay (the admin's dead-letter replay re-sends the same body): judged late, then folded in.
    expect((await deliver([dead], 1)).explicitAcks).toEqual([dead.batch_id]);
    await tracker.correct().then((r) => expect(r.late_events).toBe(dead.events.length));
    // After the correction every final window equals DuckDB's gold over all the events.
    const want = await recomputeInOrder(dlq);
    const watermark = (await tracker.status()).watermark!;
    const final = want.gold.filter((w) => w.window_end <= watermark);
    expect(final[0]).toMatchObject({ window_start: BASE + 2 * DAY, total_edits: 24 });
    expect(await finalRows(BASE + 2 * DAY)).toEqual(final);
    expect((await tracker.status()).uncorrected_late_events).toBe(0);
  });
});
