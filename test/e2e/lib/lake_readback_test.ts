import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { TINY_FILES, writeTinyTable } from "../fixtures/tiny_table.ts";
import { readLakeTable, runIcebergCheck, type TableReadback } from "./lake_readback.ts";

describe("lake readback of a tiny Iceberg table written by DuckDB + avsc", () => {
  let lake: string;
  let tableDir: string;
  let t: TableReadback;
  beforeAll(async () => {
    lake = fs.mkdtempSync(path.join(os.tmpdir(), "lake-"));
    tableDir = await writeTinyTable(lake);
    t = await readLakeTable(lake, "tiny");
  });

  it("passes iceberg-check over all snapshots", () => {
    const r = runIcebergCheck(tableDir);
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
  });

  it("lists the live data files from the manifests, mapped from s3:// to the local dir", () => {
    expect(t.snapshotId).toBe("4242424242424");
    expect(t.dataFiles.map((f) => path.relative(tableDir, f.localPath))).toEqual([
      "data/part-0.parquet",
      "data/part-1.parquet",
    ]);
    expect(t.dataFiles.map((f) => f.recordCount)).toEqual([3, 2]);
    expect(t.dataFiles.map((f) => f.parquetRows)).toEqual([3, 2]);
    expect(t.manifestRecordCount).toBe(5);
    expect(t.deleteFiles).toBe(0);
  });

  it("reads the same rows with icebird and DuckDB", () => {
    const expected = TINY_FILES.flat().map(([id, name, ts]) => ({ id, name, ts }));
    expect(t.icebirdRows.length).toBe(5);
    expect(t.icebirdRows.map((r) => Number(r.id)).sort()).toEqual([1, 2, 3, 4, 5]);
    expect([...t.rows].sort((a, b) => Number(a.id) - Number(b.id))).toEqual(expected);
  });

  it("reports the Parquet field ids next to the schema's", () => {
    expect(t.schemaFieldIds).toEqual({ id: 1, name: 2, ts: 3 });
    expect(t.parquetFieldIds).toEqual({ id: [1], name: [2], ts: [3] });
  });

  it("fails the check when version-hint.text ends with a newline", () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "lake-bad-"));
    fs.cpSync(tableDir, copy, { recursive: true });
    fs.writeFileSync(path.join(copy, "metadata", "version-hint.text"), "1\n");
    const r = runIcebergCheck(copy);
    expect(r.exitCode).toBe(1);
    expect(r.errors.join("\n")).toMatch(/version-hint\.text/);
  });
});
