/**
 * Bounded dedup state: pruneClaims forgets claims older than the horizon, keeps younger ones
 * and the claims of an owner whose batch is still staged, and drops committed stages; claims
 * live in one table per UTC day (a claim is one written row, a prune drops whole days), and an
 * object from before the day tables keeps its `claims` table as one more day until it expires.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { TableCommitter } from "./table_committer_object.ts";
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

  it("writes one row per new claim and none per repeated claim; the prune drops days without a row per claim", async () => {
    const stub = env.TABLE_COMMITTER.getByName("test-claims-cost");
    const table = "silver_wiki_events";
    const n = 3_500;
    const requests = Array.from({ length: n / 35 }, (_, i) => ({
      owner: `owner-${i}`,
      keys: Array.from({ length: 35 }, () => crypto.randomUUID()),
    }));
    const fresh = await counted(stub, (c) => c.claim(table, requests));
    const again = await counted(stub, (c) => c.claim(table, requests));
    expect(Object.values(again.result.newKeys).flat()).toHaveLength(n); // each owner still holds its keys
    const pruned = await counted(stub, (c) => c.pruneClaims(table, 9 * DAY, Date.now() + 11 * DAY));
    expect(pruned.result.claims).toBe(n);
    console.log(
      `claims-cost: rows written per new claim ${fresh.written / n}, per repeated claim ${
        again.written / n
      }; ` +
        `prune of ${n} claims: ${pruned.written} rows written, ${pruned.read} read`,
    );
    // One row per claim (+ today's table and registry row); a repeated claim writes nothing.
    expect(fresh.written).toBeLessThanOrEqual(n + 10);
    expect(again.written).toBe(0);
    expect(pruned.written).toBeLessThan(10);
    await stub.reset();
  });

  it("migrates an object's old claims table as one day that is dropped once past the horizon", async () => {
    const stub = env.TABLE_COMMITTER.getByName("test-claims-legacy");
    const table = "bronze_wiki_events";
    // The layout before day tables, written before the object's first claim.
    await runInDurableObject(stub, (_i: unknown, state) => {
      const sql = state.storage.sql;
      sql.exec(
        "CREATE TABLE claims (key TEXT PRIMARY KEY, owner TEXT NOT NULL, claimed_at INTEGER NOT NULL) WITHOUT ROWID",
      );
      for (const key of ["old-1", "old-2", "old-3"]) sql.exec("INSERT INTO claims VALUES (?, 'A', 1)", key);
    });
    const first = await stub.claim(table, [{ owner: "B", keys: ["old-1", "new-1"] }, {
      owner: "A",
      keys: ["old-2"],
    }]);
    expect(first.newKeys).toEqual({ B: ["new-1"], A: ["old-2"] });
    const now = Date.now();
    const dayEnd = (Math.floor(now / DAY) + 1) * DAY;
    expect(await stub.pruneClaims(table, 9 * DAY, dayEnd + 9 * DAY - 1)).toEqual({ claims: 0, stages: 0 });
    expect((await stub.claim(table, [{ owner: "C", keys: ["old-3"] }])).newKeys).toEqual({ C: [] });
    // The old table and today's go together once their day is past.
    expect((await stub.pruneClaims(table, 9 * DAY, dayEnd + 9 * DAY)).claims).toBe(4);
    const tables = await runInDurableObject(
      stub,
      (_i: unknown, state) =>
        state.storage.sql.exec<{ name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'claims%' ORDER BY name",
        ).toArray().map((r) => r.name),
    );
    expect(tables).toEqual([]);
    expect((await stub.claim(table, [{ owner: "C", keys: ["old-3"] }])).newKeys).toEqual({ C: ["old-3"] });
    await stub.reset();
  });
});

/** Runs `fn` on the committer and adds up the rows its SQL statements wrote and read (cursor counters). */
function counted<T>(stub: DurableObjectStub<TableCommitter>, fn: (committer: TableCommitter) => T) {
  return runInDurableObject(stub, (instance: TableCommitter, state) => {
    const sql = state.storage.sql;
    const exec = sql.exec;
    const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
    sql.exec = ((query: string, ...bindings: unknown[]) => {
      const cursor = exec.call(sql, query, ...bindings);
      cursors.push(cursor);
      return cursor;
    }) as SqlStorage["exec"];
    try {
      const result = fn(instance);
      return {
        result,
        written: cursors.reduce((n, c) => n + c.rowsWritten, 0),
        read: cursors.reduce((n, c) => n + c.rowsRead, 0),
      };
    } finally {
      sql.exec = exec;
    }
  });
}
