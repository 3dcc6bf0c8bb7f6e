import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { R2BlobStore } from "../../r2/r2_blob_store_binding.ts";
import { QUARANTINE } from "../../r2/tables/schemas.ts";
import { IcebergTable } from "../../r2/iceberg/table_writer.ts";
import { writeDataFiles } from "../../r2/testing/lake_fixture.ts";
import { sampleRows } from "../../r2/testing/sample_rows.ts";

const TABLE = QUARANTINE.name;

describe("TableCommitter on the real local R2", () => {
  it("gives each key to the first owner that claims it, also when the owner asks again", async () => {
    const committer = env.TABLE_COMMITTER.getByName("test-committer-claims");
    const first = await committer.claim(TABLE, [{ owner: "A", keys: ["k1", "k2"] }]);
    const second = await committer.claim(TABLE, [{ owner: "B", keys: ["k2", "k3"] }, {
      owner: "A",
      keys: ["k1", "k2"],
    }]);
    expect(first.newKeys).toEqual({ A: ["k1", "k2"] });
    expect(second.newKeys).toEqual({ B: ["k3"], A: ["k1", "k2"] });
    expect(second.stagedOwners).toEqual([]);
  });

  it("commits staged files as one snapshot with its commit id, and refuses to stage an owner twice", async () => {
    const committer = env.TABLE_COMMITTER.getByName(`table:${TABLE}`);
    const store = new R2BlobStore(env.LAKE);
    const table = new IcebergTable(store, {
      spec: QUARANTINE,
      bucket: env.LAKE_BUCKET_NAME,
      warehouse: env.WAREHOUSE,
    });
    const before = await committer.status(TABLE);
    const rows = sampleRows(QUARANTINE, 12, Date.UTC(2026, 0, 5), "committer-test");
    const written = await writeDataFiles(store, table, QUARANTINE, rows, "committer-test");
    const files = written.map((w) => w.file);
    const staged = await committer.stage({
      table: TABLE,
      stageId: "stage-1",
      owners: ["owner-1"],
      files,
      rows: 12,
      duplicates: 0,
    });
    expect(staged).toEqual({ ok: true });
    const again = await committer.stage({
      table: TABLE,
      stageId: "stage-2",
      owners: ["owner-1"],
      files,
      rows: 12,
      duplicates: 0,
    });
    expect(again.ok).toBe(false);
    expect(await committer.stagedOwners(TABLE, ["owner-1", "owner-2"])).toEqual(["owner-1"]);

    const after = await committer.commitNow();
    expect(after.rows - before.rows).toBe(12);
    expect(after.commits - before.commits).toBe(1);
    // The commit's duration is recorded durably, once per commit.
    expect(after.commit_duration!.count - (before.commit_duration?.count ?? 0)).toBe(1);
    expect(after.commit_duration!.sum).toBeGreaterThanOrEqual(before.commit_duration?.sum ?? 0);
    expect(after.pending_stages).toBe(0);
    const live = (await table.liveFiles()).map((f) => f.path);
    for (const f of files) expect(live).toContain(f.path);
    const snapshots = await table.snapshots();
    const last = snapshots.at(-1)!;
    expect(last.snapshot_id).toBe(after.snapshot_id);
    expect(last.summary["wikiflare.commit-id"]).toMatch(/^[0-9a-f]{32}$/);
    expect(await table.hasCommit(last.summary["wikiflare.commit-id"])).toBe(true);

    // Nothing staged: a second commit changes nothing.
    const idle = await committer.commitNow();
    expect(idle.version).toBe(after.version);
  });
});
