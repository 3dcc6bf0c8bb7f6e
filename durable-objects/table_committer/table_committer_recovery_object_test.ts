/**
 * Fault 3 of issue 6, committer side: a commit whose Iceberg metadata landed in R2 but whose
 * SQLite bookkeeping did not (the object was evicted in between) is resumed from its pending
 * record and recognised by its commit id, so it adds no snapshot and counts its rows once.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { R2BlobStore } from "../../r2/r2_blob_store_binding.ts";
import { QUARANTINE } from "../../r2/tables/schemas.ts";
import { IcebergTable } from "../../r2/iceberg/table_writer.ts";
import { writeDataFiles } from "../../r2/testing/lake_fixture.ts";
import { sampleRows } from "../../r2/testing/sample_rows.ts";
import { auditTable, quarantineKey } from "../../r2/testing/table_audit.ts";
import { committerName } from "./committer_core.ts";

const TABLE = QUARANTINE.name;

type Meta = { k: string; v: string }[];

describe("TableCommitter recovering a commit that landed before its bookkeeping", () => {
  it("resumes the pending commit as a no-op: same version, same snapshots, rows counted once", async () => {
    const committer = env.TABLE_COMMITTER.getByName(committerName(TABLE));
    const store = new R2BlobStore(env.LAKE);
    const table = new IcebergTable(store, {
      spec: QUARANTINE,
      bucket: env.LAKE_BUCKET_NAME,
      warehouse: env.WAREHOUSE,
    });
    const before = await committer.commitNow();
    const rows = sampleRows(QUARANTINE, 9, Date.UTC(2026, 3, 2), "recovery");
    const files = (await writeDataFiles(store, table, QUARANTINE, rows, "recovery")).map((w) => w.file);
    expect(
      await committer.stage({
        table: TABLE,
        stageId: "recovery-1",
        owners: ["recovery-owner"],
        files,
        rows: 9,
        duplicates: 0,
      }),
    )
      .toEqual({ ok: true });
    const metaBefore = await runInDurableObject(
      committer,
      (_o, state) =>
        state.storage.sql.exec<{ k: string; v: string }>("SELECT k, v FROM meta").toArray() as Meta,
    );
    const filesBefore = await runInDurableObject(
      committer,
      (_o, state) =>
        state.storage.sql.exec<{ stage_id: string; files: string }>("SELECT stage_id, files FROM stage_files")
          .toArray(),
    );

    const committed = await committer.commitNow();
    expect(committed.rows - before.rows).toBe(9);
    expect(committed.commits - before.commits).toBe(1);
    const snapshots = await table.snapshots();
    const commitId = snapshots.at(-1)!.summary["wikiflare.commit-id"];
    expect(await table.hasCommit(commitId)).toBe(true);

    // Undo exactly what the bookkeeping transaction did: the commit is pending again, counters as before.
    const undone = await runInDurableObject(committer, (_o, state) => {
      const sql = state.storage.sql;
      state.storage.transactionSync(() => {
        sql.exec("UPDATE commits SET state = 'pending' WHERE commit_id = ?", commitId);
        sql.exec("DELETE FROM meta");
        for (const { k, v } of metaBefore) sql.exec("INSERT INTO meta (k, v) VALUES (?, ?)", k, v);
        // The same transaction dropped the committed stages' file descriptors.
        for (const { stage_id, files } of filesBefore) {
          sql.exec("INSERT OR IGNORE INTO stage_files (stage_id, files) VALUES (?, ?)", stage_id, files);
        }
      });
      return sql.exec("SELECT COUNT(*) AS n FROM commits WHERE state = 'pending'").one().n;
    });
    expect(undone).toBe(1);
    expect((await committer.status()).rows).toBe(before.rows);

    const recovered = await committer.commitNow();
    expect(recovered).toMatchObject({
      version: committed.version,
      snapshot_id: committed.snapshot_id,
      rows: committed.rows,
      commits: committed.commits,
      data_files_committed: committed.data_files_committed,
      pending_stages: 0,
    });
    expect(await table.snapshots()).toEqual(snapshots);
    expect((await table.loadCurrent())?.version).toBe(committed.version);
    const audit = await auditTable(store, table, quarantineKey);
    expect(audit.problems).toEqual([]);
    expect(audit.keys.filter((k) => k.startsWith("recovery-")).sort()).toEqual(
      rows.map((r) => quarantineKey(r as unknown as Record<string, unknown>)).sort(),
    );

    // And once more: nothing pending, nothing staged, nothing changes.
    expect(await committer.commitNow()).toMatchObject({ version: committed.version, rows: committed.rows });
  });
});
