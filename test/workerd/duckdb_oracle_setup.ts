/**
 * Vitest globalSetup of the workerd project (runs in Node): a DuckDB "oracle" on 127.0.0.1 that
 * the workerd tests ask for expected values, since DuckDB cannot run inside workerd. It shares
 * no code with the product:
 * - `POST /recompute {lines}` (or `{file}`, a testdata/ fixture) → the independent
 *   recomputation of test/e2e/lib/recompute.ts over the stream lines in stream order (counts, silver ids, gold, gold before any correction,
 *   late events), DuckDB SQL written from DESIGN.md §3;
 * - `POST /sql {tables, sql}` → runs `sql` (statements in order, the last one's rows answered)
 *   over `tables` given as JSON rows;
 * - `POST /lake {table, objects}` → writes a table's R2 objects (key relative to the table's
 *   folder → base64 bytes) to a temporary `wiki/<table>/…` tree and reads its current snapshot
 *   with icebird (metadata, manifests) and DuckDB `read_parquet` (rows);
 * - `POST /lake-audit {table, objects, options}` → the same tree audited by test/e2e/lib/lake_audit.ts
 *   (iceberg-check over every snapshot, live files' sizes and sort order, every snapshot's
 *   referenced files, chosen snapshots read back by icebird and DuckDB).
 * Test-only, loopback-only, bodies bounded; provided to the tests as `duckdbOracleUrl`.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { Buffer } from "node:buffer";
import type { AddressInfo } from "node:net";
import { DuckDBInstance } from "@duckdb/node-api";
import type { TestProject } from "vitest/node";
import { recomputeStream, recomputeTexts } from "../e2e/lib/recompute.ts";
import { readLakeTable } from "../e2e/lib/lake_readback.ts";
import { auditLakeTable, type LakeAuditOptions } from "../e2e/lib/lake_audit.ts";

declare module "vitest" {
  export interface ProvidedContext {
    duckdbOracleUrl: string;
  }
}

const MAX_BODY_BYTES = 64 << 20;
const NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const RELATIVE_KEY = /^(metadata|data)\/[A-Za-z0-9_.=\/-]{1,300}$/;

function toPlain(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Date) return value.getTime();
  return value;
}

/** Runs `statements` over `tables` (JSON rows, column types inferred by DuckDB); the last one's rows. */
async function runSql(tables: Record<string, Record<string, unknown>[]>, statements: string[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wikiflare-oracle-"));
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    await con.run("SET TimeZone = 'UTC'");
    for (const [name, rows] of Object.entries(tables)) {
      if (!NAME.test(name)) throw new RangeError(`bad table name ${JSON.stringify(name)}`);
      const file = path.join(dir, `${name}.ndjson`);
      fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join("\n"));
      await con.run(
        `CREATE TABLE ${name} AS SELECT * FROM read_json('${file}', format = 'newline_delimited')`,
      );
    }
    for (const sql of statements.slice(0, -1)) await con.run(sql);
    const rows = (await con.runAndReadAll(statements.at(-1) ?? "SELECT 1")).getRowObjectsJS();
    return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, toPlain(v)])));
  } finally {
    con.closeSync();
    db.closeSync();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes a table's objects to a temporary `wiki/<table>/…` tree, runs `read` over it, removes it. */
async function withTableTree<T>(
  table: string,
  objects: Record<string, string>,
  read: (dir: string) => Promise<T>,
): Promise<T> {
  if (!NAME.test(table)) throw new RangeError(`bad table name ${JSON.stringify(table)}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wikiflare-oracle-lake-"));
  try {
    for (const [key, base64] of Object.entries(objects)) {
      if (!RELATIVE_KEY.test(key) || key.includes("..")) throw new RangeError(`bad key ${key}`);
      const file = path.join(dir, "wiki", table, key);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, Buffer.from(base64, "base64"));
    }
    return await read(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads one table's current snapshot from its objects with icebird + DuckDB. */
function readLake(table: string, objects: Record<string, string>) {
  return withTableTree(table, objects, async (dir) => {
    const read = await readLakeTable(dir, table);
    return {
      rows: read.rows,
      dataFiles: read.dataFiles.map((f) => ({ recordCount: f.recordCount, parquetRows: f.parquetRows })),
      manifestRecordCount: read.manifestRecordCount,
      icebirdRows: read.icebirdRows.length,
    };
  });
}

/** The maintenance audit of test/e2e/lib/lake_audit.ts over one table's objects (column names checked). */
function auditLake(table: string, objects: Record<string, string>, options: LakeAuditOptions) {
  for (const column of [options.keyColumn, options.sortColumn]) {
    if (!NAME.test(column)) throw new RangeError(`bad column ${JSON.stringify(column)}`);
  }
  const readSnapshots = (options.readSnapshots ?? []).slice(0, 100);
  if (!readSnapshots.every((id) => /^[0-9]{1,20}$/.test(id))) throw new RangeError("bad snapshot id");
  return withTableTree(table, objects, (dir) => auditLakeTable(dir, table, { ...options, readSnapshots }));
}

const ROOT = path.resolve(import.meta.dirname, "../..");
const FIXTURE = /^testdata\/[a-z0-9-]+\.jsonl$/;

async function answer(url: string, body: any): Promise<unknown> {
  if (url === "/recompute" && typeof body.file === "string") {
    if (!FIXTURE.test(body.file)) throw new RangeError(`not a testdata fixture: ${body.file}`);
    return await recomputeStream(path.join(ROOT, body.file));
  }
  if (url === "/recompute") return await recomputeTexts(body.lines);
  if (url === "/sql") return await runSql(body.tables ?? {}, body.sql);
  if (url === "/lake") return await readLake(body.table, body.objects);
  if (url === "/lake-audit") return await auditLake(body.table, body.objects, body.options);
  throw new RangeError(`unknown path ${url}`);
}

export default async function setup(project: TestProject) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(c);
    });
    req.on("end", () => {
      answer(req.url ?? "", JSON.parse(Buffer.concat(chunks).toString("utf8"))).then(
        (out) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out)),
        (error) => res.writeHead(500).end(String(error?.stack ?? error)),
      );
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  project.provide("duckdbOracleUrl", `http://127.0.0.1:${port}`);
  return () => new Promise<void>((ok) => server.close(() => ok()));
}
