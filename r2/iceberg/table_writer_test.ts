/**
 * Integration: the four lake tables written through IcebergTable on a directory (FsBlobStore),
 * three appends over several day partitions (one before 1970) and one overwrite, then read back
 * by independent tools: iceberg-check (spec + DuckDB + icebird + avrocat), icebird, DuckDB.
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { FsBlobStore } from "../fs_blob_store.ts";
import { initParquetNode } from "../parquet/parquet_node.ts";
import { TABLES, type TableSpec } from "../tables/schemas.ts";
import type { AnyRow } from "../tables/rows.ts";
import { type DuckDb, openDuckDb, sqlString } from "../testing/duckdb_support.ts";
import { readWithIcebird } from "../testing/icebird_support.ts";
import { locateIcebergCheck, REPO_ROOT, runIcebergCheck } from "../testing/iceberg_check.ts";
import { writeDataFiles } from "../testing/lake_fixture.ts";
import { sampleRows } from "../testing/sample_rows.ts";
import { IcebergTable } from "./table_writer.ts";

const ROOT = join(REPO_ROOT, "test-output/table_writer_test");
const BUCKET = "wikiflare-lake";
const WAREHOUSE = "warehouse";
const DAY = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d);

interface Built {
  table: IcebergTable;
  live: Map<string, AnyRow[]>;
  version: number;
}

let store: FsBlobStore;
let checkPath: string;
let db: DuckDb;
const built = new Map<string, Built>();

/** Creates the table, appends three commits over four days, then overwrites one file. */
async function buildTable(spec: TableSpec): Promise<Built> {
  const table = new IcebergTable(store, { spec, bucket: BUCKET, warehouse: WAREHOUSE });
  const created = await table.create(DAY(2026, 11, 1), "8d2c6f0e-4a51-4c1b-9a8e-3f5b2d7c9e10");
  if (!created.created || created.version !== 1) {
    throw new Error(`create() returned ${JSON.stringify(created)}`);
  }
  const live = new Map<string, AnyRow[]>();
  const commits = [
    [...sampleRows(spec, 30, DAY(2025, 1, 1), "a"), ...sampleRows(spec, 12, DAY(2025, 1, 2), "b")],
    [...sampleRows(spec, 9, DAY(1969, 12, 31), "c"), ...sampleRows(spec, 7, DAY(2025, 1, 2), "d")],
    sampleRows(spec, 11, DAY(2025, 1, 3), "e"),
  ];
  for (const [i, rows] of commits.entries()) {
    const written = await writeDataFiles(store, table, spec, rows, `commit${i}`);
    const result = await table.append(written.map((w) => w.file), {
      commitId: `append-${i}`,
      nowMs: DAY(2026, 11, 2) + i,
    });
    if (result.kind !== "committed") throw new Error(`append ${i}: ${JSON.stringify(result)}`);
    if (result.version !== i + 2) throw new Error(`append ${i} landed as v${result.version}`);
    for (const w of written) live.set(w.file.path, w.rows);
  }
  const victim = [...live.keys()][0];
  const replacement = await writeDataFiles(
    store,
    table,
    spec,
    sampleRows(spec, 5, DAY(2025, 1, 1), "f"),
    "rewrite",
  );
  const result = await table.overwrite({
    added: replacement.map((w) => w.file),
    deletePaths: [victim],
    commitId: "overwrite-0",
    nowMs: DAY(2026, 11, 3),
  });
  if (result.kind !== "committed") throw new Error(`overwrite: ${JSON.stringify(result)}`);
  live.delete(victim);
  for (const w of replacement) live.set(w.file.path, w.rows);
  return { table, live, version: result.version };
}

beforeAll(async () => {
  await rm(ROOT, { recursive: true, force: true });
  await mkdir(ROOT, { recursive: true });
  store = new FsBlobStore(ROOT);
  await initParquetNode();
  checkPath = locateIcebergCheck();
  db = await openDuckDb();
  for (const spec of TABLES) built.set(spec.name, await buildTable(spec));
}, 300_000);
afterAll(() => db?.close());

describe.each(TABLES.map((spec) => [spec.name, spec] as const))("table %s", (name, spec) => {
  const get = () => built.get(name)!;
  const tableDir = join(ROOT, WAREHOUSE, "wiki", name);
  const liveRows = () => [...get().live.values()].flat();

  it("reaches v5 with four snapshots: three appends and one overwrite", async ({ expect }) => {
    const { table, version } = get();
    expect(version).toBe(5);
    const snapshots = await table.snapshots();
    expect(snapshots.map((s) => s.operation)).toEqual(["append", "append", "append", "overwrite"]);
    expect(snapshots.map((s) => s.sequence_number)).toEqual([1, 2, 3, 4]);
    expect(snapshots.at(-1)!.summary["total-records"]).toBe(String(liveRows().length));
    expect(snapshots.at(-1)!.summary["deleted-data-files"]).toBe("1");
    expect(new TextDecoder().decode((await store.get(`${table.prefix}/metadata/version-hint.text`))!)).toBe(
      "5",
    );
  });

  it("passes iceberg-check on every snapshot (spec, DuckDB, icebird and avrocat cross-reads)", ({ expect }) => {
    const { status, report } = runIcebergCheck(checkPath, tableDir);
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(status).toBe(0);
    expect(report.rows).toBe(String(liveRows().length));
    expect(report.icebird?.rows).toBe(liveRows().length);
  });

  it("lists exactly the live data files", async ({ expect }) => {
    const files = await get().table.liveFiles();
    expect(files.map((f) => f.path).sort()).toEqual([...get().live.keys()].sort());
    expect(files.reduce((n, f) => n + f.record_count, 0)).toBe(liveRows().length);
  });

  it("reads the same rows with icebird", async ({ expect }) => {
    const { table } = get();
    const rows = await readWithIcebird(store, table.location, "v5.metadata.json");
    const key = spec.columns.find((c) => c.type === "string")!.name;
    const values = (list: readonly unknown[]) =>
      list.map((r) => String((r as Record<string, unknown>)[key])).sort();
    expect(rows).toHaveLength(liveRows().length);
    expect(values(rows)).toEqual(values(liveRows()));
  });

  it("reads the live files with DuckDB, field ids on every column", async ({ expect }) => {
    const paths = (await get().table.liveFiles()).map((f) => sqlString(join(ROOT, f.key)));
    const [count] = await db.jsonRows(`SELECT count(*)::INT AS n FROM read_parquet([${paths.join(", ")}])`);
    expect(count.n).toBe(liveRows().length);
    for (const path of paths) {
      const ids = await db.jsonRows(
        `SELECT name, field_id::INT AS id FROM parquet_schema(${path}) WHERE type IS NOT NULL`,
      );
      expect(ids).toEqual(spec.columns.map((c) => ({ name: c.name, id: c.id })));
    }
  });
});
