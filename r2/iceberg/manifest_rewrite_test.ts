/**
 * Manifest rewrite on a silver table in a directory: ten one-file-per-day appends over two days
 * become one manifest per day of EXISTING entries that keep each file's original snapshot id
 * and sequence numbers; the partition summaries and counts match; the audit and iceberg-check
 * pass; the previous snapshot still reads through its own manifests.
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, it } from "vitest";
import { FsBlobStore } from "../fs_blob_store.ts";
import { initParquetNode } from "../parquet/parquet_node.ts";
import { SILVER } from "../tables/schemas.ts";
import { locateIcebergCheck, REPO_ROOT, runIcebergCheck } from "../testing/iceberg_check.ts";
import { writeDataFiles } from "../testing/lake_fixture.ts";
import { sampleRows } from "../testing/sample_rows.ts";
import { auditTable, silverKey } from "../testing/table_audit.ts";
import { loadManifests } from "./table_reader.ts";
import { currentSnapshot } from "./table_metadata.ts";
import { IcebergTable } from "./table_writer.ts";

const ROOT = join(REPO_ROOT, "test-output/manifest_rewrite_test");
const T0 = Date.UTC(2026, 10, 1);
const DAYS = [Date.UTC(2025, 0, 1), Date.UTC(2025, 0, 2)];

beforeAll(() => initParquetNode());

describe("IcebergTable.rewriteManifests", () => {
  it("merges one-file manifests into one per day, keeping entry identity", async ({ expect }) => {
    await rm(ROOT, { recursive: true, force: true });
    await mkdir(ROOT, { recursive: true });
    const store = new FsBlobStore(ROOT);
    const table = new IcebergTable(store, { spec: SILVER, bucket: "lake", warehouse: "wh" });
    await table.create(T0, "8d2c6f0e-4a51-4c1b-9a8e-3f5b2d7c9e10");
    for (let i = 0; i < 10; i++) {
      const rows = DAYS.flatMap((d) => sampleRows(SILVER, 3, d, `r${i}-${d}`));
      const written = await writeDataFiles(store, table, SILVER, rows, `r${i}`);
      await table.append(written.map((w) => w.file), { commitId: `append-${i}`, nowMs: T0 + i });
    }
    const place = { location: table.location, prefix: table.prefix };
    const previous = currentSnapshot((await table.metadata())!)!;
    const manifestsBefore = await loadManifests(store, place, previous);
    expect(manifestsBefore).toHaveLength(10);
    const identity = (
      e: { snapshot_id: bigint | null; sequence_number: number | null; file: { path: string } },
    ) => `${e.file.path}@${e.snapshot_id}/${e.sequence_number}`;
    const before = manifestsBefore.flatMap((m) =>
      m.entries.map((e) => identity({ ...e, sequence_number: e.sequence_number ?? m.file.sequence_number }))
    ).sort();
    const audit = await auditTable(store, table, silverKey);

    const result = await table.rewriteManifests({ commitId: "rewrite-1", nowMs: T0 + 100, maxEntries: 10 });
    expect(result.kind).toBe("committed");
    const snapshot = currentSnapshot((await table.metadata())!)!;
    expect(snapshot.summary).toMatchObject({
      operation: "replace",
      "added-data-files": "0",
      "total-data-files": "20",
    });
    const after = await loadManifests(store, place, snapshot);
    expect(after).toHaveLength(2);
    for (const [i, m] of after.entries()) {
      expect(m.entries.every((e) => e.status === 0 && e.file.partition_day === DAYS[i] / 86_400_000)).toBe(
        true,
      );
      expect(m.file.existing_files_count).toBe(10);
      expect(m.file.added_files_count).toBe(0);
      expect(m.file.existing_rows_count).toBe(30);
      expect(m.file.min_sequence_number).toBe(1);
    }
    expect(after.flatMap((m) => m.entries.map(identity)).sort()).toEqual(before);
    const again = await auditTable(store, table, silverKey);
    expect(again.problems).toEqual([]);
    expect(again.keys.sort()).toEqual(audit.keys.sort());
    expect((await loadManifests(store, place, previous)).map((m) => m.file.manifest_path))
      .toEqual(manifestsBefore.map((m) => m.file.manifest_path));
    const { status, report } = runIcebergCheck(locateIcebergCheck(), join(ROOT, "wh/wiki", SILVER.name));
    expect(report.errors).toEqual([]);
    expect(status).toBe(0);
    expect(await table.rewriteManifests({ commitId: "rewrite-2", nowMs: T0 + 200, maxEntries: 10 }))
      .toEqual({ kind: "noop" });
  });
});
