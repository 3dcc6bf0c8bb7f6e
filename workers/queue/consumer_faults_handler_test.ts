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

describe("queue consumer under faults (real local R2, Queues and Durable Objects)", () => {
  it("ingests a batch exactly once when it dies after its Parquet puts, after its commit, and loses its ack", async () => {
    const fixture = buildRawEvents({
      tag: "fault3",
      valid: 40,
      resent: 4,
      bad: 3,
      days: 3,
      perMessage: 12,
      startMs: Date.UTC(2026, 2, 1, 10),
      firstOffset: 3_000_000,
    });
    const before = await commitAll();
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

    const delta = (table: string, key: "rows" | "duplicates") => committed[table][key] - before[table][key];
    expect(delta(BRONZE.name, "rows")).toBe(fixture.events);
    expect(delta(SILVER.name, "rows")).toBe(fixture.validIds.length);
    expect(delta(SILVER.name, "duplicates")).toBe(fixture.resent);
    expect(delta(QUARANTINE.name, "rows")).toBe(fixture.bad);

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
