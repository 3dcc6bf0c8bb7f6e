/**
 * Maintenance on the real local R2 through the silver TableCommitter, while commits continue:
 * appends, a staged batch waiting, a partition-replacing correction, snapshot expiration,
 * more appends, orphan removal with a staged file and a failed attempt's file present; after
 * every step the table audit passes and the silver event_id set is what was committed.
 * Then the admin route: auth, parameter validation, the report shape, /api/health.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { maintenancePolicy } from "../../durable-objects/table_committer/maintenance_core.ts";
import { dataFileKey } from "../../r2/iceberg/paths.ts";
import { SILVER } from "../../r2/tables/schemas.ts";
import type { AnyRow } from "../../r2/tables/rows.ts";
import { writeDataFiles } from "../../r2/testing/lake_fixture.ts";
import { sampleRows } from "../../r2/testing/sample_rows.ts";
import { auditTable, silverKey } from "../../r2/testing/table_audit.ts";
import { openLakeTable, stageInput } from "../../test/workerd/lake_table.ts";

const auth = { Authorization: `Bearer ${env.ADMIN_TOKEN}` };
const fetchApp = (path: string, init?: RequestInit) =>
  (exports as any).default.fetch(new Request(`http://wikiflare.test${path}`, init));
const DAY = Date.UTC(2025, 5, 1);
const DAY_NUMBER = DAY / 86_400_000;
const idOf = (r: AnyRow) => silverKey(r as unknown as Record<string, unknown>);

describe("table maintenance through the TableCommitter", () => {
  it("expires snapshots and removes orphans while commits continue, losing no row", async () => {
    const { store, table, committer } = openLakeTable(SILVER);
    const committed: AnyRow[] = [];
    let n = 0;
    const stage = async (rows: AnyRow[]) => {
      const tag = `m${n++}`;
      const written = await writeDataFiles(store, table, SILVER, rows, tag);
      expect(await committer.stage(stageInput(SILVER, tag, written))).toEqual({ ok: true });
      return written;
    };
    const audit = async () => {
      const report = await auditTable(store, table, silverKey);
      expect(report.problems).toEqual([]);
      expect(report.keys.sort()).toEqual(committed.map(idOf).sort());
      return report;
    };
    for (let i = 0; i < 6; i++) {
      const rows = sampleRows(SILVER, 5, DAY, `append${i}`);
      await stage(rows);
      await committer.commitNow();
      committed.push(...rows);
    }
    await audit();
    // The correction rewrites the day (same ids, new files); a staged batch is committed first.
    const waiting = sampleRows(SILVER, 3, DAY, "waiting");
    await stage(waiting);
    committed.push(...waiting);
    const rewritten = await writeDataFiles(store, table, SILVER, committed, "correction");
    const replaced = await committer.replacePartitions({
      table: SILVER.name,
      commitId: "maintenance-test-correction",
      days: [DAY_NUMBER],
      files: rewritten.map((w) => w.file),
      expectedRows: { [DAY_NUMBER]: committed.length },
    });
    expect(replaced).toMatchObject({ ok: true, kind: "committed" });
    await audit();
    const oldSnapshots = await table.snapshots();
    expect(oldSnapshots.length).toBe(8);

    const more = sampleRows(SILVER, 4, DAY, "during");
    const inFlight = await stage(more); // staged, not committed while the jobs run
    const policy = { ...maintenancePolicy({}), snapshotMaxAgeHours: 0, snapshotRetainLast: 1 };
    const expiry = await committer.maintain(SILVER.name, "expire_snapshots", policy, Date.now());
    expect(expiry).toMatchObject({ table: SILVER.name, job: "expire_snapshots", error: null });
    const kept = await table.snapshots();
    // The staged batch may have been committed by the alarm before the job (one more snapshot).
    const expired = oldSnapshots.filter((s) => !kept.some((k) => k.snapshot_id === s.snapshot_id));
    expect(expiry.snapshots_expired).toBe(expired.length);
    expect(kept).toHaveLength(1);
    expect(expiry.status).toBe("done");
    for (const s of expired) {
      expect(await env.LAKE.head(s.manifest_list.replace(table.location, table.prefix))).toBeNull();
    }
    // The six append files were replaced by the correction and only expired snapshots held them.
    expect(expiry.files_deleted).toBeGreaterThanOrEqual(expired.length + 6);
    for (let i = 0; i < 6; i++) {
      const key = dataFileKey(table.prefix, SILVER.partition.name, DAY_NUMBER, `m${i}-${DAY_NUMBER}.parquet`);
      expect(await env.LAKE.head(key)).toBeNull();
    }
    committed.push(...more);
    await committer.commitNow();
    await audit();

    // A failed consumer attempt left a file; another batch sits staged during orphan removal.
    const failedKey = dataFileKey(table.prefix, SILVER.partition.name, DAY_NUMBER, "failed-attempt.parquet");
    await env.LAKE.put(failedKey, new Uint8Array([1, 2, 3]));
    const last = sampleRows(SILVER, 2, DAY, "last");
    const lastFiles = await stage(last);
    await new Promise((r) => setTimeout(r, 20));
    const orphans = await committer.maintain(SILVER.name, "remove_orphans", {
      ...policy,
      orphanMinAgeHours: 0,
    }, Date.now());
    expect(orphans).toMatchObject({ status: "done", files_deleted: 1, error: null });
    expect(await env.LAKE.head(failedKey)).toBeNull();
    for (const w of [...lastFiles, ...inFlight]) expect(await env.LAKE.head(w.file.key)).not.toBeNull();
    committed.push(...last);
    await committer.commitNow();
    const beforeCompaction = await audit();

    // Compaction while another batch is staged (the job commits it first or after, never loses it).
    const tail = sampleRows(SILVER, 3, DAY, "tail");
    await stage(tail);
    committed.push(...tail);
    const compaction = await committer.maintain(SILVER.name, "compact", policy, Date.now());
    expect(compaction).toMatchObject({ status: "done", error: null });
    expect(compaction.files_after).toBeLessThan(compaction.files_before);
    await committer.commitNow();
    const afterCompaction = await audit();
    expect(afterCompaction.files.length).toBeLessThanOrEqual(beforeCompaction.files.length);
    const snapshot = (await table.snapshots()).find((s) => s.snapshot_id === compaction.snapshot_id)!;
    expect(snapshot.operation).toBe("replace");
    expect(snapshot.summary["added-records"]).toBe(snapshot.summary["deleted-records"]);

    // More appends, then the manifest rewrite folds their one-file manifests into one (one day).
    for (let i = 0; i < 3; i++) {
      const rows = sampleRows(SILVER, 2, DAY, `late${i}`);
      await stage(rows);
      await committer.commitNow();
      committed.push(...rows);
    }
    const rewrite = await committer.maintain(SILVER.name, "rewrite_manifests", policy, Date.now());
    expect(rewrite).toMatchObject({ status: "done", manifests_after: 1, error: null });
    expect(rewrite.manifests_before).toBeGreaterThan(1);
    expect(rewrite.files_after).toBe(rewrite.files_before);
    await audit();
  });

  it("validates the admin route and reports every job; /api/health shows the last run", async () => {
    expect((await fetchApp("/api/admin/maintenance", { method: "POST" })).status).toBe(401);
    const bad = await fetchApp("/api/admin/maintenance?job=vacuum", { method: "POST", headers: auth });
    expect(bad.status).toBe(400);
    const badTable = await fetchApp("/api/admin/maintenance?table=..%2Fx", { method: "POST", headers: auth });
    expect(badTable.status).toBe(400);
    const response = await fetchApp(
      `/api/admin/maintenance?job=expire_snapshots&table=${SILVER.name}`,
      { method: "POST", headers: auth },
    );
    expect(response.status).toBe(200);
    const body = await response.json() as { jobs: Record<string, unknown>[]; took_ms: number };
    expect(body.jobs).toHaveLength(1);
    expect(Object.keys(body.jobs[0]).sort()).toEqual([
      "bytes_after",
      "bytes_before",
      "error",
      "files_after",
      "files_before",
      "files_deleted",
      "job",
      "manifests_after",
      "manifests_before",
      "snapshot_id",
      "snapshots_expired",
      "status",
      "table",
      "took_ms",
    ]);
    expect(body.jobs[0]).toMatchObject({ table: SILVER.name, job: "expire_snapshots" });
    expect(["done", "nothing_to_do"]).toContain(body.jobs[0].status);
    const health = await (await fetchApp("/api/health")).json() as { maintenance: { jobs: unknown[] } };
    expect(health.maintenance.jobs).toEqual(body.jobs);
  });
});
