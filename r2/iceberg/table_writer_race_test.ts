/**
 * Two IcebergTable instances committing to one directory at the same time: exactly one wins the
 * create-if-absent of v2, the other reloads and retries, and the table stays valid.
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, it } from "vitest";
import { FsBlobStore } from "../fs_blob_store.ts";
import { initParquetNode } from "../parquet/parquet_node.ts";
import { SILVER } from "../tables/schemas.ts";
import { HookedStore } from "../testing/hooked_store.ts";
import { locateIcebergCheck, REPO_ROOT, runIcebergCheck } from "../testing/iceberg_check.ts";
import { writeDataFiles } from "../testing/lake_fixture.ts";
import { sampleRows } from "../testing/sample_rows.ts";
import { IcebergTable } from "./table_writer.ts";

const UUID = "0b7e3f4c-2d1a-4e5f-8a9b-1c2d3e4f5a6b";
const DAY = Date.UTC(2025, 0, 1);

beforeAll(() => initParquetNode());

describe("IcebergTable with two writers on one directory", () => {
  it("lands two racing appends (the loser retries), then a compaction, and stays valid", async ({ expect }) => {
    const root = join(REPO_ROOT, "test-output/table_writer_commit_test");
    await rm(root, { recursive: true, force: true });
    await mkdir(root, { recursive: true });
    const store = new FsBlobStore(root);
    // Hold the first commit point of each writer until both reached it, so they truly race.
    let waiting: (() => void)[] = [];
    const barrier = new HookedStore(store, {
      putIfAbsent: (key) => {
        if (!key.endsWith("v2.metadata.json")) return undefined;
        return new Promise<undefined>((resolve) => {
          waiting.push(() => resolve(undefined));
          if (waiting.length === 2) (waiting.forEach((go) => go()), waiting = []);
        });
      },
    });
    const options = { spec: SILVER, bucket: "b", warehouse: "wh" };
    const [a, b] = [new IcebergTable(barrier, options), new IcebergTable(barrier, options)];
    await a.create(DAY, UUID);
    const rowsA = sampleRows(SILVER, 6, DAY, "a");
    const rowsB = sampleRows(SILVER, 8, DAY, "b");
    const filesA = (await writeDataFiles(store, a, SILVER, rowsA, "a")).map((w) => w.file);
    const filesB = (await writeDataFiles(store, b, SILVER, rowsB, "b")).map((w) => w.file);
    const results = await Promise.all([
      a.append(filesA, { commitId: "writer-a", nowMs: DAY }),
      b.append(filesB, { commitId: "writer-b", nowMs: DAY }),
    ]);
    expect(results.map((r) => r.kind)).toEqual(["committed", "committed"]);
    expect(results.map((r) => (r.kind === "committed" ? r.attempts : 0)).sort()).toEqual([1, 2]);
    expect(results.map((r) => (r.kind === "committed" ? r.version : 0)).sort()).toEqual([2, 3]);
    expect((await a.liveFiles()).length).toBe(2);

    const merged = (await writeDataFiles(store, a, SILVER, [...rowsA, ...rowsB], "compacted")).map((w) =>
      w.file
    );
    const replace = await b.overwrite({
      added: merged,
      deletePaths: [...filesA, ...filesB].map((f) => f.path),
      commitId: "compact-1",
      nowMs: DAY,
      operation: "replace",
    });
    expect(replace).toMatchObject({ kind: "committed", version: 4 });
    expect((await a.snapshots()).map((s) => [s.operation, s.summary["total-records"]])).toEqual([
      ["append", expect.any(String)],
      ["append", "14"],
      ["replace", "14"],
    ]);
    const { status, report } = runIcebergCheck(
      locateIcebergCheck(),
      join(root, "wh/wiki/silver_wiki_events"),
    );
    expect(report.errors).toEqual([]);
    expect(status).toBe(0);
    expect(report.rows).toBe("14");
  });
});
