/**
 * Audits one table of an exported lake (`<dir>/wiki/<table>/…`) with readers that share no code
 * with the product, for the maintenance tests: iceberg-check over every snapshot; the current
 * snapshot read by icebird and DuckDB `read_parquet` (row keys, each live file's size on disk and
 * whether its rows are in `sortColumn` order in file row order); every snapshot of the metadata
 * with the files it references (manifest list, manifests, live data files) and which of them
 * are missing; and chosen snapshots read back by icebird and DuckDB (time travel).
 */
import fs from "node:fs";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { icebergManifests, icebergMetadata, icebergRead } from "icebird";
import { makeResolver, readLakeTable, runIcebergCheck, withLocalFetch } from "./lake_readback.ts";

/** What to audit besides the current snapshot. */
export interface LakeAuditOptions {
  /** The column naming a row (e.g. silver `event_id`). */
  keyColumn: string;
  /** The column compacted files are sorted by (e.g. silver `event_time`). */
  sortColumn: string;
  /** Snapshot ids (exact decimal text) to read back with icebird and DuckDB. */
  readSnapshots: string[];
}

/** One live data file of the current snapshot. */
export interface AuditedFile {
  /** Relative to the table folder (`data/…`). */
  key: string;
  /** Bytes on disk. */
  sizeBytes: number;
  recordCount: number;
  parquetRows: number;
  /** Rows whose `sortColumn` is below the previous row's, in file row order (DuckDB). */
  outOfOrder: number;
}

/** One snapshot of the current metadata and the files it references (keys relative to the table). */
export interface AuditedSnapshot {
  id: string;
  operation: string;
  manifestList: string;
  manifests: string[];
  dataFiles: string[];
  /** Referenced files absent from the table's objects. */
  missing: string[];
}

/** The audit of one table. */
export interface LakeAudit {
  check: { exitCode: number | null; errors: string[] };
  currentSnapshotId: string | null;
  /** Every snapshot of the current metadata, oldest first. */
  snapshots: AuditedSnapshot[];
  current: { duckdbKeys: string[]; icebirdKeys: string[]; manifestRecordCount: number; files: AuditedFile[] };
  /** Per requested snapshot id: the keys icebird and DuckDB read from it. */
  at: Record<string, { icebirdKeys: string[]; duckdbKeys: string[] }>;
}

const ID_FIELDS = new Set(["snapshot-id", "parent-snapshot-id", "current-snapshot-id"]);
const dq = (s: string) => `"${s.replaceAll('"', '""')}"`;
const sq = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** The metadata's snapshot ids as exact decimal text (JSON.parse source text access). */
function exactSnapshotIds(text: string): { current: string | null; ids: string[] } {
  type Reviver = (key: string, value: unknown, context: { source?: string }) => unknown;
  const reviver: Reviver = (key, value, context) =>
    ID_FIELDS.has(key) && typeof value === "number" ? context.source ?? String(value) : value;
  const parsed = JSON.parse(text, reviver as Parameters<typeof JSON.parse>[1]) as {
    "current-snapshot-id"?: string | null;
    snapshots?: { "snapshot-id": string }[];
  };
  return {
    current: parsed["current-snapshot-id"] ?? null,
    ids: (parsed.snapshots ?? []).map((s) => s["snapshot-id"]),
  };
}

/** Reads `files` (local paths) with DuckDB; `query` gets the read_parquet expression. */
async function duckdb<T>(files: string[], query: (from: string) => string): Promise<T[]> {
  if (!files.length) return [];
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    await con.run("SET TimeZone = 'UTC'");
    const from = `read_parquet([${
      files.map(sq).join(", ")
    }], filename = true, file_row_number = true, hive_partitioning = false, union_by_name = true)`;
    return (await con.runAndReadAll(query(from))).getRowObjectsJS() as T[];
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

/** Audits table `table` of the lake exported to `lakeDir` (see the module comment). */
export async function auditLakeTable(
  lakeDir: string,
  table: string,
  options: LakeAuditOptions,
): Promise<LakeAudit> {
  const tableDir = path.join(lakeDir, "wiki", table);
  const check = runIcebergCheck(tableDir);
  const current = await readLakeTable(lakeDir, table);
  const resolve = makeResolver(current.location, tableDir);
  const relative = (uri: string) => {
    const local = resolve(uri);
    if (local === null) throw new Error(`${uri} is outside ${current.location}`);
    return path.relative(tableDir, local);
  };
  const key = options.keyColumn;
  const localFiles = current.dataFiles.map((f) => f.localPath);
  const t = dq(options.sortColumn);
  const order = await duckdb<{ filename: string; bad: bigint }>(
    localFiles,
    (from) =>
      `SELECT filename, count(*) FILTER (WHERE prev > t) AS bad FROM (SELECT filename, ${t} AS t,
       lag(${t}) OVER (PARTITION BY filename ORDER BY file_row_number) AS prev FROM ${from}) GROUP BY filename`,
  );
  const files = current.dataFiles.map((f) => ({
    key: relative(f.filePath),
    sizeBytes: fs.statSync(f.localPath).size,
    recordCount: f.recordCount,
    parquetRows: f.parquetRows,
    outOfOrder: Number(order.find((o) => o.filename === f.localPath)?.bad ?? 0),
  }));

  const text = fs.readFileSync(current.metadataFile, "utf8");
  const exact = exactSnapshotIds(text);
  const snapshots: AuditedSnapshot[] = [];
  const at: LakeAudit["at"] = {};
  await withLocalFetch(resolve, async () => {
    const metadata = await icebergMetadata({
      tableUrl: current.location,
      metadataFileName: path.basename(current.metadataFile),
    });
    for (const [i, snapshot] of (metadata.snapshots ?? []).entries()) {
      const id = exact.ids[i]!;
      const asOf = { ...metadata, "current-snapshot-id": snapshot["snapshot-id"] };
      const manifestList = relative(snapshot["manifest-list"]!);
      const audited: AuditedSnapshot = {
        id,
        operation: String(snapshot.summary?.operation ?? ""),
        manifestList,
        manifests: [],
        dataFiles: [],
        missing: [],
      };
      snapshots.push(audited);
      if (!fs.existsSync(path.join(tableDir, manifestList))) {
        audited.missing.push(manifestList);
        continue;
      }
      const manifests = await icebergManifests(asOf).catch(() => null);
      if (manifests === null) {
        audited.missing.push(`a manifest of ${manifestList}`);
        continue;
      }
      audited.manifests = manifests.map((m) => relative(m.url));
      audited.dataFiles = manifests.flatMap((m) => m.entries).filter((e) => e.status !== 2)
        .map((e) => relative(e.data_file.file_path));
      audited.missing = audited.dataFiles.filter((k) => !fs.existsSync(path.join(tableDir, k)));
      if (!options.readSnapshots.includes(id)) continue;
      const rows = audited.dataFiles.length
        ? await icebergRead({ tableUrl: current.location, metadata: asOf })
        : [];
      const duckdbRows = await duckdb<Record<string, unknown>>(
        audited.dataFiles.map((k) => path.join(tableDir, k)),
        (from) => `SELECT ${dq(key)} AS k FROM ${from}`,
      );
      at[id] = {
        icebirdKeys: rows.map((r) => String(r[key])).sort(),
        duckdbKeys: duckdbRows.map((r) => String(r.k)).sort(),
      };
    }
  });
  return {
    check: { exitCode: check.exitCode, errors: [...check.errors, ...(check.exitCode ? [check.stderr] : [])] },
    currentSnapshotId: exact.current,
    snapshots,
    current: {
      duckdbKeys: current.rows.map((r) => String(r[key])).sort(),
      icebirdKeys: current.icebirdRows.map((r) => String(r[key])).sort(),
      manifestRecordCount: current.manifestRecordCount,
      files,
    },
    at,
  };
}
