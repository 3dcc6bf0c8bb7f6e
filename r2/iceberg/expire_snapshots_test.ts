/**
 * Snapshot expiration on a table in a directory (FsBlobStore): appends, a partition overwrite,
 * more appends, then expiration by age and count. Checked independently of the planner: the
 * objects that disappear are exactly the expired snapshots' manifest lists, the two append
 * manifests only they listed and the two overwritten data files (named by their keys); the
 * table audit and iceberg-check pass; DuckDB reads the same event ids; a kept snapshot still
 * reads its old contents; an expiration that loses a race to a commit changes nothing.
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { FsBlobStore } from "../fs_blob_store.ts";
import { MemoryBlobStore } from "../memory_blob_store.ts";
import { initParquetNode } from "../parquet/parquet_node.ts";
import { SILVER } from "../tables/schemas.ts";
import { type DuckDb, openDuckDb, sqlString } from "../testing/duckdb_support.ts";
import { HookedStore } from "../testing/hooked_store.ts";
import { locateIcebergCheck, REPO_ROOT, runIcebergCheck } from "../testing/iceberg_check.ts";
import { writeDataFiles } from "../testing/lake_fixture.ts";
import { sampleRows } from "../testing/sample_rows.ts";
import { auditTable, silverKey } from "../testing/table_audit.ts";
import { loadManifests } from "./table_reader.ts";
import { parseTableMetadata } from "./table_metadata.ts";
import { IcebergTable } from "./table_writer.ts";

const ROOT = join(REPO_ROOT, "test-output/expire_snapshots_test");
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);
const DAY = Date.UTC(2025, 0, 1);
const UUID = "8d2c6f0e-4a51-4c1b-9a8e-3f5b2d7c9e10";

let db: DuckDb;
beforeAll(async () => {
  await initParquetNode();
  db = await openDuckDb();
});
afterAll(() => db?.close());

/** Event ids of the data files at `keys`, read by DuckDB. */
async function idsOf(keys: string[]): Promise<string[]> {
  if (!keys.length) return [];
  const list = keys.map((k) => sqlString(join(ROOT, k))).join(", ");
  const rows = await db.jsonRows(`SELECT event_id FROM read_parquet([${list}]) ORDER BY event_id`);
  return rows.map((r) => String(r.event_id));
}

/** Appends at hours 0-3, an overwrite of files 0 and 1 at hour 4, appends at hours 5-15. */
async function build(store: FsBlobStore | MemoryBlobStore | HookedStore, table: IcebergTable) {
  await table.create(T0, UUID);
  const fileOf: string[] = [];
  for (let hour = 0; hour <= 15; hour++) {
    if (hour === 4) {
      const added = await writeDataFiles(
        store,
        table,
        SILVER,
        sampleRows(SILVER, 6, DAY, "r"),
        "replacement",
      );
      await table.overwrite({
        added: added.map((w) => w.file),
        deletePaths: [fileOf[0], fileOf[1]],
        commitId: "overwrite-4",
        nowMs: T0 + hour * HOUR,
      });
      fileOf.push(added[0].file.path);
      continue;
    }
    const written = await writeDataFiles(
      store,
      table,
      SILVER,
      sampleRows(SILVER, 4, DAY, `h${hour}`),
      `h${hour}`,
    );
    await table.append(written.map((w) => w.file), { commitId: `append-${hour}`, nowMs: T0 + hour * HOUR });
    fileOf.push(written[0].file.path);
  }
  return fileOf;
}

describe("IcebergTable.expireSnapshots", () => {
  it("expires by age and count, deleting exactly what only the expired snapshots reached", async ({ expect }) => {
    await rm(ROOT, { recursive: true, force: true });
    await mkdir(ROOT, { recursive: true });
    const store = new FsBlobStore(ROOT);
    const table = new IcebergTable(store, { spec: SILVER, bucket: "lake", warehouse: "wh" });
    const fileOf = await build(store, table);
    const snapshots = await table.snapshots();
    expect(snapshots).toHaveLength(16);
    const before = await auditTable(store, table, silverKey);
    expect(before.problems).toEqual([]);
    const keysBefore = new Set(await store.list(table.prefix));
    const place = { location: table.location, prefix: table.prefix };
    const keptAt10 = (await table.metadata())!.snapshots[10];
    const liveAt10 = async () =>
      (await loadManifests(store, place, keptAt10)).flatMap((m) =>
        m.entries.filter((e) => e.status !== 2).map((e) => e.file.key)
      );
    const idsAt10 = await idsOf(await liveAt10());

    const result = await table.expireSnapshots({ nowMs: T0 + 15 * HOUR, maxAgeMs: 5 * HOUR, retainLast: 3 });

    // Hours 0-9 are older than 5 h and not among the newest 3.
    expect(result.kind).toBe("expired");
    expect(result.expired).toEqual(snapshots.slice(0, 10).map((s) => s.snapshot_id));
    expect((await table.snapshots()).map((s) => s.snapshot_id)).toEqual(
      snapshots.slice(10).map((s) => s.snapshot_id),
    );
    const keysAfter = new Set(await store.list(table.prefix));
    const gone = [...keysBefore].filter((k) => !keysAfter.has(k)).sort();
    const key = (uri: string) => uri.replace(table.location, table.prefix);
    const expected = [
      ...snapshots.slice(0, 10).map((s) => key(s.manifest_list)),
      ...[...keysBefore].filter((k) => /\/metadata\/append-[01]-\d+-m0\.avro$/.test(k)),
      key(fileOf[0]),
      key(fileOf[1]),
    ].sort();
    expect(expected).toHaveLength(14);
    expect(gone).toEqual(expected);
    expect(result.filesDeleted).toBe(14);
    expect([...keysAfter].filter((k) => !keysBefore.has(k))).toEqual([
      `${table.prefix}/metadata/v18.metadata.json`,
    ]);

    const metadata = parseTableMetadata(
      new TextDecoder().decode((await store.get(`${table.prefix}/metadata/v18.metadata.json`))!),
    );
    expect(metadata["snapshot-log"].map((e) => e["snapshot-id"].toString())).toEqual(
      snapshots.slice(10).map((s) => s.snapshot_id),
    );
    expect(metadata["metadata-log"].at(-1)!["metadata-file"]).toMatch(/\/v17\.metadata\.json$/);
    const after = await auditTable(store, table, silverKey);
    expect(after.problems).toEqual([]);
    expect(after.keys.sort()).toEqual(before.keys.sort());
    expect(await idsOf(after.files.map((f) => f.key))).toEqual([...before.keys].sort());
    expect(await idsOf(await liveAt10())).toEqual(idsAt10);

    const { status, report } = runIcebergCheck(locateIcebergCheck(), join(ROOT, "wh/wiki", SILVER.name));
    expect(report.errors).toEqual([]);
    expect(status).toBe(0);
    expect(report.rows).toBe(String(before.keys.length));

    expect(await table.expireSnapshots({ nowMs: T0 + 15 * HOUR, maxAgeMs: 5 * HOUR, retainLast: 3 }))
      .toMatchObject({ kind: "noop", expired: [], filesDeleted: 0 });
  });

  it("keeps the newest retainLast snapshots however old, and always the current one", async ({ expect }) => {
    const store = new MemoryBlobStore();
    const table = new IcebergTable(store, { spec: SILVER, bucket: "lake", warehouse: "wh" });
    await build(store, table);
    const ids = (await table.snapshots()).map((s) => s.snapshot_id);
    const result = await table.expireSnapshots({ nowMs: T0 + 1000 * HOUR, maxAgeMs: HOUR, retainLast: 1 });
    expect(result.expired).toEqual(ids.slice(0, 15));
    expect((await table.snapshots()).map((s) => s.snapshot_id)).toEqual([ids[15]]);
    expect((await auditTable(store, table, silverKey)).problems).toEqual([]);
  });

  it("loses a race to a concurrent commit without changing or deleting anything", async ({ expect }) => {
    const memory = new MemoryBlobStore();
    let raced = false;
    const writer = new IcebergTable(memory, { spec: SILVER, bucket: "lake", warehouse: "wh" });
    const store = new HookedStore(memory, {
      putIfAbsent: async (key) => {
        if (!raced && key.endsWith("/v18.metadata.json")) {
          raced = true;
          const files = await writeDataFiles(
            memory,
            writer,
            SILVER,
            sampleRows(SILVER, 3, DAY, "late"),
            "late",
          );
          await writer.append(files.map((w) => w.file), { commitId: "late", nowMs: T0 + 16 * HOUR });
        }
        return undefined;
      },
    });
    const table = new IcebergTable(store, { spec: SILVER, bucket: "lake", warehouse: "wh" });
    await build(memory, writer);
    const keys = await memory.list("wh");
    const result = await table.expireSnapshots({ nowMs: T0 + 15 * HOUR, maxAgeMs: 5 * HOUR, retainLast: 3 });
    expect(result).toMatchObject({ kind: "lost_race", expired: [], filesDeleted: 0 });
    const now = await memory.list("wh");
    expect(keys.filter((k) => !now.includes(k))).toEqual([]);
    expect(await table.snapshots()).toHaveLength(17);
    const retry = await table.expireSnapshots({ nowMs: T0 + 16 * HOUR, maxAgeMs: 5 * HOUR, retainLast: 3 });
    expect(retry.expired).toHaveLength(11);
    const audit = await auditTable(memory, table, silverKey);
    expect(audit.problems).toEqual([]);
    expect(audit.keys).toHaveLength(2 * 4 + 6 + 11 * 4 + 3);
  });

  it("bounds the metadata log to 100 entries and deletes the versions that left it", async ({ expect }) => {
    const store = new MemoryBlobStore();
    const table = new IcebergTable(store, { spec: SILVER, bucket: "lake", warehouse: "wh" });
    await table.create(T0, UUID);
    for (let i = 0; i < 110; i++) {
      const files = await writeDataFiles(store, table, SILVER, sampleRows(SILVER, 1, DAY, `m${i}`), `m${i}`);
      await table.append(files.map((w) => w.file), { commitId: `m-${i}`, nowMs: T0 + i });
    }
    // v1…v111 exist; expiring leaves v112 whose log names v12…v111.
    const result = await table.expireSnapshots({ nowMs: T0 + 110, maxAgeMs: 0, retainLast: 10 });
    expect(result.expired).toHaveLength(100);
    const versions = (await store.list(`${table.prefix}/metadata/v`)).flatMap((k) => {
      const m = /\/v(\d+)\.metadata\.json$/.exec(k);
      return m ? [Number(m[1])] : [];
    })
      .sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 101 }, (_, i) => i + 12));
    const audit = await auditTable(store, table, silverKey);
    expect(audit.problems).toEqual([]);
    expect(audit.keys).toHaveLength(110);
  });
});
