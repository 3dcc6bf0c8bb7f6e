/**
 * Orphan removal on an in-memory table with a controlled clock: an old file a failed consumer
 * attempt left and an old manifest of a failed commit go; a young orphan, a staged (protected)
 * file and every file of every kept snapshot stay; a commit that stalls across the removal
 * (its manifests written, its metadata not yet) lands intact and the table audits clean.
 */
import { beforeAll, describe, it } from "vitest";
import { MemoryBlobStore } from "../memory_blob_store.ts";
import { initParquetNode } from "../parquet/parquet_node.ts";
import { SILVER } from "../tables/schemas.ts";
import { HookedStore } from "../testing/hooked_store.ts";
import { writeDataFiles } from "../testing/lake_fixture.ts";
import { sampleRows } from "../testing/sample_rows.ts";
import { auditTable, silverKey } from "../testing/table_audit.ts";
import { dataFileKey } from "./paths.ts";
import { IcebergTable } from "./table_writer.ts";
import { oldEnough, orphanCandidates } from "./orphan_plan.ts";

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);
const DAY = Date.UTC(2025, 0, 1);
const UUID = "8d2c6f0e-4a51-4c1b-9a8e-3f5b2d7c9e10";

beforeAll(() => initParquetNode());

describe("orphan planning", () => {
  it("never picks metadata JSON, the version hint, referenced, protected or foreign keys", ({ expect }) => {
    const p = "wh/wiki/t";
    const listed = [
      `${p}/metadata/v3.metadata.json`,
      `${p}/metadata/version-hint.text`,
      `${p}/metadata/a.avro`,
      `${p}/metadata/b.avro`,
      `${p}/data/d=2025-01-01/x.parquet`,
      `${p}/data/d=2025-01-01/y.parquet`,
      `${p}/other/z`,
    ];
    const referenced = new Set([`${p}/metadata/a.avro`]);
    const protectedKeys = new Set([`${p}/data/d=2025-01-01/x.parquet`]);
    expect(orphanCandidates(p, listed, referenced, protectedKeys)).toEqual([
      `${p}/metadata/b.avro`,
      `${p}/data/d=2025-01-01/y.parquet`,
    ]);
  });

  it("treats an unknown age as too young", ({ expect }) => {
    expect(oldEnough(null, T0, 0)).toBe(false);
    expect(oldEnough(T0 - 3 * HOUR, T0, 3 * HOUR)).toBe(true);
    expect(oldEnough(T0 - 3 * HOUR + 1, T0, 3 * HOUR)).toBe(false);
    expect(() => oldEnough(T0, T0, -1)).toThrow(RangeError);
  });
});

describe("IcebergTable.removeOrphans", () => {
  it("deletes only old unreferenced files, across a stalled commit", async ({ expect }) => {
    let clock = T0;
    const memory = new MemoryBlobStore({ now: () => clock });
    const writer = new IcebergTable(memory, { spec: SILVER, bucket: "lake", warehouse: "wh" });
    await writer.create(T0, UUID);
    for (let i = 0; i < 3; i++) {
      const files = await writeDataFiles(
        memory,
        writer,
        SILVER,
        sampleRows(SILVER, 4, DAY, `a${i}`),
        `a${i}`,
      );
      await writer.append(files.map((w) => w.file), { commitId: `a-${i}`, nowMs: clock });
    }
    const day = Math.floor(DAY / 86_400_000);
    const failedKey = dataFileKey(writer.prefix, SILVER.partition.name, day, "failed-attempt.parquet");
    await memory.put(failedKey, new Uint8Array([1, 2, 3]));
    const staleManifest = `${writer.prefix}/metadata/stale-commit-m0.avro`;
    await memory.put(staleManifest, new Uint8Array([4]));
    const staged = await writeDataFiles(memory, writer, SILVER, sampleRows(SILVER, 5, DAY, "s"), "staged");
    clock = T0 + 5 * HOUR;
    const youngKey = dataFileKey(writer.prefix, SILVER.partition.name, day, "young.parquet");
    await memory.put(youngKey, new Uint8Array([5]));
    const before = await auditTable(memory, writer, silverKey);
    expect(before.problems).toEqual([]);

    // The staged files' commit stalls after writing its manifests; orphan removal runs then.
    let removal: { deleted: string[]; tooYoung: number } | null = null;
    const stalling = new HookedStore(memory, {
      putIfAbsent: async (key) => {
        if (!removal && key.endsWith(".metadata.json")) {
          clock = T0 + 6 * HOUR;
          removal = await writer.removeOrphans({
            nowMs: clock,
            minAgeMs: 3 * HOUR,
            protectedKeys: staged.map((w) => w.file.key),
          });
        }
        return undefined;
      },
    });
    const stalledCommit = new IcebergTable(stalling, { spec: SILVER, bucket: "lake", warehouse: "wh" });
    const result = await stalledCommit.append(staged.map((w) => w.file), {
      commitId: "staged",
      nowMs: clock,
    });
    expect(result).toMatchObject({ kind: "committed", attempts: 1 });
    expect(removal!.deleted.sort()).toEqual([failedKey, staleManifest].sort());
    expect(removal!.tooYoung).toBe(3); // the young orphan, the stalled commit's manifest and list
    expect(await memory.head(youngKey)).not.toBeNull();

    const after = await auditTable(memory, writer, silverKey);
    expect(after.problems).toEqual([]);
    expect(after.keys.sort()).toEqual(
      [
        ...before.keys,
        ...staged.flatMap((w) => w.rows.map((r) => silverKey(r as unknown as Record<string, unknown>))),
      ].sort(),
    );

    // Much later the young orphan goes too; nothing the table references does.
    clock = T0 + 9 * HOUR;
    const later = await writer.removeOrphans({ nowMs: clock, minAgeMs: 3 * HOUR });
    expect(later.deleted).toEqual([youngKey]);
    expect((await auditTable(memory, writer, silverKey)).problems).toEqual([]);
  });
});
