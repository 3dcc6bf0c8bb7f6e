import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AdmitRow } from "./admission.ts";
import type { OwnerAdmission } from "./watermark_tracker_object.ts";
import { expectAdmission, finalUnder } from "../../test/workerd/duckdb_oracle.ts";

const MIN = 60_000;
const START = Date.UTC(2026, 2, 1, 0, 0);

function row(id: string, eventTime: number, i: number): AdmitRow {
  return {
    event_id: id,
    user_name: `user-${i % 5}`,
    wiki: i % 2 ? "enwiki" : "dewiki",
    page_title: `Page ${i % 7}`,
    is_bot: i % 3 === 0,
    bytes_diff: i * 37 - 500,
    event_time: eventTime,
  };
}

/** Message 0 holds rows of the first window; messages 1..20 are 16–36 min later (they finalize it). */
function messages(epoch: string, day: number): OwnerAdmission[] {
  // GoldWindows are named by window start: each case uses its own day (and its own event ids).
  const start = START + day * 86_400_000;
  const first = Array.from({ length: 30 }, (_, i) => row(`${epoch}-m0-${i}`, start + (i % 10) * 30_000, i));
  const out: OwnerAdmission[] = [{ owner: `${epoch}-m0`, rows: first, tag: { epoch, seq: 0 } }];
  for (let m = 1; m <= 20; m++) {
    const rows = Array.from(
      { length: 5 },
      (_, i) => row(`m${m}-${i}`, start + (15 + m) * MIN + i * 1000, m + i),
    );
    out.push({ owner: `${epoch}-m${m}`, rows, tag: { epoch, seq: m } });
  }
  return out;
}

async function settle(name: string) {
  const tracker = env.WATERMARK.getByName(name);
  await tracker.correct(); // finishes feeds and finalizes due windows; corrects nothing without late rows
  return tracker;
}

/** The rows of the final windows the tracker holds for [from, from + 60 min). */
async function finalRows(name: string, from: number) {
  const windows = await env.WATERMARK.getByName(name).windows(from, from + 60 * MIN);
  return windows.filter((w) => w.state === "final").map((w) => w.row);
}

describe("WatermarkTracker ordered admission (workerd, real Durable Objects)", () => {
  it("a message retried after 20 newer ones is judged in sequence order: zero late, every final window equal to DuckDB's", async () => {
    const name = "ordered-retried";
    const tracker = env.WATERMARK.getByName(name);
    const all = messages("ep-retry", 1);
    // Expected: DuckDB over the rows in sequence order (the stream's order), not delivery order.
    const want = await expectAdmission(all.flatMap((m) => m.rows));
    expect(want.late).toBe(0);
    const [first, ...newer] = all;
    let late = 0;
    for (const m of newer) late += (await tracker.admit([m])).late;
    // Held: the watermark has not passed the unadmitted message's events (it has not moved at all).
    const held = await tracker.status();
    expect(held.watermark).toBeNull();
    expect(held.admission).toMatchObject({ next_seq: 0, held: 20 });
    expect(held.admission.oldest_held_at).not.toBeNull();
    late += (await tracker.admit([first])).late;
    // A second delivery of any of them changes nothing.
    late += (await tracker.admit([first, newer[3]])).late;
    expect(late).toBe(want.late);

    const got = await settle(name);
    const status = await got.status();
    expect(status.admission).toMatchObject({ next_seq: 21, held: 0, released: 0 });
    expect(status.uncorrected_late_events).toBe(0);
    expect(status.watermark).toBe(want.watermark);
    const final = finalUnder(want.gold, want.watermark);
    expect(final.length).toBe(3);
    expect(final[0].total_edits).toBe(30);
    expect(await finalRows(name, START + 86_400_000)).toEqual(final);
  });

  it("a dead-lettered number is released: the watermark moves on, the release is reported, the replay is late", async () => {
    const name = "ordered-dead-letter";
    const tracker = env.WATERMARK.getByName(name);
    const [first, ...newer] = messages("ep-dlq", 2);
    for (const m of newer) await tracker.admit([m]);
    expect((await tracker.status()).watermark).toBeNull();

    await tracker.releaseSequence(first.tag!, "batch-dead");
    const after = await tracker.status();
    expect(after.watermark).not.toBeNull();
    expect(after.admission).toMatchObject({ next_seq: 21, held: 0, released: 1 });
    expect(after.admission.released_batches).toEqual([
      expect.objectContaining({ seq: 0, batch_id: "batch-dead" }),
    ]);
    // The replayed dead letter: its number was passed, so its rows are judged now, against a
    // watermark that passed their window: late (the correction folds them in). DuckDB judges
    // the rows in the order they were admitted: the newer messages, then the replay.
    const want = await expectAdmission([...newer, first].flatMap((m) => m.rows));
    expect(want.late).toBe(first.rows.length);
    const replay = await tracker.admit([first]);
    expect(replay.late).toBe(want.late);
    const dayStart = START + 2 * 86_400_000;
    // Before the correction the first window is final without the late rows: not in it at all.
    expect((await tracker.windows(dayStart, dayStart + 1))[0]?.row ?? null).toBeNull();
    const report = await tracker.correct();
    expect(report.late_events).toBe(want.late);
    expect((await tracker.status()).uncorrected_late_events).toBe(0);
    // Folded in: every final window equals DuckDB's gold over all rows.
    expect(await finalRows(name, dayStart)).toEqual(finalUnder(want.gold, want.watermark));
  });

  it("an admin reset starts the new epoch at 0; an old epoch's message is judged at once", async () => {
    const tracker = env.WATERMARK.getByName("ordered-reset");
    await tracker.admit(messages("ep-old", 3).slice(2, 4));
    expect((await tracker.status()).admission).toMatchObject({ epoch: "ep-old", held: 2 });
    await tracker.reset("ep-new");
    expect((await tracker.status()).admission).toMatchObject({ epoch: "ep-new", next_seq: 0, held: 0 });
    const [stale] = messages("ep-old", 3).slice(5, 6);
    expect((await tracker.admit([stale])).windows).toBe(1);
    expect((await tracker.status()).admission).toMatchObject({ next_seq: 0, held: 0 });
  });
});
