/**
 * Compaction of a silver table in a directory: many small appends over two days and a partition
 * overwrite, then a bin-pack `replace`. Checked with DuckDB over the files (same event ids and
 * row count, each output sorted by event_time and within the target), the table audit, the
 * snapshot summary Iceberg's rewrite writes, and iceberg-check on every snapshot.
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { FsBlobStore } from "../fs_blob_store.ts";
import { initParquetNode } from "../parquet/parquet_node.ts";
import { SILVER } from "../tables/schemas.ts";
import { type DuckDb, openDuckDb, sqlString } from "../testing/duckdb_support.ts";
import { locateIcebergCheck, REPO_ROOT, runIcebergCheck } from "../testing/iceberg_check.ts";
import { writeDataFiles } from "../testing/lake_fixture.ts";
import { sampleRows } from "../testing/sample_rows.ts";
import { auditTable, silverKey } from "../testing/table_audit.ts";
import { compactTable } from "./compaction.ts";
import { planCompaction } from "./compaction_plan.ts";
import { loadManifests } from "./table_reader.ts";
import { currentSnapshot } from "./table_metadata.ts";
import { IcebergTable } from "./table_writer.ts";
import type { DataFile } from "./data_file.ts";

const ROOT = join(REPO_ROOT, "test-output/compaction_test");
const T0 = Date.UTC(2026, 10, 1);
const DAYS = [Date.UTC(2025, 0, 1), Date.UTC(2025, 0, 2)];
const UUID = "8d2c6f0e-4a51-4c1b-9a8e-3f5b2d7c9e10";

let db: DuckDb;
beforeAll(async () => {
  await initParquetNode();
  db = await openDuckDb();
});
afterAll(() => db?.close());

const file = (path: string, day: number, size: number) =>
  ({ path, partition_day: day, file_size_in_bytes: size }) as DataFile;

describe("planCompaction", () => {
  it("packs small files of one day first-fit by size, skipping big files and single-file groups", ({ expect }) => {
    const groups = planCompaction([
      file("a", 1, 60),
      file("b", 1, 50),
      file("c", 1, 40),
      file("d", 1, 30),
      file("big", 1, 100),
      file("e", 2, 10),
    ], 100);
    expect(groups.map((g) => [g.day, g.inputs.map((f) => f.path), g.bytes])).toEqual([
      [1, ["a", "c"], 100],
      [1, ["b", "d"], 80],
    ]);
  });
});

async function build(dir: string, perFile = 6) {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const store = new FsBlobStore(dir);
  const table = new IcebergTable(store, { spec: SILVER, bucket: "lake", warehouse: "wh" });
  await table.create(T0, UUID);
  for (let i = 0; i < 10; i++) {
    const rows = DAYS.flatMap((d) => sampleRows(SILVER, perFile, d, `c${i}-${d}`));
    const written = await writeDataFiles(store, table, SILVER, rows, `c${i}`);
    await table.append(written.map((w) => w.file), { commitId: `append-${i}`, nowMs: T0 + i });
  }
  return { store, table };
}

async function ids(dir: string, keys: string[]) {
  const list = keys.map((k) => sqlString(join(dir, k))).join(", ");
  return (await db.jsonRows(`SELECT event_id FROM read_parquet([${list}]) ORDER BY event_id`)).map((r) =>
    String(r.event_id)
  );
}

describe("compactTable", () => {
  it("rewrites each day's small files into one sorted file as a replace snapshot", async ({ expect }) => {
    const dir = join(ROOT, "one");
    const { store, table } = await build(dir);
    const before = await auditTable(store, table, silverKey);
    expect(before.problems).toEqual([]);
    expect(before.files).toHaveLength(20);
    const idsBefore = await ids(dir, before.files.map((f) => f.key));

    const result = await compactTable(store, table, SILVER, {
      targetBytes: 64 << 20,
      nowMs: T0 + 100,
      tag: "t1",
    });
    expect(result).toMatchObject({ kind: "committed", groups: 2, inputs: 20 });

    const after = await auditTable(store, table, silverKey);
    expect(after.problems).toEqual([]);
    expect(after.files).toHaveLength(2);
    expect(await ids(dir, after.files.map((f) => f.key))).toEqual(idsBefore);
    for (const f of after.files) {
      const times = (await db.jsonRows(
        `SELECT epoch_ms(event_time)::BIGINT AS t FROM read_parquet(${sqlString(join(dir, f.key))})`,
      ))
        .map((r) => Number(r.t));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
    const snapshot = currentSnapshot((await table.metadata())!)!;
    expect(snapshot.summary).toMatchObject({
      operation: "replace",
      "added-data-files": "2",
      "deleted-data-files": "20",
      "added-records": String(idsBefore.length),
      "deleted-records": String(idsBefore.length),
      "total-records": String(idsBefore.length),
      "total-data-files": "2",
    });
    // DELETED entries carry the snapshot id and explicit (data and file) sequence numbers.
    const place = { location: table.location, prefix: table.prefix };
    const entries = (await loadManifests(store, place, snapshot)).flatMap((m) => m.entries);
    const deleted = entries.filter((e) => e.status === 2);
    expect(deleted).toHaveLength(20);
    for (const e of deleted) {
      expect(e.snapshot_id).toBe(snapshot["snapshot-id"]);
      expect(e.sequence_number).not.toBeNull();
      expect(e.file_sequence_number).not.toBeNull();
    }

    const { status, report } = runIcebergCheck(locateIcebergCheck(), join(dir, "wh/wiki", SILVER.name));
    expect(report.errors).toEqual([]);
    expect(status).toBe(0);
    expect(report.rows).toBe(String(idsBefore.length));

    expect(await compactTable(store, table, SILVER, { targetBytes: 64 << 20, nowMs: T0 + 200, tag: "t2" }))
      .toMatchObject({ kind: "noop" });
  });

  it("splits a group into several files within a small target", async ({ expect }) => {
    const dir = join(ROOT, "split");
    const { store, table } = await build(dir, 40);
    const before = await auditTable(store, table, silverKey);
    const sizes = before.files.map((f) => f.key);
    const target = Math.max(...(await Promise.all(sizes.map(async (k) => (await store.head(k))!.size)))) * 3;
    const result = await compactTable(store, table, SILVER, {
      targetBytes: target,
      nowMs: T0 + 100,
      tag: "s",
    });
    expect(result.kind).toBe("committed");
    const after = await auditTable(store, table, silverKey);
    expect(after.problems).toEqual([]);
    expect(after.keys.sort()).toEqual(before.keys.sort());
    for (const f of result.outputs) expect(f.file_size_in_bytes).toBeLessThanOrEqual(target);
    expect(after.files.length).toBeLessThan(before.files.length);
  });

  it("streams a group through bounded event-time slices into sorted files that continue each other", async ({ expect }) => {
    const dir = join(ROOT, "sliced");
    const { store, table } = await build(dir, 300);
    const before = await auditTable(store, table, silverKey);
    const idsBefore = await ids(dir, before.files.map((f) => f.key));
    const live = await table.liveFiles();
    const dayBytes = live.filter((f) => f.partition_day === live[0].partition_day)
      .reduce((n, f) => n + f.file_size_in_bytes, 0);
    const target = Math.ceil(dayBytes / 2); // two groups a day, each written as ≥ 2 outputs
    const result = await compactTable(store, table, SILVER, {
      targetBytes: target,
      nowMs: T0 + 100,
      tag: "sl",
      maxRowsInMemory: 200, // 3,000 rows a day: ≥ 15 slices, each re-reading the overlapping inputs
    });
    expect(result.kind).toBe("committed");
    const after = await auditTable(store, table, silverKey);
    expect(after.problems).toEqual([]);
    expect(await ids(dir, after.files.map((f) => f.key))).toEqual(idsBefore);
    // Groups are bin-packed by bytes (so two groups of a day overlap in time); within a group
    // the outputs continue one sorted sequence.
    const perGroup = new Map<string, string[]>();
    for (const f of result.outputs) {
      const group = /-(g\d+)-\d+\.parquet$/.exec(f.key)![1];
      perGroup.set(group, [...(perGroup.get(group) ?? []), f.key]);
    }
    for (const keys of perGroup.values()) {
      expect(keys.length).toBeGreaterThanOrEqual(2);
      let last = -Infinity;
      for (const key of keys.sort((a, b) => a.localeCompare(b, "en", { numeric: true }))) {
        const path = sqlString(join(dir, key));
        const times =
          (await db.jsonRows(`SELECT epoch_ms(event_time)::BIGINT AS t FROM read_parquet(${path})`))
            .map((r) => Number(r.t));
        expect(times).toEqual([...times].sort((a, b) => a - b));
        expect(times[0]).toBeGreaterThanOrEqual(last); // the next file continues the sorted sequence
        last = times.at(-1)!;
        expect((await store.head(key))!.size).toBeLessThanOrEqual(target);
      }
    }
    const { status, report } = runIcebergCheck(locateIcebergCheck(), join(dir, "wh/wiki", SILVER.name));
    expect(report.errors).toEqual([]);
    expect(status).toBe(0);
    expect(report.rows).toBe(String(idsBefore.length));
  });
});
