/**
 * Reads an exported lake (`<dir>/wiki/<table>/…`, what `npm run export-lake` writes) with
 * readers that share no code with the product: the iceberg-check tool, icebird (metadata,
 * manifests, a full table read) and DuckDB (`read_parquet`, `parquet_schema`).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import { icebergManifests, icebergMetadata, icebergRead } from "icebird";

/** The four tables of the `wiki` namespace. */
export const LAKE_TABLES = [
  "bronze_wiki_events",
  "silver_wiki_events",
  "quarantine_wiki_events",
  "gold_wiki_kpis",
];

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** The outcome of `check.mjs <table> --all-snapshots --json`. */
export interface IcebergCheckResult {
  exitCode: number | null;
  errors: string[];
  warnings: string[];
  /** The full JSON report (null when the checker printed no JSON). */
  report: Record<string, unknown> | null;
  stderr: string;
}

/** One live data file of the current snapshot. */
export interface LiveDataFile {
  /** As written in the manifest (`s3://…`). */
  filePath: string;
  localPath: string;
  recordCount: number;
  sizeBytes: number;
  /** Rows DuckDB reads from the file. */
  parquetRows: number;
}

/** What the independent readers see in one table's current snapshot. */
export interface TableReadback {
  table: string;
  tableDir: string;
  metadataFile: string;
  location: string;
  /** Exact decimal text of current-snapshot-id (null for an empty table). */
  snapshotId: string | null;
  /** Iceberg schema field id by column name (current schema). */
  schemaFieldIds: Record<string, number>;
  dataFiles: LiveDataFile[];
  deleteFiles: number;
  /** Manifests in the current snapshot's manifest list (icebird). */
  manifests: number;
  /** Sum of record_count over the live data files. */
  manifestRecordCount: number;
  /** Rows icebird's icebergRead returns for the current snapshot (deletes applied). */
  icebirdRows: Record<string, unknown>[];
  /** Parquet field ids by column name, over all live files (one id each when consistent). */
  parquetFieldIds: Record<string, number[]>;
  /** Every row of the live data files read by DuckDB; timestamptz as epoch ms, longs as numbers. */
  rows: Record<string, unknown>[];
}

/** Path of iceberg-check's check.mjs under test-output/, installing it (copy + npm ci) if absent. */
export function ensureIcebergCheck(root = REPO_ROOT): string {
  const dir = path.join(root, "test-output", "iceberg-check");
  const check = path.join(dir, "check.mjs");
  if (fs.existsSync(check) && fs.existsSync(path.join(dir, "node_modules", "icebird"))) return check;
  const source = path.resolve(root, "..", "shared", "tools", "iceberg-check");
  if (!fs.existsSync(source)) {
    throw new Error(`iceberg-check not found at ${source} (expected ../shared beside the repo)`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(source, dir, { recursive: true });
  fs.chmodSync(dir, 0o755);
  for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
    fs.chmodSync(path.join(dir, f), fs.statSync(path.join(dir, f)).isDirectory() ? 0o755 : 0o644);
  }
  const npm = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: dir, encoding: "utf8" });
  if (npm.status !== 0) throw new Error(`npm ci for iceberg-check failed: ${npm.stderr || npm.stdout}`);
  return check;
}

/** Runs iceberg-check over every snapshot of the table at `tableDir`. */
export function runIcebergCheck(tableDir: string, root = REPO_ROOT): IcebergCheckResult {
  const check = ensureIcebergCheck(root);
  const r = spawnSync(process.execPath, [check, tableDir, "--all-snapshots", "--json"], {
    encoding: "utf8",
    maxBuffer: 256 << 20,
  });
  let report: Record<string, unknown> | null = null;
  try {
    report = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch { /* not JSON: usage or internal error, see stderr */ }
  const list = (k: string) => (Array.isArray(report?.[k]) ? report[k] as string[] : []);
  return { exitCode: r.status, errors: list("errors"), warnings: list("warnings"), report, stderr: r.stderr };
}

/** Maps `s3://bucket/…/wiki/<table>` URIs (and icebird's https rewrite of them) into `tableDir`. */
export function makeResolver(location: string, tableDir: string): (uri: string) => string | null {
  const base = location.replace(/\/+$/, "");
  return (uri) => {
    let s = uri;
    const https = /^https:\/\/([^./]+)\.s3\.amazonaws\.com\/(.*)$/.exec(s);
    if (https) s = `s3://${https[1]}/${decodeURIComponent(https[2])}`;
    if (s !== base && !s.startsWith(`${base}/`)) return null;
    return path.join(tableDir, s.slice(base.length));
  };
}

/** Runs `fn` with global fetch answering table URIs from local files (icebird reads through fetch). */
export async function withLocalFetch<T>(
  resolve: (uri: string) => string | null,
  fn: () => Promise<T>,
): Promise<T> {
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const local = resolve(url);
    if (local === null) return realFetch(input, init);
    if (!fs.existsSync(local)) return new Response("not found", { status: 404, statusText: "Not Found" });
    const bytes = fs.readFileSync(local);
    const headers = { "content-length": String(bytes.length) };
    if ((init?.method ?? "GET").toUpperCase() === "HEAD") return new Response(null, { status: 200, headers });
    return new Response(bytes, { status: 200, headers });
  }) as typeof fetch;
  try {
    return await fn();
  } finally {
    globalThis.fetch = realFetch;
  }
}

const sq = (s: string) => `'${s.replaceAll("'", "''")}'`;
const dq = (s: string) => `"${s.replaceAll('"', '""')}"`;
const plain = (v: unknown) => (typeof v === "bigint" ? Number(v) : v);

/** iceberg-check over every snapshot of each table of the exported lake `lakeDir`: one line per failing table. */
export function icebergCheckFailures(lakeDir: string, tables: readonly string[] = LAKE_TABLES): string[] {
  return tables.map((table) => ({ table, r: runIcebergCheck(path.join(lakeDir, "wiki", table)) }))
    .filter(({ r }) => r.exitCode !== 0)
    .map(({ table, r }) => `${table}: exit ${r.exitCode}\n  ${[...r.errors, r.stderr.trim()].join("\n  ")}`);
}

/** Reads table `table` of the lake exported to `lakeDir` with icebird and DuckDB. */
export async function readLakeTable(lakeDir: string, table: string): Promise<TableReadback> {
  const tableDir = path.join(lakeDir, "wiki", table);
  const hint = fs.readFileSync(path.join(tableDir, "metadata", "version-hint.text"), "utf8").trim();
  const metadataFile = path.join(tableDir, "metadata", `v${hint}.metadata.json`);
  const text = fs.readFileSync(metadataFile, "utf8");
  const snapshotId = /"current-snapshot-id"\s*:\s*(-?\d+)/.exec(text)?.[1] ?? null;
  const location = (JSON.parse(text) as { location: string }).location;
  const resolve = makeResolver(location, tableDir);

  const { metadata, entries, manifestCount, icebirdRows } = await withLocalFetch(resolve, async () => {
    const metadata = await icebergMetadata({
      tableUrl: location,
      metadataFileName: path.basename(metadataFile),
    });
    const current = metadata["current-snapshot-id"];
    if (current === undefined || current === null || current < 0) {
      return { metadata, entries: [], manifestCount: 0, icebirdRows: [] as Record<string, unknown>[] };
    }
    const manifests = await icebergManifests(metadata);
    const entries = manifests.flatMap((m) => m.entries).filter((e) => e.status !== 2);
    // icebird refuses a snapshot without data files; such a table simply has no rows.
    const hasData = entries.some((e) => !e.data_file.content);
    const icebirdRows = hasData ? await icebergRead({ tableUrl: location, metadata }) : [];
    return { metadata, entries, manifestCount: manifests.length, icebirdRows };
  });
  const schema = metadata.schemas.find((s) => s["schema-id"] === metadata["current-schema-id"]);
  const schemaFieldIds = Object.fromEntries((schema?.fields ?? []).map((f) => [f.name, f.id]));
  const dataEntries = entries.filter((e) => !e.data_file.content);

  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    await con.run("SET TimeZone = 'UTC'");
    const files = dataEntries.map((e) => {
      const localPath = resolve(e.data_file.file_path);
      if (localPath === null) {
        throw new Error(`${table}: data file ${e.data_file.file_path} is outside ${location}`);
      }
      return {
        filePath: e.data_file.file_path,
        localPath,
        recordCount: Number(e.data_file.record_count),
        sizeBytes: Number(e.data_file.file_size_in_bytes),
        parquetRows: 0,
      };
    });
    const parquetFieldIds: Record<string, number[]> = {};
    let rows: Record<string, unknown>[] = [];
    if (files.length) {
      const list = `[${files.map((f) => sq(f.localPath)).join(", ")}]`;
      const from = `read_parquet(${list}, hive_partitioning = false, union_by_name = true)`;
      const counts = (await con.runAndReadAll(
        `SELECT filename, count(*) AS n FROM read_parquet(${list}, filename = true, hive_partitioning = false,
           union_by_name = true) GROUP BY filename`,
      )).getRowObjectsJS();
      for (const f of files) f.parquetRows = Number(counts.find((c) => c.filename === f.localPath)?.n ?? 0);
      const ids = (await con.runAndReadAll(
        `SELECT DISTINCT name, field_id FROM parquet_schema(${list}) WHERE field_id IS NOT NULL OR num_children IS NULL`,
      )).getRowObjectsJS();
      for (const { name, field_id } of ids) {
        const k = String(name);
        parquetFieldIds[k] ??= [];
        if (field_id !== null) parquetFieldIds[k].push(Number(field_id));
      }
      const columns = (await con.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRowObjectsJS();
      const select = columns.map(({ column_name, column_type }) =>
        String(column_type).startsWith("TIMESTAMP")
          ? `epoch_ms(${dq(String(column_name))}) AS ${dq(String(column_name))}`
          : dq(String(column_name))
      );
      rows = (await con.runAndReadAll(`SELECT ${select.join(", ")} FROM ${from}`)).getRowObjectsJS()
        .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)])));
    }
    return {
      table,
      tableDir,
      metadataFile,
      location,
      snapshotId,
      schemaFieldIds,
      dataFiles: files,
      deleteFiles: entries.length - dataEntries.length,
      manifests: manifestCount,
      manifestRecordCount: files.reduce((n, f) => n + f.recordCount, 0),
      icebirdRows,
      parquetFieldIds,
      rows,
    };
  } finally {
    con.closeSync();
    db.closeSync();
  }
}
