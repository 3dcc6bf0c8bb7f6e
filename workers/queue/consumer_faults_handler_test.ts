/**
 * Fault 3 of issue 6: the queue consumer dies after writing Parquet files but before staging
 * them, and again after everything landed but before the ack. Redeliveries must add no row
 * twice, leave no orphan in a snapshot, and a commit of nothing new must be a no-op. The
 * bindings are the real local ones; a fault is a wrapper that fails one RPC of one object.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../main.ts";
import type { RawEventsMessage } from "../../durable-objects/stream_ingestor/batching.ts";
import { committerName, type TableStatus } from "../../durable-objects/table_committer/committer_core.ts";
import { R2BlobStore } from "../../r2/r2_blob_store_binding.ts";
import { IcebergTable } from "../../r2/iceberg/table_writer.ts";
import { BRONZE, QUARANTINE, SILVER, type TableSpec } from "../../r2/tables/schemas.ts";
import { auditTable, bronzeKey, quarantineKey, silverKey } from "../../r2/testing/table_audit.ts";
import { buildRawEvents } from "../../r2/testing/raw_events_fixture.ts";
import { FAILURE_PREFIX } from "./raw_events_handler.ts";
import { WATERMARK_NAME } from "../../durable-objects/watermark/watermark_tracker_object.ts";
import { readLakeTable, recomputeLines } from "../../test/workerd/duckdb_oracle.ts";

const LAYERS = [[BRONZE, bronzeKey], [SILVER, silverKey], [QUARANTINE, quarantineKey]] as const;
const store = new R2BlobStore(env.LAKE);
const tableOf = (spec: TableSpec) =>
  new IcebergTable(store, { spec, bucket: env.LAKE_BUCKET_NAME, warehouse: env.WAREHOUSE });

async function deliver(messages: RawEventsMessage[], attempts: number, on: Env = env) {
  const batch = createMessageBatch(
    "wiki-raw-events",
    messages.map((body) => ({ id: body.batch_id, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, on);
  return getQueueResult(batch, ctx);
}

/** Commits whatever is staged in the three layers; returns each committer's status. */
async function commitAll(): Promise<Record<string, TableStatus>> {
  const out: Record<string, TableStatus> = {};
  for (const [spec] of LAYERS) {
    out[spec.name] = await env.TABLE_COMMITTER.getByName(committerName(spec.name)).commitNow();
  }
  return out;
}

/** The real env, except that `method` of the `table` committer fails (an RPC that never arrived). */
function failingCommitter(table: string, method: "stage"): Env {
  const committers = {
    getByName(name: string) {
      const stub = env.TABLE_COMMITTER.getByName(name);
      return {
        claim: (...a: Parameters<typeof stub.claim>) => stub.claim(...a),
        stagedOwners: (...a: Parameters<typeof stub.stagedOwners>) => stub.stagedOwners(...a),
        stage: (...a: Parameters<typeof stub.stage>) =>
          name === committerName(table) && method === "stage"
            ? Promise.reject(new Error(`injected fault: ${table} ${method}`))
            : stub.stage(...a),
      };
    },
  };
  return { ...env, TABLE_COMMITTER: committers as unknown as Env["TABLE_COMMITTER"] };
}

/** The real env, except that the consumer's last step before the ack (gold admission) dies after it ran. */
function failingAfterAdmit(): Env {
  const watermark = {
    getByName(name: string) {
      const stub = env.WATERMARK.getByName(name);
      return {
        admit: async (...a: Parameters<typeof stub.admit>) => {
          await stub.admit(...a);
          throw new Error("injected fault: after gold admission");
        },
      };
    },
  };
  return { ...env, WATERMARK: watermark as unknown as Env["WATERMARK"] };
}

const dataKeys = async (spec: TableSpec) => await store.list(`${tableOf(spec).prefix}/data/`);
const versionsOf = async () =>
  Object.fromEntries(
    await Promise.all(LAYERS.map(async ([s]) => [s.name, (await tableOf(s).snapshots()).length])),
  );

/** A fixture's rows in each layer's current snapshot, read by icebird + DuckDB (not the committers' counters). */
async function fixtureRowsInLake(firstOffset: number, events: number, validIds: Set<string>) {
  const read = (t: string) => readLakeTable(env.LAKE, env.WAREHOUSE, t).then((r) => r.rows);
  const bronze = (await read(BRONZE.name)).filter((r) =>
    Number(r.offset) >= firstOffset && Number(r.offset) < firstOffset + events
  );
  const keys = new Set(bronze.map((r) => String(r.event_key)));
  return {
    bronze: bronze.map((r) => `${r.offset}/${r.event_key}`),
    silver: (await read(SILVER.name)).filter((r) => validIds.has(String(r.event_id)))
      .map((r) => String(r.event_id)).sort(),
    quarantine: (await read(QUARANTINE.name)).filter((r) => keys.has(String(r.event_key))),
  };
}

/** The tracker's final windows over three days from `from`, once `count` of them are final (the alarm finalizes). */
async function finalRowsOnceDue(from: number, count: number) {
  const tracker = env.WATERMARK.getByName(WATERMARK_NAME);
  for (let i = 0;; i++) {
    const final = (await tracker.windows(from, from + 3 * 86_400_000)).filter((w) => w.state === "final");
    if (final.length >= count || i >= 100) return final.map((w) => w.row);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("queue consumer under faults (real local R2, Queues and Durable Objects)", () => {
  it("dies after its Parquet puts, after its commit, loses its ack: every row once in the lake, late verdicts and final windows as DuckDB computes them", async () => {
    const fixtureStart = Date.UTC(2026, 2, 1, 10);
    const fixture = buildRawEvents({
      tag: "fault3",
      valid: 40,
      resent: 4,
      bad: 3,
      days: 3,
      perMessage: 12,
      startMs: fixtureStart,
      firstOffset: 3_000_000,
    });
    const before = await commitAll();
    const lateBefore = (await env.WATERMARK.getByName(WATERMARK_NAME).status()).uncorrected_late_events;
    const silverFilesBefore = new Set(await dataKeys(SILVER));
    const silverIdsBefore = new Set((await auditTable(store, tableOf(SILVER), silverKey)).keys);

    // 1. Bronze is staged and silver's Parquet files are written, then staging silver fails.
    const first = await deliver(fixture.messages, 1, failingCommitter(SILVER.name, "stage"));
    expect(first.explicitAcks).toEqual([]);
    expect(first.retryMessages.map((m) => m.msgId).sort()).toEqual(
      fixture.messages.map((m) => m.batch_id).sort(),
    );
    for (const m of fixture.messages) {
      const failure = await (await env.LAKE.get(`${FAILURE_PREFIX}${m.batch_id}.json`))?.json<
        { reason: string }
      >();
      expect(failure?.reason).toContain("injected fault: silver_wiki_events stage");
    }
    const silverWritten = (await dataKeys(SILVER)).filter((k) => !silverFilesBefore.has(k));
    expect(silverWritten.length).toBe(3); // one file per event day, written but not staged
    const afterFirst = await commitAll();
    const liveSilver = new Set((await tableOf(SILVER).liveFiles()).map((f) => f.key));
    expect(silverWritten.filter((k) => liveSilver.has(k))).toEqual([]);
    expect(afterFirst[SILVER.name].rows).toBe(before[SILVER.name].rows);
    expect(afterFirst[BRONZE.name].rows - before[BRONZE.name].rows).toBe(fixture.events);

    // 2. Redelivered: everything lands, then the last step before the ack fails.
    const second = await deliver(fixture.messages, 2, failingAfterAdmit());
    expect(second.explicitAcks).toEqual([]);
    expect(second.retryMessages.length).toBe(fixture.messages.length);
    const committed = await commitAll();
    const snapshotsCommitted = await versionsOf();

    // 3. Redelivered again with nothing failing: acked, and a no-op for the lake.
    const third = await deliver(fixture.messages, 3);
    expect(third.retryMessages).toEqual([]);
    expect(third.explicitAcks.sort()).toEqual(fixture.messages.map((m) => m.batch_id).sort());
    expect(await commitAll()).toEqual(committed);

    // 4. The ack was lost: one more delivery changes no counter and adds no snapshot.
    const fourth = await deliver(fixture.messages, 4);
    expect(fourth.explicitAcks.length).toBe(fixture.messages.length);
    expect(await commitAll()).toEqual(committed);
    expect(await versionsOf()).toEqual(snapshotsCommitted);

    // The lake itself, read by icebird + DuckDB, against DuckDB's recomputation of the input.
    const want = await recomputeLines(fixture.messages.flatMap((m) => m.events.map((e) => e.data)));
    const lake = await fixtureRowsInLake(3_000_000, fixture.events, new Set(want.silverIds));
    expect(lake.bronze.length).toBe(want.bronze);
    expect(new Set(lake.bronze).size).toBe(want.bronze);
    expect(lake.silver).toEqual([...want.silverIds].sort());
    expect(lake.quarantine.length).toBe(want.quarantine);
    const delta = (table: string, key: "rows" | "duplicates") => committed[table][key] - before[table][key];
    expect(delta(SILVER.name, "duplicates")).toBe(want.duplicate);

    // Gold: the faults changed no verdict. The tracker judged exactly the events DuckDB judges
    // late in stream order (this fixture is out of event-time order by construction), and every
    // final window holds, before any correction, DuckDB's gold over the on-time events.
    const tracker = env.WATERMARK.getByName(WATERMARK_NAME);
    const lateNow = (await tracker.status()).uncorrected_late_events - lateBefore;
    expect(want.lateEvents).toBeGreaterThan(0);
    expect(lateNow).toBe(want.lateEvents);
    const watermark = (await tracker.status()).watermark!;
    const finalBefore = want.goldOnTime.filter((w) => w.window_end <= watermark);
    expect(finalBefore.length).toBeGreaterThanOrEqual(2);
    expect(await finalRowsOnceDue(fixtureStart, finalBefore.length)).toEqual(finalBefore);
    await tracker.correct();
    expect(await finalRowsOnceDue(fixtureStart, finalBefore.length)).toEqual(
      want.gold.filter((w) => w.window_end <= watermark),
    );

    const audits = Object.fromEntries(
      await Promise.all(
        LAYERS.map(async ([spec, key]) => [spec.name, await auditTable(store, tableOf(spec), key)]),
      ),
    );
    for (const [spec] of LAYERS) {
      expect(audits[spec.name].problems).toEqual([]);
      expect(audits[spec.name].keys.length).toBe(committed[spec.name].rows);
    }
    const newSilverIds = audits[SILVER.name].keys.filter((id: string) => !silverIdsBefore.has(id));
    expect(newSilverIds.sort()).toEqual([...fixture.validIds].sort());
    // The files the failed attempt wrote were rewritten under the same keys and are all in the snapshot.
    const liveNow = new Set(audits[SILVER.name].files.map((f: { key: string }) => f.key));
    const silverNew = (await dataKeys(SILVER)).filter((k) => !silverFilesBefore.has(k));
    expect(silverNew.sort()).toEqual([...silverWritten].sort());
    expect(silverNew.filter((k) => !liveNow.has(k))).toEqual([]);
  });
  it("keeps a failed attempt's Parquet file out of every snapshot when the redelivery is batched differently", async () => {
    const fixture = buildRawEvents({
      tag: "fault3-split",
      valid: 18,
      resent: 2,
      bad: 2,
      days: 1,
      perMessage: 11,
      startMs: Date.UTC(2026, 2, 9, 10),
      firstOffset: 3_100_000,
    });
    const before = await commitAll();
    const silverFilesBefore = new Set(await dataKeys(SILVER));
    const first = await deliver(fixture.messages, 1, failingCommitter(SILVER.name, "stage"));
    expect(first.retryMessages.length).toBe(2);
    const abandoned = (await dataKeys(SILVER)).filter((k) => !silverFilesBefore.has(k));
    expect(abandoned.length).toBe(1);

    // Queues may redeliver the two messages in separate batches: the files get other keys.
    for (const message of fixture.messages) expect((await deliver([message], 2)).explicitAcks.length).toBe(1);
    const after = await commitAll();
    expect(after[BRONZE.name].rows - before[BRONZE.name].rows).toBe(fixture.events);
    expect(after[SILVER.name].rows - before[SILVER.name].rows).toBe(fixture.validIds.length);
    expect(after[SILVER.name].duplicates - before[SILVER.name].duplicates).toBe(fixture.resent);
    expect(after[QUARANTINE.name].rows - before[QUARANTINE.name].rows).toBe(fixture.bad);
    const audit = await auditTable(store, tableOf(SILVER), silverKey);
    expect(audit.problems).toEqual([]);
    expect(audit.keys.filter((id) => id.startsWith("fault3-split-")).sort()).toEqual(
      [...fixture.validIds].sort(),
    );
    const live = new Set(audit.files.map((f) => f.key));
    expect(abandoned.filter((k) => live.has(k))).toEqual([]); // left for orphan cleanup, never read
    const written = (await dataKeys(SILVER)).filter((k) =>
      !silverFilesBefore.has(k) && !abandoned.includes(k)
    );
    expect(written.length).toBe(2);
    expect(written.filter((k) => !live.has(k))).toEqual([]);
  });
});
