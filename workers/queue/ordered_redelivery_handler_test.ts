/**
 * Issue 12: a consumer batch that fails once (an R2 or committer hiccup) is retried after 20
 * newer messages. With ordered admission the tracker holds the newer ones until it arrives,
 * so no event is judged late and every final window equals the in-order delivery's. The
 * reference is the same content delivered in order one day earlier (the GoldWindows are
 * named by window start, so the two runs cannot share windows).
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../main.ts";
import type { RawEventsMessage } from "../../durable-objects/stream_ingestor/batching.ts";
import { committerName } from "../../durable-objects/table_committer/committer_core.ts";
import { WATERMARK_NAME } from "../../durable-objects/watermark/watermark_tracker_object.ts";
import { buildRawEvents } from "../../r2/testing/raw_events_fixture.ts";
import { SILVER } from "../../r2/tables/schemas.ts";
import { DEAD_LETTER_QUEUE, RAW_EVENTS_QUEUE } from "./queue_names.ts";
import { readHealth } from "../pipeline.ts";

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

describe("queue consumer, ordered admission (real local Queues, R2 and Durable Objects)", () => {
  it("a batch that fails once and is retried after 20 newer ones: zero late, final windows equal in-order delivery", async () => {
    const tracker = env.WATERMARK.getByName(WATERMARK_NAME);
    const reference = run("ref", BASE, 0);
    for (const m of reference) expect((await deliver([m], 1)).explicitAcks).toEqual([m.batch_id]);

    const [first, ...newer] = run("retry", BASE + DAY, 21);
    const failed = await deliver([first], 1, failingSilverStage());
    expect(failed.retryMessages.map((m) => m.msgId)).toEqual([first.batch_id]);
    for (const m of newer) expect((await deliver([m], 1)).explicitAcks).toEqual([m.batch_id]);
    const held = await tracker.status();
    expect(held.admission).toMatchObject({ next_seq: 21, held: 20 });
    // The watermark has not passed the unadmitted message's events.
    expect(held.watermark! + 10 * MIN).toBeLessThan(BASE + DAY);

    expect((await deliver([first], 2)).explicitAcks).toEqual([first.batch_id]);
    const report = await tracker.correct(); // finalizes due windows; corrects only late ones
    expect(report.late_events).toBe(0);
    const status = await tracker.status();
    expect(status.admission).toMatchObject({ next_seq: 42, held: 0, released: 0 });
    expect(status.uncorrected_late_events).toBe(0);

    const shifted = (from: number, by: number) =>
      // The windows the second run's own watermark (its last event − 10 min) made final.
      tracker.windows(from, from + 25 * MIN).then((ws) =>
        ws.map((w) => ({
          start: w.start - by,
          state: w.state,
          late: w.late,
          row: w.row &&
            { ...w.row, window_start: w.row.window_start - by, window_end: w.row.window_end - by },
        }))
      );
    const expected = await shifted(BASE, 0);
    expect(expected.map((w) => w.state)).toEqual(["final", "final", "final"]);
    expect(expected[0].row?.total_edits).toBe(24);
    expect(await shifted(BASE + DAY, DAY)).toEqual(expected);
  });

  // Continues the epoch of the test above (the one tracker has one epoch): numbers 42..45.
  it("a dead-lettered message releases its number: health reason while the gap waits, the watermark moves on, the replay is late and the correction folds it in", async () => {
    const tracker = env.WATERMARK.getByName(WATERMARK_NAME);
    const [dead, ...newer] = run("dlq", BASE + 2 * DAY, 42).slice(0, 4);
    for (const m of newer) await deliver([m], 1);
    expect((await tracker.status()).admission).toMatchObject({ next_seq: 42, held: 3 });
    await new Promise((r) => setTimeout(r, 1_100));
    const waiting = await readHealth({ ...env, ADMISSION_GAP_MAX_SECONDS: "1" } as unknown as Env);
    // Other reasons (rows waiting for a commit, a dead letter) may stand beside it in the merged health.
    expect(waiting.status).not.toBe("ok");
    expect(waiting.reasons).toContainEqual(expect.stringContaining("admission gap: message 42"));
    const watermarkBefore = (await tracker.status()).watermark;

    // Queues gives up on it: the DLQ consumer keeps it in R2 and releases its number.
    expect((await deliver([dead], 1, env, DEAD_LETTER_QUEUE)).explicitAcks).toEqual([dead.batch_id]);
    const released = await tracker.status();
    expect(released.admission).toMatchObject({ next_seq: 46, held: 0, released: 1 });
    expect(released.admission.released_batches[0]).toMatchObject({ seq: 42, batch_id: dead.batch_id });
    expect(released.watermark!).toBeGreaterThan(watermarkBefore!);
    const health = await readHealth({ ...env, ADMISSION_GAP_MAX_SECONDS: "1" } as unknown as Env);
    // The gap is gone; what remains is the dead letter itself, waiting for its replay.
    expect(health.reasons).toEqual([expect.stringContaining("dead letter(s) waiting for a replay")]);
    expect(health.admission).toMatchObject({ released: 1 });

    // The replay (the admin's dead-letter replay re-sends the same body): judged late, then folded in.
    expect((await deliver([dead], 1)).explicitAcks).toEqual([dead.batch_id]);
    await tracker.correct().then((r) => expect(r.late_events).toBe(24));
    const [window] = await tracker.windows(BASE + 2 * DAY, BASE + 2 * DAY + 1);
    expect(window).toMatchObject({ state: "final", late: 0 });
    expect(window.row?.total_edits).toBe(24);
    expect((await tracker.status()).uncorrected_late_events).toBe(0);
  });
});
