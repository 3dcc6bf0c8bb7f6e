/**
 * Issue 11's "Done when" on the real local R2, step by step: the synth stream
 * testdata/synth-1000-seed7.jsonl is replayed through the real queue consumer in parts, and the
 * silver table's jobs run between and beside its commits — interleaved appends, a correction
 * overwrite, a commit staged before a compaction whose alarm has not run yet and a slow
 * consumer attempt's files written before it and staged after, a manifest rewrite, an expiry and
 * an orphan removal with a staged batch and a failed attempt's file present.
 *
 * After every step the table's objects go to the DuckDB oracle (test/e2e/lib/lake_audit.ts):
 * iceberg-check passes over every snapshot; icebird and DuckDB `read_parquet` read the current
 * snapshot's event_ids, which equal the expected set exactly once each (the oracle's DuckDB
 * recomputation of the replayed lines plus the rows the test added itself); every kept snapshot
 * this test saw as current reads back (icebird and DuckDB) with the ids it had then; no kept
 * snapshot references a missing file. Expiry must delete exactly-unreachable files, compaction
 * must write files within the target size, sorted by event_time in file row order.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import synth from "../../testdata/synth-1000-seed7.jsonl?raw";
import { packMessages } from "../../durable-objects/stream_ingestor/batching.ts";
import { maintenancePolicy } from "../../durable-objects/table_committer/maintenance_core.ts";
import type { TableCommitter } from "../../durable-objects/table_committer/table_committer_object.ts";
import { dataFileKey } from "../../r2/iceberg/paths.ts";
import { SILVER } from "../../r2/tables/schemas.ts";
import type { AnyRow, SilverRow } from "../../r2/tables/rows.ts";
import { writeDataFiles, type WrittenFile } from "../../r2/testing/lake_fixture.ts";
import { eventsFromStreamLines } from "../../r2/testing/raw_events_fixture.ts";
import { sampleRows } from "../../r2/testing/sample_rows.ts";
import { auditLakeTable, type LakeAudit, readLakeTable, recomputeLines } from "./duckdb_oracle.ts";
import { deliverRawEvents } from "./queue_delivery.ts";
import { openLakeTable, stageInput } from "./lake_table.ts";

const DAY_MS = 86_400_000;
/** The fixture's first event day (2026-01-01). */
const DAY = Date.UTC(2026, 0, 1);

const lines = synth.split("\n").filter((l) => l.length > 0);
let batch = 0;
const messages = packMessages(eventsFromStreamLines(lines, 5_000_000, DAY + 3_600_000), {
  maxMessageBytes: 60_000,
  newBatchId: () => `maintenance-lake-${batch++}`,
});
const linesOf = (upTo: number) => messages.slice(0, upTo).flatMap((m) => m.events.map((e) => e.data));
const ids = (rows: readonly AnyRow[]) => rows.map((r) => (r as SilverRow).event_id);

describe("maintenance jobs on the real local R2 while a replayed stream commits", () => {
  it("keeps the silver table valid, complete and time-travelable after every step", async () => {
    const { store, table, committer } = openLakeTable(SILVER);
    const policy = {
      ...maintenancePolicy({}),
      snapshotMaxAgeHours: 0,
      snapshotRetainLast: 3,
      orphanMinAgeHours: 0,
    };
    const maintain = (
      job: "compact" | "rewrite_manifests" | "expire_snapshots" | "remove_orphans",
      extra = {},
    ) => committer.maintain(SILVER.name, job, { ...policy, ...extra }, Date.now());
    const key = (relative: string) => `${table.prefix}/${relative}`;
    /** Ids the test added itself (a correction's late rows, the stalled commits' rows). */
    const added: string[] = [];
    let replayed = 0;
    const expected = async () => [...(await recomputeLines(linesOf(replayed))).silverIds, ...added].sort();
    /** Event ids of each snapshot this test saw as current. */
    const seen = new Map<string, string[]>();

    const audit = async (step: string): Promise<LakeAudit> => {
      const want = await expected();
      const a = await auditLakeTable(env.LAKE, env.WAREHOUSE, SILVER.name, {
        keyColumn: "event_id",
        sortColumn: "event_time",
        readSnapshots: [...seen.keys()],
      });
      expect({ step, check: a.check }).toEqual({ step, check: { exitCode: 0, errors: [] } });
      expect({ step, keys: a.current.duckdbKeys }).toEqual({ step, keys: want });
      expect({ step, keys: a.current.icebirdKeys }).toEqual({ step, keys: want });
      expect(a.current.manifestRecordCount).toBe(want.length);
      for (const f of a.current.files) expect(f.parquetRows).toBe(f.recordCount);
      for (const s of a.snapshots) {
        expect({ step, snapshot: s.id, missing: s.missing }).toMatchObject({ missing: [] });
      }
      // Time travel: every kept snapshot seen as current reads back as it was.
      for (const s of a.snapshots.filter((s) => seen.has(s.id))) {
        expect({ step, snapshot: s.id, ...a.at[s.id] }).toEqual({
          step,
          snapshot: s.id,
          icebirdKeys: seen.get(s.id),
          duckdbKeys: seen.get(s.id),
        });
      }
      seen.set(a.currentSnapshotId!, want);
      return a;
    };
    const replay = async (upTo: number) => {
      const result = await deliverRawEvents(messages.slice(replayed, upTo));
      expect(result.retryMessages).toEqual([]);
      replayed = upTo;
    };
    /** Writes rows as data files the way a consumer attempt does (not staged). */
    const write = (rows: AnyRow[], tag: string) => writeDataFiles(store, table, SILVER, rows, tag);
    /** Stages files and cancels the commit alarm in the same turn: a commit that has not run yet. */
    const stageHeld = (tag: string, written: WrittenFile[]) =>
      runInDurableObject(committer, async (instance: TableCommitter, state) => {
        expect(await instance.stage(stageInput(SILVER, tag, written))).toEqual({ ok: true });
        await state.storage.deleteAlarm();
      });
    const pending = async () => (await committer.status()).pending_stages;
    expect(messages.length).toBeGreaterThanOrEqual(8);
    const third = Math.floor(messages.length / 3);

    // 1. The first third of the stream, then an interleaved append of the second.
    await replay(third);
    await committer.commitNow();
    await audit("first third replayed");
    await replay(2 * third);
    await committer.commitNow();
    const appended = await audit("second third appended");
    expect(appended.snapshots.length).toBeGreaterThanOrEqual(2);

    // 2. A correction overwrites the day with its rows (read back by DuckDB) plus three late rows.
    const dayRows = (await readLakeTable(env.LAKE, env.WAREHOUSE, SILVER.name)).rows
      .filter((r) => Math.floor(Number(r.event_time) / DAY_MS) * DAY_MS === DAY) as unknown as SilverRow[];
    const late = sampleRows(SILVER, 3, DAY, "late");
    const corrected = await write([...dayRows, ...late], "correction");
    const replaced = await committer.replacePartitions({
      table: SILVER.name,
      commitId: "maintenance-lake-correction",
      days: [DAY / DAY_MS],
      files: corrected.map((w) => w.file),
      expectedRows: { [DAY / DAY_MS]: dayRows.length },
    });
    expect(replaced).toMatchObject({ ok: true, kind: "committed" });
    added.push(...ids(late));
    await audit("correction overwrite");

    // 3. Compaction while two commits stall across it: a slow consumer attempt has written its
    // files (not staged yet), and another batch is staged but its commit alarm has not run.
    for (let m = 2 * third; m < 2 * third + 4; m++) {
      await replay(m + 1); // one consumer batch and one commit per message: small files
      await committer.commitNow();
    }
    const beforeCompaction = await audit("four more appends before compaction");
    // The target (MAINTENANCE_TARGET_FILE_MB) just holds the small append files (DuckDB's sizes):
    // one bin-pack group whose estimated output passes 90 % of it, so the output is split.
    const small = beforeCompaction.current.files.filter((f) => !f.key.includes("correction"));
    expect(small.length).toBeGreaterThanOrEqual(4);
    const targetBytes = small.reduce((n, f) => n + f.sizeBytes, 0) + 64;
    const slowRows = sampleRows(SILVER, 4, DAY, "slow-attempt");
    const slow = await write(slowRows, "slow-attempt");
    const heldRows = sampleRows(SILVER, 5, DAY, "held-commit");
    const held = await write(heldRows, "held-commit");
    await stageHeld("held-commit", held);
    expect(await pending()).toBe(1);
    const compaction = await maintain("compact", { targetFileMb: targetBytes / 1024 / 1024 });
    expect(compaction).toMatchObject({ status: "done", error: null });
    expect(compaction.files_after).toBeLessThan(compaction.files_before);
    expect(await pending()).toBe(1); // the stalled commit is still to come
    for (const w of [...slow, ...held]) expect(await env.LAKE.head(w.file.key)).not.toBeNull();
    const compacted = await audit("compaction");
    const outputs = compacted.current.files.filter((f) =>
      !beforeCompaction.current.files.some((b) => b.key === f.key)
    );
    expect(outputs.length).toBeGreaterThanOrEqual(2); // the day was split by the small target
    for (const f of outputs) {
      expect({ file: f.key, within: f.sizeBytes <= targetBytes, outOfOrder: f.outOfOrder })
        .toEqual({ file: f.key, within: true, outOfOrder: 0 });
    }
    const replace = compacted.snapshots.find((s) => s.id === compaction.snapshot_id);
    expect(replace?.operation).toBe("replace");
    // The stalled commits land after the compaction: every row once.
    await committer.commitNow();
    added.push(...ids(heldRows));
    await audit("held commit after compaction");
    expect(await committer.stage(stageInput(SILVER, "slow-attempt", slow))).toEqual({ ok: true });
    await committer.commitNow();
    added.push(...ids(slowRows));
    await audit("slow attempt staged and committed after compaction");

    // 4. The rest of the stream but one message, then the manifest rewrite.
    await replay(messages.length - 1);
    await committer.commitNow();
    await audit("third third appended");
    const rewrite = await maintain("rewrite_manifests");
    expect(rewrite).toMatchObject({ status: "done", error: null });
    expect(rewrite.manifests_after).toBeLessThan(rewrite.manifests_before);
    const rewritten = await audit("manifest rewrite");

    // 5. Expiry keeps the newest 3 snapshots; what only the others reached is deleted.
    const expiry = await maintain("expire_snapshots");
    expect(expiry).toMatchObject({ status: "done", error: null });
    const expired = await audit("expiry");
    const keptIds = new Set(expired.snapshots.map((s) => s.id));
    expect(keptIds.size).toBe(3);
    const gone = rewritten.snapshots.filter((s) => !keptIds.has(s.id));
    expect(expiry.snapshots_expired).toBe(gone.length);
    const filesOf = (list: LakeAudit["snapshots"]) =>
      new Set(list.flatMap((s) => [s.manifestList, ...s.manifests, ...s.dataFiles]));
    const keptFiles = filesOf(expired.snapshots);
    const unreachable = [...filesOf(gone)].filter((f) => !keptFiles.has(f));
    expect(unreachable.length).toBeGreaterThan(gone.length); // manifest lists and replaced data files
    for (const f of unreachable) {
      expect({ gone: f, head: await env.LAKE.head(key(f)) }).toEqual({ gone: f, head: null });
    }
    expect(expiry.files_deleted).toBe(unreachable.length);
    // Time travel to an older kept snapshot (not the current one) was checked by the audit.
    expect(expired.snapshots.filter((s) => s.id !== expired.currentSnapshotId && seen.has(s.id)).length)
      .toBeGreaterThan(0);

    // 6. Orphan removal with a failed attempt's file present and the last message's batch staged.
    const failedKey = dataFileKey(
      table.prefix,
      SILVER.partition.name,
      DAY / DAY_MS,
      "failed-attempt.parquet",
    );
    await env.LAKE.put(failedKey, new Uint8Array([80, 65, 82, 49]));
    const lastRows = sampleRows(SILVER, 2, DAY, "staged-during-orphans");
    const last = await write(lastRows, "staged-during-orphans");
    await stageHeld("staged-during-orphans", last);
    const orphans = await maintain("remove_orphans");
    expect(orphans).toMatchObject({ status: "done", files_deleted: 1, error: null });
    expect(await env.LAKE.head(failedKey)).toBeNull();
    for (const w of last) expect(await env.LAKE.head(w.file.key)).not.toBeNull();
    await audit("orphan removal");
    await committer.commitNow();
    added.push(...ids(lastRows));
    await replay(messages.length);
    await committer.commitNow();
    await audit("the last message and the staged batch committed");
  }, 240_000);
});
