/**
 * Gold keeps its own snapshot age (GOLD_SNAPSHOT_MAX_AGE_HOURS, 24 h by default) when expiry runs
 * with the other tables' shorter one: `/api/kpis?as_of=` reaches back a day although bronze and
 * silver, which commit every interval, keep 6 h.
 */
import { describe, expect, it } from "vitest";
import { maintenancePolicy } from "../../durable-objects/table_committer/maintenance_core.ts";
import { GOLD } from "../../r2/tables/schemas.ts";
import { writeDataFiles } from "../../r2/testing/lake_fixture.ts";
import { sampleRows } from "../../r2/testing/sample_rows.ts";
import { openLakeTable, stageInput } from "./lake_table.ts";

const DAY = Date.UTC(2025, 6, 1);

describe("gold's snapshot age", () => {
  it("keeps gold's young snapshots under SNAPSHOT_MAX_AGE_HOURS = 0, expires them under its own 0", async () => {
    const { store, table, committer } = openLakeTable(GOLD);
    for (let i = 0; i < 3; i++) {
      const tag = `gold-age-${i}`;
      const rows = sampleRows(GOLD, 2, DAY + i * 3_600_000, tag);
      const written = await writeDataFiles(store, table, GOLD, rows, tag);
      expect(await committer.stage(stageInput(GOLD, tag, written))).toEqual({ ok: true });
      await committer.commitNow();
    }
    const before = (await table.snapshots()).length;
    expect(before).toBeGreaterThanOrEqual(3);

    const others0 = { ...maintenancePolicy({ SNAPSHOT_MAX_AGE_HOURS: "0" }), snapshotRetainLast: 1 };
    const kept = await committer.maintain(GOLD.name, "expire_snapshots", others0, Date.now());
    expect(kept).toMatchObject({ status: "nothing_to_do", snapshots_expired: 0, error: null });
    expect(await table.snapshots()).toHaveLength(before);

    const gold0 = { ...others0, goldSnapshotMaxAgeHours: 0 };
    const expired = await committer.maintain(GOLD.name, "expire_snapshots", gold0, Date.now());
    expect(expired).toMatchObject({ status: "done", snapshots_expired: before - 1, error: null });
    expect(await table.snapshots()).toHaveLength(1);
  });
});
