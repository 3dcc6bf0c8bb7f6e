/**
 * The table audit the fault tests rely on must itself catch what it claims to: a missing data
 * file, a row in two files, a gap in the metadata versions and a stale version hint.
 */
import { beforeAll, describe, it } from "vitest";
import { MemoryBlobStore } from "../memory_blob_store.ts";
import { initParquetNode } from "../parquet/parquet_node.ts";
import { IcebergTable } from "../iceberg/table_writer.ts";
import { SILVER } from "../tables/schemas.ts";
import { writeDataFiles } from "./lake_fixture.ts";
import { sampleRows } from "./sample_rows.ts";
import { auditTable, silverKey } from "./table_audit.ts";

const DAY = Date.UTC(2025, 0, 1);

beforeAll(() => initParquetNode());

async function twoCommits() {
  const store = new MemoryBlobStore();
  const table = new IcebergTable(store, { spec: SILVER, bucket: "b", warehouse: "wh" });
  await table.create(DAY, "0b7e3f4c-2d1a-4e5f-8a9b-1c2d3e4f5a6b");
  const a = (await writeDataFiles(store, table, SILVER, sampleRows(SILVER, 5, DAY, "a"), "a")).map((w) =>
    w.file
  );
  await table.append(a, { commitId: "a", nowMs: DAY });
  const b = (await writeDataFiles(store, table, SILVER, sampleRows(SILVER, 3, DAY, "b"), "b")).map((w) =>
    w.file
  );
  await table.append(b, { commitId: "b", nowMs: DAY });
  return { store, table, a, b };
}

describe("auditTable", () => {
  it("finds nothing wrong with a table of two appends and reads back every row key", async ({ expect }) => {
    const { store, table } = await twoCommits();
    const audit = await auditTable(store, table, silverKey);
    expect(audit.problems).toEqual([]);
    expect(audit.versions).toEqual([1, 2, 3]);
    expect(audit.snapshots).toBe(2);
    expect(audit.keys.sort()).toEqual(["a-0", "a-1", "a-2", "a-3", "a-4", "b-0", "b-1", "b-2"]);
  });

  it("reports a live data file that is missing from the store", async ({ expect }) => {
    const { store, table, b } = await twoCommits();
    await store.delete([b[0].key]);
    expect((await auditTable(store, table, silverKey)).problems).toEqual([
      `live data file ${b[0].key} does not exist`,
      "live files hold 5 rows, snapshot says 8",
      `data file ${b[0].path} of a kept snapshot does not exist`,
    ]);
  });

  it("reports a row that two live files hold", async ({ expect }) => {
    const { store, table } = await twoCommits();
    const again = await writeDataFiles(store, table, SILVER, sampleRows(SILVER, 1, DAY, "a"), "again");
    await table.append(again.map((w) => w.file), { commitId: "again", nowMs: DAY });
    const problems = (await auditTable(store, table, silverKey)).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^row a-0 is in \S+\/again-\d+\.parquet and in \S+\/a-\d+\.parquet$/);
  });

  it("reports a gap in the metadata versions and a version hint that lags", async ({ expect }) => {
    const { store, table } = await twoCommits();
    await store.delete([`${table.prefix}/metadata/v2.metadata.json`]);
    await store.put(`${table.prefix}/metadata/version-hint.text`, new TextEncoder().encode("1"));
    const problems = (await auditTable(store, table, silverKey)).problems;
    expect(problems).toContain("metadata v2 is missing (found v3)");
    expect(problems).toContain("version hint is 1, newest is v3");
  });
});
