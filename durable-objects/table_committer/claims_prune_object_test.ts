/**
 * Bounded dedup state: pruneClaims forgets claims older than the horizon, keeps younger ones
 * and the claims of an owner whose batch is still staged, and drops committed stages.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import wasm from "parquet-wasm/esm/parquet_wasm_bg.wasm";
import { initParquet } from "../../r2/parquet/parquet_writer.ts";
import { R2BlobStore } from "../../r2/r2_blob_store_binding.ts";
import { IcebergTable } from "../../r2/iceberg/table_writer.ts";
import { BRONZE } from "../../r2/tables/schemas.ts";
import { writeDataFiles } from "../../r2/testing/lake_fixture.ts";
import { sampleRows } from "../../r2/testing/sample_rows.ts";
import { claimHorizonMs } from "./maintenance_core.ts";

const DAY = 86_400_000;

describe("TableCommitter.pruneClaims", () => {
  it("keeps claims inside the horizon and those of staged owners, forgets the rest", async () => {
    initParquet(wasm);
    const committer = env.TABLE_COMMITTER.getByName("test-prune-claims");
    const table = BRONZE.name;
    expect(claimHorizonMs(24)).toBe(9 * DAY);
    await committer.claim(table, [{ owner: "done", keys: ["d1", "d2"] }, { owner: "waiting", keys: ["w1"] }]);
    const store = new R2BlobStore(env.LAKE);
    const iceberg = new IcebergTable(store, {
      spec: BRONZE,
      bucket: env.LAKE_BUCKET_NAME,
      warehouse: env.WAREHOUSE,
    });
    const files = await writeDataFiles(
      store,
      iceberg,
      BRONZE,
      sampleRows(BRONZE, 2, Date.UTC(2026, 0, 1), "p"),
      "p",
    );
    // Only the stage matters here (pruning reads SQLite); its files are never committed in this test.
    await committer.stage({
      table,
      stageId: "s-wait",
      owners: ["waiting"],
      files: files.map((w) => w.file),
      rows: 2,
      duplicates: 0,
    });
    const now = Date.now();
    expect(await committer.pruneClaims(table, 9 * DAY, now)).toEqual({ claims: 0, stages: 0 });
    const later = await committer.pruneClaims(table, 9 * DAY, now + 10 * DAY);
    expect(later.claims).toBe(2);
    // "done" may claim its keys again (forgotten); "waiting" still owns w1 and stays staged.
    const again = await committer.claim(table, [{ owner: "other", keys: ["d1", "w1"] }]);
    expect(again.newKeys).toEqual({ other: ["d1"] });
    expect(await committer.stagedOwners(table, ["waiting"])).toEqual(["waiting"]);
    await committer.reset();
  });
});
